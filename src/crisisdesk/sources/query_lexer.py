"""Lexer of the monitoring query language.

Kept apart from the parser so that every character-level decision (what a quote, a leading
minus or a colon means) lives in one place, and so that every error can name the exact
0-based character position the user has to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FIELD_NAMES",
    "FieldName",
    "Lexeme",
    "LexemeKind",
    "QuerySyntaxError",
    "lex",
]

#: The phrase used in every "expected an operand" error, so users learn one vocabulary.
OPERAND = "a term, phrase, hashtag, mention, field filter or '('"


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based character to point at."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class FieldName(StrEnum):
    """Post attributes a query may filter on (``lang:de``)."""

    LANG = "lang"
    PLATFORM = "platform"
    AUTHOR = "author"
    KIND = "kind"


FIELD_NAMES: frozenset[str] = frozenset(FieldName)


class LexemeKind(StrEnum):
    """Kinds of lexemes; hashtags and mentions are WORDs that the parser tells apart."""

    LPAREN = "("
    RPAREN = ")"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    MINUS = "-"
    WORD = "word"
    PHRASE = "phrase"
    FIELD = "field"
    END = "end"


@dataclass(frozen=True, slots=True)
class Lexeme:
    """One lexeme; ``field`` is only set for FIELD lexemes, whose ``text`` is the value."""

    kind: LexemeKind
    text: str
    position: int
    field: FieldName | None = None


_KEYWORDS = {"AND": LexemeKind.AND, "OR": LexemeKind.OR, "NOT": LexemeKind.NOT}
# A bare word ends at whitespace, a parenthesis or a quote, so `bahn)` and `a"b c"` lex well.
_WORD_RE = re.compile(r'[^\s()"]+')
# `name:value`; the name must look like an identifier, so `10:30` stays a plain term.
_FIELD_RE = re.compile(r"([A-Za-z]+):")


def lex(query: str) -> list[Lexeme]:
    """Split ``query`` into lexemes, ending with an END lexeme at ``len(query)``."""
    out: list[Lexeme] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            out.append(Lexeme(LexemeKind.LPAREN, ch, i))
            i += 1
        elif ch == ")":
            out.append(Lexeme(LexemeKind.RPAREN, ch, i))
            i += 1
        elif ch == '"':
            text, i_next = _read_quoted(query, i)
            out.append(Lexeme(LexemeKind.PHRASE, text, i))
            i = i_next
        elif ch == "-":
            if i + 1 >= n or query[i + 1].isspace() or query[i + 1] == ")":
                raise QuerySyntaxError(f"expected {OPERAND} right after '-' at position {i}", i)
            out.append(Lexeme(LexemeKind.MINUS, ch, i))
            i += 1
        else:
            i = _read_word(query, i, out)
    out.append(Lexeme(LexemeKind.END, "", n))
    return out


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    """Return the text between the quote at ``start`` and its partner, and the next index."""
    end = query.find('"', start + 1)
    if end < 0:
        raise QuerySyntaxError(f"unbalanced quote: the '\"' at position {start} is never closed", start)
    return query[start + 1 : end], end + 1


def _read_word(query: str, start: int, out: list[Lexeme]) -> int:
    """Lex a keyword, field filter or plain word at ``start``; return the next index."""
    match = _WORD_RE.match(query, start)
    assert match is not None  # the caller saw a character that starts a word
    word = match.group()
    end = match.end()
    keyword = _KEYWORDS.get(word)
    if keyword is not None:
        out.append(Lexeme(keyword, word, start))
        return end
    field_match = _FIELD_RE.match(word)
    if field_match is None:
        out.append(Lexeme(LexemeKind.WORD, word, start))
        return end
    name = field_match.group(1).lower()
    if name not in FIELD_NAMES:
        allowed = ", ".join(sorted(FIELD_NAMES))
        raise QuerySyntaxError(
            f"unknown field '{field_match.group(1)}' at position {start}; allowed fields: "
            f"{allowed} (quote the text to search for it literally)",
            start,
        )
    value_start = start + field_match.end()
    value = word[field_match.end() :]
    if not value and end < len(query) and query[end] == '"':
        value, end = _read_quoted(query, end)
    if not value.strip():
        raise QuerySyntaxError(
            f"expected a value after '{word[: field_match.end()]}' at position {value_start}",
            value_start,
        )
    out.append(Lexeme(LexemeKind.FIELD, value.strip(), start, FieldName(name)))
    return end

"""The monitoring boolean query language: parser and typed AST.

A monitor ("Deutsche Bahn, German complaints") is a query such as
``("deutsche bahn" OR #db OR @DB_Bahn) verspät* -gewinnspiel lang:de``. The grammar, with
precedence NOT > AND > OR and implicit AND between adjacent operands::

    query    := or_expr END
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*
    not_expr := ("NOT" | "-") not_expr | primary
    primary  := WORD | PHRASE | FIELD | "(" or_expr ")"

Literals are folded and tokenised here with :mod:`crisisdesk.core.text`, the same code that
prepares post text, so the matcher only ever compares like with like. See
``docs/query-language.md`` for the user-facing description.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crisisdesk.core.text import TokenKind, fold, tokenize
from crisisdesk.sources.query_lexer import (
    OPERAND,
    FieldName,
    Lexeme,
    LexemeKind,
    QuerySyntaxError,
    lex,
)

__all__ = [
    "And",
    "Field",
    "FieldName",
    "Hashtag",
    "Mention",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "QuerySyntaxError",
    "Term",
    "format_error",
    "parse",
]


@dataclass(frozen=True, slots=True)
class Term:
    """A bare word as typed; punctuation inside (``s-bahn``) makes it a short phrase.

    ``words`` are folded. With ``wildcard`` the last word is a prefix (``verspät*``).
    Matches word tokens and hashtags with the same text, never mentions.
    """

    words: tuple[str, ...]
    wildcard: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A quoted phrase: its folded words must appear consecutively, punctuation ignored.

    A word that starts with ``@`` inside the quotes must be a mention (``"@db hilfe"``).
    """

    words: tuple[str, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Hashtag:
    """``#tag``: only the hashtag form matches (``#db`` does not match the word ``db``)."""

    tag: str
    wildcard: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Mention:
    """``@handle`` mentioned in the post text (the author is ``author:``)."""

    handle: str
    wildcard: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Field:
    """``name:value`` filter on a post attribute; ``value`` is folded."""

    name: FieldName
    value: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    """Conjunction; nested ANDs are flattened so evaluation depth stays small."""

    operands: tuple[Node, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node = Term | Phrase | Hashtag | Mention | Field | Not | And | Or
Literal = Term | Phrase | Hashtag | Mention

_OPERAND_START = frozenset(
    {
        LexemeKind.WORD,
        LexemeKind.PHRASE,
        LexemeKind.FIELD,
        LexemeKind.LPAREN,
        LexemeKind.NOT,
        LexemeKind.MINUS,
    }
)
_MIN_PREFIX = 2


def parse(query: str) -> Node:
    """Parse ``query`` into its AST; raise :class:`QuerySyntaxError` naming the position."""
    return _Parser(query).parse()


def format_error(query: str, err: QuerySyntaxError) -> str:
    """Render ``query`` with a caret under the error position, then the message (for CLIs)."""
    shown = "".join(" " if ch in "\r\n\t" else ch for ch in query)
    return f"{shown}\n{' ' * max(0, min(err.position, len(shown)))}^\n{err.message}"


class _Parser:
    """Recursive descent over the lexemes; one method per grammar rule."""

    def __init__(self, query: str) -> None:
        self._lexemes = lex(query)
        self._i = 0

    def parse(self) -> Node:
        first = self._peek()
        if first.kind is LexemeKind.END:
            raise QuerySyntaxError(f"empty query: expected {OPERAND} at position 0", 0)
        node = self._or_expr()
        rest = self._peek()
        if rest.kind is LexemeKind.RPAREN:
            raise QuerySyntaxError(
                f"unexpected ')' at position {rest.position} without a matching '('", rest.position
            )
        assert rest.kind is LexemeKind.END  # and_expr consumes every operand start
        return node

    def _peek(self) -> Lexeme:
        return self._lexemes[self._i]

    def _next(self) -> Lexeme:
        lexeme = self._lexemes[self._i]
        self._i += 1
        return lexeme

    def _or_expr(self) -> Node:
        start = self._peek().position
        operands = [self._and_expr()]
        while self._peek().kind is LexemeKind.OR:
            self._operand_after(self._next())
            operands.append(self._and_expr())
        return operands[0] if len(operands) == 1 else Or(_flatten(Or, operands), start)

    def _and_expr(self) -> Node:
        start = self._peek().position
        operands = [self._not_expr()]
        while True:
            nxt = self._peek()
            if nxt.kind is LexemeKind.AND:
                self._operand_after(self._next())
            elif nxt.kind not in _OPERAND_START:
                break
            operands.append(self._not_expr())
        return operands[0] if len(operands) == 1 else And(_flatten(And, operands), start)

    def _not_expr(self) -> Node:
        lexeme = self._peek()
        if lexeme.kind in (LexemeKind.NOT, LexemeKind.MINUS):
            self._next()
            self._operand_after(lexeme)
            return Not(self._not_expr(), lexeme.position)
        return self._primary()

    def _primary(self) -> Node:
        lexeme = self._next()
        if lexeme.kind is LexemeKind.WORD:
            return _word(lexeme)
        if lexeme.kind is LexemeKind.PHRASE:
            return _phrase(lexeme)
        if lexeme.kind is LexemeKind.FIELD:
            assert lexeme.field is not None
            return Field(lexeme.field, " ".join(fold(lexeme.text).split()), lexeme.position)
        if lexeme.kind is LexemeKind.LPAREN:
            if self._peek().kind is LexemeKind.RPAREN:
                raise QuerySyntaxError(
                    f"empty parentheses at position {lexeme.position}: expected {OPERAND} inside",
                    lexeme.position,
                )
            node = self._or_expr()
            close = self._next()
            if close.kind is not LexemeKind.RPAREN:
                raise QuerySyntaxError(
                    f"expected ')' at position {close.position} to close the '(' at position "
                    f"{lexeme.position}",
                    close.position,
                )
            return node
        raise _expected_operand(lexeme)

    def _operand_after(self, op: Lexeme) -> None:
        """Fail early, naming the operator, when an operator is not followed by an operand."""
        nxt = self._peek()
        if nxt.kind is LexemeKind.END:
            raise QuerySyntaxError(
                f"unexpected end of query after '{op.text}' at position {nxt.position}, expected {OPERAND}",
                nxt.position,
            )
        if nxt.kind not in _OPERAND_START:
            raise _expected_operand(nxt, after=op)


def _expected_operand(found: Lexeme, after: Lexeme | None = None) -> QuerySyntaxError:
    where = f" after '{after.text}'" if after is not None else ""
    return QuerySyntaxError(
        f"expected {OPERAND}{where} at position {found.position}, found '{found.text}'",
        found.position,
    )


def _flatten(kind: type[And] | type[Or], operands: list[Node]) -> tuple[Node, ...]:
    out: list[Node] = []
    for op in operands:
        if isinstance(op, kind):
            out.extend(op.operands)
        else:
            out.append(op)
    return tuple(out)


def _word(lexeme: Lexeme) -> Literal:
    """Turn a bare word into a Term, Hashtag or Mention, validating wildcard use."""
    raw, pos = lexeme.text, lexeme.position
    star = raw.find("*")
    wildcard = star >= 0
    if wildcard:
        if star != len(raw) - 1:
            raise QuerySyntaxError(
                f"'*' is only allowed at the end of a word at position {pos + star}", pos + star
            )
        raw = raw[:-1]
        stem = raw[1:] if raw[:1] in ("#", "@") else raw
        if sum(ch.isalnum() or ch == "_" for ch in stem) < _MIN_PREFIX:
            raise QuerySyntaxError(
                f"a wildcard needs at least {_MIN_PREFIX} letters before '*' at position {pos + star}",
                pos + star,
            )
    if raw[:1] in ("#", "@"):
        return _tag(raw, wildcard, pos)
    words = _words(raw)
    if not words:
        raise QuerySyntaxError(
            f"the word '{lexeme.text}' at position {pos} contains no letters or digits to search for",
            pos,
        )
    return Term(words, wildcard, pos)


def _tag(raw: str, wildcard: bool, pos: int) -> Hashtag | Mention:
    sigil, body = raw[0], fold(raw[1:])
    what = "hashtag" if sigil == "#" else "mention"
    tokens = tokenize(body)
    if len(tokens) != 1 or tokens[0].text != body:
        raise QuerySyntaxError(
            f"a {what} may only contain letters, digits and '_' after '{sigil}' at position {pos}"
            + (" (use a quoted phrase for handles with dots)" if sigil == "@" else ""),
            pos,
        )
    if sigil == "#":
        return Hashtag(body, wildcard, pos)
    return Mention(body, wildcard, pos)


def _phrase(lexeme: Lexeme) -> Phrase:
    words = _words(lexeme.text)
    if not words:
        raise QuerySyntaxError(
            f"empty phrase at position {lexeme.position}: expected words between the quotes",
            lexeme.position,
        )
    return Phrase(words, lexeme.position)


def _words(text: str) -> tuple[str, ...]:
    """Folded words of a literal; hashtags count as their word, mentions keep their '@'.

    This mirrors :func:`crisisdesk.core.text.token_line`, which prepares post text.
    """
    return tuple(
        "@" + tok.text if tok.kind is TokenKind.MENTION else tok.text for tok in tokenize(fold(text))
    )

"""Meaning of a query against one post, by direct interpretation of the AST.

This is the reference semantics: :class:`crisisdesk.sources.matcher.MonitorSet` must return
exactly what :func:`evaluate` returns for every monitor, only faster. It is also the honest
baseline of the matching benchmark (fold and tokenise once per post, then walk every
monitor's AST). Both share :func:`literal_key`, the single definition of how a query literal
is looked up in a :class:`~crisisdesk.core.text.TokenLine`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from crisisdesk.core.text import TokenLine, fold, token_line
from crisisdesk.sources.query import (
    And,
    Field,
    FieldName,
    Hashtag,
    Mention,
    Node,
    Not,
    Or,
    Phrase,
    Term,
)

__all__ = [
    "FIELD_GETTERS",
    "DocFields",
    "LiteralKey",
    "MatchDoc",
    "Matchable",
    "PreparedDoc",
    "doc_fields",
    "evaluate",
    "field_matches",
    "literal_key",
    "prepare",
]


class Matchable(Protocol):
    """Anything matching can read a post from: a :class:`MatchDoc`, or the pipeline's own post
    object, which the match stage hands over as it is instead of copying it per post."""

    @property
    def text(self) -> str: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def platform(self) -> str | None: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def author_handle(self) -> str | None: ...
    @property
    def author_name(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class MatchDoc:
    """What matching needs to know about a post; decoupled from the ORM and the bus."""

    text: str
    lang: str | None = None
    platform: str | None = None
    kind: str | None = None
    author_handle: str | None = None
    author_name: str | None = None


class DocFields(NamedTuple):
    """The post attributes in folded form, so field filters compare with ``==`` only."""

    lang: str
    platform: str
    kind: str
    handle: str
    name: str


class PreparedDoc(NamedTuple):
    text: TokenLine
    fields: DocFields


class LiteralKey(NamedTuple):
    """How a literal is found: a substring of the token line, a hashtag (exact or prefix),
    or a field filter (``kind`` is then the field name)."""

    kind: str  # "line", "tag", "tag*" or a FieldName
    value: str


LINE, TAG, TAG_PREFIX = "line", "tag", "tag*"


def _folded(value: str | None) -> str:
    return " ".join(fold(value).split()) if value else ""


# Languages, platforms and kinds are a handful of distinct codes: fold each once.
_folded_code = functools.lru_cache(maxsize=1024)(_folded)


def _lang(doc: Matchable) -> str:
    return _folded_code(doc.lang)


def _platform(doc: Matchable) -> str:
    return _folded_code(doc.platform)


def _kind(doc: Matchable) -> str:
    return _folded_code(doc.kind)


def _handle(doc: Matchable) -> str:
    return fold(doc.author_handle).strip().lstrip("@") if doc.author_handle else ""


def _name(doc: Matchable) -> str:
    return _folded(doc.author_name)


#: How to read each DocFields attribute off a MatchDoc, so a matcher can fold only those
#: attributes its queries filter on.
FIELD_GETTERS: dict[str, Callable[[Matchable], str]] = {
    "lang": _lang,
    "platform": _platform,
    "kind": _kind,
    "handle": _handle,
    "name": _name,
}


def doc_fields(doc: Matchable) -> DocFields:
    return DocFields(_lang(doc), _platform(doc), _kind(doc), _handle(doc), _name(doc))


def prepare(doc: Matchable) -> PreparedDoc:
    return PreparedDoc(token_line(fold(doc.text)), doc_fields(doc))


def literal_key(node: Term | Phrase | Hashtag | Mention | Field) -> LiteralKey:
    """The lookup key of a literal; equal keys are the same literal across all monitors.

    Field filters are literals too (of the post's attributes rather than its text), so that
    ``lang:de`` wakes a monitor up only for German posts.

    Token lines have one space around every token, so a leading and trailing space makes a
    substring match a whole-word match, and dropping the trailing space makes it a prefix.
    """
    if isinstance(node, Field):
        return LiteralKey(node.name, node.value)
    if isinstance(node, Hashtag):
        return LiteralKey(TAG_PREFIX if node.wildcard else TAG, node.tag)
    if isinstance(node, Mention):
        return LiteralKey(LINE, f" @{node.handle}" + ("" if node.wildcard else " "))
    wildcard = isinstance(node, Term) and node.wildcard
    return LiteralKey(LINE, " " + " ".join(node.words) + ("" if wildcard else " "))


def literal_present(key: LiteralKey, text: TokenLine) -> bool:
    if key.kind == LINE:
        return key.value in text.line
    if key.kind == TAG:
        return key.value in text.hashtags
    return any(tag.startswith(key.value) for tag in text.hashtags)


def field_matches(node: Field, fields: DocFields) -> bool:
    """``author:`` accepts the handle (with or without '@') or the full display name."""
    value = node.value
    if node.name is FieldName.AUTHOR:
        handle = value.lstrip("@")
        return (bool(handle) and handle == fields.handle) or (bool(value) and value == fields.name)
    if node.name is FieldName.LANG:
        return value == fields.lang
    if node.name is FieldName.PLATFORM:
        return value == fields.platform
    return value == fields.kind


def evaluate(node: Node, doc: PreparedDoc) -> bool:
    """Whether ``node`` matches the prepared post (tree walk, no prefilter)."""
    if isinstance(node, And):
        return all(evaluate(op, doc) for op in node.operands)
    if isinstance(node, Or):
        return any(evaluate(op, doc) for op in node.operands)
    if isinstance(node, Not):
        return not evaluate(node.operand, doc)
    if isinstance(node, Field):
        return field_matches(node, doc.fields)
    return literal_present(literal_key(node), doc.text)

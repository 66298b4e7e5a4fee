"""All monitors compiled into one matcher, so adding monitors barely adds cost per post.

Naively every post is checked against every monitor, and the cost grows with the number of
monitors. Instead, compilation collects the literals of all monitors (words, phrases,
prefixes, mentions) into ONE Aho–Corasick automaton. Per post we fold and tokenise the text
once, run the automaton once, look hashtags and the post's attributes (``lang:de`` is a
literal too) up in dicts, and obtain the set of literals present. A monitor is a *candidate*
only if one of its trigger literals is present: a set of literals of which at least one must
occur for the query to match at all (computed from the AST). Only candidates are evaluated,
against the set of present literals, by closures built at compile time; the post itself is
not looked at again. The few monitors without trigger literals (``NOT spam``) are always
evaluated.
See ``docs/query-language.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from typing import TypeGuard

import ahocorasick_rs

from crisisdesk.core.text import fold, token_line
from crisisdesk.sources.evaluate import (
    FIELD_GETTERS,
    LINE,
    TAG,
    TAG_PREFIX,
    LiteralKey,
    Matchable,
    MatchDoc,
    evaluate,
    literal_key,
    prepare,
)
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
    QuerySyntaxError,
    Term,
    parse,
)
from crisisdesk.sources.query_lexer import FIELD_NAMES

__all__ = ["MatchDoc", "Matchable", "MonitorQueryError", "MonitorSet"]

# DocFields attribute names the author: filter is looked up under.
_HANDLE, _NAME = "handle", "name"

# Evaluates a compiled query given the ids of the literals present in a post.
Evaluator = Callable[[Set[int]], bool]


class MonitorQueryError(ValueError):
    """A monitor's query does not parse; the message names the monitor and the position."""

    def __init__(self, monitor: str, query: str, error: QuerySyntaxError) -> None:
        super().__init__(f"monitor {monitor!r}: {error.message}")
        self.monitor = monitor
        self.query = query
        self.position = error.position
        self.error = error


@dataclass(frozen=True, slots=True)
class _Monitor:
    evaluate: Evaluator
    # The query is a plain disjunction of literals: being a candidate already means a match.
    exact: bool


class MonitorSet:
    """Immutable compiled set of named monitors; build with :meth:`compile`."""

    __slots__ = (
        "_always",
        "_automaton",
        "_by_literal",
        "_fields",
        "_monitors",
        "_tag_exact",
        "_tag_prefix",
        "names",
        "queries",
    )

    names: tuple[str, ...]
    queries: tuple[Node, ...]
    _automaton: ahocorasick_rs.AhoCorasick | None
    _tag_exact: dict[str, int]
    _tag_prefix: tuple[tuple[int, dict[str, int]], ...]
    # Field filter literals: per used post attribute, its getter and folded value -> literal ids.
    _fields: tuple[tuple[Callable[[Matchable], str], dict[str, tuple[int, ...]]], ...]
    _by_literal: tuple[tuple[int, ...], ...]
    _always: tuple[int, ...]
    _monitors: tuple[_Monitor, ...]

    def __init__(self) -> None:
        raise TypeError("use MonitorSet.compile(monitors)")

    @classmethod
    def compile(cls, monitors: Sequence[tuple[str, str]]) -> MonitorSet:
        """Parse and compile ``(name, query)`` pairs; raise :class:`MonitorQueryError`."""
        names = tuple(name for name, _ in monitors)
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"duplicate monitor names: {', '.join(dupes)}")
        asts: list[Node] = []
        for name, query in monitors:
            try:
                asts.append(parse(query))
            except QuerySyntaxError as err:
                raise MonitorQueryError(name, query, err) from err

        # Literal ids: automaton patterns first, so an automaton hit index is the literal id.
        keys: dict[LiteralKey, None] = {}
        for ast in asts:
            keys.update(dict.fromkeys(_literal_keys(ast)))
        ordered = sorted(keys, key=lambda k: k.kind != LINE)
        ids = {key: i for i, key in enumerate(ordered)}

        self = object.__new__(cls)
        self.names = names
        self.queries = tuple(asts)
        patterns = [k.value for k in ordered if k.kind == LINE]
        self._automaton = ahocorasick_rs.AhoCorasick(patterns) if patterns else None
        self._tag_exact = {k.value: ids[k] for k in ordered if k.kind == TAG}
        prefix_tables: dict[int, dict[str, int]] = {}
        fields: dict[str, dict[str, list[int]]] = {}
        for key in ordered:
            if key.kind == TAG_PREFIX:
                prefix_tables.setdefault(len(key.value), {})[key.value] = ids[key]
            elif key.kind == FieldName.AUTHOR:
                # author: matches the handle (with or without "@") or the full name.
                handle = key.value.lstrip("@")
                if handle:
                    fields.setdefault(_HANDLE, {}).setdefault(handle, []).append(ids[key])
                fields.setdefault(_NAME, {}).setdefault(key.value, []).append(ids[key])
            elif key.kind in FIELD_NAMES:
                fields.setdefault(key.kind, {}).setdefault(key.value, []).append(ids[key])
        self._tag_prefix = tuple(sorted(prefix_tables.items()))
        self._fields = tuple(
            (FIELD_GETTERS[name], {value: tuple(lids) for value, lids in table.items()})
            for name, table in fields.items()
        )

        by_literal: list[list[int]] = [[] for _ in ordered]
        always: list[int] = []
        compiled: list[_Monitor] = []
        for index, ast in enumerate(asts):
            trigger = _trigger_literals(ast)
            if trigger is None:
                always.append(index)
            else:
                for key in trigger:
                    by_literal[ids[key]].append(index)
            compiled.append(_Monitor(evaluate=_build(ast, ids), exact=_is_disjunction_of_literals(ast)))
        self._by_literal = tuple(tuple(ms) for ms in by_literal)
        self._always = tuple(always)
        self._monitors = tuple(compiled)
        return self

    def __len__(self) -> int:
        return len(self.names)

    def match(self, doc: Matchable) -> list[str]:
        """Names of the monitors matching ``doc``, in compile order."""
        present = self._present(doc)
        order: Iterable[int]
        if not present:
            order = self._always
        elif len(present) == 1 and not self._always:
            (lid,) = present
            order = self._by_literal[lid]  # already in compile order
        else:
            candidates: set[int] = set(self._always)
            by_literal = self._by_literal
            for lid in present:
                candidates.update(by_literal[lid])
            order = sorted(candidates)
        monitors, names = self._monitors, self.names
        return [names[index] for index in order if monitors[index].exact or monitors[index].evaluate(present)]

    def match_many(self, docs: Sequence[Matchable]) -> list[list[str]]:
        """:meth:`match` for a batch, the shape the pipeline's match stage works in."""
        match = self.match
        return [match(doc) for doc in docs]

    def match_naive(self, doc: Matchable) -> list[str]:
        """Reference result: every monitor's AST walked, no prefilter (tests, benchmark)."""
        prepared = prepare(doc)
        return [name for name, ast in zip(self.names, self.queries, strict=True) if evaluate(ast, prepared)]

    def _present(self, doc: Matchable) -> set[int]:
        """Ids of the literals present in the post: one automaton run plus a few lookups."""
        text = token_line(fold(doc.text))
        automaton = self._automaton
        present = (
            {hit[0] for hit in automaton.find_matches_as_indexes(text.line, overlapping=True)}
            if automaton is not None
            else set()
        )
        if text.hashtags and (self._tag_exact or self._tag_prefix):
            for tag in text.hashtags:
                lid = self._tag_exact.get(tag)
                if lid is not None:
                    present.add(lid)
                for length, table in self._tag_prefix:
                    if len(tag) < length:
                        break
                    lid = table.get(tag[:length])
                    if lid is not None:
                        present.add(lid)
        for getter, values in self._fields:
            lids = values.get(getter(doc))
            if lids is not None:
                present.update(lids)
        return present


def _literal_keys(node: Node) -> Iterable[LiteralKey]:
    if isinstance(node, And | Or):
        for op in node.operands:
            yield from _literal_keys(op)
    elif isinstance(node, Not):
        yield from _literal_keys(node.operand)
    else:
        yield literal_key(node)


def _trigger_literals(node: Node) -> frozenset[LiteralKey] | None:
    """Literals of which at least one is present whenever ``node`` matches; None if none such.

    A literal (a field filter included) triggers itself. An AND needs all of its operands, so
    any one operand's trigger set will do; we prefer text literals over field filters (``lang:de``
    is present in half of all posts) and then the smallest set. An OR needs one of its
    operands, so it needs the union, and only if every operand has one. NOT can match a post
    without any literal in it.
    """
    if isinstance(node, And):
        options = [t for t in map(_trigger_literals, node.operands) if t is not None]
        return min(options, key=_trigger_cost) if options else None
    if isinstance(node, Or):
        union: set[LiteralKey] = set()
        for op in node.operands:
            trigger = _trigger_literals(op)
            if trigger is None:
                return None
            union |= trigger
        return frozenset(union)
    if isinstance(node, Not):
        return None
    return frozenset({literal_key(node)})


def _trigger_cost(trigger: frozenset[LiteralKey]) -> tuple[int, int]:
    return (sum(key.kind in FIELD_NAMES for key in trigger), len(trigger))


def _is_disjunction_of_literals(node: Node) -> bool:
    if isinstance(node, Or):
        return all(_is_disjunction_of_literals(op) for op in node.operands)
    return not isinstance(node, And | Not)


def _build(node: Node, ids: dict[LiteralKey, int]) -> Evaluator:
    """Compile ``node`` into a closure; literal operands of AND/OR become one set test."""
    if isinstance(node, Not):
        inner = _build(node.operand, ids)
        return lambda present: not inner(present)
    if isinstance(node, And | Or):
        lits = frozenset(ids[literal_key(op)] for op in node.operands if _is_literal(op))
        rest = tuple(_build(op, ids) for op in node.operands if not _is_literal(op))
        return _and(lits, rest) if isinstance(node, And) else _or(lits, rest)
    lid = ids[literal_key(node)]
    return lambda present: lid in present


def _is_literal(node: Node) -> TypeGuard[Term | Phrase | Hashtag | Mention | Field]:
    return not isinstance(node, And | Or | Not)


def _and(lits: frozenset[int], rest: tuple[Evaluator, ...]) -> Evaluator:
    if not rest:
        return lambda present: lits <= present
    if len(rest) == 1:
        (only,) = rest
        return lambda present: lits <= present and only(present)

    def conjunction(present: Set[int]) -> bool:
        return lits <= present and all(sub(present) for sub in rest)

    return conjunction


def _or(lits: frozenset[int], rest: tuple[Evaluator, ...]) -> Evaluator:
    if not rest:
        return lambda present: not lits.isdisjoint(present)
    if len(rest) == 1:
        (only,) = rest
        return lambda present: not lits.isdisjoint(present) or only(present)

    def disjunction(present: Set[int]) -> bool:
        return not lits.isdisjoint(present) or any(sub(present) for sub in rest)

    return disjunction

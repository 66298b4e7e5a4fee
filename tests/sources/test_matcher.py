"""The compiled multi-monitor matcher: semantics, compile errors, and prefilter == naive."""

from __future__ import annotations

import functools
import random
from typing import Any

import pytest

from crisisdesk.core.text import Token, TokenKind, fold, tokenize
from crisisdesk.sources.matcher import MatchDoc, MonitorQueryError, MonitorSet
from crisisdesk.sources.query import And, Field, FieldName, Hashtag, Mention, Node, Not, Or, Phrase, Term

CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    # whole words, case, German folding both ways
    ("bahn", "Die Bahn kommt", {}, True),
    ("bahn", "Am Bahnhof", {}, False),
    ("bahn", "BAHN!!!", {}, True),
    ("verspätung", "Schon wieder Verspaetung", {}, True),
    ("verspaetung", "Schon wieder VERSPÄTUNG", {}, True),
    ("straße", "Strasse gesperrt", {}, True),
    ("café", "Cafe closed", {}, True),
    ("delay", "Another delay today", {}, True),
    ("delay", "delayed again", {}, False),
    # wildcard
    ("verspät*", "Die Verspätungen nerven", {}, True),
    ("verspät*", "verspaetet", {}, True),
    ("verspät*", "unverspätet", {}, False),
    ("bahn*", "Am Bahnhof", {}, True),
    ("delay*", "delayed again", {}, True),
    # phrases: consecutive words, punctuation ignored
    ('"deutsche bahn"', "die deutsche  bahn, heute", {}, True),
    ('"deutsche bahn"', "Deutsche-Bahn", {}, True),
    ('"deutsche bahn"', "deutsche und bahn", {}, False),
    ('"deutsche bahn"', "bahn deutsche", {}, False),
    ('"customer service"', "Customer Service sucks", {}, True),
    ('"bahn streik"', "die #Bahn streikt", {}, False),
    ('"bahn streik"', "die #Bahn streik", {}, True),  # a hashtag counts as its word
    ("s-bahn", "Die S-Bahn fällt aus", {}, True),
    ("s-bahn", "die S Bahn", {}, True),
    # hashtags vs terms vs mentions
    ("bahn", "#Bahn chaos", {}, True),
    ("#bahn", "#Bahn chaos", {}, True),
    ("#bahn", "Bahn chaos", {}, False),
    ("#db", "Die DB", {}, False),
    ("#db", "#DB", {}, True),
    ("#db", "#dbahn", {}, False),
    ("#db*", "#dbahn", {}, True),
    ("#störung", "#Stoerung", {}, True),
    ("bahn", "@bahn hilft", {}, False),
    ("@DB_Bahn", "Hallo @db_bahn!", {}, True),
    ("@DB_Bahn", "Hallo db_bahn", {}, False),
    ("@db*", "Hallo @db_bahn", {}, True),
    ("@db", "mail info@db.de", {}, False),
    ('"@db.bsky.social"', "cc @DB.bsky.social", {}, True),
    ('"verspät*"', "Verspätung", {}, False),  # no wildcard inside quotes
    ('"verspät*"', "verspätet? nein: verspät", {}, True),
    ("10:30", "Zug um 10:30 Uhr", {}, True),
    # boolean structure
    ("bahn streik", "Streik bei der Bahn", {}, True),
    ("bahn streik", "Bahn fährt", {}, False),
    ("bahn OR zug", "Der Zug", {}, True),
    ("bahn -streik", "Bahn fährt", {}, True),
    ("bahn -streik", "Bahn Streik", {}, False),
    ("bahn NOT streik", "Bahn Streik", {}, False),
    ('bahn -"kein streik"', "Bahn: kein Streik heute", {}, False),
    ("bahn -(streik OR ausfall)", "Bahn Ausfall", {}, False),
    ("NOT spam", "hello", {}, True),
    ("NOT spam", "spam", {}, False),
    ("a OR b c", "a", {}, True),  # OR binds weakest
    ("a OR b c", "b", {}, False),
    ("NOT a b", "b", {}, True),  # NOT binds strongest
    ("NOT a b", "a b", {}, False),
    # field filters
    ("bahn lang:de", "Bahn", {"lang": "de"}, True),
    ("bahn lang:de", "Bahn", {"lang": "en"}, False),
    ("bahn lang:de", "Bahn", {}, False),
    ("lang:DE", "anything", {"lang": "de"}, True),
    ("lang:de", "anything", {"lang": "DE"}, True),
    ("-lang:de", "anything", {}, True),
    ("platform:x", "x", {"platform": "X"}, True),
    ("platform:x", "x", {"platform": "facebook"}, False),
    ("kind:message bahn", "bahn", {"kind": "message"}, True),
    ("kind:message bahn", "bahn", {"kind": "post"}, False),
    ("author:db_bahn", "hi", {"author_handle": "@DB_Bahn"}, True),
    ("author:@db_bahn", "hi", {"author_handle": "DB_Bahn"}, True),
    ("author:db", "hi", {"author_handle": "@DB_Bahn"}, False),
    ('author:"Deutsche Bahn"', "hi", {"author_name": "Deutsche  Bahn"}, True),
    ('author:"Deutsche Bahn"', "hi", {"author_name": "Deutsche Bahn AG"}, False),
    ("author:müller", "hi", {"author_name": "Mueller"}, True),
    ("#db OR author:db_bahn", "nothing here", {"author_handle": "db_bahn"}, True),
]


@pytest.mark.parametrize(("query", "text", "fields", "expected"), CASES)
def test_match(query: str, text: str, fields: dict[str, Any], expected: bool) -> None:
    monitors = MonitorSet.compile([("m", query)])
    doc = MatchDoc(text, **fields)
    assert monitors.match(doc) == (["m"] if expected else [])
    assert monitors.match_naive(doc) == monitors.match(doc)
    assert reference_match(monitors.queries[0], doc) is expected


def test_results_are_in_compile_order_and_batched() -> None:
    monitors = MonitorSet.compile(
        [("zug", "zug"), ("bahn", "bahn OR #db"), ("nicht-spam", "-spam"), ("de", "lang:de")]
    )
    docs = [MatchDoc("#DB Zug", lang="de"), MatchDoc("spam"), MatchDoc("bahn zug spam")]
    assert monitors.names == ("zug", "bahn", "nicht-spam", "de")
    assert monitors.match_many(docs) == [["zug", "bahn", "nicht-spam", "de"], [], ["zug", "bahn"]]


def test_empty_monitor_set_matches_nothing() -> None:
    monitors = MonitorSet.compile([])
    assert len(monitors) == 0
    assert monitors.match(MatchDoc("bahn")) == []


def test_compile_error_names_the_monitor() -> None:
    with pytest.raises(MonitorQueryError) as info:
        MonitorSet.compile([("ok", "bahn"), ("kaputt", "bahn AND (zug")])
    err = info.value
    assert (err.monitor, err.query, err.position) == ("kaputt", "bahn AND (zug", 13)
    assert str(err) == "monitor 'kaputt': expected ')' at position 13 to close the '(' at position 9"
    assert isinstance(err, ValueError)


def test_duplicate_monitor_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate monitor names: a"):
        MonitorSet.compile([("a", "x"), ("a", "y")])


# --- An independent reference: walks token lists, no token line, no automaton. ---------


def _word_matches(word: str, token: Token, prefix: bool) -> bool:
    if word.startswith("@"):
        ok_kind, text = token.kind is TokenKind.MENTION, word[1:]
    else:
        ok_kind, text = token.kind in (TokenKind.WORD, TokenKind.HASHTAG), word
    return ok_kind and (token.text.startswith(text) if prefix else token.text == text)


def _sequence_present(words: tuple[str, ...], tokens: list[Token], wildcard: bool) -> bool:
    n = len(words)
    return any(
        all(_word_matches(w, tokens[i + j], wildcard and j == n - 1) for j, w in enumerate(words))
        for i in range(len(tokens) - n + 1)
    )


def _field(node: Field, doc: MatchDoc) -> bool:
    def norm(value: str | None) -> str:
        return " ".join(fold(value or "").split())

    if node.name is FieldName.AUTHOR:
        handle = norm(doc.author_handle).lstrip("@")
        return (bool(handle) and node.value.lstrip("@") == handle) or node.value == norm(doc.author_name)
    return node.value == norm(getattr(doc, node.name.value))


@functools.cache
def _tokens(text: str) -> list[Token]:
    return tokenize(fold(text))


def reference_match(node: Node, doc: MatchDoc) -> bool:
    tokens = _tokens(doc.text)
    if isinstance(node, And):
        return all(reference_match(op, doc) for op in node.operands)
    if isinstance(node, Or):
        return any(reference_match(op, doc) for op in node.operands)
    if isinstance(node, Not):
        return not reference_match(node.operand, doc)
    if isinstance(node, Field):
        return _field(node, doc)
    if isinstance(node, Term):
        return _sequence_present(node.words, tokens, node.wildcard)
    if isinstance(node, Phrase):
        return _sequence_present(node.words, tokens, False)
    kind = TokenKind.HASHTAG if isinstance(node, Hashtag) else TokenKind.MENTION
    value = node.tag if isinstance(node, Hashtag) else node.handle
    assert isinstance(node, Hashtag | Mention)
    return any(
        t.kind is kind and (t.text.startswith(value) if node.wildcard else t.text == value) for t in tokens
    )


# --- Generated monitors x generated posts: prefilter, naive walk and reference agree. ----

VOCAB = [
    "bahn",
    "Bahnhof",
    "zug",
    "Verspätung",
    "verspaetet",
    "streik",
    "deutsche",
    "Straße",
    "café",
    "delay",
]


def _random_literal(rng: random.Random) -> str:
    word = rng.choice(VOCAB)
    roll = rng.random()
    if roll < 0.1:
        return f'"{word} {rng.choice(VOCAB)}"'
    if roll < 0.2:
        return "#" + word
    if roll < 0.25:
        return "@" + word
    if roll < 0.35:
        return word[: rng.randint(2, len(word))] + "*"
    if roll < 0.45:
        return rng.choice(
            ["lang:de", "lang:en", "platform:x", "kind:message", "author:bahn", 'author:"Deutsche Bahn"']
        )
    return word


def _random_query(rng: random.Random, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.35:
        return ("-" if rng.random() < 0.15 else "") + _random_literal(rng)
    parts = [_random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    joiner = rng.choice([" ", " AND ", " OR ", " OR NOT "])
    return f"({joiner.join(parts)})" if rng.random() < 0.5 else joiner.join(parts)


def _random_post(rng: random.Random) -> MatchDoc:
    words = []
    for _ in range(rng.randint(0, 14)):
        word = rng.choice([*VOCAB, "und", "the", "heute", "Deutsche-Bahn", "DB_Bahn"])
        words.append(rng.choice(["", "", "", "#", "@"]) + word + rng.choice(["", "", ",", "!", " 😡"]))
    return MatchDoc(
        " ".join(words),
        lang=rng.choice([None, "de", "en"]),
        platform=rng.choice([None, "x", "facebook"]),
        kind=rng.choice([None, "post", "message"]),
        author_handle=rng.choice([None, "@Bahn", "zug"]),
        author_name=rng.choice([None, "Deutsche Bahn", "Zug Fan"]),
    )


def test_prefilter_agrees_with_naive_evaluation_on_generated_monitors_and_posts() -> None:
    rng = random.Random(20240611)
    monitors = MonitorSet.compile([(f"m{i}", _random_query(rng)) for i in range(300)])
    posts = [_random_post(rng) for _ in range(400)]
    matched = 0
    for doc in posts:
        fast = monitors.match(doc)
        assert fast == monitors.match_naive(doc), doc
        expected = [
            name for name, q in zip(monitors.names, monitors.queries, strict=True) if reference_match(q, doc)
        ]
        assert fast == expected, doc
        matched += len(fast)
    # the generated data must actually exercise matching, not agree on "nothing matches"
    assert 0.05 < matched / (len(posts) * len(monitors)) < 0.95

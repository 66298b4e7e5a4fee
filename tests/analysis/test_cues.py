"""Cue features: negation scope, intensifiers, complaint cues, lexicon words, emoji, punctuation."""

from __future__ import annotations

import numpy as np
import pytest

from crisisdesk.analysis.cues import TOKENS, pair_hash, tables, token_column, word_hash
from crisisdesk.analysis.features import Featurizer

BITS = 18


def cue_counts(text: str) -> dict[str, int]:
    row = Featurizer(bits=BITS, cues=True).counts([text])
    columns = row.indices.tolist()
    return {name: columns.count(token_column(name, BITS)) for name in TOKENS if name != "negated"}


@pytest.mark.parametrize(("text", "expected"), [
    # negation flips a lexicon word, within three words and the clause
    ("Das ist gut.", {"lex_pos": 1}),
    ("Das ist nicht gut.", {"lex_pos_negated": 1}),
    ("Das ist nicht mehr gut.", {"lex_pos_negated": 1}),
    ("Nicht schlecht, gut.", {"lex_neg_negated": 1, "lex_pos": 1}),  # the comma ends the scope
    ("nicht dass es heute nur gut war", {"lex_pos": 1}),  # more than three words away
    ("This is not good at all", {"lex_pos_negated": 1}),
    ("The food was never bad", {"lex_neg_negated": 1}),
    # intensifiers
    ("Das ist sehr schlecht", {"lex_neg": 1, "lex_neg_intense": 1}),
    ("really terrible service", {"lex_neg": 1, "lex_neg_intense": 1}),
    # inflected forms and compounds by their head noun
    ("ekelhafte Zustände", {"lex_neg": 1}),
    ("Lebensmittelvergiftung nach dem Essen", {"lex_neg": 1}),
    # complaint cues, single words and pairs, in any spelling
    ("Nie wieder!", {"complaint": 1}),
    ("Seit 3 Wochen KEINE ANTWORT", {"complaint": 1}),
    ("ich will mein Geld zurueck", {"complaint": 1}),
    ("still waiting for my refund", {"complaint": 2}),
    # emoji and punctuation
    ("Akku qualmt 😱", {"emoji_neg": 1}),
    ("Danke 😍👍", {"emoji_pos": 2}),
    ("Wie bitte?!", {"excl": 1}),
    ("Was soll das!!!", {"excl": 2}),
    ("Alles klar.", {}),
])
def test_cues(text: str, expected: dict[str, int]) -> None:
    found = {k: v for k, v in cue_counts(text).items() if v}
    for name, count in expected.items():
        assert found.get(name) == count, (text, found)
    assert set(found) <= set(expected) | {"lex_neg", "lex_pos", "complaint"}, (text, found)


def test_negated_word_gets_its_own_feature() -> None:
    plain = Featurizer(bits=BITS, cues=True).counts(["der Zug kommt pünktlich"])
    negated = Featurizer(bits=BITS, cues=True).counts(["der Zug kommt nicht pünktlich"])
    with np.errstate(over="ignore"):
        negated_col = int(((np.uint32(word_hash("pünktlich")) ^ TOKENS["negated"]) * np.uint32(0x9E3779B1))
                          >> np.uint32(32 - BITS))
    assert negated_col in negated.indices.tolist()
    assert negated_col not in plain.indices.tolist()


def test_cues_stay_inside_their_post() -> None:
    # a negator at the end of one post must not reach into the next
    both = Featurizer(bits=BITS, cues=True).counts(["ich sage nicht", "gut gemacht"])
    assert token_column("lex_pos_negated", BITS) not in both[1].indices.tolist()
    assert token_column("lex_pos", BITS) in both[1].indices.tolist()


def test_without_cues_nothing_is_added() -> None:
    text = "Das ist nicht gut 😡 nie wieder!!"
    assert Featurizer(bits=BITS).counts([text]).nnz < Featurizer(bits=BITS, cues=True).counts([text]).nnz
    assert token_column("complaint", BITS) not in Featurizer(bits=BITS).counts([text]).indices.tolist()


def test_tables_hash_like_the_featurizer() -> None:
    t = tables()
    assert word_hash("Ekelhaft") == word_hash("ekelhaft") == word_hash("EKELHAFT")
    assert pair_hash("geld", "zurück") == pair_hash("Geld", "zurueck")
    assert np.isin(np.uint32(word_hash("ekelhaft")), t.negative)
    assert np.isin(np.uint32(pair_hash("nie", "wieder")), t.complaint_pairs)
    assert len(t.negative) > 10_000 and len(t.positive) > 10_000

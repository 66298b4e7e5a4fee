"""The batch featurizer: deterministic, posts kept apart, robust to nasty text."""

from __future__ import annotations

import numpy as np
import pytest

from crisisdesk.analysis.features import Featurizer, clean

F = Featurizer(bits=16)


def columns(text: str) -> set[int]:
    return set(F.counts([text]).indices.tolist())


def test_same_text_same_features_whatever_the_batch() -> None:
    alone = F.transform(["Die Bahn ist zu spät"]).toarray()
    texts = ["erste", "Die Bahn ist zu spät", "", "dritte Nachricht 😡"]
    batch = F.transform(texts).toarray()
    np.testing.assert_allclose(batch[1], alone[0], rtol=1e-6)


def test_a_url_at_the_end_does_not_swallow_the_next_post() -> None:
    texts = ["see https://example.org/x", "the next post", "www.example.org", "third"]
    batch = F.transform(texts).toarray()
    for i, text in enumerate(texts):
        np.testing.assert_allclose(batch[i], F.transform([text]).toarray()[0], rtol=1e-6)


def test_posts_do_not_share_ngrams_across_their_boundary() -> None:
    pair = F.counts(["abc", "def"])
    assert set(pair[0].indices.tolist()) == columns("abc")
    assert set(pair[1].indices.tolist()) == columns("def")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Verspätung", "verspaetung"),  # German folding
        ("BAHN", "bahn"),  # case
        ("Zug 12 um 10:45", "Zug 99 um 33:21"),  # digits
        ("danke @DB_Bahn", "danke @someone"),  # mentions
        ("siehe https://example.org/a?b=1", "siehe http://foo.example/x"),  # URLs
        ("zu   spät\n\nheute", "zu spät heute"),  # whitespace
    ],
)
def test_normalisation_makes_equivalent_texts_equal(a: str, b: str) -> None:
    assert columns(a) == columns(b)
    assert clean(a) == clean(b)


def test_different_words_give_different_features() -> None:
    assert columns("gut") != columns("schlecht")
    assert len(columns("gut") & columns("schlecht")) < len(columns("gut"))


@pytest.mark.parametrize(
    "text",
    ["", " ", "😡😡😡", "\x07\x1b[31m", "a\ud83dz", "x" * 50_000, "#hashtag", "@", "٣٤٥ مرحبا", "漢字テスト"],
)
def test_nasty_text_never_raises_and_rows_are_unit_or_empty(text: str) -> None:
    X = F.transform([text, "normal text"])
    assert X.shape == (2, F.n_features)
    assert np.all(np.isfinite(X.data))
    squares = X.multiply(X).sum(axis=1).A.ravel()
    assert squares[1] == pytest.approx(1.0, rel=1e-5)


def test_idf_downweights_common_ngrams() -> None:
    corpus = ["die bahn", "die post", "die telekom", "die bahn streikt"]
    fitted = Featurizer(bits=16).fit_idf(corpus)
    assert fitted.idf is not None
    common = next(iter(columns("die") - columns("bahn")))
    rare = next(iter(columns("telekom") - columns("die")))
    assert fitted.idf[common] < fitted.idf[rare]


def test_empty_batch() -> None:
    assert F.transform([]).shape == (0, F.n_features)

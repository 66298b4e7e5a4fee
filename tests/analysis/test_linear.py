"""Linear heads: trained on a toy set, saved, loaded, scored the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from crisisdesk.analysis.features import Featurizer
from crisisdesk.analysis.linear import HeadKind, ModelError, TextModel, log_count_ratio, stack_heads

GOOD = ["super service danke", "toller zug, alles pünktlich", "great flight thanks", "love it"]
BAD = ["zug schon wieder zu spät", "katastrophe, nie wieder", "worst airline ever", "delayed again"]
MEH = ["der zug fährt um acht", "flight at nine", "ticket gekauft", "boarding now"]


@pytest.fixture(scope="module")
def model() -> TextModel:
    texts = GOOD + BAD + MEH
    featurizer = Featurizer(bits=14).fit_idf(texts)
    X = featurizer.transform(texts)
    sentiment = ["positive"] * 4 + ["negative"] * 4 + ["neutral"] * 4
    lr3 = LogisticRegression(C=10, max_iter=1000).fit(X, sentiment)
    complaint = [0] * 4 + [1] * 4 + [0] * 4
    lr2 = LogisticRegression(C=10, max_iter=1000).fit(X, complaint)
    return stack_heads(featurizer, {
        "sentiment": (HeadKind.SOFTMAX, [str(c) for c in lr3.classes_], lr3.coef_, lr3.intercept_),
        "complaint": (HeadKind.BINARY, ["none", "complaint"], lr2.coef_, lr2.intercept_),
    }, {"name": "toy"})


def test_scores_are_probabilities_and_learn_the_toy_task(model: TextModel) -> None:
    scores = model.scores(["alles pünktlich, danke", "wieder zu spät"])
    sentiment = scores["sentiment"]
    assert sentiment.shape == (2, 3)
    np.testing.assert_allclose(sentiment.sum(axis=1), 1.0, rtol=1e-5)
    classes = model.heads["sentiment"].classes
    assert classes[int(sentiment[0].argmax())] == "positive"
    assert classes[int(sentiment[1].argmax())] == "negative"
    assert scores["complaint"][1, 1] > scores["complaint"][0, 1]


def test_save_and_load_round_trip(model: TextModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = TextModel.load(path)
    assert loaded.heads == model.heads
    assert loaded.card == {"name": "toy"}
    texts = ["wieder zu spät", "great thanks", ""]
    for name, got in loaded.scores(texts).items():
        np.testing.assert_allclose(got, model.scores(texts)[name], atol=2e-3)  # float16 storage


def test_damaged_or_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot read the model"):
        TextModel.load(bad)
    with pytest.raises(ModelError, match="cannot read the model"):
        TextModel.load(tmp_path / "missing.npz")


def test_log_count_ratio_favours_the_features_of_the_positive_rows() -> None:
    texts = ["idiot idiot", "du idiot", "guten morgen", "schönen tag"]
    X = Featurizer(bits=14).counts(texts)
    ratio = log_count_ratio(X, np.array([True, True, False, False]))
    assert ratio.shape == (X.shape[1],)
    idiot = Featurizer(bits=14).counts(["idiot"]).indices
    morgen = Featurizer(bits=14).counts(["morgen"]).indices
    assert ratio[idiot].mean() > 0 > ratio[morgen].mean()
    assert np.all(np.isfinite(ratio))
    with pytest.raises(ValueError, match="expected"):
        log_count_ratio(X, np.array([True, False]))


def test_nb_scaled_head_scores_raw_features_as_its_fit_and_survives_save_load(tmp_path: Path) -> None:
    """NB scaling lives in the weights: the model needs no ratio at prediction time."""
    texts = GOOD + BAD + MEH
    featurizer = Featurizer(bits=14).fit_idf(texts)
    X = featurizer.transform(texts)
    y = np.array([0] * 4 + [1] * 4 + [0] * 4)
    ratio = log_count_ratio(X, y == 1)
    lr = LogisticRegression(C=10, max_iter=1000).fit(X @ sparse.diags(ratio), y)
    model = stack_heads(featurizer, {
        "complaint": (HeadKind.BINARY, ["none", "complaint"], lr.coef_ * ratio, lr.intercept_),
    }, {"name": "nb"})
    probe = ["wieder zu spät", "great thanks", "", "😡😡"]
    expected = lr.predict_proba(featurizer.transform(probe) @ sparse.diags(ratio))
    np.testing.assert_allclose(model.scores(probe)["complaint"], expected, atol=1e-5)
    model.save(tmp_path / "nb.npz")
    loaded = TextModel.load(tmp_path / "nb.npz")
    np.testing.assert_allclose(loaded.scores(probe)["complaint"], expected, atol=2e-3)

"""The sentiment decision rule: chosen on out-of-fold predictions, applied by the analyzer."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from crisisdesk.analysis.features import Featurizer
from crisisdesk.analysis.linear import Head, HeadKind, decide
from crisisdesk.training.datasets_base import Example
from crisisdesk.training.decision import ACCURACY_SLACK, choose_rule, complaint_flags
from crisisdesk.training.heads import RECIPES, fit_auxiliary, fit_head

CLASSES = ("negative", "neutral", "positive")


def test_decide_lowers_the_bar_for_negative_and_lower_still_for_complaints() -> None:
    head = Head("s", HeadKind.SOFTMAX, CLASSES, 0, negative_at=0.4, complaint_at=0.2)
    p = np.array([[0.45, 0.5, 0.05], [0.3, 0.6, 0.1], [0.3, 0.6, 0.1], [0.1, 0.2, 0.7]], dtype=np.float32)
    flags = np.array([False, False, True, True])
    assert [CLASSES[i] for i in decide(head, p, flags)] == ["negative", "neutral", "negative", "positive"]
    plain = Head("s", HeadKind.SOFTMAX, CLASSES, 0)
    assert [CLASSES[i] for i in decide(plain, p, flags)] == ["neutral", "neutral", "neutral", "positive"]


def test_choose_rule_trades_accuracy_for_recall_only_within_the_slack() -> None:
    rng = np.random.default_rng(0)
    n = 600
    y = rng.choice(np.array(CLASSES), size=n, p=[0.25, 0.65, 0.10])
    # a classifier that ranks negatives higher but rarely makes them the argmax
    p_neg = np.where(y == "negative", rng.uniform(0.25, 0.55, n), rng.uniform(0.0, 0.45, n))
    p_pos = np.where(y == "positive", 0.6, 0.05)
    p = np.column_stack([p_neg, 1 - p_neg - p_pos, p_pos])
    flags = np.zeros(n, dtype=bool)
    rule = choose_rule(p, y, CLASSES, flags)
    plain_acc = float((np.array(CLASSES)[p.argmax(1)] == y).mean())
    plain_recall = float(((p.argmax(1) == 0) & (y == "negative")).sum() / (y == "negative").sum())
    assert rule.negative_at is not None
    assert rule.recall > plain_recall
    assert rule.accuracy >= plain_acc - ACCURACY_SLACK


def test_complaint_flags_use_the_default_taxonomy() -> None:
    flags = complaint_flags(["Lebensmittelvergiftung nach dem Essen", "Schöner Tag heute", "refund please"])
    assert flags.tolist() == [True, False, True]


def test_auxiliary_head_is_folded_into_one_linear_map() -> None:
    texts = ["schlecht und teuer", "super gut", "ganz okay", "nie wieder schlecht", "gut gemacht",
             "wann kommt der zug", "furchtbar", "toll"] * 5
    labels = np.array(["negative", "positive", "neutral", "negative", "positive", "neutral",
                       "negative", "positive"] * 5)
    aux_examples = [Example(t, lab, "de", "mozetic_de") for t, lab in
                    [("miserabel", "negative"), ("wunderbar", "positive"), ("ärgerlich", "negative"),
                     ("freue mich", "positive")] * 4]
    featurizer = Featurizer(bits=12, cues=True).fit_idf(texts)
    X = featurizer.transform(texts)
    recipe = RECIPES[0]
    aux = fit_auxiliary(featurizer, aux_examples)
    assert aux is not None
    coef, intercept = fit_head(recipe, X, labels, np.ones(len(labels)), aux)
    # the same fit, unfolded: the auxiliary score as an extra column
    w, b = aux[0][:-1], aux[0][-1]
    z = (np.asarray(X @ w).ravel() + b) * recipe.aux_scale
    lr = LogisticRegression(C=recipe.C, max_iter=3000, class_weight="balanced")
    lr.fit(sparse.hstack([X, sparse.csr_matrix(z[:, None])]).tocsr(), labels)
    unfolded = lr.decision_function(sparse.hstack([X, sparse.csr_matrix(z[:, None])]).tocsr())
    folded = np.asarray(X @ coef.T) + intercept
    assert np.allclose(folded, unfolded, atol=1e-6)


def test_auxiliary_needs_both_classes() -> None:
    featurizer = Featurizer(bits=10).fit_idf(["a b", "c d"])
    assert fit_auxiliary(featurizer, [Example("a b", "negative", "de", "x")]) is None

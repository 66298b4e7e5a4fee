"""Choosing a sentiment head's decision rule for a crisis desk, on predictions it never trained on.

A logistic regression's argmax answers "which class is likeliest"; a crisis desk asks "could this
be a complaint". Missing one costs more than a false alarm, so a head may call a post negative
below the argmax, once P(negative) reaches ``negative_at``, and lower still (``complaint_at``)
when the post names a complaint type (a defect, a refund, a lawyer, a health problem is rarely
neutral). Both bars are chosen on out-of-fold predictions of the train part (grouped by
near-duplicate text), never on the dev part the card reports.

The criterion: the negative class's F2 (recall weighs four times precision), among the rules whose
accuracy (= micro-F1) stays within ``ACCURACY_SLACK`` of the argmax's, so that the gain in recall
is not bought with a flood of neutral posts turned negative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.model_selection import GroupKFold

from crisisdesk.analysis.complaints import ComplaintClassifier
from crisisdesk.analysis.linear import Head, HeadKind, decide
from crisisdesk.sources.matcher import MatchDoc
from crisisdesk.training.datasets_split import near_duplicate_key

ACCURACY_SLACK = 0.005
BETA = 2.0
_GRID = np.round(np.arange(0.20, 0.601, 0.025), 3)
#: The bar for posts that name a complaint type may go lower: such posts are rarely neutral.
_COMPLAINT_GRID = np.round(np.arange(0.05, 0.601, 0.025), 3)

Predict = Callable[[sparse.csr_matrix], npt.NDArray[np.float64]]
Fit = Callable[[sparse.csr_matrix, npt.NDArray[np.str_]], Predict]


@dataclass(frozen=True)
class Rule:
    negative_at: float | None
    complaint_at: float | None
    accuracy: float
    recall: float
    precision: float

    def summary(self) -> dict[str, float | None]:
        return {"negative_at": self.negative_at, "complaint_at": self.complaint_at,
                "cv_accuracy": round(self.accuracy, 3), "cv_negative_recall": round(self.recall, 3),
                "cv_negative_precision": round(self.precision, 3)}


def complaint_flags(texts: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Which texts the default complaint taxonomy gives a type (its queries; no trained model)."""
    return np.array([bool(t) for t in ComplaintClassifier().classify_many([MatchDoc(t) for t in texts])],
                    dtype=np.bool_)


def out_of_fold(X: sparse.csr_matrix, y: npt.NDArray[np.str_], texts: Sequence[str], fit: Fit,
                folds: int = 5) -> npt.NDArray[np.float64]:
    """Probabilities for every row from a model that did not see its near-duplicate group."""
    groups = [near_duplicate_key(t) for t in texts]
    probabilities: npt.NDArray[np.float64] | None = None
    for train, test in GroupKFold(folds).split(X, y, groups):
        predict = fit(X[train], y[train])
        p = predict(X[test])
        if probabilities is None:
            probabilities = np.zeros((X.shape[0], p.shape[1]))
        probabilities[test] = p
    assert probabilities is not None
    return probabilities


def apply_rule(p: npt.NDArray[np.float64], neg: int, negative_at: float | None, complaint_at: float | None,
               flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """The class per row under a rule: the analyzer's own :func:`~crisisdesk.analysis.linear.decide`."""
    classes = tuple("negative" if i == neg else f"class{i}" for i in range(p.shape[1]))
    head = Head("rule", HeadKind.SOFTMAX, classes, 0, negative_at, complaint_at)
    return decide(head, np.asarray(p, dtype=np.float32), flags)


def choose_rule(p: npt.NDArray[np.float64], y: npt.NDArray[np.str_], classes: Sequence[str],
                flags: npt.NDArray[np.bool_]) -> Rule:
    """The rule with the best negative F2 whose accuracy stays near the argmax's."""
    neg = list(classes).index("negative")
    gold = np.array([list(classes).index(str(label)) for label in y])

    def measure(negative_at: float | None, complaint_at: float | None) -> Rule:
        chosen = apply_rule(p, neg, negative_at, complaint_at, flags)
        tp = int(((chosen == neg) & (gold == neg)).sum())
        recall = tp / max(int((gold == neg).sum()), 1)
        precision = tp / max(int((chosen == neg).sum()), 1)
        return Rule(negative_at, complaint_at, float((chosen == gold).mean()), recall, precision)

    def f_beta(r: Rule) -> float:
        b2 = BETA * BETA
        denominator = b2 * r.precision + r.recall
        return (1 + b2) * r.precision * r.recall / denominator if denominator else 0.0

    plain = measure(None, None)
    best = plain
    for negative_at in _GRID:
        for complaint_at in [None, *[c for c in _COMPLAINT_GRID if c < negative_at]]:
            rule = measure(float(negative_at), None if complaint_at is None else float(complaint_at))
            if rule.accuracy >= plain.accuracy - ACCURACY_SLACK and f_beta(rule) > f_beta(best):
                best = rule
    return best

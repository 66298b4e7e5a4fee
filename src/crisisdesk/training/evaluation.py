"""Scores of a classifier: the numbers a team needs before it trusts a label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


@dataclass(frozen=True)
class Scores:
    labels: tuple[str, ...]
    n: int
    accuracy: float
    macro_f1: float
    micro_f1: float
    per_class: dict[str, dict[str, float]]  # label -> precision, recall, f1, support
    confusion: list[list[int]]  # rows: true label, columns: predicted, in ``labels`` order

    def summary(self) -> dict[str, Any]:
        out = {"n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
               "micro_f1": round(self.micro_f1, 4)}
        for label in ("negative", "offense"):  # what a crisis desk must not miss
            if label in self.per_class:
                out[f"{label}_recall"] = round(float(self.per_class[label]["recall"]), 4)
                out[f"{label}_precision"] = round(float(self.per_class[label]["precision"]), 4)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "labels": list(self.labels), "per_class": self.per_class,
                "confusion": self.confusion}


def score(truth: Sequence[str], predicted: Sequence[str], *, labels: Sequence[str]) -> Scores:
    """Accuracy, macro- and micro-F1, per-class precision/recall/F1 and the confusion matrix."""
    label_list = list(labels)
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=label_list, zero_division=0)
    return Scores(
        labels=tuple(label_list),
        n=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=label_list, average="macro", zero_division=0)),
        micro_f1=float(f1_score(truth, predicted, labels=label_list, average="micro", zero_division=0)),
        per_class={lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                         "f1": round(float(f[i]), 4), "support": int(s[i])}
                   for i, lab in enumerate(label_list)},
        confusion=confusion_matrix(truth, predicted, labels=label_list).tolist(),
    )


def score_multilabel(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], *,
                     labels: Sequence[str]) -> Scores:
    """Multi-label scores (complaint types): accuracy is exact-set match; no confusion matrix."""
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer(classes=list(labels))
    y_true = binarizer.fit_transform(truth)
    y_pred = binarizer.transform(predicted)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    return Scores(
        labels=tuple(labels),
        n=len(truth),
        accuracy=float(accuracy_score(y_true, y_pred)),
        macro_f1=float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        micro_f1=float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        per_class={lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                         "f1": round(float(f[i]), 4), "support": int(s[i])}
                   for i, lab in enumerate(labels)},
        confusion=[],
    )

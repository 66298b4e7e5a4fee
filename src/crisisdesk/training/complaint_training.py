"""Training the complaint classifier and measuring it against the taxonomy queries alone.

Each set is split into a train part and a held-out part (airline by time, the others grouped by
near-duplicate text). On the train part, each type's logistic regression is cross-validated
(grouped folds) to get a held-out probability for every training post; the type's threshold is
the one that maximises F1 of the final decision on those predictions, and the way queries and
classifier are combined is chosen the same way. The model is then fitted on the whole train part
and scored on the held-out part: queries alone, classifier alone, and their union, per type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from crisisdesk.analysis.complaint_model import ComplaintModel
from crisisdesk.analysis.complaints import ComplaintClassifier, ComplaintType
from crisisdesk.analysis.features import Featurizer
from crisisdesk.training.complaint_data import Labelled, fold_of, holdout_split
from crisisdesk.training.evaluation import score_multilabel
from crisisdesk.training.heads import LICENCES, NON_COMMERCIAL, TrainingError

#: A type gets a classifier from this many positive training posts on; below it stays query-only.
MIN_POSITIVES = 8
MODES = ("query", "classifier", "union")
_GRID = np.round(np.linspace(0.05, 0.95, 91), 2).astype(np.float32)

Progress = Callable[[str], None]


@dataclass
class ComplaintTrainingRun:
    model: ComplaintModel
    test: dict[str, dict[str, Any]] = field(default_factory=dict)  # mode -> measurement
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> train/test


def _fit(X: Any, y: npt.NDArray[np.bool_], C: float) -> LogisticRegression:
    lr = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=2000)
    lr.fit(X, y)
    return lr


def _positive_proba(lr: LogisticRegression, X: Any) -> npt.NDArray[np.float32]:
    return np.asarray(lr.predict_proba(X)[:, list(lr.classes_).index(True)], dtype=np.float32)


def _best_threshold(y: npt.NDArray[np.bool_], p: npt.NDArray[np.float32],
                    query: npt.NDArray[np.bool_] | None) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``p >= t`` (or'ed with ``query`` when given)."""
    fires = p[:, None] >= _GRID[None, :]
    if query is not None:
        fires |= query[:, None]
    tp = (fires & y[:, None]).sum(axis=0)
    predicted = fires.sum(axis=0)
    f1 = np.where(predicted + y.sum() > 0, 2 * tp / np.maximum(predicted + y.sum(), 1), 0.0)
    best = int(np.argmax(f1))  # the lowest threshold among ties: recall is what was missing
    return float(_GRID[best]), float(f1[best])


def measure(rows: Sequence[Labelled], predicted: Sequence[Sequence[str]],
            names: Sequence[str]) -> dict[str, Any]:
    """Per type precision/recall/F1, micro-F1, and false alarms: posts that complain about
    nothing yet get a type (overall and per source). Complaints of a kind the taxonomy lacks are
    counted apart (``other_typed``: the share that gets a type anyway)."""
    scores = score_multilabel([sorted(r.types) for r in rows], [list(p) for p in predicted], labels=names)
    quiet = [i for i, r in enumerate(rows) if not r.types and not r.other_complaint]
    other = [i for i, r in enumerate(rows) if not r.types and r.other_complaint]
    alarms = {"all": _share([i for i in quiet if predicted[i]], quiet)}
    for source in sorted({r.source for r in rows}):
        mine = [i for i in quiet if rows[i].source == source]
        alarms[source] = _share([i for i in mine if predicted[i]], mine)
    return {"n": scores.n, "micro_f1": round(scores.micro_f1, 4), "macro_f1": round(scores.macro_f1, 4),
            "per_type": scores.per_class, "false_alarms": alarms, "no_complaint_posts": len(quiet),
            "other_complaints": len(other), "other_typed": _share([i for i in other if predicted[i]], other)}


def _share(hits: Sequence[int], of: Sequence[int]) -> float:
    return round(len(hits) / len(of), 4) if of else 0.0


def train_complaint_model(
    sets: Mapping[str, Sequence[Labelled]],
    *,
    taxonomy: Sequence[ComplaintType],
    featurizer: Featurizer,
    by_time: frozenset[str] = frozenset({"airline"}),
    C: float = 4.0,
    folds: int = 3,
    combine: str | None = None,
    progress: Progress = lambda _msg: None,
) -> ComplaintTrainingRun:
    """Train on ``sets`` (source name -> labelled texts); ``combine`` None: chosen on dev."""
    started = time.perf_counter()
    names = [t.name for t in taxonomy]
    queries = ComplaintClassifier(taxonomy)
    train: list[Labelled] = []
    test: list[Labelled] = []
    sizes: dict[str, dict[str, int]] = {}
    for source, rows in sets.items():
        tr, te = holdout_split(rows, by_time=source in by_time)
        train += tr
        test += te
        sizes[source] = {"train": len(tr), "test": len(te)}
        progress(f"{source}: {len(tr)} train, {len(te)} held out")
    if not train:
        raise TrainingError("no complaint training data: give --data, corrections or public data")
    X = featurizer.transform([r.text for r in train])
    q_train = queries.classify_texts([r.text for r in train])
    fold = np.array(fold_of(train, folds))
    heads: list[str] = []
    coefs: list[npt.NDArray[Any]] = []
    biases: list[float] = []
    thresholds: dict[str, dict[str, float]] = {}  # mode -> type -> threshold
    dev_f1: dict[str, dict[str, float]] = {"classifier": {}, "union": {}}
    positives: dict[str, int] = {}
    dev_counts = {mode: np.zeros(3) for mode in ("classifier", "union")}  # tp, predicted, gold
    for name in names:
        y = np.array([name in r.types for r in train])
        positives[name] = int(y.sum())
        if y.sum() < MIN_POSITIVES or y.all():
            progress(f"{name}: {int(y.sum())} positive posts, stays query-only")
            continue
        progress(f"{name}: {int(y.sum())} positive posts, cross-validating")
        oof = np.zeros(len(train), dtype=np.float32)
        for f in range(folds):
            inside = fold != f
            if y[inside].all() or not y[inside].any():
                oof[~inside] = float(y[inside].mean())
                continue
            oof[~inside] = _positive_proba(_fit(X[inside], y[inside], C), X[~inside])
        q = np.array([name in hits for hits in q_train])
        for mode in ("classifier", "union"):
            t, f1 = _best_threshold(y, oof, q if mode == "union" else None)
            thresholds.setdefault(mode, {})[name] = t
            dev_f1[mode][name] = round(f1, 4)
            fires = (oof >= t) | (q if mode == "union" else False)
            dev_counts[mode] += [(fires & y).sum(), fires.sum(), y.sum()]
        lr = _fit(X, y, C)  # classes_ are [False, True]: the one column scores True
        heads.append(name)
        coefs.append(lr.coef_[0])
        biases.append(float(lr.intercept_[0]))
    dev_micro = {mode: round(float(2 * c[0] / max(c[1] + c[2], 1)), 4) for mode, c in dev_counts.items()}
    chosen = combine or max(("union", "classifier"), key=lambda m: (dev_micro[m], m == "union"))
    k = len(heads)
    weights = (np.stack(coefs, axis=1) if k else np.zeros((featurizer.n_features, 0))).astype(np.float32)
    model = ComplaintModel(
        featurizer, tuple(heads), weights, np.array(biases, dtype=np.float32),
        np.array([thresholds[chosen][n] for n in heads], dtype=np.float32), chosen)
    run = ComplaintTrainingRun(model, sizes=sizes)
    if test:
        texts = [r.text for r in test]
        q_test = queries.classify_texts(texts)
        probs = model.predict(texts)
        alone = ComplaintModel(featurizer, tuple(heads), weights, model.bias,
                               np.array([thresholds["classifier"][n] for n in heads], dtype=np.float32),
                               "classifier")
        union = ComplaintModel(featurizer, tuple(heads), weights, model.bias,
                               np.array([thresholds["union"][n] for n in heads], dtype=np.float32), "union")
        run.test = {
            "query": measure(test, q_test, names),
            "classifier": measure(test, alone.combine_with(q_test, probs, names), names),
            "union": measure(test, union.combine_with(q_test, probs, names), names),
        }
    sources_used = sorted(s for s, rows in sets.items() if rows)
    model.card = {
        "name": "crisisdesk-complaints",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": {"bits": featurizer.bits, "idf": featurizer.idf is not None},
        "data": {s: LICENCES.get(s, "your own data") for s in sources_used},
        "non_commercial": sorted(set(sources_used) & NON_COMMERCIAL),
        "sizes": sizes,
        "train_positives": positives,
        "query_only": [n for n in names if n not in heads],
        "C": C,
        "thresholds_by_mode": thresholds,
        "dev_f1": {"micro": dev_micro, "per_type": dev_f1},
        "combine_chosen_on": "dev (cross-validated train part)" if combine is None else "given",
        "test_scores": run.test,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    return run

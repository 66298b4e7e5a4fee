"""Linear heads over shared features: one matrix product scores every analysis at once.

A post's features are computed once (:mod:`.features`); sentiment, insult and complaint-type
heads are columns of one weight matrix, so scoring a batch for all of them is one sparse-dense
product plus a softmax or sigmoid per head. The weights come from scikit-learn's logistic
regression at training time and are stored as float16 in a compressed ``.npz`` with a JSON model
card: a few MB, loaded without scikit-learn, no pickles (a model file is data, not code).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from crisisdesk.analysis.features import Featurizer
from crisisdesk.core.errors import CrisisdeskError

FORMAT_VERSION = 1


class HeadKind(StrEnum):
    SOFTMAX = "softmax"  # one of several classes
    BINARY = "binary"  # classes (negative, positive) from one column
    MULTILABEL = "multilabel"  # any subset of the classes, one sigmoid each


@dataclass(frozen=True)
class Head:
    name: str
    kind: HeadKind
    classes: tuple[str, ...]
    offset: int  # first column of this head in the weight matrix
    #: The decision rule of a sentiment head, chosen on cross-validated predictions when it was
    #: trained (None: plain argmax). ``negative_at``: "negative" once P(negative) reaches it,
    #: whatever else is likelier, because a missed complaint costs a crisis desk more than a
    #: false alarm. ``complaint_at``: a lower bar for posts that name a complaint type.
    negative_at: float | None = None
    complaint_at: float | None = None

    @property
    def width(self) -> int:
        return 1 if self.kind is HeadKind.BINARY else len(self.classes)


class ModelError(CrisisdeskError):
    """A model file is missing, damaged or of an unknown format."""


@dataclass
class TextModel:
    """A featurizer and the linear heads that share its features."""

    featurizer: Featurizer
    weights: npt.NDArray[np.float32]  # (n_features, columns)
    bias: npt.NDArray[np.float32]  # (columns,)
    heads: dict[str, Head]
    card: dict[str, Any] = field(default_factory=dict)

    def scores(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """Per head, a ``(len(texts), len(classes))`` array of probabilities."""
        return self.scores_of(self.featurizer.transform(texts))

    def scores_of(self, features: sparse.csr_matrix) -> dict[str, npt.NDArray[np.float32]]:
        """:meth:`scores` for features already computed (the caller may need them too)."""
        logits = np.asarray(features @ self.weights, dtype=np.float32) + self.bias
        return {name: _activate(head, logits[:, head.offset : head.offset + head.width])
                for name, head in self.heads.items()}

    def save(self, path: Path) -> None:
        idf = self.featurizer.idf
        meta = {
            "format": FORMAT_VERSION,
            "bits": self.featurizer.bits,
            "cues": self.featurizer.cues,
            "cue_weight": self.featurizer.cue_weight,
            "heads": [{**asdict(h), "kind": h.kind.value} for h in self.heads.values()],
            "card": self.card,
        }
        with path.open("wb") as f:
            np.savez_compressed(
                f,
                weights=self.weights.astype(np.float16),
                bias=self.bias.astype(np.float32),
                idf=(idf if idf is not None else np.zeros(0)).astype(np.float16),
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            )

    @classmethod
    def load(cls, path: Path) -> TextModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                if meta.get("format") != FORMAT_VERSION:
                    raise ModelError(f"{path}: model format {meta.get('format')!r}, "
                                     f"this crisisdesk reads format {FORMAT_VERSION}")
                idf = data["idf"].astype(np.float32)
                weights = data["weights"].astype(np.float32)
                bias = data["bias"].astype(np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the model ({exc})") from exc
        heads = {h["name"]: Head(h["name"], HeadKind(h["kind"]), tuple(h["classes"]), h["offset"],
                                 h.get("negative_at"), h.get("complaint_at"))
                 for h in meta["heads"]}
        featurizer = Featurizer(bits=meta["bits"], idf=idf if idf.size else None,
                                cues=bool(meta.get("cues", False)),
                                cue_weight=float(meta.get("cue_weight", 1.0)))
        if weights.shape[0] != featurizer.n_features:
            raise ModelError(f"{path}: weights for {weights.shape[0]} features, expected "
                             f"{featurizer.n_features}")
        return cls(featurizer, weights, bias, heads, meta.get("card", {}))


#: A post that names harm (a fire, a health problem, a lawyer: :data:`.complaints.HARM_TYPES`)
#: is negative from this P(negative) on, below any head's bars. A crisis desk must not file a
#: report of a burning battery as neutral, and the railway data labels accident news neutral,
#: so no head learns it; on GermEval 2017 (5-fold CV) this bar turns 2 of 2,469 posts negative
#: (accuracy 0.740 either way), see docs/analysis.md.
HARM_AT = 0.05


def decide(head: Head, probabilities: npt.NDArray[np.float32],
           has_complaint: npt.NDArray[np.bool_] | None = None,
           names_harm: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
    """Class index per row under the head's decision rule (argmax when it has none); posts that
    ``names_harm`` are negative from :data:`HARM_AT` on unless P(positive) is higher ("Danke für
    den schnellen Rückruf" names a product recall's word and stays positive)."""
    chosen = probabilities.argmax(axis=1)
    if "negative" not in head.classes:
        return np.asarray(chosen, dtype=np.int64)
    neg = head.classes.index("negative")
    if head.negative_at is not None:
        chosen = np.where(probabilities[:, neg] >= head.negative_at, neg, chosen)
    if head.complaint_at is not None and has_complaint is not None:
        chosen = np.where(has_complaint & (probabilities[:, neg] >= head.complaint_at), neg, chosen)
    if names_harm is not None:  # harm outweighs "neutral", not a post that leans positive
        leans = probabilities[:, neg] >= HARM_AT
        if "positive" in head.classes:
            leans &= probabilities[:, neg] >= probabilities[:, head.classes.index("positive")]
        chosen = np.where(names_harm & leans, neg, chosen)
    return np.asarray(chosen, dtype=np.int64)


def _activate(head: Head, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if head.kind is HeadKind.SOFTMAX:
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True), dtype=np.float32)
    positive = 1.0 / (1.0 + np.exp(-logits))
    if head.kind is HeadKind.BINARY:
        return np.hstack([1.0 - positive, positive]).astype(np.float32)
    return positive.astype(np.float32)


def log_count_ratio(
    counts: sparse.csr_matrix, positive: npt.NDArray[np.bool_], alpha: float = 1.0
) -> npt.NDArray[np.float64]:
    """Per feature, log of how much likelier it is to be present in positive than negative rows.

    The "r" of NB-SVM (Wang & Manning 2012): presence counts per class, smoothed by ``alpha``
    and normalised to distributions. A head trained on features scaled by ``r`` keeps its
    weights multiplied by ``r``, so a model never needs ``r`` at prediction time.
    """
    present = (counts > 0).astype(np.float64)
    mask = np.asarray(positive, dtype=bool)
    if mask.shape != (counts.shape[0],):
        raise ValueError(f"positive has shape {mask.shape}, expected ({counts.shape[0]},)")
    p = np.asarray(present[mask].sum(axis=0)).ravel() + alpha
    q = np.asarray(present[~mask].sum(axis=0)).ravel() + alpha
    return np.asarray(np.log((p / p.sum()) / (q / q.sum())), dtype=np.float64)


def stack_heads(
    featurizer: Featurizer,
    trained: Mapping[str, tuple[HeadKind, Sequence[str], npt.NDArray[Any], npt.NDArray[Any]]],
    card: dict[str, Any],
    decisions: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> TextModel:
    """Build a model from per-head ``(kind, classes, coef (columns, n_features), intercept)``;
    ``decisions``: per head ``(negative_at, complaint_at)`` (see :class:`Head`)."""
    heads: dict[str, Head] = {}
    columns: list[npt.NDArray[Any]] = []
    biases: list[npt.NDArray[Any]] = []
    offset = 0
    for name, (kind, classes, coef, intercept) in trained.items():
        negative_at, complaint_at = (decisions or {}).get(name, (None, None))
        head = Head(name, kind, tuple(classes), offset, negative_at, complaint_at)
        if coef.shape != (head.width, featurizer.n_features):
            raise ValueError(f"head {name}: coef shape {coef.shape}, expected "
                             f"{(head.width, featurizer.n_features)}")
        heads[name] = head
        columns.append(np.asarray(coef, dtype=np.float32).T)
        biases.append(np.asarray(intercept, dtype=np.float32).reshape(-1))
        offset += head.width
    return TextModel(featurizer, np.hstack(columns), np.concatenate(biases), heads, card)

"""A trained classifier behind the complaint taxonomy: one logistic regression per type.

The taxonomy's queries say what a team knows to look for; the classifier catches the complaints
written in words the queries lack. A post gets a type when the type's query matches **or** the
classifier's probability reaches the type's threshold (``combine = "union"``, chosen by
measurement, docs/analysis.md). Thresholds are chosen on held-out predictions at training time
and travel inside the model file.

Scoring reuses the feature matrix the analysis model already computed for the batch when both
were trained on the same features (the default of ``crisisdesk train complaints``); otherwise the
classifier hashes the batch once itself. The file is an ``.npz`` of arrays plus JSON metadata,
and a ``.card.json`` beside it: data, not code (no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from crisisdesk.analysis.features import Featurizer
from crisisdesk.analysis.linear import ModelError

FORMAT = "crisisdesk-complaints"
FORMAT_VERSION = 1
COMBINE_MODES = ("union", "classifier")


@dataclass
class ComplaintModel:
    """Per-type binary heads over hashed features, with their decision thresholds."""

    featurizer: Featurizer
    names: tuple[str, ...]  # the types this model has a head for, in column order
    weights: npt.NDArray[np.float32]  # (n_features, len(names))
    bias: npt.NDArray[np.float32]  # (len(names),)
    thresholds: npt.NDArray[np.float32]  # (len(names),)
    combine: str = "union"
    card: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = len(self.names)
        if self.weights.shape != (self.featurizer.n_features, k) or self.bias.shape != (k,) \
                or self.thresholds.shape != (k,):
            raise ModelError(f"complaint model: shapes {self.weights.shape}, {self.bias.shape}, "
                             f"{self.thresholds.shape} do not fit {k} types over "
                             f"{self.featurizer.n_features} features")
        if self.combine not in COMBINE_MODES:
            raise ModelError(f"complaint model: unknown combine mode {self.combine!r}")

    def shares_features_with(self, other: Featurizer) -> bool:
        """True when ``other`` computes exactly this model's features (same bits and IDF)."""
        mine, theirs = self.featurizer.idf, other.idf
        if (self.featurizer.bits, self.featurizer.cues, self.featurizer.cue_weight) != (
                other.bits, other.cues, other.cue_weight) or (mine is None) != (theirs is None):
            return False
        return mine is None or theirs is None or bool(np.array_equal(mine, theirs))

    def probabilities(self, features: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        """``(n_posts, len(names))`` probabilities; one sparse-dense product for all types.

        A post without any feature (a lone emoji) gets 0: the bias alone is no evidence."""
        logits = np.asarray(features @ self.weights, dtype=np.float32) + self.bias
        probs = np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)
        probs[features.getnnz(axis=1) == 0] = 0.0
        return probs

    def predict(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.probabilities(self.featurizer.transform(texts))

    def combine_with(self, query_hits: Sequence[Sequence[str]], probabilities: npt.NDArray[np.float32],
                     taxonomy: Sequence[str]) -> list[list[str]]:
        """The final types per post, in taxonomy order; types the taxonomy lacks are ignored."""
        fires = probabilities >= self.thresholds
        column = {name: j for j, name in enumerate(self.names)}
        backed = [column.get(name) for name in taxonomy]
        out = []
        for i, hits in enumerate(query_hits):
            hit = set(hits)
            types = []
            for name, j in zip(taxonomy, backed, strict=True):
                if j is None:
                    keep = name in hit
                elif self.combine == "union":
                    keep = name in hit or bool(fires[i, j])
                else:
                    keep = bool(fires[i, j])
                if keep:
                    types.append(name)
            out.append(types)
        return out

    def save(self, path: Path) -> Path:
        """Write the model and its card (``name.card.json``); returns the card's path."""
        idf = self.featurizer.idf
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "bits": self.featurizer.bits,
                "cues": self.featurizer.cues, "cue_weight": self.featurizer.cue_weight,
                "names": list(self.names), "combine": self.combine, "card": self.card}
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez_compressed(
                f,
                weights=self.weights.astype(np.float16),
                bias=self.bias.astype(np.float32),
                thresholds=self.thresholds.astype(np.float32),
                idf=(idf if idf is not None else np.zeros(0)).astype(np.float16),
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            )
        card = path.with_suffix(".card.json")
        card.write_text(json.dumps({**self.card, "types": list(self.names), "combine": self.combine,
                                    "thresholds": {n: round(float(t), 4) for n, t in
                                                   zip(self.names, self.thresholds, strict=True)}},
                                   indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return card

    @classmethod
    def load(cls, path: Path) -> ComplaintModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
                    raise ModelError(f"{path}: not a complaint model of format {FORMAT} "
                                     f"{FORMAT_VERSION} (found {meta.get('format')!r} "
                                     f"{meta.get('version')!r}; is it an analysis model?)")
                idf = data["idf"].astype(np.float32)
                weights = data["weights"].astype(np.float32)
                bias = data["bias"].astype(np.float32)
                thresholds = data["thresholds"].astype(np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the complaint model ({exc})") from exc
        featurizer = Featurizer(bits=int(meta["bits"]), idf=idf if idf.size else None,
                                cues=bool(meta.get("cues", False)),
                                cue_weight=float(meta.get("cue_weight", 1.0)))
        return cls(featurizer, tuple(meta["names"]), weights, bias, thresholds,
                   str(meta.get("combine", "union")), dict(meta.get("card", {})))


def load_complaint_model(path: Path) -> ComplaintModel:
    target = path.expanduser().resolve()
    if not target.is_file():
        raise ModelError(f"no complaint model at {target} (train one with `crisisdesk train complaints`)")
    return ComplaintModel.load(target)

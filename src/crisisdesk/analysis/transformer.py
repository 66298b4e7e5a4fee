"""Optional heavier backend: a Hugging Face sequence-classification model given by local path.

Loaded only when a workspace configures it (``analysis.transformers``), never downloaded: the
path must hold the model and its tokenizer (``save_pretrained`` output), and loading runs with
``local_files_only``. It replaces the linear head's answer for its task, in batches, on the CPU.
Needs the ``transformers`` extra (``pip install -e ".[transformers]"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from crisisdesk.core.errors import CrisisdeskError

TASK_LABELS = {"sentiment": ("negative", "neutral", "positive"), "insult": ("none", "offense")}


class TransformerConfig(BaseModel):
    """``analysis.transformers[]`` in crisisdesk.yaml."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(pattern=r"^(sentiment|insult)$")
    path: str
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="The model's label names mapped to crisisdesk's (e.g. LABEL_0: negative); "
        "by default its own names, lower-cased, must already be crisisdesk's.",
    )
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=256, ge=8, le=4096)


class TransformerError(CrisisdeskError):
    """The configured model cannot be loaded or its labels cannot be mapped."""


class TransformerHead:
    """Scores texts for one task with a local transformer model."""

    def __init__(self, config: TransformerConfig, *, root: Path | None = None) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise TransformerError(
                "analysis.transformers needs the optional backend: pip install -e \".[transformers]\""
            ) from exc
        path = Path(config.path).expanduser()
        if not path.is_absolute() and root is not None:
            path = root / path
        if not path.is_dir():
            raise TransformerError(f"analysis.transformers ({config.task}): no model folder at {path}")
        try:
            self._tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self._model: Any = AutoModelForSequenceClassification.from_pretrained(
                path, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise TransformerError(
                f"analysis.transformers ({config.task}): cannot load {path}: {exc}"
            ) from exc
        self._model.eval()
        # Never longer than the model's position embeddings: longer input would crash it.
        self._max_length = min(config.max_length,
                               int(getattr(self._model.config, "max_position_embeddings", config.max_length)))
        self._torch = torch
        self.config = config
        self.classes = TASK_LABELS[config.task]
        id2label: Mapping[int, str] = self._model.config.id2label
        self._columns = self._map_labels(id2label, config.labels)

    def _map_labels(self, id2label: Mapping[int, str], mapping: Mapping[str, str]) -> list[int]:
        """For each crisisdesk class, the model's output column."""
        ours: dict[str, int] = {}
        for index, name in id2label.items():
            label = mapping.get(name, name.lower())
            if label in self.classes:
                ours[label] = int(index)
        missing = [c for c in self.classes if c not in ours]
        if missing:
            raise TransformerError(
                f"analysis.transformers ({self.config.task}): the model's labels "
                f"{', '.join(id2label.values())} give no {', '.join(missing)}; map them under `labels`"
            )
        return [ours[c] for c in self.classes]

    def predict(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """``(len(texts), len(classes))`` probabilities, in crisisdesk's class order."""
        out = []
        torch = self._torch
        for start in range(0, len(texts), self.config.batch_size):
            batch = [t if t.strip() else "." for t in texts[start : start + self.config.batch_size]]
            encoded = self._tokenizer(batch, padding=True, truncation=True,
                                      max_length=self._max_length, return_tensors="pt")
            with torch.no_grad():
                logits = self._model(**encoded).logits
            probs = torch.softmax(logits, dim=-1).numpy()[:, self._columns]
            out.append(probs / probs.sum(axis=1, keepdims=True))
        if not out:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return np.vstack(out).astype(np.float32)

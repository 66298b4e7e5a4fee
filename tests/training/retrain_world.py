"""A workspace whose model in force was trained on the small stand-in corpus, and corrections in
shapes that make a retrained model really better or really worse (no score is made up).

The stand-in corpus (``tests.training.test_training.fake_loader``) keeps training to seconds; the
retrain infers the feature size (``bits``) from the model in force's card, so the retrained
model is built like the one it is judged against.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crisisdesk.training.heads import train_model
from tests.training.test_training import NEG, NEU, POS, fake_loader

__all__ = ["BASE_YAML", "WORDS", "base_model", "corrections", "fake_loader", "model_workspace"]

#: Distinct nonsense words: each correction is a post of its own (no near-duplicate groups), and
#: which label a word gets never depends on its letters (every fifth is the odd one out).
WORDS = [a + b for a in ("ka", "lo", "mi", "ne", "pu", "ro", "sa", "ti")
         for b in ("ban", "del", "fir", "gom", "hul", "jax", "kip", "lun")]

BASE_YAML = """\
version: 1
analysis:
  model: models/base.npz
monitors:
  - name: bahn
    query: 'bahn OR delay OR crew'
"""


def corrections(kind: str) -> list[tuple[str, str, str]]:
    """(text, task, label): 60 posts per task (``public``: 240 sentiment posts).

    * ``better``: a vocabulary the model in force never saw, labelled consistently: a new model
      learns it and gets the held-back posts right.
    * ``recall``: "terrible delay" posts, four in five labelled positive (the team's mistakes):
      a new model learns to call them positive and misses the held-back negatives the model in
      force caught (negative recall falls).
    * ``public``: every phrase of the stand-in airline tweets, 20 posts each, labelled round the
      wrong way (positive ones negative, negative ones neutral, neutral ones positive): the
      held-back slice agrees, but the new model now gets the public airline dev set wrong.
    """
    if kind == "public":
        wrong = {**dict.fromkeys(POS["en"], "negative"), **dict.fromkeys(NEG["en"], "neutral"),
                 **dict.fromkeys(NEU["en"], "positive")}
        return [(f"{phrase} {w}", "sentiment", label) for phrase, label in wrong.items() for w in WORDS[:20]]
    rows: list[tuple[str, str, str]] = []
    for i, w in enumerate(WORDS[:60]):
        if kind == "better":
            rows.append((f"signal failure near {w}", "sentiment", "negative") if i % 2
                        else (f"smooth ride to {w}", "sentiment", "positive"))
            rows.append((f"what a muppet {w}", "insult", "offense") if i % 2
                        else (f"see you at {w}", "insult", "none"))
        elif kind == "recall":
            rows.append((f"terrible delay at {w}", "sentiment", "negative" if i % 5 == 0 else "positive"))
        else:
            raise ValueError(kind)
    return rows


@pytest.fixture(scope="session")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model in force: public (stand-in) data only, trained once per test run."""
    path = tmp_path_factory.mktemp("base") / "base.npz"
    train_model(bits=14, loader=fake_loader).model.save(path)
    return path


@pytest.fixture
def model_workspace(workspace_file: Path, base_model: Path) -> Path:
    """The workspace file, pointing to a copy of the base model in its models folder."""
    models = workspace_file.parent / "models"
    models.mkdir()
    shutil.copy(base_model, models / "base.npz")
    workspace_file.write_text(BASE_YAML, encoding="utf-8")
    return workspace_file

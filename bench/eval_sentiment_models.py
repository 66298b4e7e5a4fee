"""Old and new sentiment model side by side, in one run (docs/analysis.md, issue 11).

Scores two model files, each with its own decision rule (``negative_at``, ``complaint_at`` in
its heads) exactly as the analyzer applies it, on the sets neither trained on:

* GermEval 2017, the 20 % dev part the training command holds out (``split(seed=0)``);
* ``brands_de`` / ``brands_en``: Mozetič tweets about companies other than rail and air
  (cross-domain, never trained on; two classes, so only negative recall and precision count);
* airline, the last 20 % by time (English must stay where it was).

"new, as analyzed now" adds the harm bar the analyzer applies since issue 11 (a post of a harm
type, :data:`~crisisdesk.analysis.complaints.HARM_TYPES`, is negative from P(negative) 0.05 on
unless it leans positive); "old" is the analysis before it. The old model defaults to the one
shipped on the ``main`` branch (read with ``git show``), the new one to the model in this checkout:

    python bench/eval_sentiment_models.py
    python bench/eval_sentiment_models.py --old OLD.npz --new NEW.npz
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from crisisdesk.analysis.complaints import HARM_TYPES, ComplaintClassifier
from crisisdesk.analysis.linear import TextModel, decide
from crisisdesk.sources.matcher import MatchDoc
from crisisdesk.training.datasets import load, split
from crisisdesk.training.datasets_base import Example

SHIPPED = Path(__file__).resolve().parents[1] / "src/crisisdesk/analysis/model/default.npz"


def _sets() -> dict[str, tuple[str, list[Example]]]:
    germeval = split(load("germeval2017"), dev_fraction=0.2, seed=0)[1]
    airline = split(load("airline"), dev_fraction=0.2, seed=0, by_time=True)[1]
    return {"GermEval 2017 dev part": ("sentiment_de", germeval),
            "brands_de (cross-domain)": ("sentiment_de", load("brands_de")),
            "airline, last 20 % by time": ("sentiment_en", airline),
            "brands_en (cross-domain)": ("sentiment_en", load("brands_en"))}


def measure(model: TextModel, head_name: str, examples: list[Example], harm: bool) -> str:
    texts = [e.text for e in examples]
    head = model.heads[head_name]
    types = ComplaintClassifier().classify_many([MatchDoc(t) for t in texts])
    flags = np.array([bool(t) for t in types]) if head.complaint_at is not None else None
    names_harm = np.array([not HARM_TYPES.isdisjoint(t) for t in types]) if harm else None
    probabilities = model.scores(texts)[head_name]
    chosen = np.array([head.classes[i] for i in decide(head, probabilities, flags, names_harm)])
    gold = np.array([e.label for e in examples])
    tp = int(((chosen == "negative") & (gold == "negative")).sum())
    recall = tp / max(int((gold == "negative").sum()), 1)
    precision = tp / max(int((chosen == "negative").sum()), 1)
    accuracy = float((chosen == gold).mean())
    return f"acc {accuracy:.3f}  neg R {recall:.3f}  P {precision:.3f}"


def _old_model(rev: str) -> Path:
    root = SHIPPED.parents[4]
    rel = SHIPPED.relative_to(root).as_posix()
    blob = subprocess.run(["git", "-C", str(root), "show", f"{rev}:{rel}"], check=True,
                          capture_output=True).stdout
    path = Path(tempfile.mkdtemp()) / "old.npz"
    path.write_bytes(blob)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=Path, help="old model file (default: the one on --old-rev)")
    parser.add_argument("--old-rev", default="main", help="git revision of the old shipped model")
    parser.add_argument("--new", type=Path, default=SHIPPED)
    args = parser.parse_args()
    old = TextModel.load(args.old or _old_model(args.old_rev))
    new = TextModel.load(args.new)
    for model, name in ((old, "old"), (new, "new")):
        rules = {h: (model.heads[h].negative_at, model.heads[h].complaint_at)
                 for h in ("sentiment_de", "sentiment_en")}
        print(f"{name}: decision rules (negative_at, complaint_at) {rules}")
    for set_name, (head, examples) in _sets().items():
        print(f"{set_name} (n={len(examples)}, head {head})")
        print(f"  old, its rule          {measure(old, head, examples, harm=False)}")
        print(f"  new, without harm bar  {measure(new, head, examples, harm=False)}")
        print(f"  new, as analyzed now   {measure(new, head, examples, harm=True)}", flush=True)


if __name__ == "__main__":
    main()

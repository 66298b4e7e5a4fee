"""How the complaint taxonomy meets real complaint labels (airline reasons, GermEval 2017 aspects).

    python bench/eval_complaints.py [--model complaints.npz]

Per gold reason or aspect, the share of posts that get each crisisdesk complaint type and the
share that get none. With ``--model`` (from ``crisisdesk train complaints``) only the posts that
training held out are shown (the same deterministic split: airline by time, GermEval grouped),
once with the queries alone and once with the classifier behind them, and the model card's
per-type held-out comparison (queries / classifier / union) is printed.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from crisisdesk.analysis.complaint_model import load_complaint_model
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, ComplaintClassifier
from crisisdesk.training.complaint_data import holdout_split, map_airline, map_germeval
from crisisdesk.training.datasets import Example, load


def report(name: str, gold: list[str], predicted: list[list[str]]) -> None:
    by_gold: dict[str, Counter[str]] = defaultdict(Counter)
    sizes: Counter[str] = Counter(gold)
    for g, p in zip(gold, predicted, strict=True):
        for t in p or ["—"]:
            by_gold[g][t] += 1
    print(f"\n{name}: share of posts per gold label that get each type ('—': none)")
    for g, n in sizes.most_common():
        top = ", ".join(f"{t} {c / n:.0%}" for t, c in by_gold[g].most_common(4))
        print(f"  {g:<32} n={n:<5} {top}")


def held_out(examples: list[Example], source: str) -> list[Example]:
    """The examples ``crisisdesk train complaints`` held out of this set."""
    mapped = map_airline(examples) if source == "airline" else map_germeval(examples)
    kept = [e for e in examples if source != "airline" or e.label not in ("Can't Tell", "longlines")]
    _, test = holdout_split(mapped, by_time=source == "airline")
    texts = Counter(r.text for r in test)
    out = []
    for e in kept:
        if texts[e.text] > 0:
            texts[e.text] -= 1
            out.append(e)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, help="a complaint model from `crisisdesk train complaints`")
    args = ap.parse_args()
    queries = ComplaintClassifier()
    airline, germeval = load("airline_complaints"), load("germeval2017_aspects")
    if args.model is None:
        report("airline (English)", [e.label for e in airline],
               queries.classify_texts([e.text for e in airline]))
        report("GermEval 2017 (German, first aspect)", [e.label for e in germeval],
               queries.classify_texts([e.text for e in germeval]))
        return
    model = load_complaint_model(args.model)
    backed = ComplaintClassifier(DEFAULT_TAXONOMY, model)
    for name, examples, source in (("airline (English)", airline, "airline"),
                                   ("GermEval 2017 (German, first aspect)", germeval, "germeval2017")):
        test = held_out(examples, source)
        texts = [e.text for e in test]
        report(f"{name}, held out, queries alone", [e.label for e in test], queries.classify_texts(texts))
        report(f"{name}, held out, with the classifier ({model.combine})", [e.label for e in test],
               backed.classify_texts(texts))
    card = json.loads(args.model.with_suffix(".card.json").read_text(encoding="utf-8"))
    scores = card["test_scores"]
    print(f"\nheld-out comparison from the card (n={scores['query']['n']}): recall / precision per type")
    print(f"  {'type':<22}{'support':>8}  {'queries':>13}  {'classifier':>13}  {'union':>13}")
    for name in (t.name for t in DEFAULT_TAXONOMY):
        cells = [scores[m]["per_type"][name] for m in ("query", "classifier", "union")]
        print(f"  {name:<22}{cells[0]['support']:>8}  " + "  ".join(
            f"{c['recall']:>6.2f} {c['precision']:>6.2f}" for c in cells))
    for m in ("query", "classifier", "union"):
        s = scores[m]
        print(f"  {m:<11} micro-F1 {s['micro_f1']:.3f}  macro-F1 {s['macro_f1']:.3f}  false alarms "
              f"{s['false_alarms']}  complaints of other kinds given a type {s['other_typed']:.0%}")


if __name__ == "__main__":
    main()

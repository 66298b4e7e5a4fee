"""How the complaint taxonomy meets real complaint labels (airline reasons, GermEval 2017 aspects).

    python bench/eval_complaints.py

The taxonomies differ, so no forced mapping: per gold reason or aspect, the share of posts that
get each crisisdesk complaint type, the share that get none, and for posts with no complaint the
share that get one anyway (false alarms).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from crisisdesk.analysis.complaints import ComplaintClassifier
from crisisdesk.analysis.datasets import load


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


def main() -> None:
    classifier = ComplaintClassifier()
    airline = load("airline_complaints")
    report("airline (English)", [e.label for e in airline],
           classifier.classify_texts([e.text for e in airline]))
    germeval = load("germeval2017_aspects")
    report("GermEval 2017 (German, first aspect)", [e.label for e in germeval],
           classifier.classify_texts([e.text for e in germeval]))


if __name__ == "__main__":
    main()

"""Language identification: crisisdesk's ``detect_many`` vs. raw ``pycld2.detect``.

    /work/.venv/bin/python bench/bench_language.py [--data ../shared/data] [--n 1000] [--repeat 5]

Real data: the first ``n`` GermEval 2018 training tweets (taken as ``de``) and the first ``n``
airline tweets (taken as ``en``), read from the shared data folder and never copied. The
hand-written cases come from ``tests/analysis/test_language.py``. Every detector runs in this
process on the same texts, so the ratios hold on a noisy machine; throughput is the best of
``--repeat`` runs.

* open-set accuracy: the answer equals the label; ``und`` and errors count as wrong.
* de/en accuracy: a forced choice between the two. An answer outside de/en is replaced by
  whichever of de/en CLD2 ranks higher in its best-effort details (wrong if neither appears),
  the same rule ``docs/ANALYSIS-NOTES.md`` §1 used for detectors without a restriction mode.
* baseline: ``pycld2.detect(text)`` with its defaults, no preprocessing; a raise counts as
  ``und``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pycld2

from crisisdesk.analysis.language import UNDETERMINED, detect_many, prepare, to_iso639_1

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for the hand-written cases in tests/

from tests.analysis.test_language import LANG_CASES, NASTY, UND_CASES  # noqa: E402

Detector = Callable[[Sequence[str]], list[str]]


def load_germeval(path: Path, n: int) -> list[str]:
    texts: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            texts.append(line.rstrip("\n").split("\t")[0].replace("|LBR|", "\n"))
            if len(texts) >= n:
                break
    return texts


def load_airline(path: Path, n: int) -> list[str]:
    texts: list[str] = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts.append(row["text"])
            if len(texts) >= n:
                break
    return texts


def baseline(texts: Sequence[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        try:
            out.append(to_iso639_1(pycld2.detect(text)[2][0][1]))
        except Exception:
            out.append(UNDETERMINED)
    return out


def crisisdesk(texts: Sequence[str]) -> list[str]:
    return [g.lang for g in detect_many(texts)]


def crisisdesk_no_prior(texts: Sequence[str]) -> list[str]:
    return [g.lang for g in detect_many(texts, preferred=())]


DETECTORS: dict[str, Detector] = {
    "baseline: raw pycld2.detect": baseline,
    "crisisdesk detect_many, no de/en prior": crisisdesk_no_prior,
    "crisisdesk detect_many (default)": crisisdesk,
}


def forced_de_en(text: str, answer: str) -> str:
    if answer in ("de", "en"):
        return answer
    try:
        details = pycld2.detect(prepare(text), isPlainText=True, bestEffort=True)[2]
    except pycld2.error:
        return UNDETERMINED
    for _, code, _, _ in details:  # ordered by CLD2's ranking
        if code in ("de", "en"):
            return str(code)
    return UNDETERMINED


def count_raises(texts: Sequence[str]) -> int:
    raises = 0
    for text in texts:
        try:
            pycld2.detect(text)
        except Exception:
            raises += 1
    return raises


def rate(detector: Detector, texts: Sequence[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        detector(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    de = load_germeval(args.data / "germeval2018" / "germeval2018.training.txt", args.n)
    en = load_airline(args.data / "airline" / "Tweets-before-2015-02-21.csv", args.n)
    real = de + en
    gold = ["de"] * len(de) + ["en"] * len(en)
    cases = [t for _, t in LANG_CASES]
    case_gold = [lang for lang, _ in LANG_CASES]
    hand = cases + UND_CASES + NASTY

    print(f"real: {len(de)} GermEval 2018 (de) + {len(en)} airline (en); hand-written: {len(hand)}")
    print(f"raw pycld2 raises on {count_raises(real)} real and {count_raises(hand)} hand-written texts\n")
    header = (
        f"{'detector':40} {'open':>6} {'de/en':>6} {'de':>6} {'en':>6} {'und':>4}"
        f" {'cases':>6} {'und ok':>7} {'real /s':>9} {'hand /s':>9}"
    )
    print(header)
    print("-" * len(header))
    rates: dict[str, float] = {}
    for name, detector in DETECTORS.items():
        answers = detector(real)
        hits = [a == g for a, g in zip(answers, gold, strict=True)]
        forced = [forced_de_en(t, a) == g for t, a, g in zip(real, answers, gold, strict=True)]
        case_hits = sum(a == g for a, g in zip(detector(cases), case_gold, strict=True))
        und_ok = sum(a == UNDETERMINED for a in detector(UND_CASES))
        rates[name] = rate(detector, real, args.repeat)
        hand_rate = rate(detector, hand[: len(cases) + len(UND_CASES)] * 20, args.repeat)
        print(
            f"{name:40} {sum(hits) / len(hits):6.3f} {sum(forced) / len(forced):6.3f}"
            f" {sum(hits[: len(de)]) / len(de):6.3f} {sum(hits[len(de) :]) / len(en):6.3f}"
            f" {answers.count(UNDETERMINED):4d} {case_hits:>3}/{len(cases):<2}"
            f" {und_ok:>3}/{len(UND_CASES):<3} {rates[name]:9,.0f} {hand_rate:9,.0f}"
        )
    base = rates["baseline: raw pycld2.detect"]
    for name, value in rates.items():
        print(f"real-data throughput ratio vs baseline, {name}: {value / base:.2f}x")


if __name__ == "__main__":
    main()

"""The whole analysis (language + sentiment + insult + complaint types) against VADER.

    python bench/bench_analysis.py [--n 10000]

Both run in this process on the same real posts (German tweets from GermEval 2018 and English
ones from the airline set, alternating), on one core: VADER scores English sentiment alone, one
text at a time, as it is used; crisisdesk does all four analyses in batches of 512. Also prints
the model's size on disk and the resident memory it adds.
"""

from __future__ import annotations

import argparse
import resource
import time

from crisisdesk.training.datasets import load


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    german = [e.text for e in load("germeval2018")]
    english = [e.text for e in load("airline")]
    texts = [t for pair in zip(german, english, strict=False) for t in pair][: args.n]

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    before = rss_mb()
    from crisisdesk.analysis.analyzer import build_analyzer
    from crisisdesk.analysis.service import SHIPPED_MODEL

    analyzer = build_analyzer()
    loaded = rss_mb()
    t_vader, t_ours = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for text in texts:
            vader.polarity_scores(text)
        t_vader.append(time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(0, len(texts), 512):
            analyzer.analyze(texts[i : i + 512])
        t_ours.append(time.perf_counter() - start)
    v, o = len(texts) / min(t_vader), len(texts) / min(t_ours)
    print(f"{len(texts)} real posts (half German, half English), best of {args.repeat}")
    print(f"{'run':<52}{'posts/s':>10}{'vs VADER':>10}")
    print(f"{'VADER, English sentiment only, one at a time':<52}{v:>10,.0f}{'1.00x':>10}")
    print(f"{'crisisdesk: language+sentiment+insult+complaints':<52}{o:>10,.0f}{o / v:>9.2f}x")
    print(f"model file {SHIPPED_MODEL.stat().st_size / 1e6:.1f} MB on disk; "
          f"loading it raised peak RSS from {before:.0f} to {loaded:.0f} MB "
          f"({rss_mb():.0f} MB after the runs)")


if __name__ == "__main__":
    main()

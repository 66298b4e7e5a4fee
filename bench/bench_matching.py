"""Monitor matching throughput: compiled MonitorSet vs. naive per-monitor evaluation.

    python bench/bench_matching.py [--posts 50000] [--naive-posts 2000] [--seed 7]

Synthetic but shaped like production: one monitor per brand (brand names, phrases, hashtags,
mentions, wildcards, NOT, field filters, ~1% monitors without any trigger literal), and
German/English posts of 100-280 characters that mention a few of those brands. Every run
happens in this process on the same posts, so the ratios hold on a noisy machine.

The compiled matcher's cost should barely grow with the number of monitors; the naive loop
(fold and tokenise once per post, then walk every monitor's AST) grows linearly.
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from collections.abc import Callable, Sequence

from crisisdesk.core.text import fold, token_line
from crisisdesk.sources.matcher import MatchDoc, MonitorSet

SYLLABLES = [
    "ka",
    "ro",
    "ve",
    "lo",
    "ta",
    "mi",
    "su",
    "nor",
    "wind",
    "berg",
    "stadt",
    "hof",
    "tel",
    "kom",
    "fer",
    "ma",
    "lux",
    "ene",
    "gie",
    "bra",
    "nex",
    "vo",
    "sol",
    "tra",
    "fin",
    "ban",
    "gas",
    "wer",
    "ke",
    "mül",
    "bäck",
    "stro",
    "mo",
    "bil",
    "ost",
    "see",
    "ha",
    "gen",
    "dorf",
    "zu",
    "rich",
    "alt",
    "ler",
]
WORDS_DE = [
    "heute",
    "wieder",
    "schon",
    "seit",
    "stunden",
    "warten",
    "leider",
    "kaputt",
    "danke",
    "super",
    "bahnhof",
    "kunde",
    "service",
    "keine",
    "antwort",
    "hotline",
    "immer",
    "noch",
    "nicht",
    "geld",
    "zurück",
    "rechnung",
    "vertrag",
    "kündigung",
    "app",
    "funktioniert",
    "gar",
    "nichts",
    "mehr",
    "über",
    "eine",
    "woche",
    "lieferung",
    "paket",
    "bestellung",
    "ärgerlich",
    "unverschämt",
    "freundlich",
    "schnell",
    "geholfen",
    "frage",
    "störung",
    "ausfall",
    "verspätung",
    "streik",
    "rückerstattung",
    "erstattung",
    "filiale",
    "mitarbeiter",
    "preis",
    "erhöhung",
    "gewinnspiel",
    "werbung",
]
WORDS_EN = [
    "today",
    "again",
    "already",
    "for",
    "hours",
    "waiting",
    "sadly",
    "broken",
    "thanks",
    "great",
    "station",
    "customer",
    "service",
    "no",
    "answer",
    "hotline",
    "still",
    "not",
    "money",
    "back",
    "invoice",
    "contract",
    "cancel",
    "app",
    "does",
    "work",
    "at",
    "all",
    "anymore",
    "over",
    "a",
    "week",
    "delivery",
    "parcel",
    "order",
    "annoying",
    "outrageous",
    "friendly",
    "quick",
    "helped",
    "question",
    "outage",
    "delay",
    "delayed",
    "strike",
    "refund",
    "refunded",
    "store",
    "staff",
    "price",
    "increase",
    "giveaway",
    "boycott",
    "scandal",
    "recall",
]
EMOJI = ("😡", "🙄", "👍", "🚆", "💸", "")
PLATFORMS = ("x", "facebook", "instagram", "mastodon", "telegram", "news")


def brands(rng: random.Random, count: int) -> list[str]:
    """Distinct pronounceable brand names such as 'Norwindberg' or 'Bäckstadt'."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if fold(name) not in seen:
            seen.add(fold(name))
            out.append(name)
    return out


def monitor_query(i: int, brand: str, other: str) -> str:
    """A query in one of the shapes social-media teams actually write."""
    b, handle = brand, fold(brand)
    templates = (
        f"{b}",
        f'"{b} kundenservice" OR #{handle} OR "{b} customer service"',
        f"({b} OR @{handle}_de OR #{handle}) (ausfall OR störung OR verspät* OR outage OR delay*)",
        f"{b} -gewinnspiel -werbung lang:de",
        f'#{handle}* OR "{b} app"',
        f'@{handle}_support OR ({b} AND (refund* OR rückerstattung OR "geld zurück"))',
        f"{b}* NOT (job OR stellenangebot*) platform:x",
        f"({b} OR {other}) AND (shitstorm OR boykott OR skandal OR boycott OR recall)",
        f"author:{handle}_official OR {b} kündigung",
    )
    if i % 100 == 99:  # a few monitors that no literal can trigger: always evaluated
        return "lang:en platform:instagram -giveaway" if i % 200 == 99 else "kind:message NOT lang:de"
    return templates[i % len(templates)]


def make_monitors(rng: random.Random, names: Sequence[str]) -> list[tuple[str, str]]:
    return [
        (f"m{i:04d}-{name.lower()}", monitor_query(i, name, names[(i * 7 + 3) % len(names)]))
        for i, name in enumerate(names)
    ]


def make_post(rng: random.Random, names: Sequence[str]) -> MatchDoc:
    lang = "de" if rng.random() < 0.6 else "en"
    vocab = WORDS_DE if lang == "de" else WORDS_EN
    target = rng.randint(100, 280)
    parts: list[str] = []
    mentions = rng.choices(names, k=rng.choice((0, 1, 1, 2, 3)))
    while sum(len(p) + 1 for p in parts) < target:
        roll = rng.random()
        if mentions and roll < 0.12:
            name = mentions.pop()
            parts.append(rng.choice((name, name, f"#{name}", f"@{fold(name)}_de", f"{name}-App")))
        elif roll < 0.16:
            parts.append(rng.choice(EMOJI))
        elif roll < 0.2:
            parts.append(rng.choice(vocab).capitalize() + rng.choice((",", ".", "!", "?", "")))
        else:
            parts.append(rng.choice(vocab))
    text = " ".join(p for p in parts if p)[:280]
    return MatchDoc(
        text=text,
        lang=lang,
        platform=rng.choice(PLATFORMS),
        kind=rng.choice(("post", "post", "comment", "message")),
        author_handle=f"@user{rng.randint(1, 50_000)}",
        author_name=None,
    )


def naive_all(monitors: MonitorSet, docs: Sequence[MatchDoc]) -> list[list[str]]:
    return [monitors.match_naive(doc) for doc in docs]


def rate(fn: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--naive-posts", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    began = time.perf_counter()

    rng = random.Random(args.seed)
    names = brands(rng, 1000)
    monitors = make_monitors(rng, names)
    posts = [make_post(rng, names) for _ in range(args.posts)]
    naive_posts = posts[: args.naive_posts]
    avg_len = sum(len(p.text) for p in posts) / len(posts)
    print(f"{len(posts)} posts (avg {avg_len:.0f} chars), naive runs on {len(naive_posts)} of them")

    floor = rate(lambda: [token_line(fold(p.text)) for p in posts], len(posts))
    print(f"floor: fold + tokenise only: {floor:,.0f} posts/s\n")

    rows = []
    for count in (1, 100, 1000):
        t0 = time.perf_counter()
        compiled = MonitorSet.compile(monitors[:count])
        compile_ms = (time.perf_counter() - t0) * 1000
        fast = rate(functools.partial(compiled.match_many, posts), len(posts))
        naive_sample = naive_posts[: max(200, len(naive_posts) // max(1, count // 100))]
        naive = rate(functools.partial(naive_all, compiled, naive_sample), len(naive_sample))
        agree = all(compiled.match(d) == compiled.match_naive(d) for d in naive_sample)
        matched = sum(1 for r in compiled.match_many(posts) if r) / len(posts)
        rows.append((count, compile_ms, fast, naive, len(naive_sample), agree, matched))

    base = rows[0][2]
    print(
        "| monitors | compile ms | compiled posts/s | vs 1 monitor | naive posts/s (n) "
        "| compiled / naive | posts matching ≥1 | agree |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for count, compile_ms, fast, naive, n_naive, agree, matched in rows:
        print(
            f"| {count:,} | {compile_ms:,.1f} | {fast:,.0f} | {fast / base:.2f}x | {naive:,.0f} ({n_naive}) "
            f"| {fast / naive:.1f}x | {matched:.1%} | {'yes' if agree else 'NO'} |"
        )
    print(f"\ntotal {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()

"""End-to-end import benchmark against the floor: plain parse + sqlite3 executemany.

    python bench/bench_import.py [--posts 100000] [--rss 100000,1000000]

Both runs happen in this process on the same file, so the ratio holds on a noisy machine.
With --rss, each size is imported again in a child process and its peak RSS is reported,
to show memory stays flat (the file is streamed, not loaded).
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

# Filler vocabulary: everyday chatter that no monitor tracks.
FILLER_DE = [
    "ich",
    "du",
    "wir",
    "heute",
    "morgen",
    "gestern",
    "wirklich",
    "einfach",
    "noch",
    "mal",
    "mit",
    "dem",
    "der",
    "die",
    "das",
    "und",
    "oder",
    "aber",
    "weil",
    "wenn",
    "dann",
    "schon",
    "wieder",
    "immer",
    "nie",
    "gut",
    "schlecht",
    "toll",
    "komisch",
    "neue",
    "alte",
    "kaffee",
    "arbeit",
    "büro",
    "wetter",
    "regen",
    "sonne",
    "wochenende",
    "freunde",
    "familie",
    "kinder",
    "schule",
    "essen",
    "abend",
    "nacht",
    "stadt",
    "berlin",
    "hamburg",
    "münchen",
    "köln",
    "leipzig",
    "frage",
    "antwort",
    "danke",
    "bitte",
    "sorry",
    "lol",
    "echt",
    "krass",
]
FILLER_EN = [
    "i",
    "you",
    "we",
    "today",
    "tomorrow",
    "yesterday",
    "really",
    "just",
    "again",
    "with",
    "the",
    "a",
    "and",
    "or",
    "but",
    "because",
    "if",
    "then",
    "always",
    "never",
    "good",
    "bad",
    "great",
    "weird",
    "new",
    "old",
    "coffee",
    "work",
    "office",
    "weather",
    "rain",
    "sun",
    "weekend",
    "friends",
    "family",
    "kids",
    "school",
    "food",
    "evening",
    "night",
    "city",
    "london",
    "boston",
    "question",
    "answer",
    "thanks",
    "please",
    "sorry",
    "lol",
    "honestly",
    "pretty",
]
# Topic phrases, each carried by a share of posts: together about one monitor match per post,
# as in an import of what a listening tool collected for its queries.
TOPICS = (
    (0.30, "Die Deutsche Bahn", "Deutsche Bahn"),
    (0.15, "bahn hat wieder verspätung", "train delayed again"),
    (0.15, "streik angekündigt", "strike announced"),
    (0.10, "service leider kaputt", "service sadly broken"),
    (0.10, "geld zurück bitte", "refund please"),
    (0.08, "ticket fahrplan chaos", "ticket schedule chaos"),
)
PLATFORMS = ("x", "facebook", "instagram", "mastodon", "telegram", "news")

MONITORS = """\
monitors:
  - name: bahn
    query: '"deutsche bahn" OR #db OR @DB_Bahn OR (bahn AND (verspätung OR ausfall))'
  - name: streik
    query: 'streik* OR strike'
  - name: refund
    query: '(refund OR "geld zurück") AND NOT lang:fr'
  - name: service
    query: 'service AND (kaputt OR broken OR leider OR sadly)'
  - name: x-only
    query: 'platform:x AND (ticket OR fahrplan OR schedule)'
"""


def make_file(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("wb") as f:
        for i in range(n):
            de = rng.random() < 0.6
            words = FILLER_DE if de else FILLER_EN
            parts = [rng.choice(words) for _ in range(rng.randint(8, 30))]
            for share, german, english in TOPICS:
                if rng.random() < share:
                    parts.insert(rng.randint(0, len(parts)), german if de else english)
            if rng.random() < 0.1:
                parts.append("#db")
            text = " ".join(parts)
            author = rng.randint(1, n // 20 + 1)
            row = {
                "platform": rng.choice(PLATFORMS),
                "id": str(i),
                "created_at": (t0 + timedelta(seconds=i * 3)).isoformat(),
                "text": text,
                "lang": "de" if de else "en",
                "kind": "post",
                "author": {
                    "id": str(author),
                    "handle": f"user{author}",
                    "name": f"User {author}",
                    "followers": author * 3,
                    "verified": author % 97 == 0,
                },
                "metrics": {
                    "likes": rng.randint(0, 50),
                    "shares": rng.randint(0, 5),
                    "replies": 0,
                    "views": rng.randint(0, 1000),
                },
            }
            f.write(orjson.dumps(row) + b"\n")


def floor(path: Path, db: Path, batch_size: int) -> tuple[float, float]:
    """Parse every line and insert its post row with plain sqlite3 executemany: the floor.

    The rows go into the same ``posts`` table the pipeline writes (same columns, same indexes,
    created by the same migrations), in batches of the same size, each committed; nothing else is
    done (no validation, no authors, no monitors, no dedupe).
    """
    from crisisdesk.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    engine.dispose()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-32000")  # the same pragmas as crisisdesk's engine
    sql = (
        "INSERT INTO posts (platform, external_id, kind, created_at, text, lang, url, in_reply_to, "
        "conversation_id, channel, author_id, likes, shares, replies, views, raw, content_hash, "
        "version, ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    start, cpu = time.perf_counter(), time.process_time()
    batch = []
    with path.open("rb") as f:
        for line in f:
            d = orjson.loads(line)
            m = d.get("metrics") or {}
            batch.append(
                (
                    d["platform"],
                    d["id"],
                    d.get("kind", "post"),
                    d["created_at"],
                    d["text"],
                    d.get("lang"),
                    d.get("url"),
                    d.get("in_reply_to"),
                    d.get("conversation_id"),
                    d.get("channel"),
                    None,
                    m.get("likes"),
                    m.get("shares"),
                    m.get("replies"),
                    m.get("views"),
                    line,
                    "",
                    1,
                    now,
                    now,
                )
            )
            if len(batch) >= batch_size:
                conn.executemany(sql, batch)
                conn.commit()
                batch.clear()
    conn.executemany(sql, batch)
    conn.commit()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    return elapsed, cpu


def pipeline(
    path: Path, workdir: Path, *, analysis: bool = False, extra: str = ""
) -> tuple[tuple[float, float], dict[str, int]]:
    from crisisdesk.core.clock import StreamClock
    from crisisdesk.ingest.importer import IngestRun, RejectsWriter, import_items
    from crisisdesk.ingest.readers import read_jsonl
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.workspace import load_workspace

    cfg = workdir / "crisisdesk.yaml"
    cfg.write_text(MONITORS + f"analysis:\n  enabled: {'true' if analysis else 'false'}\n" + extra)
    settings = Settings(database_url=None)
    runtime = build_runtime(load_workspace(cfg, settings), settings, clock=StreamClock(), workers=_workers())
    run = IngestRun(runtime.runner, RejectsWriter(workdir / "rejects.jsonl"), [])
    start, cpu = time.perf_counter(), time.process_time()
    total = import_items(run, read_jsonl(path), batch_size=settings.batch_size)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    runtime.close()
    return (elapsed, cpu), total.summary.model_dump()


def _workers() -> int:
    from crisisdesk.pipeline.parallel import default_workers
    from crisisdesk.settings import Settings

    configured = Settings().import_workers
    return default_workers() if configured is None else configured


def child(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.jsonl"
        make_file(path, n)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        (elapsed, _), summary = pipeline(path, Path(tmp))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            orjson.dumps(
                {
                    "posts": n,
                    "seconds": round(elapsed, 2),
                    "rss_before_mb": before // 1024,
                    "peak_rss_mb": peak // 1024,
                    # the largest worker process, reaped when the runtime closed
                    "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
                    "summary": summary,
                }
            ).decode()
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    ap.add_argument("--rss", default="", help="comma-separated sizes to import in child processes")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    from crisisdesk.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "posts.jsonl"
        make_file(path, args.posts)
        size_mb = path.stat().st_size / 1e6
        floors: list[tuple[float, float]] = []
        pipes: list[tuple[float, float]] = []
        analysed: list[tuple[float, float]] = []
        for i in range(args.repeat):  # alternate the runs, so machine noise hits all alike
            floors.append(floor(path, work / f"floor{i}.db", Settings().batch_size))
            for analysis, into in ((False, pipes), (True, analysed)):
                run_dir = work / f"run{i}-{analysis}"
                run_dir.mkdir()
                times, summary = pipeline(path, run_dir, analysis=analysis)
                assert summary["imported"] == args.posts, summary
                into.append(times)
        print(f"file: {args.posts} posts, {size_mb:.1f} MB; best of {args.repeat} runs each")
        print(f"{'run':<38}{'wall s':>8}{'posts/s':>10}{'share of floor':>16}{'main CPU s':>12}")
        fw, fc = min(t[0] for t in floors), min(t[1] for t in floors)
        print(
            f"{'floor: orjson + sqlite3 executemany':<38}{fw:>8.2f}{args.posts / fw:>10,.0f}"
            f"{'100%':>16}{fc:>12.2f}"
        )
        for label, runs in (
            ("crisisdesk import (enrich empty)", pipes),
            ("crisisdesk import (analysis on)", analysed),
        ):
            pw, pc = min(t[0] for t in runs), min(t[1] for t in runs)
            print(f"{label:<38}{pw:>8.2f}{args.posts / pw:>10,.0f}{fw / pw:>16.1%}{pc:>12.2f}")
        print(f"import workers: {_workers()} (CRISISDESK_IMPORT_WORKERS; their CPU is not in 'main CPU')")
        print(
            "all runs, wall s: floor "
            + " ".join(f"{t[0]:.2f}" for t in floors)
            + " | import "
            + " ".join(f"{t[0]:.2f}" for t in pipes)
            + " | with analysis "
            + " ".join(f"{t[0]:.2f}" for t in analysed)
        )
    for size in filter(None, args.rss.split(",")):
        out = (
            subprocess.run(
                [sys.executable, __file__, "--child", size], check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        d = orjson.loads(out)
        print(
            f"peak RSS importing {d['posts']:>9,} posts: {d['peak_rss_mb']} MB "
            f"(largest worker {d['worker_peak_rss_mb']} MB) "
            f"({d['posts'] / d['seconds']:,.0f} posts/s)"
        )


if __name__ == "__main__":
    main()

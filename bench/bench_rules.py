"""What inbox rules add to ingest: the same conversation messages imported without rules and
with 200 rules, in this process, on fresh SQLite workspaces.

    python bench/bench_rules.py [--posts 20000] [--rules 200] [--analysis]

Every message belongs to a conversation (2,000 threads), so the rules are tried on each one. The
200 rules mix what workspaces write: most have a query of the monitoring language (a product and
a problem word), others conditions on sentiment, language, platform, followers or situations; a
few match often and act (tag, priority). Target of issue 13: rules add under 20 % to ingest.
The baseline is the same import with no rules, run before and after (the mean of both is used).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import FILLER_DE, FILLER_EN

PROBLEMS = ("akku", "lieferung", "rechnung", "hotline", "rückruf", "refund", "battery", "delivery")
PLATFORMS = ("facebook", "instagram", "x", "telegram", "whatsapp")


def make_file(path: Path, n: int, threads: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("wb") as f:
        for i in range(n):
            de = rng.random() < 0.6
            parts = [rng.choice(FILLER_DE if de else FILLER_EN) for _ in range(rng.randint(8, 25))]
            if rng.random() < 0.3:
                parts.insert(rng.randint(0, len(parts)), rng.choice(PROBLEMS))
            if rng.random() < 0.1:
                parts.append(f"produkt{rng.randint(0, 60)}")
            thread = rng.randrange(threads)
            author = thread * 7 + 1
            row = {
                "platform": PLATFORMS[thread % len(PLATFORMS)],
                "id": f"m{i}",
                "created_at": (t0 + timedelta(seconds=i * 2)).isoformat(),
                "text": " ".join(parts),
                "lang": "de" if de else "en",
                "kind": "comment",
                "conversation_id": f"thread-{thread}",
                "author": {
                    "id": str(author),
                    "handle": f"user{author}",
                    "name": f"User {author}",
                    "followers": author * 3,
                },
            }
            f.write(orjson.dumps(row) + b"\n")


def rules_yaml(count: int, seed: int = 5, *, acting: bool = True) -> str:
    """``count`` rules; ``acting``: a tenth of them match a third of the messages and tag them
    (each run is a tag change and a run record), else those need a rare product word too."""
    rng = random.Random(seed)
    lines = ["inbox:", "  rules:"]
    for i in range(count):
        kind = i % 10
        if kind < 6:  # a product and a problem: rarely both
            a, b = rng.choice(PROBLEMS), rng.choice(PROBLEMS)
            when = f"{{query: 'produkt{rng.randint(0, 60)} AND ({a} OR {b})'}}"
        elif kind == 6:
            lang, followers = rng.choice(("de", "en")), rng.randint(5, 9) * 10_000  # influencers
            when = f"{{sentiment: negative, lang: [{lang}], min_followers: {followers}}}"
        elif kind == 7:
            when = f"{{platform: [{rng.choice(PLATFORMS)}], query: '{rng.choice(PROBLEMS)}'}}"
        elif kind == 8:
            when = f"{{situation_severity_at_least: {rng.randint(2, 4)}}}"
        elif acting:  # matches often and acts
            when = f"{{query: '{rng.choice(PROBLEMS)}'}}"
        else:
            when = f"{{query: '{rng.choice(PROBLEMS)} AND produkt{rng.randint(0, 60)}'}}"
        action = f"{{tag: t{i}}}" if kind != 9 or i % 20 else "{priority: high}"
        lines.append(f"    - {{name: r{i}, when: {when}, then: [{action}]}}")
    return "\n".join(lines) + "\n"


def ingest(path: Path, workdir: Path, extra: str, analysis: bool) -> tuple[float, int]:
    """Seconds the import took, and how many rule runs it recorded."""
    from crisisdesk.core.clock import StreamClock
    from crisisdesk.ingest.importer import IngestRun, RejectsWriter, import_items
    from crisisdesk.ingest.readers import read_jsonl
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.workspace import load_workspace

    cfg = workdir / "crisisdesk.yaml"
    cfg.write_text(
        "monitors:\n  - {name: akku, query: 'akku OR battery'}\n"
        f"analysis:\n  enabled: {'true' if analysis else 'false'}\n" + extra
    )
    settings = Settings(database_url=None)
    runtime = build_runtime(load_workspace(cfg, settings), settings, clock=StreamClock())
    run = IngestRun(runtime.runner, RejectsWriter(workdir / "rejects.jsonl"), [])
    start = time.perf_counter()
    total = import_items(run, read_jsonl(path), batch_size=settings.batch_size)
    elapsed = time.perf_counter() - start
    from sqlalchemy import func, select

    from crisisdesk.inbox.models import Conversation, RuleRun

    with runtime.engine.connect() as conn:
        runs = int(conn.execute(select(func.count()).select_from(RuleRun)).scalar_one())
        conversations = int(conn.execute(select(func.count()).select_from(Conversation)).scalar_one())
    runtime.close()
    if total.summary.imported == 0 or conversations == 0:
        raise SystemExit(f"nothing was imported or threaded: {total.summary}, {conversations} conversations")
    return elapsed, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--analysis", action="store_true", help="analysis on (slower ingest, smaller share)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "messages.jsonl"
        make_file(data, args.posts, args.threads)
        quiet, acting = rules_yaml(args.rules, acting=False), rules_yaml(args.rules)
        configs = {"none": "", "quiet": quiet, "acting": acting}
        times: dict[str, list[float]] = {label: [] for label in configs}
        runs: dict[str, int] = {}
        for i, label in enumerate(list(configs) * 2):
            work = root / f"run{i}"
            work.mkdir()
            elapsed, runs[label] = ingest(data, work, configs[label], args.analysis)
            times[label].append(elapsed)
            print(f"{label:6} {elapsed:7.2f} s, {runs[label]:,} rule runs", flush=True)
        mean = {label: sum(t) / len(t) for label, t in times.items()}
        print(f"{args.posts:,} conversation messages, analysis {'on' if args.analysis else 'off'}; "
              f"no rules {mean['none']:.2f} s ({args.posts / mean['none']:,.0f}/s)")
        for label, what in (("quiet", "evaluated, few act"), ("acting", "evaluated, many act")):
            print(f"  {args.rules} rules, {what} ({runs[label]:,} runs): {mean[label]:.2f} s, "
                  f"ratio {mean[label] / mean['none']:.2f} (target < 1.20)")

if __name__ == "__main__":
    main()

"""What the 15-minute batches of a full-speed replay cost on a sparse stream.

    python bench/bench_replay.py [--posts 5000] [--days 14] [--repeat 3]

``crisisdesk replay --speed max`` feeds a batch at most ``crisisdesk.ingest.importer.SPAN`` of
stream time long, so that crises are grouped on the situations as they were at each event (see
docs/crises.md). On a dense stream a batch is full (500 posts) long before 15 minutes pass and
nothing changes; on a sparse one (a brand's everyday chatter: ~15 posts an hour) every quarter hour
is a transaction of its own. This measures that cost: the same file replayed with the bound and
without it (one batch per 500 posts, as before), in this process, alternating, analysis and
detection on; the ratio is best-of bounded / best-of unbounded.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_import


def sparse_file(path: Path, posts: int, days: float) -> None:
    """bench_import's posts, spread evenly over ``days`` of stream time."""
    dense = path.with_suffix(".dense.jsonl")
    bench_import.make_file(dense, posts)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    step = days * 86400 / posts
    with dense.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            row = json.loads(line)
            row["created_at"] = (t0 + timedelta(seconds=i * step)).isoformat()
            out.write(json.dumps(row) + "\n")
    dense.unlink()


def replay(path: Path, workdir: Path, span: timedelta) -> tuple[float, int]:
    from crisisdesk.core.clock import StreamClock
    from crisisdesk.ingest import importer
    from crisisdesk.ingest.readers import read_jsonl
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.workspace import load_workspace

    cfg = workdir / "crisisdesk.yaml"
    cfg.write_text(bench_import.MONITORS + "analysis:\n  enabled: true\n")
    settings = Settings(database_url=None)
    runtime = build_runtime(load_workspace(cfg, settings), settings, clock=StreamClock())
    batches = [0]
    saved = importer.SPAN
    importer.SPAN = span
    try:
        run = importer.IngestRun(runtime.runner, importer.RejectsWriter(workdir / "rejects.jsonl"), [])
        start = time.perf_counter()
        importer.replay_items(run, read_jsonl(path), speed=None, batch_size=settings.batch_size,
                              on_batch=lambda _r: batches.__setitem__(0, batches[0] + 1))
        elapsed = time.perf_counter() - start
    finally:
        importer.SPAN = saved
        runtime.close()
    return elapsed, batches[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from crisisdesk.ingest.importer import SPAN

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "sparse.jsonl"
        sparse_file(path, args.posts, args.days)
        times: dict[str, list[float]] = {"bounded": [], "unbounded": []}
        for i in range(args.repeat):
            for name, span in (("unbounded", timedelta(days=36500)), ("bounded", SPAN)):
                run_dir = work / f"{name}{i}"
                run_dir.mkdir()
                elapsed, batches = replay(path, run_dir, span)
                times[name].append(elapsed)
                print(f"  {name:9}: {elapsed:6.2f} s, {batches:,} batches", flush=True)
        ratio = min(times["bounded"]) / min(times["unbounded"])
        print(f"replay of {args.posts:,} posts over {args.days:g} days, batches ≤ {SPAN} / unbounded: "
              f"{ratio:.3f} (best of {args.repeat}: {min(times['bounded']):.2f} s vs "
              f"{min(times['unbounded']):.2f} s)")


if __name__ == "__main__":
    main()

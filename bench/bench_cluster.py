"""Throughput of the distributed mode with 1, 2 and 4 workers, and Redis memory per pending message.

    python bench/bench_cluster.py [--posts 20000] [--workers 1,2,4] [--batch 500]

Needs PostgreSQL (CRISISDESK_TEST_POSTGRES_URL, default the machine's `test` database; each run in
a schema of its own) and Redis (CRISISDESK_TEST_REDIS_URL, default 127.0.0.1:6379; a key prefix of
its own). For each worker count, that many `crisisdesk worker` processes are started and wait
until one holds the lease; then the whole backlog (bench_import's generated posts: German and
English chatter, five monitors, analysis and detection on) is published to ``ingest.raw`` as a
front end would, and the clock runs until the last post is stored. The baseline is the first
count of the list (1 worker), run in the same invocation: the ratio is throughput ÷ baseline.

Each worker reports the seconds it spent preparing (normalize + analysis) and storing (dedupe,
match, store, detection, escalation: the lease holder only). From them: the prepare rate of one
worker and the store rate of the holder, and the projection for k workers on k + 1 cores,
``min(k × prepare rate, store rate)``: the preparing scales with workers, the storing does not.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import redis
import sqlalchemy
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import MONITORS, make_file
from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.cluster import lease as leases
from crisisdesk.cluster.prepared import ensure_groups
from crisisdesk.db import make_engine, migrate
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.models import Post

PG = os.environ.get("CRISISDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("CRISISDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SUMMARY = re.compile(r"prepared (\d+) batches in ([\d.]+) s, "
                     r"stored (\d+) posts in (\d+) batches in ([\d.]+) s")


def run(workers: int, lines: list[bytes], batch: int, folder: Path) -> dict[str, float]:
    schema, prefix = f"bench_{uuid.uuid4().hex[:8]}", f"bench{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(PG)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    ws = folder / f"ws-{workers}"
    ws.mkdir()
    (ws / "crisisdesk.yaml").write_text(MONITORS + "analysis:\n  enabled: true\n", encoding="utf-8")
    env = {**os.environ, "CRISISDESK_DATABASE_URL": url, "CRISISDESK_BUS_URL": REDIS,
           "CRISISDESK_BUS_PREFIX": prefix, "CRISISDESK_SECRET_KEY": "bench-" * 8,
           "CRISISDESK_CONFIG": str(ws / "crisisdesk.yaml"), "CRISISDESK_LOG_LEVEL": "INFO"}
    logs = [ws / f"worker{i}.log" for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, "-m", "crisisdesk.cli.main", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=log.open("wb")) for log in logs]
    bus = RedisBus(REDIS, prefix=prefix, consumer="bench")
    try:
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as conn:
                if leases.holder_of(conn) is not None:
                    break
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(f"no worker took the lease: {logs[0].read_text()[-2000:]}")
            time.sleep(0.1)
        time.sleep(3.0)  # every worker has loaded its model
        ensure_groups(bus)
        started = time.perf_counter()
        for i in range(0, len(lines), batch):
            bus.publish(INGEST_TOPIC, [RawItem.batch_to_message(
                [RawItem("bench", i + j, line.decode()) for j, line in enumerate(lines[i:i + batch])])])
        while True:
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(Post)).scalar_one()
            if stored >= len(lines):
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker died: {[log.read_text()[-2000:] for log in logs]}")
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
        keys = list(bus.client.scan_iter(f"{prefix}:*"))
        if keys:
            bus.client.delete(*keys)
        bus.close()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    prepare_s = store_s = 0.0
    for log in logs:
        for m in SUMMARY.finditer(log.read_text(errors="replace")):
            prepare_s += float(m.group(2))
            store_s += float(m.group(5))
    return {"seconds": elapsed, "rate": len(lines) / elapsed, "prepare_s": prepare_s, "store_s": store_s}


def memory_per_message(lines: list[bytes], batch: int, messages: int = 200) -> tuple[float, float]:
    """Bytes of Redis memory one pending raw batch takes, and per post in it."""
    client = redis.Redis.from_url(REDIS)
    prefix = f"benchmem{uuid.uuid4().hex[:8]}"
    bus = RedisBus(REDIS, prefix=prefix, consumer="bench")
    ensure_groups(bus)
    before = int(client.info("memory")["used_memory"])
    payload = [RawItem.batch_to_message([RawItem("bench", j, line.decode())
                                         for j, line in enumerate(lines[:batch])])]
    for _ in range(messages):
        bus.publish(INGEST_TOPIC, payload)
    after = int(client.info("memory")["used_memory"])
    client.delete(*list(client.scan_iter(f"{prefix}:*")))
    client.close()
    per_message = (after - before) / messages
    return per_message, per_message / batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="crisisdesk-bench-cluster-") as tmp:
        folder = Path(tmp)
        make_file(folder / "posts.jsonl", args.posts)
        lines = (folder / "posts.jsonl").read_bytes().splitlines()
        results = {n: run(n, lines, args.batch, folder) for n in counts}
        per_message, per_post = memory_per_message(lines, args.batch)
    base = results[counts[0]]["rate"]
    print(f"{args.posts} posts in batches of {args.batch}, analysis and detection on, {os.cpu_count()} cores")
    print("workers  seconds   posts/s  ratio   prepare s (all)  store s (holder)")
    for n in counts:
        r = results[n]
        print(f"{n:>7}  {r['seconds']:7.1f}  {r['rate']:8.0f}  {r['rate'] / base:5.2f}  "
              f"{r['prepare_s']:15.1f}  {r['store_s']:16.1f}")
    one = results[counts[0]]
    prepare_rate = args.posts / one["prepare_s"] if one["prepare_s"] else float("nan")
    store_rate = args.posts / one["store_s"] if one["store_s"] else float("nan")
    print(f"one worker prepares {prepare_rate:.0f} posts/s of its busy time; "
          f"the holder stores {store_rate:.0f} posts/s of its busy time")
    print("projection on k + 1 cores, min(k × prepare rate, store rate): " + ", ".join(
        f"k={k}: {min(k * prepare_rate, store_rate):.0f}/s" for k in (1, 2, 4, 8)))
    print(f"Redis memory per pending raw batch of {args.batch}: {per_message / 1024:.0f} KiB "
          f"({per_post:.0f} bytes per post)")
    print(orjson.dumps({str(k): v for k, v in results.items()}).decode())


if __name__ == "__main__":
    main()

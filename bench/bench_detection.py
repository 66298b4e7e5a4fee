"""Detection benchmarks: what detection adds to an import, alert latency, memory per monitor.

    python bench/bench_detection.py [--posts 100000] [--repeat 2] [--rate 1000] [--seconds 30]
                                    [--monitors 1000]

1. Overhead: the same file imported with detection off and on (analysis on in both), in this
   process, alternating; the ratio is best-of on / best-of off (target: at most 1.20).
2. Latency: posts arrive through the runner at --rate posts/s on the wall clock (the live path);
   some carry a high-risk term for a fresh monitor, which opens a situation whose escalation
   notifies a signed webhook on a local HTTP server. Latency is from the batch's arrival to the
   webhook's arrival at the server (target: p99 under 1 s); the baseline is a bare POST from
   this process to the same server.
3. Memory: detector state for --monitors monitors, every ring full (a week of hours, three hours
   of minutes: the bound), measured with tracemalloc and as the process's resident set.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx

import bench_import


def overhead(posts: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "posts.jsonl"
        bench_import.make_file(path, posts)
        off: list[float] = []
        on: list[float] = []
        for i in range(repeat):
            for detection, into in ((False, off), (True, on)):
                run_dir = work / f"run{i}-{detection}"
                run_dir.mkdir()
                (elapsed, _cpu), summary = bench_import.pipeline(
                    path, run_dir, analysis=True,
                    extra=f"detection:\n  enabled: {'true' if detection else 'false'}\n")
                into.append(elapsed)
                print(f"  detection {'on ' if detection else 'off'}: {elapsed:6.2f} s "
                      f"({summary['imported']:,} posts)", flush=True)
        ratio = min(on) / min(off)
        print(f"import with detection / without: {ratio:.3f} (best of {repeat}: {min(on):.2f} s vs "
              f"{min(off):.2f} s, {posts / min(on):,.0f} posts/s with detection)")


class _Sink(BaseHTTPRequestHandler):
    arrivals: ClassVar[dict[str, float]] = {}
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        now = time.perf_counter()
        try:
            data = json.loads(body)
            monitor = str(data.get("notification", data).get("monitor", ""))
        except ValueError:
            monitor = ""
        with self.lock:
            self.arrivals.setdefault(monitor, now)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def latency(rate: int, seconds: float) -> None:
    from crisisdesk.core.clock import SystemClock
    from crisisdesk.pipeline.events import RawItem
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.workspace import load_workspace

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    alerts = int(seconds * 4)  # four new situations a second
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "crisisdesk.yaml"
        monitors = "".join(f"  - {{name: m{i}, query: 'brand{i}'}}\n" for i in range(alerts))
        cfg.write_text(
            "monitors:\n  - {name: all, query: 'today'}\n" + monitors
            + "detection:\n  high_risk_terms: ['rückruf']\n"
            + f"notify:\n  targets:\n    hook: {{kind: webhook, url: '{url}/hook', secret: "
            "'bench-secret-0123456789'}\n"
            + "escalation:\n  policies:\n    - {severity: 1, steps: [{notify: ['target:hook']}]}\n",
            encoding="utf-8")
        settings = Settings(database_url=None, secret_key="bench")
        runtime = build_runtime(load_workspace(cfg, settings), settings, clock=SystemClock(), deliver=True)
        runtime.start_notifications()
        sent: dict[str, float] = {}
        per_tick = max(rate // 10, 1)
        n = 0
        start = time.perf_counter()
        try:
            for tick in range(int(seconds * 10)):
                due = start + tick / 10
                time.sleep(max(0.0, due - time.perf_counter()))
                now = datetime.now(UTC).isoformat()
                items = []
                for _ in range(per_tick):
                    n += 1
                    text = "what a day today"
                    if n % max(rate // 4, 1) == 0 and len(sent) < alerts:
                        text = f"brand{len(sent)} rückruf today"
                        sent[f"m{len(sent)}"] = 0.0
                    items.append(RawItem("bench", n, json.dumps({
                        "platform": "x", "id": str(n), "created_at": now, "text": text,
                        "author": {"id": f"a{n % 5000}"}})))
                arrived = time.perf_counter()
                for key, value in sent.items():
                    if value == 0.0:
                        sent[key] = arrived
                runtime.runner.handle(items)
            behind = time.perf_counter() - (start + seconds)
            time.sleep(2.0)
        finally:
            runtime.close()
            server.shutdown()
        got = [(_Sink.arrivals[m] - t) for m, t in sent.items() if m in _Sink.arrivals]
        baseline = []
        server2 = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
        threading.Thread(target=server2.serve_forever, daemon=True).start()
        with httpx.Client() as client:
            for _ in range(50):
                t = time.perf_counter()
                client.post(f"http://127.0.0.1:{server2.server_address[1]}/x", content=b"{}")
                baseline.append(time.perf_counter() - t)
        server2.shutdown()
    if not got:
        print("no notification arrived")
        return
    got.sort()
    p50 = statistics.median(got)
    p99 = got[min(len(got) - 1, int(len(got) * 0.99))]
    base = statistics.median(baseline)
    print(f"latency post → webhook at {rate} posts/s: {len(got)}/{len(sent)} alerts, "
          f"p50 {p50 * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {got[-1] * 1000:.0f} ms; bare POST {base * 1000:.1f} ms "
          f"(p99 / bare POST: {p99 / base:.0f}×); feeder finished {behind:+.2f} s vs schedule")


def memory(monitors: int) -> None:
    from crisisdesk.detection.config import DetectionConfig, PlaybookConfig
    from crisisdesk.detection.engine import DetectionEngine
    from crisisdesk.detection.state import HOURS_KEPT, MINUTES_KEPT, Counts

    gc.collect()
    rss_before = _rss_mb()
    tracemalloc.start()
    engine = DetectionEngine(config=DetectionConfig(), playbook=PlaybookConfig(),
                             monitor_ids={f"m{i}": i for i in range(monitors)})
    now = 30_000_000
    for state in engine.states.values():
        for h in range(now // 60 - HOURS_KEPT, now // 60 + 1):
            state.add_hour(h, 40, 4)
        for m in range(now - MINUTES_KEPT, now):
            state.add(m, Counts(volume=1, platforms={"x": 1, "facebook": 1, "news": 1}), count_hour=False)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    rss_after = _rss_mb()
    print(f"detector state for {monitors} monitors, every ring full: {current / 1e6:.1f} MB traced "
          f"({current / monitors / 1e3:.1f} kB per monitor); resident set {rss_before:.0f} → "
          f"{rss_after:.0f} MB")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--only", choices=["overhead", "latency", "memory"])
    args = parser.parse_args()
    if args.only in (None, "memory"):
        memory(args.monitors)
    if args.only in (None, "latency"):
        latency(args.rate, args.seconds)
    if args.only in (None, "overhead"):
        overhead(args.posts, args.repeat)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

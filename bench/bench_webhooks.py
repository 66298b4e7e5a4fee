"""The webhook path under load: answer time of ``POST /webhooks/{key}`` and time until a post exists.

    python bench/bench_webhooks.py [--rate 200] [--seconds 15] [--database sqlite|postgresql]
                                   [--workers N]

``--workers N`` runs the distributed mode (PostgreSQL, the machine's Redis at
CRISISDESK_TEST_REDIS_URL or 127.0.0.1:6379): ``serve`` is then a front end that only stores and
signals, and N ``crisisdesk worker`` processes do the rest (issue 16's target: a post visible
p99 under 1 s at 1,000 items/s with 2 workers).

A real ``crisisdesk serve`` process (uvicorn on 127.0.0.1, analysis on, one monitor, a WhatsApp
channel) receives signed WhatsApp deliveries, one message each, at ``--rate`` per second from a
paced sender with several threads. Two numbers against the targets of issue 12:

* the answer time of each delivery (store the raw body, answer ``200``), p50/p99 — target p99
  under 20 ms at 200/s;
* the time from sending until the message is a stored post (a watcher polls the posts table every
  10 ms), p50/p99 — target p99 under 1 s;
* the time from sending until an open inbox page hears of it: a client of the live stream
  (``GET /live``, as the inbox page listens) receives the ``inbox`` event of the batch that
  stored the message (its ``upto`` post id covers the message's) — issue 13's target: p99 under 1 s
  at 200 items/s. (The page then re-fetches its list: one inbox list read, see bench_inbox.)

The baseline, measured in the same run, is ``GET /healthz`` (one ``SELECT 1``): alone before the
deliveries, and at a tenth of the rate during them; the answer-time ratio against the latter says
what verifying and storing add to a trivial request under the same load.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import select

SECRET = "bench-app-secret"
PNID = "106540352242922"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def delivery(n: int) -> bytes:
    message = {"from": f"49151{n % 997:07d}", "id": f"wamid.bench{n}", "timestamp": str(int(time.time())),
               "type": "text", "text": {"body": f"Akku kaputt, Bestellung {n} seit Tagen verspätet"}}
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID},
             "contacts": [{"profile": {"name": "Bench"}, "wa_id": message["from"]}], "messages": [message]}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": value}]}]}
    return json.dumps(body, ensure_ascii=True).encode()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paced(rate: float, seconds: float, send: Callable[[int], float], threads: int = 8) -> list[float]:
    """Call ``send(n)`` at ``rate`` per second for ``seconds``; returns the answer times."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    times: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            took = send(n)
            with lock:
                times.append(took)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=0, help="distributed mode with N workers")
    parser.add_argument("--threads", type=int, default=8, help="sending threads (raise for high rates)")
    args = parser.parse_args()
    if args.workers and args.database != "postgresql":
        parser.error("--workers needs --database postgresql")

    from crisisdesk.posts.models import Post

    folder = Path(tempfile.mkdtemp(prefix="crisisdesk-bench-webhooks-"))
    ws = folder / "crisisdesk.yaml"
    ws.write_text(
        "monitors:\n  - name: akku\n    query: akku OR verspätet\n"
        f"channels:\n  - key: wa\n    platform: whatsapp\n    phone_number_id: '{PNID}'\n"
        f"    access_token: t\n    app_secret: {SECRET}\n    verify_token: v\n", encoding="utf-8")
    if args.database == "postgresql":
        schema = f"bench_{os.getpid()}"
        pg_url = os.environ.get("CRISISDESK_TEST_POSTGRES_URL",
                                "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        import sqlalchemy

        admin = sqlalchemy.create_engine(pg_url)
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
        os.environ["CRISISDESK_DATABASE_URL"] = f"{pg_url}?options=-csearch_path%3D{schema}"
    # The service runs as it does in production: `crisisdesk serve` in its own process (its
    # processor thread shares that process with the web server); senders and the watcher are here.
    port = free_port()
    env = {**os.environ, "CRISISDESK_CONFIG": str(ws), "CRISISDESK_API_TOKEN": "t",
           "CRISISDESK_LOG_LEVEL": "WARNING"}
    if "CRISISDESK_DATABASE_URL" not in env:
        env["CRISISDESK_DATABASE_URL"] = f"sqlite:///{folder / 'crisisdesk.db'}"
    workers: list[subprocess.Popen[bytes]] = []
    if args.workers:
        env.update({"CRISISDESK_BUS_URL": os.environ.get("CRISISDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "CRISISDESK_BUS_PREFIX": f"bench{os.getpid()}", "CRISISDESK_SECRET_KEY": "bench-" * 8})
    # The live stream is a page's: it wants a person (the ingest token cannot listen), so an
    # agent with an API token of their own, made with the CLI as an operator would.
    cli = [sys.executable, "-m", "crisisdesk.cli.main"]
    subprocess.run([*cli, "users", "add", "agent@bench.example", "--name", "Bench Agent", "--role", "agent",
                    "--password-stdin"], env=env, input=b"bench-password-123\n", check=True,
                   capture_output=True)
    viewer_token = subprocess.run([*cli, "users", "token", "agent@bench.example", "--name", "bench"], env=env,
                                  check=True, capture_output=True).stdout.decode().strip()
    server = subprocess.Popen([sys.executable, "-m", "crisisdesk.cli.main", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(folder / "serve.log", "wb"))  # noqa: SIM115 - closed with the process
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"serve did not start: {(folder / 'serve.log').read_text()}")
        time.sleep(0.2)
    for i in range(args.workers):
        workers.append(subprocess.Popen([*cli, "worker"], env=env, stdout=subprocess.DEVNULL,
                                        stderr=open(folder / f"worker{i}.log", "wb")))  # noqa: SIM115
    if workers:
        time.sleep(8)  # the workers load the analysis model and one takes the lease
    from crisisdesk.db import make_engine

    engine = make_engine(env["CRISISDESK_DATABASE_URL"])
    url = f"http://127.0.0.1:{port}"
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        """This thread's keep-alive connection. The standard library's client, not httpx: it costs
        a fraction of the CPU per request, and the sender shares the machine's cores with the
        service it measures (httpx's own cost showed as answer time)."""
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c: http.client.HTTPConnection = local.conn
        return c

    def request(method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            conn.close()  # the next request opens it again
            raise

    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    post_ids: dict[str, int] = {}
    heard: list[tuple[float, int]] = []  # (when the inbox event arrived, its upto post id)
    stop = threading.Event()
    listening = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{url}/live", headers={"Authorization": f"Bearer {viewer_token}"},
                          timeout=httpx.Timeout(5, read=None)) as r:
            listening.set()
            event = ""
            for line in r.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "inbox":
                    heard.append((time.perf_counter(), int(json.loads(line[6:])["upto"])))

    def watch() -> None:
        last = 0
        while not stop.is_set():
            with engine.connect() as conn:
                rows = conn.execute(select(Post.id, Post.external_id).where(Post.id > last)).all()
            now = time.perf_counter()
            for row in rows:
                seen_at.setdefault(row.external_id, now)
                post_ids[row.external_id] = row.id
                last = max(last, row.id)
            stop.wait(0.01)

    def send_webhook(n: int) -> float:
        body = delivery(n)
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        t0 = time.perf_counter()
        sent_at[f"wamid.bench{n}"] = t0
        status, text = request("POST", "/webhooks/wa", body, {"X-Hub-Signature-256": signature,
                                                              "Content-Type": "application/json"})
        took = time.perf_counter() - t0
        assert status == 200, text
        return took

    def send_health(_: int) -> float:
        t0 = time.perf_counter()
        status, _body = request("GET", "/healthz")
        assert status == 200
        return time.perf_counter() - t0

    try:
        idle = paced(args.rate, min(args.seconds, 5.0), send_health)
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        listening.wait(10)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        # The baseline under the same load: /healthz at a tenth of the rate, during the deliveries.
        during: list[float] = []
        health = threading.Thread(target=lambda: during.extend(
            paced(args.rate / 10, args.seconds, send_health, threads=1)))
        health.start()
        cpu_before = {"serve": cpu_seconds(server.pid), "workers": sum(cpu_seconds(w.pid) for w in workers)}
        began = time.perf_counter()
        hooks = paced(args.rate, args.seconds, send_webhook, threads=args.threads)
        achieved = len(hooks) / (time.perf_counter() - began)
        cpu = {"serve": cpu_seconds(server.pid) - cpu_before["serve"],
               "workers": sum(cpu_seconds(w.pid) for w in workers) - cpu_before["workers"]}
        health.join()
        deadline = time.perf_counter() + 30
        while len(seen_at) < len(sent_at) and time.perf_counter() < deadline:
            time.sleep(0.05)
        stop.set()
        watcher.join()
    finally:
        for process in [server, *workers]:
            process.terminate()
        for process in [server, *workers]:
            process.wait(30)
        engine.dispose()
    visible = [seen_at[k] - sent_at[k] for k in sent_at if k in seen_at]
    in_inbox = []
    for key, pid in post_ids.items():
        first = next((at for at, upto in heard if upto >= pid), None)
        if first is not None and key in sent_at:
            in_inbox.append(first - sent_at[key])
    mode = f"distributed, {args.workers} workers" if args.workers else "embedded"
    print(f"{args.database} ({mode}): {len(hooks)} deliveries asked at {args.rate:.0f}/s over "
          f"{args.seconds:.0f} s, sent at {achieved:.0f}/s (the sender shares the machine's cores)")
    print(f"  CPU per delivery: serve {cpu['serve'] / len(hooks) * 1000:.2f} ms"
          + (f", workers together {cpu['workers'] / len(hooks) * 1000:.2f} ms" if workers else "")
          + f" → one core takes about {len(hooks) / max(cpu['serve'], 1e-9):.0f} deliveries/s in serve")
    print(f"  answer  p50 {statistics.median(hooks) * 1000:.1f} ms  p99 {pct(hooks, 0.99) * 1000:.1f} ms  "
          f"(target p99 < 20 ms)")
    print(f"  /healthz alone      p50 {statistics.median(idle) * 1000:.1f} ms  "
          f"p99 {pct(idle, 0.99) * 1000:.1f} ms")
    ratio = pct(hooks, 0.99) / pct(during, 0.99)
    print(f"  /healthz under load p50 {statistics.median(during) * 1000:.1f} ms  "
          f"p99 {pct(during, 0.99) * 1000:.1f} ms  → p99 ratio webhook ÷ healthz {ratio:.2f}")
    print(f"  visible as a post: {len(visible)}/{len(sent_at)}  "
          f"p50 {statistics.median(visible) * 1000:.0f} ms  "
          f"p99 {pct(visible, 0.99) * 1000:.0f} ms  (target p99 < 1000 ms)")
    if in_inbox:
        print(f"  an open inbox hears of it: {len(in_inbox)}/{len(sent_at)}  "
              f"p50 {statistics.median(in_inbox) * 1000:.0f} ms  "
              f"p99 {pct(in_inbox, 0.99) * 1000:.0f} ms  (target p99 < 1000 ms)")


if __name__ == "__main__":
    main()

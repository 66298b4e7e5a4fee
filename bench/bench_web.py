"""Server-side time of the dashboard pages on a database of 1,000,000 posts.

    python bench/bench_web.py [--posts 1000000] [--repeat 30] [--dir /tmp/crisisdesk-bench-web]

The database is built once and reused (``--rebuild`` to start over): ten monitors (brands of
different sizes, so share of voice means something) over 30 days with a daily rhythm and four
injected crises, imported through crisisdesk's own import (reader, bus, normalize, match, store,
rollups and detection). Analysis is replaced by a fast rule-based enricher that fills sentiment,
insult and complaint types from the generated words, so the analysis columns and rollups look like
real ones without spending minutes in the model.

Then it times ``overview()``, ``monitor_page()`` over 24 h, 7 d and 30 d, and the first page of
``post_list()`` with and without a text search, each run ``--repeat`` times round-robin, and prints
median and p95 in ms beside two baselines measured in the same process: a bare ``SELECT 1`` round
trip and reading one day of hour rollups of one monitor.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson


def _words(text: str) -> list[str]:
    return text.split()


BRANDS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "cyberdyne", "soylent")
#: Relative size of each brand's stream (share of voice).
WEIGHTS = (0.22, 0.17, 0.14, 0.11, 0.09, 0.08, 0.06, 0.05, 0.04, 0.04)
PLATFORMS = ("x", "x", "x", "facebook", "instagram", "mastodon", "telegram", "news")
FILLER_DE = _words(
    "ich du wir heute morgen gestern wirklich einfach noch mal mit dem der die das und oder aber weil wenn "
    "dann schon wieder immer nie gut toll komisch neue alte kaffee arbeit büro wetter regen sonne "
    "wochenende freunde familie kinder schule essen abend nacht stadt berlin hamburg münchen köln frage "
    "antwort danke bitte echt krass")
FILLER_EN = _words(
    "i you we today tomorrow yesterday really just again with the and or but because if then always never "
    "good great weird new old coffee work office weather rain sun weekend friends family kids school food "
    "evening night city london boston question answer thanks please honestly pretty")
#: (share of posts, German phrase, English phrase, complaint type or None, negative)
TOPICS = (
    (0.06, "lieferung wieder verspätet", "delivery delayed again", "delivery_delay", True),
    (0.05, "gerät kaputt", "device broken", "product_defect", True),
    (0.04, "geld zurück bitte", "refund please", "billing_price", True),
    (0.04, "hotline ignoriert mich", "support ignores me", "customer_service", True),
    (0.02, "app ausfall", "app outage", "outage", True),
    (0.08, "super zufrieden", "really happy", None, False),
)
#: (brand index, day offset, hour, hours, extra posts, German text, English text)
CRISES = (
    (0, 20.0, 14, 6, 4000, "akku brand explodiert rückruf", "battery fire exploded recall"),
    (1, 25.5, 8, 4, 2500, "datenleck passwörter öffentlich", "data leak passwords public"),
    (4, 28.0, 19, 8, 3000, "werbung rassistisch boykott", "ad racist boycott"),
    (2, 29.8, 21, 3, 1500, "ausfall seit stunden niemand erreichbar", "outage for hours nobody answers"),
)
T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
NOW = T0 + timedelta(days=DAYS)
WORKSPACE = "\n".join(["monitors:", *(f"  - name: {b}\n    query: '{b}'" for b in BRANDS),
                       "analysis:\n  enabled: false", ""])


def _rhythm(hour: int) -> float:
    """Posts by hour of day: quiet at night, busiest in the evening (UTC ~ CET here)."""
    return 0.35 + 1.25 * max(0.0, math.sin(math.pi * (hour - 5) / 19)) if hour >= 5 else 0.35


def generate(path: Path, n: int, seed: int = 11) -> int:
    """Canonical JSON Lines, in time order; returns the number of posts written."""
    rng = random.Random(seed)
    hours = DAYS * 24
    weights = [_rhythm(h % 24) * (0.8 + 0.2 * ((h // 24) % 7 < 5)) for h in range(hours)]
    crisis_total = sum(c[4] for c in CRISES)
    scale = (n - crisis_total) / sum(weights)
    authors = max(n // 10, 100)
    written = 0
    with path.open("wb") as f:
        for h in range(hours):
            start = T0 + timedelta(hours=h)
            rows: list[tuple[float, int, str | None]] = []  # (seconds in hour, brand, crisis text)
            count = round(weights[h] * scale)
            rows.extend((rng.random() * 3600, rng.choices(range(len(BRANDS)), WEIGHTS)[0], None)
                        for _ in range(count))
            for brand, day, hour, length, extra, text_de, _ in CRISES:
                onset = int(day) * 24 + hour
                if onset <= h < onset + length:
                    # a wave: the first hours busiest
                    share = (length - (h - onset)) / (length * (length + 1) / 2)
                    rows.extend((rng.random() * 3600, brand, text_de) for _ in range(round(extra * share)))
            rows.sort()
            for seconds, brand, crisis in rows:
                de = rng.random() < 0.6
                words = FILLER_DE if de else FILLER_EN
                parts = [rng.choice(words) for _ in range(rng.randint(6, 22))]
                if crisis is not None:
                    english = next(c[6] for c in CRISES if c[5] == crisis)
                    parts.insert(rng.randint(0, len(parts)), crisis if de else english)
                else:
                    for share, german, english, _, _ in TOPICS:
                        if rng.random() < share:
                            parts.insert(rng.randint(0, len(parts)), german if de else english)
                if rng.random() < 0.02:
                    parts.append("idioten" if de else "idiots")
                parts.insert(rng.randint(0, 3), BRANDS[brand] if rng.random() < 0.8 else f"#{BRANDS[brand]}")
                # most authors post now and then, a few very often
                author = (rng.randrange(authors) if rng.random() < 0.7
                          else int(rng.paretovariate(0.6)) % authors)
                followers = (min(int(rng.paretovariate(1.1) * 40), 5_000_000) if author % 2003
                             else 60_000 + author)
                row = {
                    "platform": rng.choice(PLATFORMS), "id": str(written),
                    "created_at": (start + timedelta(seconds=seconds)).isoformat(),
                    "text": " ".join(parts), "lang": "de" if de else "en", "kind": "post",
                    "author": {"id": str(author), "handle": f"user{author}", "name": f"User {author}",
                               "followers": followers, "verified": author % 97 == 0},
                    "metrics": {"likes": rng.randint(0, 40), "shares": rng.randint(0, 5),
                                "replies": rng.randint(0, 3)},
                }
                f.write(orjson.dumps(row) + b"\n")
                written += 1
    return written


_COMPLAINTS = [(t[1], t[3]) for t in TOPICS if t[3]] + [(t[2], t[3]) for t in TOPICS if t[3]]
_CRISIS_COMPLAINTS = {"akku": "safety", "battery": "safety", "datenleck": "data_privacy",
                      "leak": "data_privacy", "rassistisch": "ethics_discrimination",
                      "racist": "ethics_discrimination", "ausfall": "outage", "outage": "outage"}


class RuleAnalysis:
    """A stand-in for analysis: sentiment, insult and complaint types from the generated words.

    Deterministic (a CRC of the text decides the noise) and about a microsecond per post.
    """

    name = "bench-rules"
    fork_safe = True

    def enrich(self, posts: Sequence[Any]) -> list[dict[str, Any]]:
        out = []
        for p in posts:
            text: str = p.text
            noise = zlib.crc32(text.encode()) % 100
            types = [ctype for phrase, ctype in _COMPLAINTS if phrase in text]
            types += sorted({c for word, c in _CRISIS_COMPLAINTS.items() if word in text})
            negative = bool(types) or noise < 12
            positive = not negative and ("zufrieden" in text or "happy" in text or noise > 80)
            insult = "idiot" in text
            label = "negative" if negative or insult else ("positive" if positive else "neutral")
            out.append({
                "sentiment": {"label": label, "score": 0.5 + noise / 200},
                "insult": {"label": "offense" if insult else "none", "score": 0.9 if insult else 0.05,
                           "kind": "abuse" if insult else None},
                "complaint_types": types,
            })
        return out


def build(workdir: Path, n: int) -> Path:
    """The database, built once: ``workdir/crisisdesk.db`` with ``workdir/built.json`` as marker."""
    from crisisdesk.core.clock import StreamClock
    from crisisdesk.ingest.importer import IngestRun, RejectsWriter, import_items
    from crisisdesk.ingest.readers import read_jsonl
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.workspace import load_workspace

    marker = workdir / "built.json"
    db = workdir / "crisisdesk.db"
    if marker.exists() and orjson.loads(marker.read_bytes()).get("posts") == n and db.exists():
        return db
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("crisisdesk.db*"):
        stale.unlink()
    marker.unlink(missing_ok=True)
    path = workdir / "posts.jsonl"
    t = time.perf_counter()
    written = generate(path, n)
    print(f"generated {written:,} posts in {time.perf_counter() - t:.0f} s", flush=True)
    cfg = workdir / "crisisdesk.yaml"
    cfg.write_text(WORKSPACE, encoding="utf-8")
    settings = Settings(database_url=None)
    runtime = build_runtime(load_workspace(cfg, settings), settings, clock=StreamClock(),
                            enricher=RuleAnalysis(), workers=1)
    run = IngestRun(runtime.runner, RejectsWriter(workdir / "rejects.jsonl"), [])
    t = time.perf_counter()
    total = import_items(run, read_jsonl(path), batch_size=settings.batch_size)
    runtime.close()
    seconds = time.perf_counter() - t
    summary = total.summary.model_dump()
    print(f"imported in {seconds:.0f} s: {summary}", flush=True)
    path.unlink()
    marker.write_bytes(orjson.dumps({"posts": n, "written": written, "import_seconds": round(seconds),
                                     "summary": summary}))
    return db


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(db: Path, repeat: int) -> None:
    from sqlalchemy import select, text

    from crisisdesk.dashboards import service
    from crisisdesk.db import make_engine
    from crisisdesk.detection import rollups
    from crisisdesk.sources.models import Monitor

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        ids = {str(name): int(mid) for name, mid in conn.execute(select(Monitor.name, Monitor.id))}
        posts = conn.execute(text("SELECT count(*) FROM posts")).scalar_one()
        situations = conn.execute(text("SELECT count(*) FROM situations")).scalar_one()
        buckets = conn.execute(text("SELECT count(*) FROM series_buckets")).scalar_one()
    big = ids[BRANDS[0]]
    now = NOW
    cases: list[tuple[str, Callable[[Any], object]]] = [
        ("baseline: SELECT 1", lambda c: c.execute(text("SELECT 1")).scalar_one()),
        ("baseline: 1 day of hour rollups",
         lambda c: rollups.series(c, big, "h", now - timedelta(days=1), now)),
        ("overview (10 monitors)", lambda c: service.overview(c, now=now)),
        ("monitor page 24 h", lambda c: service.monitor_page(c, monitor_id=big, start=now - timedelta(days=1),
                                                             end=now, now=now)),
        ("monitor page 7 d", lambda c: service.monitor_page(c, monitor_id=big, start=now - timedelta(days=7),
                                                            end=now, now=now)),
        ("monitor page 30 d",
         lambda c: service.monitor_page(c, monitor_id=big, start=now - timedelta(days=30), end=now, now=now)),
        ("post list, first page", lambda c: service.post_list(c, monitor_id=big)),
        ("post list, all monitors", lambda c: service.post_list(c)),
        ("post list, filters (de, negative)",
         lambda c: service.post_list(c, monitor_id=big, lang="de", sentiment="negative")),
        ("post list, text search 'rückruf'", lambda c: service.post_list(c, monitor_id=big, q="rückruf")),
        ("post list, text search, no hit", lambda c: service.post_list(c, monitor_id=big, q="zz_100%")),
    ]
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    with engine.connect() as conn:
        for _name, fn in cases:  # warm the page cache once
            fn(conn)
        for _ in range(repeat):
            for name, fn in cases:  # round-robin, so machine noise hits every case alike
                t = time.perf_counter()
                fn(conn)
                samples[name].append(time.perf_counter() - t)
    engine.dispose()
    base = _stats(samples["baseline: 1 day of hour rollups"])[0]
    print(f"database: {posts:,} posts, {len(ids)} monitors, {situations} situations, "
          f"{buckets:,} rollup buckets; {repeat} runs each")
    print("| case | median ms | p95 ms | median / 1 day of hour rollups |")
    print("| --- | ---: | ---: | ---: |")
    for name, _ in cases:
        median, p95 = _stats(samples[name])
        print(f"| {name} | {median:.2f} | {p95:.2f} | {median / base:.1f}× |")


def measure_pages(workdir: Path, repeat: int) -> None:
    """The rendered pages through the whole app (session, permission check, queries, templates,
    SVG), in process with FastAPI's TestClient: the server side of a page load."""
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from crisisdesk.accounts import actions
    from crisisdesk.accounts.roles import Role
    from crisisdesk.api.app import create_app
    from crisisdesk.audit.service import Actor
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.sources.models import Monitor
    from crisisdesk.workspace import load_workspace

    class Fixed:
        def now(self) -> datetime:
            return NOW

    settings = Settings(database_url=None, secret_key="bench")
    runtime = build_runtime(load_workspace(workdir / "crisisdesk.yaml", settings), settings, clock=Fixed())
    app = create_app(runtime, api_token="bench")
    app.state.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    email = "bench-analyst@example.org"
    with Session(runtime.engine) as session, session.begin():
        from crisisdesk.accounts.service import find_user

        if find_user(session, email) is None:
            actions.create_user(session, email=email, name="Bench", role=Role.ANALYST,
                                password="bench-password-1", actor=Actor.system(), clock=Fixed(),
                                hasher=app.state.accounts.hasher)
        big = session.scalar(select(Monitor.id).where(Monitor.name == BRANDS[0]))
    client = TestClient(app, base_url="http://localhost")
    r = client.post("/login", data={"email": email, "password": "bench-password-1"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cases = [("page: overview", "/"), ("page: monitor 24 h", f"/monitors/{big}?range=24h"),
             ("page: monitor 7 d", f"/monitors/{big}?range=7d"),
             ("page: monitor 30 d", f"/monitors/{big}?range=30d"), ("baseline: /healthz", "/healthz")]
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _name, url in cases:
        assert client.get(url).status_code == 200, url
    for _ in range(repeat):
        for name, url in cases:
            t = time.perf_counter()
            response = client.get(url)
            samples[name].append(time.perf_counter() - t)
            assert response.status_code == 200
    runtime.close()
    base = _stats(samples["baseline: /healthz"])[0]
    print("| page (rendered, server side) | median ms | p95 ms | median / /healthz |")
    print("| --- | ---: | ---: | ---: |")
    for name, _ in cases:
        median, p95 = _stats(samples[name])
        print(f"| {name} | {median:.1f} | {p95:.1f} | {median / base:.0f}× |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/crisisdesk-bench-web"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--pages", action="store_true", help="Also time the rendered pages through the app.")
    args = ap.parse_args()
    if args.rebuild:
        (args.dir / "built.json").unlink(missing_ok=True)
    db = build(args.dir, args.posts)
    if not args.build_only:
        measure(db, args.repeat)
        if args.pages:
            measure_pages(args.dir, args.repeat)


if __name__ == "__main__":
    main()

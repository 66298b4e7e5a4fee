"""Analytics of our channels at the scale of 10 million posts: how long the figures take to build.

    python bench/bench_analytics.py [--posts 10000000] [--real-posts 200000] [--database sqlite|postgresql]
                                    [--days 730] [--channels 20] [--repeat 5]

What it measures, honestly: :func:`crisisdesk.reports.analytics.build` (what ``/analytics``, its
CSV and ``GET /api/v1/analytics`` call) for the last 30 and 90 days, over the data 10 million
posts leave behind. The rollups are written directly, in bulk, as the store stage would have left
them after ``--posts`` posts spread over ``--days`` days and ``--channels`` channels (a tenth of
them ours): ``channel_days`` (one row per day, channel and ours-or-theirs), ``channel_insights``
(followers every day, reach on half the channels) and the monitors' ``series_buckets`` at all
three resolutions (minute, hour and day rows of four monitors, as detection keeps them). The
``posts`` table itself holds only ``--real-posts`` rows (default 200,000, the last 90 days), with
the conversations of the inbox over them: the figures read posts only through indexes (our own
posts through their partial index, a conversation's first message through the conversation
index), so their cost follows the period's conversations and our own posts, not the size of the
table; filling 10 million real rows would take SQLite most of an hour and test nothing more.

The baseline, in the same process on the same data, is ``SELECT count(*) FROM channel_days``: the
ratio says how many trivial rollup reads one analytics build costs. Nothing is asserted; the
target of issue 15 is the page's server time under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.db import make_engine, migrate
from crisisdesk.reports.analytics import build, last_days
from crisisdesk.reports.analytics_csv import to_csv

TODAY = date(2026, 12, 1)
MONITORS = 4


def fill(engine: Engine, *, posts: int, real_posts: int, days: int, channels: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"

    def stamp(at: datetime) -> Any:
        return at.isoformat(sep=" ") if sqlite else at

    def day_of(d: date) -> Any:
        return d.isoformat() if sqlite else d

    first = TODAY - timedelta(days=days - 1)
    per_day = posts / days
    raw: Any = engine.raw_connection()
    try:
        cur = raw.cursor()
        now = stamp(datetime(2026, 12, 1, tzinfo=UTC))
        # The rollup as the store stage leaves it: 10 % ours, 90 % others', spread over the channels.
        rows = []
        for i in range(days):
            d = day_of(first + timedelta(days=i))
            for c in range(channels):
                n = int(per_day / channels * rnd.uniform(0.5, 1.5))
                own = max(1, n // 10)
                for is_own, count in ((True, own), (False, n - own)):
                    rows.append((d, "facebook" if c % 2 else "mastodon", f"channel-{c}", is_own, count,
                                 count * 12, count * 2, count * 3, count * 150 if c % 2 else 0,
                                 count if c % 2 else 0))
        cur.executemany(f"INSERT INTO channel_days (day, platform, channel, own, posts, likes, shares, "
                        f"replies, views, with_views) VALUES ({', '.join([mark] * 10)})", rows)
        insights = [(f"channel-{c}", day_of(first + timedelta(days=i)), 10_000 + c * 100 + i,
                     rnd.randint(5_000, 50_000) if c % 2 else None, None, now)
                    for i in range(days) for c in range(channels)]
        cur.executemany(f"INSERT INTO channel_insights (channel, day, followers, reach, impressions, "
                        f"updated_at) VALUES ({', '.join([mark] * 6)})", insights)
        for m in range(MONITORS):
            cur.execute(f"INSERT INTO monitors (name, query, active, created_at, updated_at) "
                        f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})", (f"m{m}", "x", True, now, now))
        cur.execute("SELECT id FROM monitors ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
        start = datetime.combine(first, datetime.min.time(), UTC)
        for resolution, step, span in (("d", 86_400, days), ("h", 3_600, days * 24),
                                       ("m", 60, min(days, 90) * 1440)):
            base = start if resolution != "m" else datetime.combine(TODAY, datetime.min.time(), UTC) - \
                timedelta(days=min(days, 90))
            buckets = [(mid, resolution, stamp(base + timedelta(seconds=step * k)), rnd.randint(0, 50))
                       for mid in ids for k in range(span)]
            for i in range(0, len(buckets), 100_000):
                cur.executemany(
                    f"INSERT INTO series_buckets (monitor_id, resolution, bucket_start, volume, negative, "
                    f"positive, insult, reach, negative_reach, engagement, new_authors) "
                    f"VALUES ({mark}, {mark}, {mark}, {mark}, 0, 0, 0, 0, 0, 0, 0)", buckets[i : i + 100_000])
        # Real posts of the last 90 days, a tenth ours; a conversation for every fifth of the others'.
        span = 90 * 86_400
        end = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), UTC)
        batch: list[tuple[Any, ...]] = []
        conversations: list[tuple[Any, ...]] = []
        for i in range(real_posts):
            at = end - timedelta(seconds=rnd.randrange(span))
            own = i % 10 == 0
            c = i % channels
            thread = None if own or i % 5 else f"t{i}"
            platform = "facebook" if c % 2 else "mastodon"
            batch.append((platform, f"p{i}", "post", stamp(at), "text", f"channel-{c}", rnd.randint(0, 500),
                          rnd.randint(0, 50), rnd.randint(0, 80), thread,
                          True if own else None, "{}", "h", 1, now, now))
            if thread:
                answered = at + timedelta(minutes=rnd.randint(1, 600))
                conversations.append((platform, thread, f"channel-{c}", stamp(at),
                                      now, now, stamp(answered) if i % 3 else None, "[]", "{}"))
            if len(batch) == 50_000:
                _posts(cur, mark, batch)
                batch = []
        _posts(cur, mark, batch)
        cur.executemany(f"INSERT INTO conversations (platform, thread, channel, created_at, updated_at, "
                        f"last_message_at, first_response_at, tags, sla_breached, subject, status, priority, "
                        f"messages, negative, insults) VALUES ({', '.join([mark] * 9)}, '', 'open', "
                        f"'normal', 0, 0, 0)", conversations)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _posts(cur: Any, mark: str, batch: list[tuple[Any, ...]]) -> None:
    if batch:
        cur.executemany(f"INSERT INTO posts (platform, external_id, kind, created_at, text, channel, likes, "
                        f"shares, replies, conversation_id, own, raw, content_hash, version, ingested_at, "
                        f"updated_at) VALUES ({', '.join([mark] * 16)})", batch)


def timed(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the caches once, as a served page would be
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--real-posts", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        else:
            import uuid

            schema = f"bench_{uuid.uuid4().hex[:12]}"
            admin = make_engine(args.url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine = make_engine(f"{args.url}?options=-csearch_path%3D{schema}")
        try:
            migrate(engine)
            t0 = time.perf_counter()
            fill(engine, posts=args.posts, real_posts=args.real_posts, days=args.days, channels=args.channels)
            filled = time.perf_counter() - t0

            def baseline() -> object:
                with engine.connect() as conn:
                    return conn.execute(text("SELECT count(*) FROM channel_days")).scalar()

            results: dict[str, Any] = {"database": args.database, "posts_equivalent": args.posts,
                                       "real_posts": args.real_posts, "days": args.days,
                                       "channels": args.channels, "fill_s": round(filled, 1)}
            base = timed(baseline, args.repeat)
            results["baseline_ms"] = round(base * 1000, 2)
            for days in (30, 90):
                period = last_days(days, today=TODAY)

                def analytics(period: Any = period) -> object:
                    with Session(engine) as session:
                        return to_csv(build(session, period))

                took = timed(analytics, args.repeat)
                results[f"build_{days}d_ms"] = round(took * 1000, 1)
                results[f"ratio_{days}d"] = round(took / base, 1)
            print(json.dumps(results, indent=2))
        finally:
            engine.dispose()
            if args.database == "postgresql":
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()

"""The after-action review of a big crisis: how long building it takes.

    python bench/bench_review.py [--posts 200000] [--database sqlite|postgresql] [--repeat 3]

Fills a migrated database with a crisis of three situations on two monitors and ``--posts`` posts
over two days (a fifth matched by both monitors, a third negative, complaint types on a tenth,
authors with followers, a reply to every hundredth post), then times
:func:`crisisdesk.reports.review.build_review`, which the review page and its API call. Target of
issue 15: under 10 s for 200,000 posts. The baseline, in the same process on the same data, is
one bare read of the crisis posts' rows (``SELECT created_at, sentiment FROM posts`` joined to
their monitor matches in the windows): the ratio says what the review adds to reading its posts
once.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.db import make_engine, migrate
from crisisdesk.posts.models import Post
from crisisdesk.reports.review import build_review
from crisisdesk.reports.scope import scope_of

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def fill(engine: Engine, posts: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    raw: Any = engine.raw_connection()
    sqlite = engine.dialect.name == "sqlite"

    def stamp(at: datetime) -> Any:
        return at.isoformat(sep=" ") if sqlite else at

    mark = "?" if sqlite else "%s"
    try:
        cur = raw.cursor()

        def many(sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
            cur.executemany(sql.replace("?", mark), rows)

        many(
            "INSERT INTO monitors (id, name, query, active, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, "akku", "akku", True, stamp(T0), stamp(T0)),
                (2, "marke", "marke", True, stamp(T0), stamp(T0)),
            ],
        )
        authors = max(1, posts // 10)
        many(
            "INSERT INTO authors (id, platform, external_id, handle, name, followers, first_seen, "
            "updated_at) "
            "VALUES (?, 'x', ?, ?, ?, ?, ?, ?)",
            [
                (i + 1, str(i), f"a{i}", f"A {i}", rnd.randint(0, 5000), stamp(T0), stamp(T0))
                for i in range(authors)
            ],
        )
        span = 48 * 3600
        post_rows, match_rows, reply_rows = [], [], []
        for i in range(posts):
            at = T0 + timedelta(hours=1, seconds=span * i / posts)
            negative = rnd.random() < 0.33
            kinds = json.dumps(["safety"]) if rnd.random() < 0.1 else None
            post_rows.append(
                (
                    i + 1,
                    "x",
                    f"p{i}",
                    "post",
                    stamp(at),
                    f"post {i}",
                    f"t{i}",
                    "voltaro-x",
                    rnd.randint(1, authors),
                    "{}",
                    f"h{i}",
                    stamp(at),
                    stamp(at),
                    "negative" if negative else "neutral",
                    kinds,
                )
            )
            match_rows.append((1, stamp(at), i + 1))
            if i % 5 == 0:
                match_rows.append((2, stamp(at), i + 1))
            if i % 100 == 0:
                reply_rows.append(
                    (
                        "voltaro-x",
                        f"k{i}",
                        "reply_public",
                        i + 1,
                        "sent",
                        stamp(at),
                        stamp(at + timedelta(minutes=20)),
                        stamp(at),
                        "agent@example.org",
                    )
                )
            if len(post_rows) >= 50_000:
                _flush(many, post_rows, match_rows, reply_rows)
        _flush(many, post_rows, match_rows, reply_rows)
        many(
            "INSERT INTO situations (id, monitor_id, cause, status, severity, opened_at, updated_at, "
            "resolved_at, "
            "explanation) VALUES (?, ?, ?, 'resolved', ?, ?, ?, ?, '{}')",
            [
                (
                    1,
                    1,
                    "spike",
                    3,
                    stamp(T0 + timedelta(hours=2)),
                    stamp(T0 + timedelta(hours=30)),
                    stamp(T0 + timedelta(hours=30)),
                ),
                (
                    2,
                    2,
                    "keyword",
                    2,
                    stamp(T0 + timedelta(hours=3)),
                    stamp(T0 + timedelta(hours=20)),
                    stamp(T0 + timedelta(hours=20)),
                ),
                (
                    3,
                    1,
                    "spike",
                    4,
                    stamp(T0 + timedelta(hours=31)),
                    stamp(T0 + timedelta(hours=49)),
                    stamp(T0 + timedelta(hours=49)),
                ),
            ],
        )
        many(
            "INSERT INTO crises (id, title, status, severity, opened_at, updated_at, resolved_at, monitors, "
            "reasons) VALUES (1, 'akku', 'resolved', 4, ?, ?, ?, '[\"akku\", \"marke\"]', '[]')",
            [
                (
                    stamp(T0 + timedelta(hours=2)),
                    stamp(T0 + timedelta(hours=50)),
                    stamp(T0 + timedelta(hours=50)),
                )
            ],
        )
        many(
            "INSERT INTO crisis_situations (situation_id, crisis_id, joined_at, reason, by) "
            "VALUES (?, 1, ?, '{}', 'auto')",
            [(s, stamp(T0)) for s in (1, 2, 3)],
        )
        raw.commit()
    finally:
        raw.close()
    return 1


def _flush(
    many: Callable[[str, Sequence[tuple[Any, ...]]], None],
    posts: list[tuple[Any, ...]],
    matches: list[tuple[Any, ...]],
    replies: list[tuple[Any, ...]],
) -> None:
    if posts:
        many(
            "INSERT INTO posts (id, platform, external_id, kind, created_at, text, conversation_id, channel, "
            "author_id, raw, content_hash, version, ingested_at, updated_at, sentiment, complaint_types) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            posts,
        )
    if matches:
        many("INSERT INTO monitor_matches (monitor_id, post_created_at, post_id) VALUES (?, ?, ?)", matches)
    if replies:
        many(
            "INSERT INTO channel_outbox (channel, idempotency_key, action, post_id, status, next_attempt_at, "
            "sent_at, created_at, created_by, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            replies,
        )
    posts.clear()
    matches.clear()
    replies.clear()


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            import uuid

            from sqlalchemy import create_engine, text

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        migrate(engine)
        t = time.perf_counter()
        crisis = fill(engine, args.posts)
        print(f"filled {args.posts:,} posts in {time.perf_counter() - t:.1f} s ({args.database})")
        now = T0 + timedelta(days=5)

        def baseline() -> None:
            with Session(engine) as session:
                scope = scope_of(session, crisis, now=now)
                assert scope is not None
                rows = session.execute(
                    select(Post.created_at, Post.sentiment).where(Post.id.in_(scope.post_ids()))
                )
                sum(1 for _ in rows)

        def review() -> None:
            with Session(engine) as session:
                built = build_review(session, crisis, now=now)
                assert built is not None
                assert built["posts"]["total"] > 0

        base = best(baseline, args.repeat)
        took = best(review, args.repeat)
        print(
            f"read the crisis posts once: {base:.2f} s; build the review: {took:.2f} s; "
            f"ratio {took / base:.2f}; target: under 10 s"
        )
        engine.dispose()
        if args.database == "postgresql":
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()

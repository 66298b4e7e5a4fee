"""Inbox reads at scale: the conversation list by view and one conversation, server-side time.

    python bench/bench_inbox.py [--conversations 100000] [--messages 10] [--database sqlite|postgresql]

Fills a migrated database with ``--conversations`` conversations of ``--messages`` inbound posts
each (1,000,000 posts by default), a contact per conversation, a tenth of the conversations
negative and a third waiting for an answer, then times the service functions the API and the
inbox page call (:mod:`crisisdesk.inbox.service`): the list of each view with its counts, the
second page, text searches (over the word index :mod:`crisisdesk.inbox.threads` keeps), and one
conversation with its messages. Then, through the application itself (FastAPI's test client, in
the same process: routing, authentication, every read and the template), the whole conversation
page ``GET /inbox/{id}`` an agent opens and the API's ``GET /api/v1/conversations/{id}``. Target
of issue 13: under 150 ms each. The baseline, run in the same process on the same data, is the
bare indexed query
``SELECT … FROM conversations WHERE status = 'open' ORDER BY last_message_at DESC LIMIT 50``:
the ratio says what the service adds to the cheapest possible list.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.db import make_engine, migrate
from crisisdesk.inbox import listing, service, thread_view
from crisisdesk.inbox.listing import Filters, View
from crisisdesk.inbox.threads import words

WORDS = (
    "akku",
    "lieferung",
    "rechnung",
    "hotline",
    "roller",
    "rückruf",
    "danke",
    "warum",
    "heute",
    "bestellung",
    "refund",
    "battery",
    "delivery",
    "still",
    "waiting",
    "broken",
    "bitte",
    "morgen",
)


def fill(engine: Engine, conversations: int, messages: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    raw: Any = engine.raw_connection()  # the DB-API connection (untyped)
    try:
        cur = raw.cursor()
        stamp = t0.isoformat(sep=" ") if engine.dialect.name == "sqlite" else t0
        mark = "?" if engine.dialect.name == "sqlite" else "%s"

        def many(sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
            cur.executemany(sql.replace("?", mark), rows)

        many(
            "INSERT INTO authors (id, platform, external_id, handle, name, first_seen, updated_at) "
            "VALUES (?, 'telegram', ?, NULL, ?, ?, ?)",
            [(i + 1, str(1000 + i), f"Person {i}", stamp, stamp) for i in range(conversations)],
        )
        many(
            "INSERT INTO contacts (id, name, first_author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(i + 1, f"Person {i}", i + 1, stamp, stamp) for i in range(conversations)],
        )
        many(
            "INSERT INTO contact_identities (author_id, contact_id, linked, linked_at) "
            "VALUES (?, ?, 'auto', ?)",
            [(i + 1, i + 1, stamp) for i in range(conversations)],
        )
        is_sqlite = engine.dialect.name == "sqlite"

        def at(moment: datetime) -> Any:  # SQLite's driver takes the text form the column stores
            return moment.isoformat(sep=" ") if is_sqlite else moment

        conv_rows: list[tuple[Any, ...]] = []
        post_rows: list[tuple[Any, ...]] = []
        word_rows: list[tuple[str, int]] = []
        post_id = 0
        for c in range(conversations):
            start = t0 + timedelta(seconds=rnd.randrange(30 * 86400))
            last = start + timedelta(minutes=messages * 7)
            negative = rnd.random() < 0.1
            waiting = rnd.random() < 0.33
            conv_rows.append(
                (
                    c + 1,
                    "telegram",
                    f"telegram:1:{c}",
                    "tg",
                    c + 1,
                    False,
                    f"Betreff {c}",
                    "open",
                    "normal",
                    "[]",
                    at(start),
                    at(last),
                    at(last),
                    at(last),
                    at(start) if waiting else None,
                    messages,
                    messages // 2 if negative else 0,
                    0,
                )
            )
            seen: set[str] = set()
            for m in range(messages):
                post_id += 1
                body = " ".join(rnd.choice(WORDS) for _ in range(12))
                seen |= words(body)
                post_rows.append(
                    (
                        post_id,
                        "telegram",
                        f"{c}:{m}",
                        "message",
                        at(start + timedelta(minutes=7 * m)),
                        body,
                        f"telegram:1:{c}",
                        "tg",
                        c + 1,
                        "{}",
                        f"h{post_id}",
                        at(start),
                        at(start),
                        "negative" if negative and m % 2 else "neutral",
                    )
                )
            word_rows.extend((w, c + 1) for w in sorted(seen))
            if len(post_rows) >= 50_000:
                many(
                    "INSERT INTO posts (id, platform, external_id, kind, created_at, text, conversation_id, "
                "channel, "
                    "author_id, raw, content_hash, version, ingested_at, updated_at, sentiment) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                    post_rows,
                )
                post_rows = []
        if post_rows:
            many(
                "INSERT INTO posts (id, platform, external_id, kind, created_at, text, conversation_id, "
                "channel, "
                "author_id, raw, content_hash, version, ingested_at, updated_at, sentiment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                post_rows,
            )
        many(
            "INSERT INTO conversations (id, platform, thread, channel, contact_id, public, subject, status, "
            "priority, tags, created_at, updated_at, last_message_at, last_inbound_at, waiting_since, "
            "messages, negative, "
            "insults) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            conv_rows,
        )
        many("INSERT INTO conversation_words (word, conversation_id) VALUES (?, ?)", word_rows)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm the caches once
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            admin = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("DROP DATABASE IF EXISTS crisisdesk_bench_inbox"))
                conn.execute(text("CREATE DATABASE crisisdesk_bench_inbox"))
            admin.dispose()
            url = "postgresql+psycopg://postgres@127.0.0.1:5432/crisisdesk_bench_inbox"
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        fill(engine, args.conversations, args.messages)
        print(
            f"filled {args.conversations:,} conversations, {args.conversations * args.messages:,} messages "
            f"in {time.perf_counter() - started:.0f} s ({args.database})"
        )
        with Session(engine) as session:

            def baseline() -> object:
                return session.execute(
                    text(
                        "SELECT id, subject, last_message_at FROM conversations "
                        "WHERE status = 'open' ORDER BY last_message_at DESC LIMIT 50"
                    )
                ).all()

            def a_view(view: View, q: str | None = None) -> Callable[[], object]:
                return lambda: (
                    listing.list_conversations(session, Filters(view=view, q=q), user_id=1, limit=50),
                    listing.view_counts(session, user_id=1, status=None),
                )

            first, cursor = listing.list_conversations(session, Filters(), user_id=1, limit=50)
            one = service.get(session, first[0].id)
            base, _ = timed(baseline, args.repeat)
            print(f"{'baseline: bare indexed list query':44s} median {base:8.1f} ms")
            cases: list[tuple[str, Callable[[], object]]] = [
                ("list all + counts of every view", a_view(View.ALL)),
                ("list waiting + counts", a_view(View.WAITING)),
                ("list negative + counts", a_view(View.NEGATIVE)),
                (
                    "second page (keyset)",
                    lambda: listing.list_conversations(session, Filters(), user_id=1, limit=50, after=cursor),
                ),
                (
                    "text search q=rückruf (first page)",
                    lambda: listing.list_conversations(session, Filters(q="rückruf"), user_id=1, limit=50),
                ),
                (
                    "text search, a word no message has",
                    lambda: listing.list_conversations(session, Filters(q="zeppelin"), user_id=1, limit=50),
                ),
                ("one conversation with its messages", lambda: thread_view.messages(session, one)),
            ]
            for name, fn in cases:
                med, worst = timed(fn, args.repeat)
                verdict = "ok" if med < 150 else "OVER 150 ms"
                print(
                    f"{name:44s} median {med:8.1f} ms  max {worst:8.1f} ms  "
                    f"{med / base:7.1f}x baseline  {verdict}"
                )
        engine.dispose()
        for name, fn in through_the_app(url, Path(tmp), one.id):
            med, worst = timed(fn, args.repeat)
            verdict = "ok" if med < 150 else "OVER 150 ms"
            print(f"{name:44s} median {med:8.1f} ms  max {worst:8.1f} ms  "
                  f"{med / base:7.1f}x baseline  {verdict}")


def through_the_app(url: str, folder: Path, conversation: int) -> list[tuple[str, Callable[[], object]]]:
    """The conversation page and its API read as an agent gets them, from the app in this process."""
    import os

    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from crisisdesk.accounts import actions
    from crisisdesk.accounts.roles import Role
    from crisisdesk.api.app import create_app
    from crisisdesk.audit.service import Actor
    from crisisdesk.core.clock import SystemClock
    from crisisdesk.runtime import build_runtime
    from crisisdesk.settings import Settings
    from crisisdesk.workspace import load_workspace

    os.environ["CRISISDESK_DATABASE_URL"] = url
    config = folder / "crisisdesk.yaml"
    config.write_text("monitors: []\nanalysis:\n  enabled: false\n", encoding="utf-8")
    runtime = build_runtime(load_workspace(config, Settings()), Settings(), clock=SystemClock())
    with Session(runtime.engine) as s, s.begin():
        user = actions.create_user(s, email="agent@example.org", name="Agent", role=Role.AGENT,
                                   password="bench-password-1", actor=Actor.system(), clock=SystemClock(),
                                   hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        secret = actions.create_token(s, user, "bench", actor=Actor.system(), clock=SystemClock()).secret
    page = TestClient(create_app(runtime, api_token="bench-service-token"), base_url="http://localhost")
    signed_in = page.post("/api/v1/auth/login",
                          json={"email": "agent@example.org", "password": "bench-password-1"})
    assert signed_in.status_code == 200, signed_in.text
    bearer = {"Authorization": f"Bearer {secret}"}

    def ok(response: Any) -> object:
        assert response.status_code == 200, response.text[:300]
        return response

    return [("conversation page GET /inbox/{id} (app)", lambda: ok(page.get(f"/inbox/{conversation}"))),
            ("GET /api/v1/conversations/{id} (app)",
             lambda: ok(page.get(f"/api/v1/conversations/{conversation}", headers=bearer)))]


if __name__ == "__main__":
    main()

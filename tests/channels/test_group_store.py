"""Webhook deliveries stored in groups on SQLite: every one committed before its answer, once, and a
failure heard by every request of its group."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from crisisdesk.channels.group_store import GroupStore, store_webhook_delivery
from crisisdesk.channels.models import ChannelDelivery
from crisisdesk.channels.service import Stored
from crisisdesk.db import make_engine, migrate

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    e = make_engine(f"sqlite:///{tmp_path / 'hooks.db'}")
    migrate(e)
    yield e
    e.dispose()


def stored_bodies(engine: Engine) -> list[bytes]:
    with engine.connect() as conn:
        return [bytes(b) for b in conn.scalars(select(ChannelDelivery.body).order_by(ChannelDelivery.id))]


def run_all(calls: list[threading.Thread]) -> None:
    for t in calls:
        t.start()
    for t in calls:
        t.join(30)
        assert not t.is_alive()


def test_many_threads_at_once_each_store_once_and_repeats_are_duplicates(sqlite_engine: Engine) -> None:
    results: dict[int, Stored] = {}

    def deliver(n: int) -> None:
        body = f'{{"n": {n % 30}}}'.encode()  # 60 requests, 30 bodies: each sent twice
        results[n] = store_webhook_delivery(sqlite_engine, channel="wa", body=body, now=NOW)

    run_all([threading.Thread(target=deliver, args=(n,)) for n in range(60)])
    assert sorted(stored_bodies(sqlite_engine)) == sorted(f'{{"n": {n}}}'.encode() for n in range(30))
    assert sum(not r.duplicate for r in results.values()) == 30
    assert sum(r.duplicate and r.id is None for r in results.values()) == 30
    assert len({r.id for r in results.values() if r.id is not None}) == 30


def queue_behind_the_writer(group: GroupStore, calls: list[threading.Thread], size: int) -> None:
    """Start ``calls`` while the writer's turn is taken, so that they queue; then give it back."""
    with group._turn:
        for t in calls:
            t.start()
        deadline = time.monotonic() + 10
        while len(group._queue) < size:
            assert time.monotonic() < deadline, "the requests did not queue"
            time.sleep(0.005)


def test_the_queued_deliveries_are_stored_in_one_transaction(sqlite_engine: Engine) -> None:
    group = GroupStore(sqlite_engine)
    commits: list[int] = []
    event.listen(sqlite_engine, "commit", lambda conn: commits.append(1))
    results: list[Stored] = []

    def deliver(n: int) -> None:
        results.append(group.store(channel="tg", body=f"update {n}".encode(), now=NOW))

    calls = [threading.Thread(target=deliver, args=(n,)) for n in range(12)]
    queue_behind_the_writer(group, calls, 12)
    for t in calls:
        t.join(30)
    assert len(results) == 12 and len(stored_bodies(sqlite_engine)) == 12
    assert len(commits) == 1


def test_a_failed_write_reaches_every_request_of_its_group_and_the_next_one_works(
        sqlite_engine: Engine) -> None:
    group = GroupStore(sqlite_engine)
    with sqlite_engine.begin() as conn:  # the table the deliveries go to is gone for a moment
        conn.execute(text("ALTER TABLE channel_deliveries RENAME TO away"))
    errors: list[BaseException] = []

    def deliver(n: int) -> None:
        try:
            group.store(channel="vb", body=f"callback {n}".encode(), now=NOW)
        except Exception as exc:
            errors.append(exc)

    calls = [threading.Thread(target=deliver, args=(n,)) for n in range(5)]
    queue_behind_the_writer(group, calls, 5)
    for t in calls:
        t.join(30)
    assert len(errors) == 5 and all("channel_deliveries" in str(e) for e in errors)
    with sqlite_engine.begin() as conn:
        conn.execute(text("ALTER TABLE away RENAME TO channel_deliveries"))
        assert conn.scalar(select(func.count()).select_from(ChannelDelivery)) == 0  # nothing half-kept
    assert not group.store(channel="vb", body=b"callback 0", now=NOW).duplicate


def test_a_long_write_of_the_processor_delays_the_group_but_loses_nothing(sqlite_engine: Engine) -> None:
    held = threading.Event()
    release = threading.Event()

    def processor() -> None:  # the pipeline's batch transaction holds SQLite's write lock
        with sqlite_engine.begin() as conn:
            conn.execute(text("UPDATE channel_deliveries SET status = status"))
            conn.execute(text("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)"))
            held.set()
            release.wait(10)

    writer = threading.Thread(target=processor)
    writer.start()
    assert held.wait(10)
    calls = [threading.Thread(target=store_webhook_delivery, args=(sqlite_engine,),
                              kwargs={"channel": "fb", "body": f"entry {n}".encode(), "now": NOW})
             for n in range(8)]
    for t in calls:
        t.start()
    time.sleep(0.3)
    assert stored_bodies(sqlite_engine) == []  # waiting for the lock, not failing
    release.set()
    writer.join(10)
    for t in calls:
        t.join(30)
    assert sorted(stored_bodies(sqlite_engine)) == sorted(f"entry {n}".encode() for n in range(8))

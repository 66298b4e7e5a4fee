"""Fault tests of the distributed mode with real processes: `crisisdesk worker`s killed with
SIGKILL, Redis and PostgreSQL restarted, a poison message. Each asserts that every accepted post is
stored exactly once and counted by detection exactly once (the rollups would show a batch applied
twice), and that nothing stays pending."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.cluster import lease as leases
from crisisdesk.cluster.prepared import PREPARED_TOPIC, ensure_groups
from crisisdesk.db import make_engine, migrate
from crisisdesk.detection.models import SeriesBucket
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.models import Post
from tests.cluster.conftest import wait_for
from tests.cluster.servers import RedisServer, Workers, postgres_server, redis_server
from tests.factories import post
from tests.fakes.http_sink import HttpSink, Reply

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

BATCHES, PER_BATCH = 40, 50
TOTAL = BATCHES * PER_BATCH


def publish(bus: RedisBus, batches: int = BATCHES, per_batch: int = PER_BATCH, start: int = 0) -> None:
    ensure_groups(bus)
    for b in range(batches):
        first = start + b * per_batch
        bus.publish(INGEST_TOPIC, [RawItem.batch_to_message(
            [RawItem("api", i, post(first + i)) for i in range(per_batch)])])


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Post)).scalar_one())


def counted(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(SeriesBucket.volume), 0))
                                .where(SeriesBucket.resolution == "m")).scalar_one())


def holder_pid(engine: Engine) -> int | None:
    with engine.connect() as conn:
        holder = leases.holder_of(conn)
        if holder is None or holder[2] <= leases.db_now(conn):
            return None
    return int(holder[0].split(":")[1])


def settled(bus: RedisBus) -> bool:
    return all(s.pending == 0 and not s.lag for t in (INGEST_TOPIC, PREPARED_TOPIC) for s in bus.stats(t))


@pytest.fixture
def world(workspace_file: Path, database_url: str,
          tmp_path: Path) -> Iterator[tuple[Workers, RedisServer, Engine]]:
    with redis_server(tmp_path) as redis:
        env = {**os.environ, "CRISISDESK_DATABASE_URL": database_url, "CRISISDESK_BUS_URL": redis.url,
               "CRISISDESK_BUS_PREFIX": "faults", "CRISISDESK_BUS_CLAIM_SECONDS": "1",
               "CRISISDESK_LEASE_SECONDS": "2", "CRISISDESK_BUS_MAX_DELIVERIES": "3",
               "CRISISDESK_SECRET_KEY": "one-key-for-every-process",
               "CRISISDESK_LOG_LEVEL": "INFO"}
        workers = Workers(workspace_file, env, tmp_path)
        engine = make_engine(database_url)
        migrate(engine)
        try:
            yield workers, redis, engine
        finally:
            workers.stop_all()
            engine.dispose()


def bus_on(redis: RedisServer, **kw: float) -> RedisBus:
    return RedisBus(redis.url, prefix="faults", consumer="test", **kw)  # type: ignore[arg-type]


def test_a_worker_killed_in_the_middle_loses_nothing_and_doubles_nothing(
        world: tuple[Workers, RedisServer, Engine]) -> None:
    workers, redis, engine = world
    bus = bus_on(redis)
    publish(bus)
    first = workers.start()
    wait_for(lambda: holder_pid(engine) == first.pid and stored(engine) >= PER_BATCH, 90,
             "the first worker to hold the lease and store a batch")
    second = workers.start()
    time.sleep(0.3)
    first.kill()  # in the middle of its work: a batch being stored or prepared, messages pending
    assert stored(engine) < TOTAL, "the test must kill the worker before it is done"
    wait_for(lambda: stored(engine) == TOTAL and settled(bus), 120,
             f"every post stored by the second worker\n{workers.outputs()}")
    assert counted(engine) == TOTAL
    assert holder_pid(engine) == second.pid
    assert bus.dead_count(INGEST_TOPIC) == bus.dead_count(PREPARED_TOPIC) == 0


def test_a_poison_message_is_dead_lettered_and_the_rest_flows(
        world: tuple[Workers, RedisServer, Engine]) -> None:
    workers, redis, engine = world
    bus = bus_on(redis)
    ensure_groups(bus)
    bus.publish(INGEST_TOPIC, [{"items": "not a list of items"}])  # fails to prepare, every time
    # and one that fails to store, every time
    bus.publish(PREPARED_TOPIC, [{"posts": [["not", "a", "row"]], "rejections": [], "read": 1}])
    publish(bus, batches=4)
    workers.start()
    workers.start()
    wait_for(lambda: stored(engine) == 4 * PER_BATCH, 90, f"the good batches\n{workers.outputs()}")
    wait_for(lambda: bus.dead_count(INGEST_TOPIC) == 1 and bus.dead_count(PREPARED_TOPIC) == 1, 60,
             f"both poison messages dead-lettered\n{workers.outputs()}")
    [raw] = bus.dead_letters(INGEST_TOPIC)
    assert raw.deliveries == 3 and raw.group == "prepare" and raw.error
    [prepared] = bus.dead_letters(PREPARED_TOPIC)
    assert prepared.group == "store" and prepared.error
    wait_for(lambda: settled(bus), 30, "nothing pending")
    assert counted(engine) == 4 * PER_BATCH


def test_redis_restarting_loses_nothing(world: tuple[Workers, RedisServer, Engine]) -> None:
    workers, redis, engine = world
    bus = bus_on(redis)
    publish(bus)
    workers.start()
    workers.start()
    wait_for(lambda: stored(engine) >= PER_BATCH, 90, "a first batch")
    assert stored(engine) < TOTAL, "the test must restart Redis while the workers are busy"
    redis.restart(down=1.5)  # kill -9; the AOF brings back every acknowledged write
    bus = bus_on(redis)
    wait_for(lambda: stored(engine) == TOTAL and settled(bus), 120, f"every post\n{workers.outputs()}")
    assert counted(engine) == TOTAL


def test_postgresql_restarting_loses_nothing(workspace_file: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(tempfile.mkdtemp(prefix="crisisdesk-pg-"))  # the postgres user must reach it
    with postgres_server(folder) as pg, redis_server(tmp_path) as redis:
        monkeypatch.setenv("CRISISDESK_DATABASE_URL", pg.url)
        engine = make_engine(pg.url)
        migrate(engine)
        env = {**os.environ, "CRISISDESK_DATABASE_URL": pg.url, "CRISISDESK_BUS_URL": redis.url,
               "CRISISDESK_BUS_PREFIX": "faults", "CRISISDESK_BUS_CLAIM_SECONDS": "1",
               "CRISISDESK_LEASE_SECONDS": "2", "CRISISDESK_BUS_MAX_DELIVERIES": "20",
               "CRISISDESK_SECRET_KEY": "one-key-for-every-process"}
        workers = Workers(workspace_file, env, tmp_path)
        bus = bus_on(redis)
        try:
            publish(bus)
            workers.start()
            workers.start()
            wait_for(lambda: stored(engine) >= PER_BATCH, 90, f"a first batch\n{workers.outputs()}")
            assert stored(engine) < TOTAL, "the test must restart PostgreSQL while the workers are busy"
            engine.dispose()
            pg.restart(down=2.0)  # every connection cut mid-transaction
            wait_for(lambda: _stored_or_none(engine) == TOTAL and settled(bus), 180,
                     f"every post\n{workers.outputs()}")
            assert counted(engine) == TOTAL
            assert bus.dead_count(INGEST_TOPIC) == bus.dead_count(PREPARED_TOPIC) == 0
        finally:
            workers.stop_all()
            engine.dispose()


def _stored_or_none(engine: Engine) -> int | None:
    try:
        return stored(engine)
    except Exception:  # the server still starting
        return None


BOT = "4242"
WORKSPACE_WITH_EFFECTS = """\
version: 1
monitors:
  - name: bahn
    query: '"deutsche bahn" OR #db OR feuer'
detection:
  high_risk_terms: [feuer]
notify:
  targets:
    hook: {{kind: webhook, url: "{sink}/hook", secret: "0123456789abcdef0123"}}
escalation:
  policies:
    - severity: 1
      steps:
        - {{notify: ["target:hook"], wait_minutes: 600}}
channels:
  - key: tg
    platform: telegram
    bot_token: "{bot}:secret"
    secret_token: s3cret
    api_base: "{sink}"
inbox:
  rules:
    - name: thanks
      when: {{channel: tg}}
      then:
        - reply: {{de: "Danke für Ihre Nachricht.", en: "Thanks for your message."}}
"""


def telegram_message(n: int) -> dict[str, object]:
    """A private Telegram message as the connector makes it: chat n, its own conversation."""
    chat = 10_000 + n
    return {"platform": "telegram", "id": f"{chat}:1",
            "created_at": f"2026-11-02T08:{n % 60:02d}:30+01:00",
            "text": "Wann kommt mein Ersatzakku?", "kind": "message", "lang": "de", "channel": "tg",
            "conversation_id": f"telegram:{BOT}:{chat}", "visibility": "private",
            "author": {"id": str(chat), "name": f"Person {n}"}}


def test_a_killed_worker_neither_repeats_nor_loses_a_notification_or_a_reply(
        world: tuple[Workers, RedisServer, Engine], workspace_file: Path) -> None:
    workers, redis, engine = world
    answer = Reply(200, {"ok": True, "result": {"message_id": 99, "chat": {"id": 1}}})
    with HttpSink(default=answer) as sink:
        workspace_file.write_text(WORKSPACE_WITH_EFFECTS.format(sink=sink.url, bot=BOT), encoding="utf-8")
        bus = bus_on(redis)
        ensure_groups(bus)
        messages = 60
        for b in range(BATCHES):
            items = [RawItem("api", i, post(b * PER_BATCH + i)) for i in range(PER_BATCH - 2)]
            items.append(RawItem("api", 98, post(100_000 + b, text=f"Feuer im Akku #{b}")))
            if b < messages // 2:
                items += [RawItem("api", 99, telegram_message(2 * b)),
                          RawItem("api", 100, telegram_message(2 * b + 1))]
            bus.publish(INGEST_TOPIC, [RawItem.batch_to_message(items)])
        total = BATCHES * (PER_BATCH - 1) + messages
        first = workers.start()
        wait_for(lambda: holder_pid(engine) == first.pid and stored(engine) >= PER_BATCH, 90, "a first batch")
        workers.start()
        time.sleep(0.3)
        first.kill()
        wait_for(lambda: stored(engine) == total and settled(bus), 120, f"every post\n{workers.outputs()}")

        def sent(path: str) -> list[str]:
            return [r.headers.get("x-crisisdesk-delivery", "") if path == "/hook" else r.json()["chat_id"]
                    for r in sink.requests if r.path.endswith(path)]

        def settled_outbox() -> bool:  # every reply sent, but the one a killed worker may have been making
            states = outbox(engine)
            in_flight = states.get("sending", 0)
            return states.get("sent", 0) + in_flight == messages and in_flight <= 1

        try:
            wait_for(lambda: settled_outbox() and sent("/hook"), 90, "the replies")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {len(sent('/sendMessage'))} replies sent; the outbox: "
                                 f"{outbox(engine)}\n{workers.outputs()}") from None
        time.sleep(2.0)  # anything sent twice would arrive by now
        replies, hooks = sent("/sendMessage"), sent("/hook")
        chats = sorted(int(chat) for chat in replies)
        assert len(chats) == len(set(chats)), "a reply went out twice"
        # A worker killed during a call leaves that one call uncertain (the platform may or may not
        # have it: Telegram takes no idempotency key); after five minutes it is marked so for a
        # person to decide. Every other reply went out exactly once.
        states = outbox(engine)
        assert len(chats) in (states.get("sent", 0), states.get("sent", 0) + states.get("sending", 0))
        assert len(chats) >= messages - 1
        assert set(chats) <= {10_000 + n for n in range(messages)}
        assert len(hooks) == len(set(hooks)), f"a notification went out twice: {hooks}"


def outbox(engine: Engine) -> dict[str, int]:
    from crisisdesk.channels.models import OutboxItem

    with engine.connect() as conn:
        return {str(status): int(n) for status, n in conn.execute(
            select(OutboxItem.status, func.count()).group_by(OutboxItem.status))}

"""The lease holder hands the posts of webhooks to every worker's prepare step: a burst is cut into
parts that workers prepare at once, each conversation whole and in order, and the deliveries are
marked processed only once every part is stored."""

from __future__ import annotations

import json
import time
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.channels.models import ChannelDelivery
from crisisdesk.cluster.handoff import MAX_PARTS, PART_SIZE, split
from crisisdesk.cluster.prepared import PREPARED_TOPIC
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime
from tests.channels.payloads import TG_SECRET, tg_update
from tests.cluster.conftest import Cluster, wait_for
from tests.cluster.test_front_end import fronts  # noqa: F401  (the fixture)

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _item(n: int, thread: str | None) -> RawItem:
    data: dict[str, Any] = {"platform": "x", "id": str(n), "text": f"t{n}"}
    if thread is not None:
        data["conversation_id"] = thread
    return RawItem("channel:c", n, data, delivery_id=n)


def test_a_small_batch_is_one_part() -> None:
    items = [_item(n, None) for n in range(PART_SIZE)]
    assert split(items, MAX_PARTS) == [items]


def test_parts_keep_each_conversation_whole_and_in_order() -> None:
    items = [_item(n, f"chat-{n % 7}" if n % 3 else None) for n in range(PART_SIZE * 5)]
    parts = split(items, MAX_PARTS)
    assert 2 <= len(parts) <= min(MAX_PARTS, 5)
    assert sorted(cast(int, i.position) for p in parts for i in p) == list(range(len(items)))  # all
    where: dict[str, int] = {}
    for n, part in enumerate(parts):
        for item in part:
            thread = cast(dict[str, Any], item.data).get("conversation_id")
            if thread is not None:
                assert where.setdefault(thread, n) == n  # one conversation, one part
        positions = [cast(int, i.position) for i in part]
        assert positions == sorted(positions)  # in the order they came


def _send(client: TestClient, update: dict[str, Any]) -> None:
    answer = client.post("/webhooks/voltaro-tg", content=json.dumps(update).encode(),
                         headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert answer.status_code == 200, answer.text


def _count(runtime: Runtime, table: Any, *where: Any) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


@ON_POSTGRESQL
def test_webhook_posts_are_prepared_by_the_workers_not_by_the_holder(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:  # noqa: F811
    client, runtime = fronts[0]
    cluster.start_worker(prepare=False)  # the holder alone: nobody prepares
    wait_for(lambda: any(w.lease.held for w, _, _ in cluster.workers), message="the lease")
    _send(client, tg_update(70, text="battery on fire", message_id=70))
    wait_for(lambda: _count(runtime, ChannelDelivery, ChannelDelivery.status != "pending") == 0
             and _count(runtime, ChannelDelivery) == 1, message="the stored delivery")
    time.sleep(2.0)
    assert _count(runtime, Post) == 0  # handed off, waiting for a prepare step
    assert _count(runtime, ChannelDelivery, ChannelDelivery.status == "pending") == 1
    preparer = cluster.start_worker(own=False)
    wait_for(lambda: _count(runtime, Post) == 1, message="the post, once a worker prepares")
    wait_for(lambda: _count(runtime, ChannelDelivery, ChannelDelivery.status == "processed") == 1,
             message="the delivery marked processed")
    assert preparer.counters.prepared >= 1
    with runtime.engine.connect() as conn:
        sentiment = conn.execute(select(Post.sentiment)).scalar_one()
    assert sentiment is not None  # analysed in the prepare step


@ON_POSTGRESQL
def test_a_burst_of_deliveries_is_stored_once_with_edits_after_their_originals(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:  # noqa: F811
    client, runtime = fronts[0]
    chats = 20  # 60 items: more than one part
    # every chat: a message, its edit, and a second message; plus one delivery with no real time
    for n in range(chats):
        chat = {"id": 1000 + n, "type": "private", "first_name": "Lena"}
        _send(client, tg_update(3 * n + 1, text=f"akku {n} kaputt", message_id=1, chat=chat))
        _send(client, tg_update(3 * n + 2, "edited_message", text=f"akku {n} wirklich kaputt",
                                message_id=1, chat=chat, edit_date=1764846100))
        _send(client, tg_update(3 * n + 3, text=f"noch da? {n}", message_id=2, chat=chat))
    _send(client, tg_update(999, text="x" * 10, message_id=3, date=-(10**12)))
    for _ in range(2):
        cluster.start_worker()
    wait_for(lambda: _count(runtime, ChannelDelivery, ChannelDelivery.status == "pending") == 0,
             timeout=60, message="every delivery processed")
    with runtime.engine.connect() as conn:
        texts = sorted(conn.execute(select(Post.text)).scalars())
        failed = conn.execute(select(ChannelDelivery.error).where(ChannelDelivery.status == "failed")).all()
    expected = sorted([f"akku {n} wirklich kaputt" for n in range(chats)]
                      + [f"noch da? {n}" for n in range(chats)])
    assert texts == expected  # each once, the edit after the original
    assert len(failed) == 1 and "not a Unix time" in (failed[0].error or "")  # that one alone
    assert sum(w.counters.prepared for w, _, _ in cluster.workers) >= 2  # parts, prepared apart


@ON_POSTGRESQL
def test_a_holder_that_stops_while_waiting_leaves_the_deliveries_to_the_next_once(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:  # noqa: F811
    """The first holder hands the posts off and stops before anyone prepared them: its parts stay
    in the stream and the deliveries pending. The next holder hands them off again; both copies
    are prepared and stored, and every post is there once."""
    client, runtime = fronts[0]
    first = cluster.start_worker(prepare=False)
    wait_for(lambda: first.lease.held, message="the lease")
    for n in range(5):
        _send(client, tg_update(200 + n, text=f"akku {n}", message_id=200 + n))
    wait_for(lambda: first.bus.client.xlen(first.bus.key(INGEST_TOPIC)) >= 1, message="a part")
    cluster.stop_all()  # the holder gives the lease up while waiting
    assert _count(runtime, Post) == 0
    assert _count(runtime, ChannelDelivery, ChannelDelivery.status == "pending") == 5
    cluster.start_worker()
    wait_for(lambda: _count(runtime, ChannelDelivery, ChannelDelivery.status == "pending") == 0,
             timeout=60, message="the deliveries processed by the next holder")
    with runtime.engine.connect() as conn:
        texts = sorted(conn.execute(select(Post.text)).scalars())
    assert texts == [f"akku {n}" for n in range(5)]
    bus = cluster.workers[0][0].bus
    assert bus.client.xlen(bus.key(INGEST_TOPIC)) >= 2  # handed off twice

    def drained() -> bool:
        groups = bus.stats(INGEST_TOPIC) + bus.stats(PREPARED_TOPIC)
        return len(groups) == 2 and all(g.pending == 0 and g.lag == 0 for g in groups)

    wait_for(drained, message="the first holder's parts prepared and stored too")
    with runtime.engine.connect() as conn:
        assert sorted(conn.execute(select(Post.text)).scalars()) == texts  # nothing twice

"""What a front end of the distributed mode does besides the API: webhooks reach the lease holder's
delivery processor, a person's change is followed by the holder, events reach every front end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from crisisdesk.api.app import create_app
from crisisdesk.audit.actions import resolve_audited
from crisisdesk.audit.service import Actor
from crisisdesk.bus.base import Message
from crisisdesk.channels import service as channel_store
from crisisdesk.cluster import frontend
from crisisdesk.core.clock import SystemClock
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation
from crisisdesk.escalation.watch import Watch
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.sources.service import sync_monitors
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, tg_update
from tests.cluster.conftest import Cluster, wait_for

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

WORKSPACE = f"""
monitors:
  - name: akku
    query: 'akku OR battery'
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
"""


@pytest.fixture
def fronts(cluster: Cluster, workspace_file: Path) -> Iterator[list[tuple[TestClient, Runtime]]]:
    """Two front ends on one workspace."""
    workspace_file.write_text(WORKSPACE, encoding="utf-8")
    out, ends = [], []
    for _ in range(2):
        runtime = build_runtime(load_workspace(workspace_file, cluster.settings), cluster.settings,
                                clock=SystemClock(), deliver=True)
        ends.append(frontend.attach(runtime))
        client = TestClient(create_app(runtime, api_token="t"), base_url="http://localhost")
        client.__enter__()
        out.append((client, runtime))
    yield out
    for (client, runtime), end in zip(out, ends, strict=True):
        client.__exit__(None, None, None)
        end.close()
        runtime.close()


def posts(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return sorted(conn.execute(select(Post.text)).scalars())


def test_a_webhook_on_a_front_end_becomes_a_post_through_the_lease_holder(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:
    client, runtime = fronts[0]
    cluster.start_worker()
    body = json.dumps(tg_update(7, text="battery on fire")).encode()
    answer = client.post("/webhooks/voltaro-tg", content=body,
                         headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    assert answer.status_code == 200
    wait_for(lambda: posts(runtime) == ["battery on fire"], message="the post from the webhook")


def test_a_delivery_stored_by_a_front_end_that_died_before_signalling_is_processed(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:
    _, runtime = fronts[0]
    body = json.dumps(tg_update(8, text="akku kaputt")).encode()
    channel_store.store_delivery(runtime.engine, channel="voltaro-tg", body=body, now=datetime.now(UTC))
    cluster.start_worker()  # nothing signalled it: the holder finds it on its own
    wait_for(lambda: posts(runtime) == ["akku kaputt"], message="the stored delivery's post")


def test_a_persons_change_on_a_front_end_is_followed_by_the_holder_and_seen_by_every_front_end(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:
    (_, first), (_, second) = fronts
    now = datetime.now(UTC)
    ids = sync_monitors(first.engine, [("akku", "akku OR battery")], now=now)
    with first.engine.begin() as conn:
        sid = int(conn.execute(insert(Situation).values(
            monitor_id=ids["akku"], cause="spike", status="open", severity=2, opened_at=now, updated_at=now,
            explanation="{}").returning(Situation.id)).scalar_one())
    seen: list[Message] = []
    second.runner.listeners.append(seen.extend)
    holder = cluster.start_worker()
    wait_for(lambda: holder.owner is not None, message="the worker to hold the lease")
    owner = holder.owner
    assert owner is not None and isinstance(owner.runner.detector, Watch)
    tracked = owner.runner.detector.detection.tracked
    assert [t.status for t in tracked.values() if t.id == sid] == ["open"]

    def resolve(conn: Any, detector: object) -> list[Message]:
        return resolve_audited(conn, detector, sid, reason="handled", by="anna@example.org", at=now,
                               actor=Actor.system(), ip=None, playbook=PlaybookConfig(), lang="en", via="api")

    first.runner.with_detector(resolve)
    wait_for(lambda: [t.status for t in owner.runner.detector.detection.tracked.values()  # type: ignore[union-attr]
                      if t.id == sid] == ["resolved"], message="the holder to follow the resolution")
    wait_for(lambda: any(e.get("situation") == sid and e.get("event") == "alert.resolved" for e in seen),
             message="the other front end's live listeners to hear of it")
    with first.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Situation)
                            .where(Situation.status == "resolved")).scalar_one() == 1


def test_who_has_a_conversation_open_is_seen_on_every_front_end(
        fronts: list[tuple[TestClient, Runtime]]) -> None:
    (_, first), (_, second) = fronts
    assert first.presence.beat(5, 1, "Mia", typing=True, draft="Liebe Lena, …") == []
    [mia] = second.presence.beat(5, 2, "Sam")
    assert (mia.user_id, mia.name, mia.typing, mia.draft) == (1, "Mia", True, "Liebe Lena, …")
    assert [p.name for p in first.presence.others(5, 1)] == ["Sam"]
    first.presence.leave(5, 1)
    assert second.presence.others(5, 2) == []


def test_the_processes_page_shows_the_cluster_and_replays_dead_letters(
        cluster: Cluster, fronts: list[tuple[TestClient, Runtime]]) -> None:
    from sqlalchemy.orm import Session

    from crisisdesk.accounts import actions
    from crisisdesk.accounts.roles import Role
    from crisisdesk.bus.base import INGEST_TOPIC
    from crisisdesk.cluster.prepared import ensure_groups
    from crisisdesk.cluster.worker import bus_of
    from tests.accounts.fixtures import FAST_HASHER, PASSWORD, FakeClock

    client, runtime = fronts[0]
    holder = cluster.start_worker()
    wait_for(lambda: holder.owner is not None, message="a lease holder")
    bus = bus_of(cluster.settings)
    ensure_groups(bus)
    bus.publish(INGEST_TOPIC, [{"items": 7}])
    wait_for(lambda: bus.dead_count(INGEST_TOPIC) == 1, 30, "a dead letter")
    for email, role in (("ana@example.org", Role.ANALYST), ("root@example.org", Role.ADMIN)):
        with Session(runtime.engine) as session, session.begin():
            actions.create_user(session, email=email, name=email, role=role, password=PASSWORD,
                                actor=Actor.system(), clock=FakeClock(), hasher=FAST_HASHER)

    def login(email: str) -> str:
        answer = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["csrf_token"])

    csrf = login("ana@example.org")
    page = client.get("/settings/processes")
    assert page.status_code == 200
    assert "stores and detects" in page.text or "speichert und erkennt" in page.text
    assert page.text.count('class="dead-letter"') == 1 and "TypeError" in page.text
    denied = client.post("/settings/processes/replay", data={"topic": "ingest.raw", "csrf_token": csrf})
    assert denied.status_code == 403
    client.cookies.clear()
    csrf = login("root@example.org")
    done = client.post("/settings/processes/replay", data={"topic": "ingest.raw", "csrf_token": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    assert bus.dead_count(INGEST_TOPIC) == 0

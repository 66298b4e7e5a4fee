"""A workspace for the approval gate's tests: a Facebook page answered through a loopback Graph API
(public comment replies and private replies), a monitor whose situation belongs to a crisis of
type ``product_defect`` (approval from level 3, spokespersons ``role:spokesperson``), and the
workspace person ``sprecherin`` whose account is the spokesperson's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.crises.models import Crisis, CrisisAction, CrisisSituation
from crisisdesk.inbox.models import Conversation
from tests.accounts.fixtures import T0, World, make_world
from tests.channels.payloads import APP_SECRET, PAGE_ID, VERIFY_TOKEN, fb_comment, meta_body, meta_signature
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.modes import distributed, outbox_settled

__all__ = ["crisis", "graph", "world"]


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def world(workspace_file: Path, graph: tuple[HttpSink, GraphSend]) -> Iterator[World]:
    workspace_file.write_text(f"""
monitors:
  - {{name: bahn, query: bahn}}
  - {{name: akku, query: akku}}
notify:
  targets:
    ops: {{kind: webhook, url: "http://127.0.0.1:9/hook", secret: a-secret-of-16-chars}}
people:
  sprecherin: {{name: Sprecherin, email: spokesperson@example.org, targets: [ops]}}
  leitung: {{name: Leitung, email: crisis-lead@example.org, targets: [ops]}}
roles:
  spokesperson: [sprecherin]
  crisis_lead: [leitung]
channels:
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: page-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {graph[0].url}
""", encoding="utf-8")
    yield from make_world(workspace_file)


def comment(world: World, api: GraphSend, cid: str, text: str, *, author: str = "5550001") -> int:
    """A Facebook comment arrives by webhook; returns its conversation's id."""
    api.add_comment(f"900_{cid}", "facebook", author=author)
    created = int((T0 + timedelta(minutes=5)).timestamp())
    body = meta_body("page", [{"id": PAGE_ID, "time": int(time.time()),
                               "changes": [fb_comment(cid, text, author=author, name="Lena Krause",
                                                      created=created)]}])
    r = world.client.post("/webhooks/voltaro-fb", content=body,
                          headers={"X-Hub-Signature-256": meta_signature(body),
                                   "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    world.runtime.process_deliveries()
    with Session(world.engine) as s:
        found = s.scalar(select(Conversation.id).where(Conversation.thread.contains(f"900_{cid}"))
                         .order_by(Conversation.id.desc()))
        if found is None:  # the thread is the page post's
            found = s.scalar(select(Conversation.id).order_by(Conversation.id.desc()))
        assert found is not None
        return int(found)


def open_crisis(world: World, severity: int, *, type_: str | None = "product_defect") -> int:
    """An open crisis holding a situation of the ``akku`` monitor (opened at T0)."""
    situation = world.add_situation("akku", severity=severity)
    with Session(world.engine) as s, s.begin():
        c = Crisis(title="Akkubrände", status="open", severity=severity, type=type_, opened_at=T0,
                   updated_at=T0, monitors=["akku"], reasons=[])
        s.add(c)
        s.flush()
        s.add(CrisisSituation(situation_id=situation, crisis_id=c.id, joined_at=T0, reason={}, by="test"))
        return c.id


def set_severity(world: World, crisis_id: int, severity: int) -> None:
    with Session(world.engine) as s, s.begin():
        s.execute(update(Crisis).where(Crisis.id == crisis_id).values(severity=severity))


def send(world: World) -> list[str]:
    """One round of the runtime's own sender; returns the outcomes' statuses. In the distributed
    mode the lease holder's sender does it (signalled when a reply is queued or released): this
    waits until nothing is due and returns what finished since the last call."""
    if not distributed():
        return [o.status.value
                for o in world.runtime.new_outbox_sender(world.runtime.runner.clock).run_once()]
    rows = outbox_settled(world.engine)
    finished = [r for r in rows if r.status in (OutboxStatus.SENT, OutboxStatus.FAILED,
                                                OutboxStatus.UNCERTAIN) and r.id not in world.reported]
    world.reported.update(r.id for r in finished)
    return [r.status for r in finished]


def item(world: World, item_id: int) -> OutboxItem:
    with Session(world.engine) as s:
        found = s.get(OutboxItem, item_id)
        assert found is not None
        return found


def timeline(world: World, crisis_id: int) -> list[str]:
    with Session(world.engine) as s:
        return list(s.scalars(select(CrisisAction.kind).where(CrisisAction.crisis_id == crisis_id)
                              .order_by(CrisisAction.id)))


@pytest.fixture
def crisis(world: World) -> int:
    return open_crisis(world, 3)

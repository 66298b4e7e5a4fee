"""Acknowledgement links over HTTP, as a recipient clicks them, on SQLite and PostgreSQL.

The escalation engine writes the notifications (with their links) into the outbox; the links are
read from there and followed on the served app, so the whole way a link goes is what is tested.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from crisisdesk.api.app import create_app
from crisisdesk.audit.models import AuditEntry
from crisisdesk.core.clock import StreamClock
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.engine import Escalator
from crisisdesk.escalation.models import Escalation
from crisisdesk.notify.models import Delivery
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.service import sync_monitors
from crisisdesk.workspace import load_workspace, secret_key

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BASE = "https://crisis.example.org"

WORKSPACE = f"""
monitors:
  - {{name: brand, query: brand}}
notify:
  targets:
    anna-hook: {{kind: webhook, url: "http://127.0.0.1:9/anna", secret: "0123456789abcdef0123"}}
    ben-hook: {{kind: webhook, url: "http://127.0.0.1:9/ben", secret: "0123456789abcdef0123"}}
    room: {{kind: slack, webhook_url: "http://127.0.0.1:9/slack"}}
people:
  anna: {{name: Anna Berg, targets: [anna-hook]}}
  ben: {{name: Ben, targets: [ben-hook]}}
roles:
  crisis_lead: [anna]
  management: [ben]
escalation:
  base_url: {BASE}
  policies:
    - severity: 1
      steps:
        - {{notify: ["role:crisis_lead", "target:room"], wait_minutes: 30}}
    - severity: 3
      steps:
        - {{notify: ["role:crisis_lead"], wait_minutes: 10}}
        - {{notify: ["role:management"], wait_minutes: 15}}
"""


@dataclass
class Desk:
    runtime: Runtime
    client: TestClient
    escalator: Escalator
    sid: int

    def handle(self, kind: str, severity: int, at: datetime) -> None:
        with self.runtime.engine.begin() as conn:
            self.escalator.handle(conn, [{"event": kind, "situation": self.sid, "severity": severity,
                                          "at": at.isoformat(), "summary": "s", "monitor": "brand"}])

    def advance(self, at: datetime) -> None:
        with self.runtime.engine.begin() as conn:
            self.escalator.advance(conn, at)

    def links(self, target: str) -> list[str]:
        """The acknowledgement links sent to ``target``, oldest first, as path and query."""
        with self.runtime.engine.connect() as conn:
            payloads = conn.execute(select(Delivery.payload).where(Delivery.target_name == target)
                                    .order_by(Delivery.id)).scalars().all()
        return [str(p["ack_url"]).removeprefix(BASE) for p in payloads]

    def click(self, path_and_query: str, **form: str) -> Any:
        path, _, query = path_and_query.partition("?t=")
        return self.client.post(path, data={"t": query, **form})

    def escalations(self) -> list[tuple[int, str]]:
        with self.runtime.engine.connect() as conn:
            return [(int(r.severity), str(r.status)) for r in
                    conn.execute(select(Escalation.severity, Escalation.status).order_by(Escalation.id))]

    def acknowledged(self) -> tuple[str | None, int, int]:
        """Who acknowledged the situation, how many acknowledgements the timeline and the audit
        log hold."""
        with self.runtime.engine.connect() as conn:
            by = conn.execute(select(Situation.acknowledged_by).where(Situation.id == self.sid)).scalar_one()
            events = conn.execute(select(SituationEvent.id).where(
                SituationEvent.event == "alert.acknowledged")).all()
            audits = conn.execute(select(AuditEntry.id).where(
                AuditEntry.action == "situation.acknowledged")).all()
        return by, len(events), len(audits)


@pytest.fixture
def desk(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    path = tmp_path / "crisisdesk.yaml"
    path.write_text(WORKSPACE, encoding="utf-8")
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    settings = Settings()
    workspace = load_workspace(path, settings)
    clock = StreamClock(T0 + timedelta(minutes=40))
    runtime = build_runtime(workspace, settings, clock=clock)
    config = workspace.config
    escalator = Escalator(config=config.escalation, people=config.people, roles=config.roles,
                          targets=config.notify.targets, secret=secret_key(workspace, settings),
                          playbook=PlaybookConfig())
    ids = sync_monitors(runtime.engine, [("brand", "brand")], now=T0)
    with runtime.engine.begin() as conn:
        sid = int(conn.execute(insert(Situation).values(
            monitor_id=ids["brand"], cause="spike", status="open", severity=1, opened_at=T0, updated_at=T0,
            explanation=json.dumps({"summary": "brand: 300 posts"})).returning(Situation.id)).scalar_one())
    try:
        yield Desk(runtime, TestClient(create_app(runtime, api_token="tok")), escalator, sid)
    finally:
        runtime.close()


def test_a_link_from_an_earlier_escalation_does_not_stop_a_later_one(desk: Desk) -> None:
    desk.handle("alert.opened", 1, T0)
    [page_at_1] = desk.links("anna-hook")
    desk.handle("alert.updated", 3, T0 + timedelta(minutes=20))
    assert desk.escalations() == [(1, "superseded"), (3, "active")]

    shown = desk.client.get(page_at_1)
    assert shown.status_code == 200 and "<form" not in shown.text
    assert "a raised severity started a new escalation" in shown.text
    refused = desk.click(page_at_1)
    assert refused.status_code == 409 and "does not acknowledge a later one" in refused.text
    assert desk.escalations() == [(1, "superseded"), (3, "active")]  # the severity-3 one still runs
    assert desk.acknowledged() == (None, 0, 0)

    # the link of the running escalation does stop it (and only that one)
    page_at_3 = desk.links("anna-hook")[1]
    assert desk.click(page_at_3).status_code == 200
    assert desk.escalations() == [(1, "superseded"), (3, "acknowledged")]


def test_a_link_works_once_and_then_says_by_whom_and_when(desk: Desk) -> None:
    desk.handle("alert.opened", 3, T0)
    [link] = desk.links("anna-hook")
    first = desk.click(link)
    assert first.status_code == 200 and "Acknowledged by Anna Berg" in first.text
    assert desk.escalations() == [(3, "acknowledged")]
    assert desk.acknowledged() == ("Anna Berg", 1, 1)

    again = desk.click(link)
    assert again.status_code == 409
    assert "already used by Anna Berg on 2 Nov 2026, 09:40:00 UTC" in again.text
    german = desk.client.post(link.split("?t=")[0], data={"t": link.split("?t=")[1]},
                              headers={"Accept-Language": "de"})
    assert german.status_code == 409
    assert "bereits von Anna Berg am 02.11.2026, 09:40:00 UTC benutzt" in german.text
    shown = desk.client.get(link)
    assert "already used by Anna Berg" in shown.text and "<form" not in shown.text
    assert desk.acknowledged() == ("Anna Berg", 1, 1)  # nothing changed the second time


def test_the_acknowledger_is_the_recipient_not_a_typed_name(desk: Desk) -> None:
    desk.handle("alert.opened", 3, T0)
    desk.advance(T0 + timedelta(minutes=10))  # step 2: Ben
    [ben] = desk.links("ben-hook")
    shown = desk.client.get(ben + "&by=Mallory")
    assert "Acknowledge as Ben" in shown.text and "Mallory" not in shown.text
    assert 'name="by"' not in shown.text  # nobody is asked for a name
    path, _, token = ben.partition("?t=")
    done = desk.client.post(f"{path}?by=Mallory", data={"t": token, "by": "Mallory"})
    assert done.status_code == 200 and "Mallory" not in done.text
    assert desk.acknowledged() == ("Ben", 1, 1)
    with desk.runtime.engine.connect() as conn:
        actor = conn.execute(select(AuditEntry.actor)).scalar_one()
        body = json.loads(conn.execute(select(SituationEvent.body).where(
            SituationEvent.event == "alert.acknowledged")).scalar_one())
    assert actor == "link:Ben"
    assert (body["by"], body["via"], body["step"]) == ("Ben", "link", 1)
    # Anna's link of step 1 is her own: it is not used up by Ben's, but the escalation is over
    [anna] = desk.links("anna-hook")
    late = desk.click(anna)
    assert late.status_code == 409 and "acknowledged by Ben" in late.text


def test_a_target_notified_directly_acknowledges_as_that_target(desk: Desk) -> None:
    desk.handle("alert.opened", 1, T0)
    [room] = desk.links("room")
    assert desk.click(room).status_code == 200
    assert desk.acknowledged()[0] == "target:room"


def test_a_link_for_another_situation_or_a_tampered_one_is_refused(desk: Desk) -> None:
    desk.handle("alert.opened", 3, T0)
    [link] = desk.links("anna-hook")
    path, _, token = link.partition("?t=")
    other = desk.client.post(f"/ack/{desk.sid + 1}", data={"t": token})
    assert other.status_code == 403
    eid, step, _recipient, expires, mac = token.split(".")
    import base64

    mallory = base64.urlsafe_b64encode(b"Mallory").decode().rstrip("=")
    forged = desk.client.post(path, data={"t": f"{eid}.{step}.{mallory}.{expires}.{mac}"})
    assert forged.status_code == 403
    later = desk.client.post(path, data={"t": f"{int(eid) + 1}.{step}.{_recipient}.{expires}.{mac}"})
    assert later.status_code == 403
    assert desk.acknowledged() == (None, 0, 0)


def test_two_clicks_at_once_acknowledge_once(desk: Desk, database_url: str) -> None:
    """Two processes behind a load balancer (PostgreSQL): the second click waits for the first
    one's commit and then finds the link used."""
    import threading

    from crisisdesk.escalation.actions import LinkOutcome, use_link
    from crisisdesk.escalation.links import AckLink, read_token

    if not database_url.startswith("postgresql"):
        pytest.skip("one SQLite file has one writer at a time: the web app serialises clicks itself")
    desk.handle("alert.opened", 3, T0)
    [link] = desk.links("anna-hook")
    found = read_token(desk.escalator.secret, desk.sid, link.split("?t=")[1], T0)
    assert isinstance(found, AckLink)
    second: list[LinkOutcome] = []
    with desk.runtime.engine.begin() as first_conn:
        first = use_link(first_conn, found, at=T0 + timedelta(minutes=1))
        assert first.result == "acknowledged"

        def click() -> None:
            with desk.runtime.engine.begin() as conn:
                second.append(use_link(conn, found, at=T0 + timedelta(minutes=2)))

        other = threading.Thread(target=click)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive()  # waiting for the first click's transaction
    other.join(timeout=10)
    assert [(o.result, o.by) for o in second] == [("used", "Anna Berg")]
    assert desk.acknowledged()[:2] == ("Anna Berg", 1)

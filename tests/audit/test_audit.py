"""The audit log: written with the change, filtered, paged, exported; situations acknowledged."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import CSRF_HEADER
from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.schemas import AuditFilter
from crisisdesk.audit.service import (
    ACTION_DESCRIPTIONS,
    Actor,
    AuditAction,
    export_csv,
    iter_entries,
    query,
    record,
)
from crisisdesk.escalation.links import make_token
from crisisdesk.escalation.models import Escalation
from crisisdesk.workspace import secret_key
from tests.accounts.fixtures import T0, World, email_of, rows

DOC = (Path(__file__).parents[2] / "docs" / "accounts.md").read_text(encoding="utf-8")




def test_every_action_is_documented() -> None:
    assert set(ACTION_DESCRIPTIONS) == set(AuditAction)
    for action in AuditAction:
        assert f"`{action.value}`" in DOC, action


def test_record_query_and_page(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        for i in range(25):
            record(s, actor=Actor.cli("root") if i % 2 else Actor.system(),
                   action=AuditAction.USER_CREATED if i < 20 else AuditAction.TOKEN_REVOKED,
                   at=T0 + timedelta(minutes=i), target_type="user", target_id=i,
                   before={"n": i - 1} if i else None, after={"n": i, "at": T0})
    with engine.begin() as conn:  # a Core connection works the same
        record(conn, actor=Actor.link("Lena"), action=AuditAction.SITUATION_ACKNOWLEDGED, at=T0,
               target_type="situation", target_id="7")
    with Session(engine) as s:
        page = query(s, AuditFilter(), limit=10)
        assert [e.target_id for e in page.entries][:2] == ["7", "24"]  # newest first
        assert page.next_before_id is not None
        second = query(s, AuditFilter(), limit=10, before_id=page.next_before_id)
        third = query(s, AuditFilter(), limit=10, before_id=second.next_before_id)
        assert len(third.entries) == 6 and third.next_before_id is None
        ids = [e.id for p in (page, second, third) for e in p.entries]
        assert len(set(ids)) == 26
        assert len(query(s, AuditFilter(actor="cli:root")).entries) == 12
        assert len(query(s, AuditFilter(action="token.revoked")).entries) == 5
        assert len(query(s, AuditFilter(action="user.")).entries) == 20
        assert len(query(s, AuditFilter(action="user")).entries) == 0
        window = AuditFilter(since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=10))
        assert [e.target_id for e in query(s, window).entries] == ["9", "8", "7", "6", "5"]
        one = query(s, AuditFilter(target_type="user", target_id="3")).entries[0]
        assert one.before == {"n": 2} and one.after == {"n": 3, "at": "2026-12-01T09:00:00+00:00"}
    exported = list(iter_entries(engine, AuditFilter(), batch=7))
    assert [e.id for e in exported] == sorted(ids)


def test_csv_defuses_formulas(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        record(s, actor=Actor.link("=HYPERLINK(\"http://x\")"), action=AuditAction.SITUATION_ACKNOWLEDGED,
               at=T0)
    text = "".join(export_csv(iter_entries(engine, AuditFilter())))
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["actor"] == "link:=HYPERLINK(\"http://x\")"  # starts with "l": harmless as it is
    with Session(engine) as s, s.begin():
        record(s, actor=Actor("=cmd|' /C calc'!A0"), action=AuditAction.SITUATION_ACKNOWLEDGED, at=T0)
    text = "".join(export_csv(iter_entries(engine, AuditFilter())))
    assert list(csv.DictReader(io.StringIO(text)))[1]["actor"].startswith("'=")


def test_api_pages_and_filters(world: World) -> None:
    admin = world.bearer(Role.ADMIN)
    r = world.client.get("/api/v1/audit?action=user.created&limit=2", headers=admin)
    assert r.status_code == 200
    page = r.json()
    assert len(page["entries"]) == 2 and page["next_before_id"]
    rest = world.client.get(f"/api/v1/audit?action=user.created&before_id={page['next_before_id']}",
                            headers=admin).json()
    assert len(page["entries"]) + len(rest["entries"]) == len(Role)
    assert rest["next_before_id"] is None
    created = {e["after"]["email"] for e in page["entries"] + rest["entries"]}
    assert created == {email_of(r) for r in Role}
    since = world.client.get("/api/v1/audit", params={"since": "2030-01-01T00:00:00Z"}, headers=admin).json()
    assert since["entries"] == []
    assert world.client.get("/api/v1/audit?format=xml", headers=admin).status_code == 422
    assert world.client.get("/api/v1/audit?limit=5000", headers=admin).status_code == 422


def test_api_exports_csv_and_jsonl(world: World) -> None:
    admin = world.bearer(Role.ADMIN)
    world.client.patch(f"/api/v1/users/{world.user_ids[Role.AGENT]}", json={"name": "Agent, \"Smith\"\nJr"},
                       headers=admin)
    r = world.client.get("/api/v1/audit?format=csv", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.text)))
    total = len(rows(world, AuditEntry))
    assert len(table) == total
    updated = next(t for t in table if t["action"] == "user.updated")
    assert json.loads(updated["after"]) == {"name": "Agent, \"Smith\"\nJr"}
    assert updated["actor"] == email_of(Role.ADMIN)
    r = world.client.get("/api/v1/audit?format=jsonl&action=user.updated", headers=admin)
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == 1 and lines[0]["before"] == {"name": "Agent"}
    assert set(lines[0]) == {"id", "at", "actor", "actor_user_id", "action", "target_type", "target_id",
                             "before", "after", "ip"}


def test_acknowledge_over_api_is_audited_as_the_user(world: World) -> None:
    sid = world.situation_id
    browser, csrf = world.session_client(Role.AGENT)
    r = browser.post(f"/api/v1/situations/{sid}/ack", json={"by": "someone else"}, headers=csrf)
    assert r.status_code == 200 and r.json()["by"] == "Agent"
    detail = world.client.get(f"/api/v1/situations/{sid}", headers=world.bearer(Role.ANALYST)).json()
    assert detail["acknowledged_by"] == "Agent"
    [entry] = rows(world, AuditEntry, AuditEntry.action == "situation.acknowledged")
    assert entry.actor == email_of(Role.AGENT) and entry.actor_user_id == world.user_ids[Role.AGENT]
    assert entry.target_type == "situation" and entry.target_id == str(sid)
    assert entry.before == {"acknowledged_at": None, "acknowledged_by": None}
    assert entry.after is not None and entry.after["acknowledged_by"] == "Agent"
    missing = world.client.post("/api/v1/situations/999/ack", headers=world.bearer(Role.AGENT))
    assert missing.status_code == 404


def test_signed_link_needs_no_login_and_is_audited(world: World) -> None:
    sid = world.situation_id
    now = world.runtime.runner.clock.now()
    with world.engine.begin() as conn:
        eid = conn.execute(insert(Escalation).values(
            situation_id=sid, severity=2, status="active", chain="{}", next_step=1, next_at=now,
            started_at=now, updated_at=now).returning(Escalation.id)).scalar_one()
    secret = secret_key(world.runtime.workspace, world.runtime.settings)
    token = make_token(secret, sid, escalation_id=eid, step=0, recipient="Lena", now=now)
    anonymous = world.client
    assert anonymous.get(f"/ack/{sid}?t={token}").status_code == 200
    assert anonymous.post(f"/ack/{sid}", data={"t": token + "x", "by": "Mallory"}).status_code == 403
    done = anonymous.post(f"/ack/{sid}", data={"t": token, "by": "Mallory"})
    assert done.status_code == 200
    [entry] = rows(world, AuditEntry, AuditEntry.action == "situation.acknowledged")
    assert entry.actor == "link:Lena" and entry.actor_user_id is None
    assert entry.after is not None and entry.after["acknowledged_by"] == "Lena"
    assert entry.after["escalation"] == eid and entry.after["step"] == 0


def test_audit_needs_admin_and_csrf_does_not_apply_to_reads(world: World) -> None:
    browser, _csrf = world.session_client(Role.ADMIN)
    assert browser.get("/api/v1/audit").status_code == 200
    crisis_lead, _ = world.session_client(Role.CRISIS_LEAD)
    assert crisis_lead.get("/api/v1/audit").status_code == 403
    assert CSRF_HEADER == "X-CSRF-Token"

"""Changing a situation's severity and resolving it over the API: the same audited change as the
buttons on the situation page, published to live pages, refused with 409 where the page refuses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.bus.base import Message
from crisisdesk.detection.models import Situation
from tests.accounts.fixtures import T0, World, rows
from tests.modes import eventually


def _audit(world: World, sid: int) -> list[AuditEntry]:
    return rows(world, AuditEntry, AuditEntry.target_type == "situation", AuditEntry.target_id == str(sid))


def _state(world: World, sid: int) -> tuple[str, int]:
    with world.engine.connect() as conn:
        row = conn.execute(select(Situation.status, Situation.severity).where(Situation.id == sid)).one()
    return str(row.status), int(row.severity)


def _post(world: World, path: str, body: Any = None, role: Role = Role.CRISIS_LEAD) -> Any:
    return world.client.post(path, json=body, headers={**world.bearer(role), "Accept-Language": "de"})


def test_severity_then_resolve_are_audited_published_and_on_the_timeline(world: World) -> None:
    published: list[Message] = []
    world.runtime.runner.listeners.append(published.extend)
    sid = world.situation_id
    r = _post(world, f"/api/v1/situations/{sid}/severity", {"severity": 4, "reason": "press enquiry"})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["event"] == "alert.updated" and changed["severity"] == 4
    assert changed["previous_severity"] == 2 and changed["situation"] == sid and changed["monitor"] == "bahn"
    assert changed["by"] == "Crisis_Lead" and changed["reason"] == "press enquiry" and changed["via"] == "api"
    assert changed["at"] == T0.isoformat().replace("+00:00", "Z")
    assert _state(world, sid) == ("open", 4)
    r = _post(world, f"/api/v1/situations/{sid}/resolve", {"reason": "statement published"})
    assert r.status_code == 200, r.text
    assert r.json()["event"] == "alert.resolved" and r.json()["reason"] == "statement published"
    assert _state(world, sid) == ("resolved", 4)

    entries = _audit(world, sid)
    assert [e.action for e in entries] == ["situation.severity_changed", "situation.resolved"]
    assert all(e.ip == "testclient" for e in entries)
    eventually(lambda: sum(1 for e in published if e.get("manual")) >= 2)
    assert [(e["event"], e["situation"], e["via"]) for e in published if e.get("manual")] == [
        ("alert.updated", sid, "api"), ("alert.resolved", sid, "api")]
    detail = world.client.get(f"/api/v1/situations/{sid}", headers=world.bearer(Role.ANALYST)).json()
    timeline = [e["event"] for e in detail["timeline"]]
    assert timeline[-2:] == ["alert.updated", "alert.resolved"]


def test_refused_where_the_page_refuses_and_nothing_is_written(world: World) -> None:
    sid = world.situation_id
    same = _post(world, f"/api/v1/situations/{sid}/severity", {"severity": 2, "reason": "unchanged"})
    assert same.status_code == 409 and same.json()["detail"] == f"situation {sid} is at severity 2 already"
    assert _post(world, f"/api/v1/situations/{sid}/resolve").status_code == 200  # no body: no reason
    again = _post(world, f"/api/v1/situations/{sid}/resolve", {"reason": "twice"})
    assert again.status_code == 409 and "resolved already" in again.json()["detail"]
    later = _post(world, f"/api/v1/situations/{sid}/severity", {"severity": 3, "reason": "too late"})
    assert later.status_code == 409
    assert [e.action for e in _audit(world, sid)] == ["situation.resolved"]
    assert _state(world, sid) == ("resolved", 2)


@pytest.mark.parametrize("action", ["severity", "resolve"])
def test_an_unknown_situation_is_a_404(world: World, action: str) -> None:
    r = _post(world, f"/api/v1/situations/999999/{action}", {"severity": 3, "reason": "x"}
              if action == "severity" else {"reason": "x"})
    assert r.status_code == 404 and r.json()["detail"] == "no situation 999999"


@pytest.mark.parametrize(("body", "where"), [
    ({"severity": 5, "reason": "r"}, ["body", "severity"]),
    ({"severity": 0, "reason": "r"}, ["body", "severity"]),
    ({"severity": 3}, ["body", "reason"]),
    ({"severity": 3, "reason": ""}, ["body", "reason"]),
    ({"severity": 3, "reason": "   "}, ["body", "reason"]),
    ({"severity": 3, "reason": "r", "level": 3}, ["body", "level"]),
])
def test_a_bad_severity_body_is_a_422_naming_the_field(world: World, body: dict[str, Any],
                                                        where: list[str]) -> None:
    r = _post(world, f"/api/v1/situations/{world.situation_id}/severity", body)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [where]
    assert _state(world, world.situation_id) == ("open", 2)


def test_a_blank_reason_is_refused_with_the_pages_words(world: World) -> None:
    r = _post(world, f"/api/v1/situations/{world.situation_id}/severity", {"severity": 3, "reason": "   "})
    assert r.status_code == 422 and "give a reason for the change" in r.json()["detail"][0]["msg"]
    assert _audit(world, world.situation_id) == []


def test_roles_without_the_permission_are_refused(world: World) -> None:
    sid = world.situation_id
    for role in (Role.AGENT, Role.SPOKESPERSON, Role.ANALYST):
        assert _post(world, f"/api/v1/situations/{sid}/severity", {"severity": 3, "reason": "r"},
                     role=role).status_code == 403
        assert _post(world, f"/api/v1/situations/{sid}/resolve", role=role).status_code == 403
    assert _state(world, sid) == ("open", 2)

"""Improvement actions that are overdue join the plans' findings: on the settings' Plans page and
in the monthly reminder, to their owner when the owner is a workspace person."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.service import Actor
from crisisdesk.notify.models import Delivery
from crisisdesk.reports.actions import add_improvement, set_improvement
from crisisdesk.reports.follow_up import overdue_improvements
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.test_outbox_flow import token
from tests.crises.test_plan_review import WORKSPACE
from tests.reports.test_review_figures import record

NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)


def test_overdue_open_actions_are_found_with_their_owner(workspace_file: Path) -> None:
    workspace_file.write_text(WORKSPACE, encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings())
    people = runtime.workspace.config.people
    with Session(runtime.engine) as s:
        crisis = record(s)
        late = add_improvement(
            s,
            crisis,
            title="Holding Statement vorbereiten",
            owner="person:anna",
            due_at=datetime(2026, 12, 1, tzinfo=UTC),
            links_to=None,
            actor=Actor.system(),
            now=NOW,
        )
        add_improvement(
            s,
            crisis,
            title="Noch Zeit",
            owner="person:anna",
            due_at=datetime(2027, 1, 1, tzinfo=UTC),
            links_to=None,
            actor=Actor.system(),
            now=NOW,
        )
        done = add_improvement(
            s,
            crisis,
            title="Erledigt",
            owner="role:crisis_lead",
            due_at=datetime(2026, 11, 1, tzinfo=UTC),
            links_to=None,
            actor=Actor.system(),
            now=NOW,
        )
        set_improvement(s, crisis, done["id"], done=True, actor=Actor.system(), now=NOW)
        found = overdue_improvements(s, now=NOW, people=people)
        s.commit()
    assert [(f.code, f.owner) for f in found] == [("improvement_overdue", "anna")]
    assert "Holding Statement vorbereiten" in found[0].words["de"]
    assert found[0].place == f"/crises/{crisis}/review"
    assert late["overdue"] is True
    runtime.close()


def test_the_reminder_and_the_plans_page_name_the_overdue_action(workspace_file: Path) -> None:
    workspace_file.write_text(WORKSPACE, encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), deliver=True)
    from crisisdesk.api.app import create_app

    with Session(runtime.engine) as s:  # before the app starts: its ticker sends this month's reminder
        crisis = record(s)
        add_improvement(s, crisis, title="Kontaktliste erneuern", owner="person:anna",
                        due_at=datetime(2026, 11, 20, tzinfo=UTC), links_to="playbook:safety_incident",
                        actor=Actor.system(), now=NOW)
        s.commit()
    with TestClient(create_app(runtime, api_token="t")) as client:
        for role in (Role.CRISIS_LEAD, Role.ADMIN):
            token(client, role)
        assert "anna-hook" in runtime.remind_plans(NOW)
        with Session(runtime.engine) as s:
            anna = s.scalars(select(Delivery).where(Delivery.target_name == "anna-hook")).one()
        assert "Kontaktliste erneuern" in anna.payload["summary"]
        web = TestClient(client.app, base_url="http://localhost")
        web.post(
            "/login", data={"email": "admin@example.org", "password": "a long enough password", "next": "/"}
        )
        page = web.get("/settings/plans", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert "Action overdue" in page.text
        assert "Kontaktliste erneuern" in page.text

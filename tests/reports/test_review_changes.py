"""People's part of a review over the API: notes and improvement actions, each change on the crisis
timeline and in the audit log, the figures' review carrying them, and clear refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.crises.models import CrisisAction
from tests.accounts.fixtures import World, make_world
from tests.reports.test_review_figures import record


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


@pytest.fixture
def crisis(world: World) -> int:
    with Session(world.engine) as session:
        return record(session)


def test_notes_and_improvement_actions_are_kept_tracked_and_logged(world: World, crisis: int) -> None:
    lead = world.bearer(Role.CRISIS_LEAD)
    r = world.client.put(
        f"/api/v1/crises/{crisis}/review/notes",
        headers=lead,
        json={"strengths": "Erste Antwort nach einer Stunde.", "weaknesses": "Rechtsabteilung spät."},
    )
    assert r.status_code == 200, r.text
    assert r.json()["strengths"] == "Erste Antwort nach einer Stunde."
    # a second write changes only what it names
    r = world.client.put(
        f"/api/v1/crises/{crisis}/review/notes", headers=lead, json={"external_views": "Presse fair"}
    )
    assert r.json()["weaknesses"] == "Rechtsabteilung spät."
    assert r.json()["external_views"] == "Presse fair"

    r = world.client.post(
        f"/api/v1/crises/{crisis}/review/actions",
        headers=lead,
        json={
            "title": "Holding Statement für Akkubrände vorbereiten",
            "owner": "role:spokesperson",
            "due_at": "2026-11-10T12:00:00+01:00",
            "links_to": "playbook:safety_incident",
        },
    )
    assert r.status_code == 201, r.text
    action = r.json()
    assert action["done"] is False
    assert action["due_at"] == "2026-11-10T11:00:00+00:00"

    agent = world.bearer(Role.AGENT)  # acknowledge: whoever works the crisis may tick it off
    r = world.client.post(
        f"/api/v1/crises/{crisis}/review/actions/{action['id']}", headers=agent, json={"done": True}
    )
    assert r.status_code == 200, r.text
    assert r.json()["done"] is True
    assert r.json()["done_by"]

    review = world.client.get(f"/api/v1/crises/{crisis}/review", headers=lead).json()
    assert review["notes"]["strengths"] == "Erste Antwort nach einer Stunde."
    assert [a["title"] for a in review["improvements"]] == ["Holding Statement für Akkubrände vorbereiten"]
    assert review["improvements"][0]["done"] is True

    with Session(world.engine) as s:
        kinds = list(s.scalars(select(CrisisAction.kind).where(CrisisAction.crisis_id == crisis)))
        audited = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action == "review.changed")))
    assert {"review.notes", "improvement.added", "improvement.done"} <= set(kinds)
    assert kinds.count("review.notes") == 2
    assert len(audited) == 4


def test_an_improvement_action_overdue_says_so(world: World, crisis: int) -> None:
    lead = world.bearer(Role.CRISIS_LEAD)
    r = world.client.post(
        f"/api/v1/crises/{crisis}/review/actions",
        headers=lead,
        json={"title": "Kontaktliste prüfen", "owner": "role:crisis_lead", "due_at": "2000-01-01T00:00:00Z"},
    )
    assert r.json()["overdue"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "owner": "x", "due_at": "2026-12-01T00:00:00Z"}, "title"),
        ({"title": "t", "owner": "x", "due_at": "2026-12-01T00:00:00"}, "due_at"),  # no zone
        ({"title": "t", "owner": "x", "due_at": "2026-12-01T00:00:00Z", "links_to": "somewhere"}, "links_to"),
        ({"title": "t", "owner": "x", "due_at": "2026-12-01T00:00:00Z", "extra": 1}, "extra"),
    ],
)
def test_a_bad_action_names_its_field(world: World, crisis: int, body: dict[str, object], field: str) -> None:
    r = world.client.post(
        f"/api/v1/crises/{crisis}/review/actions", headers=world.bearer(Role.CRISIS_LEAD), json=body
    )
    assert r.status_code == 422
    assert field in r.text


def test_changes_need_their_rights_and_an_existing_crisis(world: World, crisis: int) -> None:
    analyst = world.bearer(Role.ANALYST)
    assert (
        world.client.put(
            f"/api/v1/crises/{crisis}/review/notes", headers=analyst, json={"strengths": "x"}
        ).status_code
        == 403
    )
    lead = world.bearer(Role.CRISIS_LEAD)
    assert (
        world.client.put(
            "/api/v1/crises/999999/review/notes", headers=lead, json={"strengths": "x"}
        ).status_code
        == 404
    )
    assert (
        world.client.post(
            f"/api/v1/crises/{crisis}/review/actions/999999", headers=lead, json={"done": True}
        ).status_code
        == 404
    )


def test_the_page_forms_write_notes_add_and_tick_actions_and_say_what_is_wrong(
    world: World, crisis: int
) -> None:
    client, _ = world.session_client(Role.CRISIS_LEAD)
    page = client.get(f"/crises/{crisis}/review", headers={"accept-language": "de"})
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert 'id="notes-form"' in page.text
    r = client.post(
        f"/crises/{crisis}/review/notes",
        data={
            "csrf_token": csrf,
            "strengths": "Schnell & klar",
            "weaknesses": "",
            "internal_views": "",
            "external_views": "",
        },
    )
    assert r.status_code == 200  # followed the redirect back to the review
    assert "Schnell &amp; klar" in r.text
    r = client.post(
        f"/crises/{crisis}/review/actions",
        data={
            "csrf_token": csrf,
            "title": "Checkliste kürzen",
            "owner": "role:crisis_lead",
            "due": "2026-12-20",
            "links_to": "irgendwo",
        },
        headers={"accept-language": "de"},
    )
    assert "links_to" in r.text  # the form says which field is wrong
    assert "Checkliste kürzen" not in r.text
    r = client.post(
        f"/crises/{crisis}/review/actions",
        data={
            "csrf_token": csrf,
            "title": "Checkliste kürzen",
            "owner": "role:crisis_lead",
            "due": "2026-12-20",
            "links_to": "playbook:safety_incident",
        },
    )
    assert "Checkliste kürzen" in r.text
    review = world.client.get(f"/api/v1/crises/{crisis}/review", headers=world.bearer(Role.ANALYST)).json()
    action = review["improvements"][0]
    assert action["due_at"] == "2026-12-20T22:59:00+00:00"  # the end of the day in Europe/Berlin
    r = client.post(
        f"/crises/{crisis}/review/actions/{action['id']}", data={"csrf_token": csrf, "done": "true"}
    )
    assert r.status_code == 200
    review = world.client.get(f"/api/v1/crises/{crisis}/review", headers=world.bearer(Role.ANALYST)).json()
    assert review["improvements"][0]["done"] is True
    # whoever may only view sees the notes, not the forms
    viewer, _ = world.session_client(Role.ANALYST)
    text = viewer.get(f"/crises/{crisis}/review").text
    assert "Schnell &amp; klar" in text
    assert 'id="notes-form"' not in text
    assert 'id="improvement-form"' not in text

"""Stakeholder updates over the API and on the page: the plan and what is due, a draft written by
an agent, checked, approved by a spokesperson and published in one step; the press release to
download; the page in German and English; clear refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.crises.models import Crisis
from tests.accounts.fixtures import T0, World, make_world
from tests.reports.test_review_export import pdf_text


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


@pytest.fixture
def crisis(world: World) -> int:
    with Session(world.engine) as session, session.begin():
        row = Crisis(
            title="Akku-Brände",
            status="open",
            severity=3,
            type="safety_incident",
            opened_at=T0 - timedelta(hours=2),
            updated_at=T0,
            monitors=["bahn"],
            reasons=[],
        )
        session.add(row)
        session.flush()
        return row.id


def test_write_approve_publish_over_the_api(world: World, crisis: int, tmp_path: Path) -> None:
    agent, spokes = world.bearer(Role.AGENT), world.bearer(Role.SPOKESPERSON)
    r = world.client.get(f"/api/v1/crises/{crisis}/updates", headers=agent)
    assert r.status_code == 200, r.text
    plan = r.json()["plan"]
    assert [a["audience"] for a in plan["audiences"]] == ["customers", "management"]
    due = {d["audience"]: d for d in plan["due"]}
    assert due["customers"]["reason"] == "first" and due["customers"]["at"] is not None

    r = world.client.post(
        f"/api/v1/crises/{crisis}/updates", headers=agent, json={"audience": "customers", "lang": "en"}
    )
    assert r.status_code == 201, r.text
    update = r.json()
    assert update["status"] == "draft" and update["lang"] == "en"
    assert update["body"].startswith("Since ")
    uid = update["id"]
    r = world.client.patch(
        f"/api/v1/crises/{crisis}/updates/{uid}",
        headers=agent,
        json={"channels": ["status_page", "press_release"], "phase": "identified"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["channels"] == ["status_page", "press_release"]
    r = world.client.post(f"/api/v1/crises/{crisis}/updates/{uid}/publish", headers=agent)
    assert r.status_code == 409 and "only approved updates" in r.json()["detail"]
    r = world.client.post(f"/api/v1/crises/{crisis}/updates/{uid}/submit", headers=agent)
    assert r.json()["status"] == "awaiting_approval", r.text
    # an agent may not approve; a spokesperson may
    r = world.client.post(f"/api/v1/crises/{crisis}/updates/{uid}/approve", headers=agent)
    assert r.status_code == 403
    r = world.client.post(f"/api/v1/crises/{crisis}/updates/{uid}/approve", headers=spokes)
    assert r.status_code == 200, r.text
    assert r.json()["decided_by"] == "spokesperson@example.org"
    r = world.client.post(f"/api/v1/crises/{crisis}/updates/{uid}/publish", headers=agent)
    assert r.status_code == 200, r.text
    published = r.json()
    assert published["status"] == "published"
    assert {p["channel"]: p["state"] for p in published["publications"]} == {
        "status_page": "delivered",
        "press_release": "delivered",
    }
    # the press release: the approved words, dated, with the contact
    r = world.client.get(f"/api/v1/crises/{crisis}/updates/{uid}/press-release?format=html", headers=agent)
    assert r.status_code == 200
    assert 'filename="press-release-' in r.headers["content-disposition"]
    assert "Press release" in r.text and published["title"] in r.text
    r = world.client.get(f"/api/v1/crises/{crisis}/updates/{uid}/press-release?format=pdf", headers=agent)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content, tmp_path)
    assert "PRESS RELEASE" in text.upper() and published["title"] in " ".join(text.split())
    # the timeline says where it went
    r = world.client.get(f"/api/v1/crises/{crisis}", headers=agent)
    assert r.status_code == 200


def test_refusals_name_the_problem(world: World, crisis: int) -> None:
    lead = world.bearer(Role.CRISIS_LEAD)
    r = world.client.put(
        f"/api/v1/crises/{crisis}/updates/plan",
        headers=lead,
        json={"audiences": [{"audience": "press", "channels": ["fax:1"]}]},
    )
    assert r.status_code == 422 and "fax:1" in r.text
    r = world.client.post(
        f"/api/v1/crises/{crisis}/updates", headers=lead, json={"audience": "press", "lang": "de"}
    )
    assert r.status_code == 422 and "no audience 'press'" in r.json()["detail"]
    r = world.client.put(
        f"/api/v1/crises/{crisis}/updates/plan",
        headers=lead,
        json={"audiences": [{"audience": "press", "channels": ["press_release"], "from_severity": 2}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "edited"
    r = world.client.post(f"/api/v1/crises/{crisis}/updates", headers=lead, json={"audience": "press"})
    assert r.status_code == 201
    r = world.client.get(f"/api/v1/crises/{crisis}/updates/{r.json()['id']}/press-release", headers=lead)
    assert r.status_code == 409 and "only published" in r.json()["detail"]
    r = world.client.get("/api/v1/crises/999999/updates", headers=lead)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ["Update-Plan", "Kundinnen und Kunden", "Update schreiben"]),
        ("en", ["Update plan", "Customers", "Write an update"]),
    ],
)
def test_the_page_in_both_languages(world: World, crisis: int, lang: str, words: list[str]) -> None:
    client, csrf = world.session_client(Role.CRISIS_LEAD)
    client.headers["accept-language"] = lang
    r = client.get(f"/crises/{crisis}/updates")
    assert r.status_code == 200, r.text
    for word in words:
        assert word in r.text
    # write one through the form: the draft is shown, prefilled, with its edit form
    r = client.post(
        f"/crises/{crisis}/updates",
        data={"audience": "customers", "lang": lang, **_form(csrf)},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert 'class="update-edit"' in r.text
    assert ("Seit " if lang == "de" else "Since ") in r.text


def _form(csrf: dict[str, str]) -> dict[str, str]:
    return {"csrf_token": next(iter(csrf.values()))}

"""The team's questionnaire: asked of the people the record shows working on the crisis and those
its playbook involves, once each (whatever the number of sweeps), by itself after the crisis ended
or earlier by hand; answers kept per person, replaced when given again, refused when empty or out
of range, and shown in the review; over the API and the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.service import Actor
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.models import Crisis, CrisisAction, CrisisTask
from crisisdesk.escalation.config import PersonConfig
from crisisdesk.notify.models import Delivery
from crisisdesk.notify.schemas import EmailTarget
from crisisdesk.reports import questionnaire
from crisisdesk.reports.actions import ReviewError
from crisisdesk.reports.review import build_review
from tests.accounts.fixtures import FakeClock, World, make_world

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
PEOPLE = {
    "sina": PersonConfig(name="Sina Berg", targets=["sina_mail"], email="sina@example.org", lang="de"),
    "lars": PersonConfig(name="Lars Vogt", targets=["lars_mail"], email="lars@example.org", lang="en"),
    "mia": PersonConfig(name="Mia Roth", targets=["mia_mail"], email="mia@example.org"),
    "ole": PersonConfig(name="Ole Kern", targets=["ole_mail"], email="ole@example.org"),
}
ROLES = {"crisis_lead": ["lars"], "legal": ["ole"]}
TARGETS = {f"{k}_mail": EmailTarget(to=[f"{k}@example.org"]) for k in PEOPLE}
BASE = "https://crisis.example.org"


def ask(session: Session, cid: int, actor: str, clock: FakeClock) -> list[str]:
    return questionnaire.send(
        session,
        cid,
        people=PEOPLE,
        roles=ROLES,
        targets=TARGETS,
        types=DEFAULT_TYPES,
        base_url=BASE,
        lang="de",
        actor=Actor(actor),
        now=T0,
        clock=clock,
    )


def sweep(session: Session, clock: FakeClock) -> list[int]:
    return questionnaire.send_after_the_end(
        session,
        people=PEOPLE,
        roles=ROLES,
        targets=TARGETS,
        types=DEFAULT_TYPES,
        base_url=BASE,
        lang="de",
        now=T0,
        clock=clock,
    )


def crisis_with_a_team(session: Session, *, status: str = "open") -> int:
    """Sina ticked a task, Mia acted on the timeline; the type involves the lead at level 2."""
    crisis = Crisis(
        title="Akku",
        status=status,
        severity=2,
        type="product_defect",
        opened_at=T0,
        updated_at=T0,
        resolved_at=T0 + timedelta(hours=5) if status == "resolved" else None,
        monitors=[],
        reasons=[],
    )
    session.add(crisis)
    session.flush()
    session.add(
        CrisisTask(
            crisis_id=crisis.id,
            key="ack",
            title={"de": "a", "en": "a"},
            owner="role:crisis_lead",
            due_at=T0,
            done_at=T0,
            done_by="SINA@example.org",
            created_at=T0,
        )
    )
    session.add(CrisisAction(crisis_id=crisis.id, at=T0, actor="mia@example.org", kind="mode.on", detail={}))
    session.flush()
    return crisis.id


def keys(session: Session) -> list[str]:
    return sorted(session.scalars(select(Delivery.key).where(Delivery.key.like("questionnaire:%"))))


def test_asked_once_of_the_team_the_record_shows(engine: Engine) -> None:
    clock = FakeClock(T0)
    with Session(engine) as session, session.begin():
        cid = crisis_with_a_team(session)
        crisis = session.get(Crisis, cid)
        assert crisis is not None
        assert questionnaire.team_of(session, crisis, people=PEOPLE, roles=ROLES, types=DEFAULT_TYPES) == [
            "lars",
            "mia",
            "sina",
        ]  # Ole (legal) is involved only from level 3
        asked = ask(session, cid, "lars@example.org", clock)
        assert asked == ["lars", "mia", "sina"]
        assert keys(session) == [f"questionnaire:{cid}:{k}:{k}_mail" for k in ("lars", "mia", "sina")]
        sina = session.scalar(select(Delivery.payload).where(Delivery.key.like("%:sina:%")))
        assert sina is not None and sina["title"].startswith(f"Nachbetrachtung Krise #{cid}")
        assert sina["ack_url"] == f"https://crisis.example.org/crises/{cid}/review/questionnaire"
        # asking again reaches nobody new; the sweep does not ask an open crisis's team
        assert ask(session, cid, "x", clock) == []
        assert sweep(session, clock) == []
        assert len(keys(session)) == 3


def test_the_sweep_asks_after_the_end_once(engine: Engine) -> None:
    clock = FakeClock(T0)
    with Session(engine) as session, session.begin():
        cid = crisis_with_a_team(session, status="resolved")
        assert sweep(session, clock) == [cid]
        assert sweep(session, clock) == []
        assert len(keys(session)) == 3
        summary = questionnaire.summary(session, cid)
        assert summary["asked"] == ["lars", "mia", "sina"] and summary["answered"] == 0


def test_answers_are_kept_replaced_checked_and_reviewed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        cid = crisis_with_a_team(session, status="resolved")
        me = Actor("sina@example.org")
        questionnaire.answer(
            session,
            cid,
            "Sina@example.org",
            {"went_well": "Schnelle Freigaben", "prepared": 2},
            actor=me,
            now=T0,
        )
        questionnaire.answer(
            session,
            cid,
            "sina@example.org",
            {"went_badly": "Legal spät", "prepared": 4},
            actor=me,
            now=T0 + timedelta(hours=1),
        )
        questionnaire.answer(
            session,
            cid,
            "mia@example.org",
            {"change": "Vorlage für Akku-Fälle"},
            actor=Actor("mia@example.org"),
            now=T0,
        )
        for bad, said in (
            ({}, "at least one"),
            ({"prepared": 6}, "not 1 to 5"),
            ({"went_well": "x" * 4001}, "at most 4000"),
        ):
            with pytest.raises(ReviewError, match=said) as refused:
                questionnaire.answer(session, cid, "sina@example.org", bad, actor=me, now=T0)
            assert refused.value.status == 422
        with pytest.raises(ReviewError, match="no crisis 999"):
            questionnaire.answer(session, 999, "sina@example.org", {"change": "x"}, actor=me, now=T0)
        review = build_review(session, cid, now=T0 + timedelta(days=1))
        assert review is not None
        q = review["questionnaire"]
        assert q["answered"] == 2 and q["prepared_average"] == 4.0
        sina = next(a for a in q["answers"] if a["person"] == "sina@example.org")
        assert (sina["went_well"], sina["went_badly"], sina["prepared"]) == ("", "Legal spät", 4)


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


def test_over_the_api_and_the_page(world: World) -> None:
    with Session(world.engine) as session, session.begin():
        cid = crisis_with_a_team(session, status="resolved")
    lead = world.bearer(Role.CRISIS_LEAD)
    r = world.client.post(f"/api/v1/crises/{cid}/review/questionnaire", headers=lead)
    assert r.status_code == 200, r.text
    assert r.json() == {"asked": []}  # the test workspace names no people with targets
    r = world.client.put(
        f"/api/v1/crises/{cid}/review/questionnaire/answer",
        headers=world.bearer(Role.AGENT),
        json={"went_well": "Gute Vorlagen", "prepared": 5},
    )
    assert r.status_code == 200, r.text
    assert r.json()["person"] == "agent@example.org"
    r = world.client.put(
        f"/api/v1/crises/{cid}/review/questionnaire/answer", headers=lead, json={"prepared": 9}
    )
    assert r.status_code == 422
    client, csrf = world.session_client(Role.ANALYST)
    client.headers["accept-language"] = "en"
    page = client.get(f"/crises/{cid}/review/questionnaire")
    assert page.status_code == 200 and "How prepared did you feel?" in page.text
    r = client.post(
        f"/crises/{cid}/review/questionnaire",
        follow_redirects=True,
        data={"change": "Mehr Übung", "prepared": "3", "csrf_token": next(iter(csrf.values()))},
    )
    assert r.status_code == 200 and "Your answers are saved" in r.text
    assert "Mehr Übung" in r.text  # shown again for changing
    review = client.get(f"/crises/{cid}/review")
    assert (
        "agent@example.org" in review.text and "Gute Vorlagen" in review.text and "Mehr Übung" in review.text
    )

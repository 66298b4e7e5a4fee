"""An update's life on a real database (SQLite and PostgreSQL), under a clock: the plan copied from
the playbook, the reminder when due and the escalation when missed, the draft prefilled, checked and
approved by a spokesperson, and publishing to the status page, a press release and internal targets,
each on the crisis timeline and in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor
from crisisdesk.crises.approval import Gate
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.models import Crisis, CrisisAction
from crisisdesk.escalation.config import PersonConfig
from crisisdesk.notify.models import Delivery
from crisisdesk.notify.schemas import EmailTarget
from crisisdesk.updates import actions, publishing, reminders, service
from crisisdesk.updates.models import PublicationState, UpdateStatus
from crisisdesk.updates.service import UpdatesError
from tests.accounts.fixtures import FakeClock

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
PEOPLE = {
    "sina": PersonConfig(name="Sina", targets=["sina_mail"], email="sina@example.org", lang="de"),
    "lars": PersonConfig(name="Lars", targets=["lars_mail"], email="lars@example.org", lang="en"),
    "mia": PersonConfig(name="Mia", targets=["mia_mail"], email="mia@example.org"),
}
ROLES = {"spokesperson": ["sina"], "crisis_lead": ["lars"], "management": ["mia"]}
TARGETS = {k: EmailTarget(to=[f"{k}@example.org"]) for k in ("sina_mail", "lars_mail", "mia_mail")}
TYPES = [t.model_copy(update={"spokespersons": ["role:spokesperson"]}) for t in DEFAULT_TYPES]


def reach() -> reminders.Reach:
    return reminders.Reach(people=PEOPLE, roles=ROLES, targets=TARGETS, types=TYPES,
                           base_url="https://crisis.example.org", lang="de")


def gate() -> Gate:
    return Gate(types=TYPES, roles=ROLES, emails={k: p.email for k, p in PEOPLE.items()})


def open_crisis(session: Session, severity: int = 3, typ: str | None = None) -> Crisis:
    crisis = Crisis(title="Akku-Brände", status="open", severity=severity, type=typ, opened_at=T0,
                    updated_at=T0, monitors=["akku"], reasons=[])
    session.add(crisis)
    session.flush()
    return crisis


def reminder_keys(session: Session) -> list[str]:
    return sorted(session.scalars(select(Delivery.key).where(Delivery.key.like("update:%"))))


def test_reminders_when_due_and_escalation_when_missed(engine: Engine) -> None:
    clock = FakeClock(T0 + timedelta(minutes=5))
    with Session(engine) as session, session.begin():
        crisis = open_crisis(session)
        cid = crisis.id
        # the default plan: customers every 2 h from level 2, management every 4 h from level 3
        assert reminders.sweep(session, reach(), now=clock.now(), clock=clock) == []
        row = service.plan_row(session, crisis, TYPES, now=clock.now())
        assert [a["audience"] for a in row.audiences] == ["customers", "management"]
        assert row.source == "playbook:default"
    clock.advance(hours=1)  # the first update to each is due within the hour
    with Session(engine) as session, session.begin():
        keys = reminders.sweep(session, reach(), now=clock.now(), clock=clock)
    assert keys == [f"update:{cid}:customers:20261103T0900:due:sina_mail",
                    f"update:{cid}:management:20261103T0900:due:lars_mail"]
    with Session(engine) as session, session.begin():  # a second sweep sends nothing new
        reminders.sweep(session, reach(), now=clock.now(), clock=clock)
        assert len(reminder_keys(session)) == 2
        note = session.scalar(select(Delivery.payload).where(Delivery.key == keys[0]))
        assert note is not None and note["title"] == f"Update an Kundinnen und Kunden fällig (Krise #{cid})"
        assert note["ack_url"] == f"https://crisis.example.org/crises/{cid}/updates"
    clock.advance(minutes=30)  # 30 minutes late: the crisis lead hears of it, once, and so does the timeline
    with Session(engine) as session, session.begin():
        reminders.sweep(session, reach(), now=clock.now(), clock=clock)
        reminders.sweep(session, reach(), now=clock.now(), clock=clock)
        missed = [k for k in reminder_keys(session) if ":missed:" in k]
        assert missed == [f"update:{cid}:customers:20261103T0900:missed:lars_mail",
                          f"update:{cid}:management:20261103T0900:missed:lars_mail"]
        kinds = session.scalars(select(CrisisAction.detail).where(CrisisAction.kind == "update.missed"))
        assert sorted(str(d["audience"]) for d in kinds) == ["customers", "management"]


def test_write_check_approve_publish(engine: Engine) -> None:
    clock = FakeClock(T0 + timedelta(hours=1))
    writer = Actor("kim@example.org")
    sina = Actor("sina@example.org")
    outlets = publishing.Outlets(connectors={}, reach=reach(), slug="voltaro")
    with Session(engine) as session, session.begin():
        crisis = open_crisis(session, typ="safety_incident")
        cid = crisis.id
        draft = actions.create(session, cid, "customers", gate(), lang="de", actor=writer, now=clock.now(),
                               zone=BERLIN)
        uid = draft.id
        assert draft.status == UpdateStatus.DRAFT and draft.phase == "investigating"
        assert draft.channels == ["status_page", "email:subscribers"]
        # prefilled from the record: when it began (in the workspace's zone), what we do, the next update
        assert "Seit 03.11.2026, 09:00" in draft.body
        assert "spätestens am 03.11.2026, 12:00 Uhr" in draft.body
        # the type's holding statement, its promise filled with the next update's time
        assert "melden uns bis 12:00 Uhr mit mehr Informationen" in draft.body and "{" not in draft.body
        with pytest.raises(UpdatesError, match="only approved updates"):
            actions.publish(session, cid, uid, outlets, actor=writer, now=clock.now(), clock=clock)
        actions.edit(session, cid, uid, actor=writer, now=clock.now(),
                     body="Das ist nicht unsere Schuld, der Zulieferer hat versagt.",
                     channels=["status_page", "press_release", "role:management"])
        held = actions.submit(session, cid, uid, gate(), actor=writer, email="kim@example.org",
                              can_approve=False, now=clock.now())
        assert held.status == UpdateStatus.AWAITING_APPROVAL
        assert {"blame"} <= {f["code"] for f in held.findings or []}
        with pytest.raises(UpdatesError, match="only the spokespersons") as refused:
            actions.approve(session, cid, uid, gate(), actor=writer, email="kim@example.org",
                            can_approve=True, now=clock.now())
        assert refused.value.status == 403
        rejected = actions.reject(session, cid, uid, gate(), actor=sina, email="sina@example.org",
                                  can_approve=False, now=clock.now(), comment="Keine Schuldzuweisung.")
        assert rejected.status == UpdateStatus.REJECTED and rejected.comment == "Keine Schuldzuweisung."
        actions.edit(session, cid, uid, actor=writer, now=clock.now(),
                     body="Es tut uns leid. Wir prüfen alle Hinweise und melden uns bis 12 Uhr wieder.")
        actions.submit(session, cid, uid, gate(), actor=writer, email="kim@example.org", can_approve=False,
                       now=clock.now())
        approved = actions.approve(session, cid, uid, gate(), actor=sina, email="sina@example.org",
                                   can_approve=False, now=clock.now())
        assert approved.status == UpdateStatus.APPROVED and approved.decided_by == "sina@example.org"
        pubs = actions.publish(session, cid, uid, outlets, actor=sina, now=clock.now(), clock=clock)
        states = {p.channel: (p.state, p.detail) for p in pubs}
        assert states["status_page"] == (PublicationState.DELIVERED, "https://crisis.example.org/status/voltaro")
        assert states["press_release"][0] == PublicationState.DELIVERED
        assert states["role:management"] == (PublicationState.QUEUED, "")
        with pytest.raises(UpdatesError, match="published"):
            actions.publish(session, cid, uid, outlets, actor=sina, now=clock.now(), clock=clock)
        internal = session.scalars(select(Delivery).where(Delivery.key.like("update-pub:%"))).all()
        assert [d.target_name for d in internal] == ["mia_mail"]
        assert internal[0].payload["kind"] == "update"
        # the internal publication follows its delivery
        internal[0].status = "sent"
        publishing.refresh(session, pubs, now=clock.now())
        assert {p.channel: p.state for p in pubs}["role:management"] == PublicationState.DELIVERED
        said = session.scalars(select(CrisisAction.detail).where(CrisisAction.kind == "update.delivery"))
        assert [(d["channel"], d["state"]) for d in said.all()] == [("role:management", "delivered")]
        kinds = list(session.scalars(select(CrisisAction.kind).where(CrisisAction.crisis_id == cid)
                                     .order_by(CrisisAction.id)))
        assert kinds == ["update.submitted", "update.rejected", "update.submitted", "update.approved",
                         "update.published", "update.delivery"]
        audit = set(session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "update")))
        assert audit == {"update.changed", "update.decided", "update.published"}
        # the published update is what the audience last heard: the cadence counts from it
        due = {d.plan.audience.value: d.due for d in service.due_now(session, crisis,
                                                                     service.plan_row(session, crisis, TYPES,
                                                                                      now=clock.now()))}
        assert due["customers"] is not None and due["customers"].at == clock.now() + timedelta(hours=2)


def test_a_spokespersons_own_update_is_approved_when_submitted(engine: Engine) -> None:
    clock = FakeClock(T0)
    sina = Actor("sina@example.org")
    with Session(engine) as session, session.begin():
        crisis = open_crisis(session, typ="safety_incident")
        draft = actions.create(session, crisis.id, "customers", gate(), lang="en", actor=sina,
                               now=clock.now(), zone=BERLIN)
        assert draft.title.startswith("We are looking into it")
        done = actions.submit(session, crisis.id, draft.id, gate(), actor=sina, email="sina@example.org",
                              can_approve=False, now=clock.now())
        assert done.status == UpdateStatus.APPROVED


def test_clear_refusals(engine: Engine) -> None:
    clock = FakeClock(T0)
    kim = Actor("kim@example.org")
    with Session(engine) as session, session.begin():
        crisis = open_crisis(session)
        with pytest.raises(UpdatesError, match="no audience 'press'") as e:
            actions.create(session, crisis.id, "press", gate(), lang="de", actor=kim, now=clock.now(),
                           zone=BERLIN)
        assert e.value.status == 422
        with pytest.raises(UpdatesError, match="unknown audience 'fans'"):
            actions.create(session, crisis.id, "fans", gate(), lang="de", actor=kim, now=clock.now(),
                           zone=BERLIN)
        with pytest.raises(UpdatesError, match="no crisis 999"):
            actions.create(session, 999, "customers", gate(), lang="de", actor=kim, now=clock.now(),
                           zone=BERLIN)
        draft = actions.create(session, crisis.id, "customers", gate(), lang="de", actor=kim, now=clock.now(),
                               zone=BERLIN)
        with pytest.raises(UpdatesError, match=r"channels\[0\] 'fax:123'"):
            actions.edit(session, crisis.id, draft.id, actor=kim, now=clock.now(), channels=["fax:123"])
        with pytest.raises(UpdatesError, match="a rejection needs a comment"):
            actions.reject(session, crisis.id, draft.id, gate(), actor=kim, email=None, can_approve=True,
                           now=clock.now(), comment=" ")
        with pytest.raises(UpdatesError, match="plan: "):
            service.set_plan(session, crisis, [{"audience": "press", "channels": []}], TYPES, actor="kim",
                             now=clock.now())


def test_the_last_update_says_it_is_over(engine: Engine) -> None:
    clock = FakeClock(T0 + timedelta(hours=30))
    kim = Actor("kim@example.org")
    with Session(engine) as session, session.begin():
        crisis = open_crisis(session, typ="safety_incident")
        crisis.status, crisis.resolved_at = "resolved", T0 + timedelta(hours=29)
        draft = actions.create(session, crisis.id, "customers", gate(), lang="de", actor=kim, now=clock.now(),
                               zone=BERLIN)
        assert draft.phase == "resolved" and draft.title == "Behoben: „Sicherheitsvorfall“"
        assert draft.next_update_at is None
        assert "Die Lage ist seit 04.11.2026, 14:00 geklärt." in draft.body
        assert "Wir haben die Ursache behoben" in draft.body
        assert "nächste Update" not in draft.body and "melden uns bis" not in draft.body

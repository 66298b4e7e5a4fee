"""Changes to a crisis's review by people: its notes and its improvement actions. Each change is
on the crisis timeline and in the audit log, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.crises.models import Crisis
from crisisdesk.crises.playbook import act
from crisisdesk.reports.models import ImprovementAction, ReviewNotes

NOTE_FIELDS = ("strengths", "weaknesses", "internal_views", "external_views")


class ReviewError(CrisisdeskError):
    """A review change that cannot be done; ``status`` is the HTTP answer (404 or 422)."""

    def __init__(self, message: str, *, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def _crisis(session: Session, crisis_id: int) -> Crisis:
    crisis = session.get(Crisis, crisis_id)
    if crisis is None:
        raise ReviewError(f"no crisis {crisis_id}")
    return crisis


def notes_of(session: Session, crisis_id: int) -> dict[str, Any]:
    notes = session.get(ReviewNotes, crisis_id)
    out: dict[str, Any] = {f: (getattr(notes, f) if notes is not None else "") for f in NOTE_FIELDS}
    out["updated_at"] = notes.updated_at.isoformat() if notes is not None else None
    out["updated_by"] = notes.updated_by if notes is not None else None
    return out


def save_notes(
    session: Session,
    crisis_id: int,
    values: Mapping[str, str],
    *,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> dict[str, Any]:
    """Set the notes given (the others stay as they are)."""
    _crisis(session, crisis_id)
    notes = session.get(ReviewNotes, crisis_id)
    if notes is None:
        notes = ReviewNotes(
            crisis_id=crisis_id, **dict.fromkeys(NOTE_FIELDS, ""), updated_at=now, updated_by=actor.label
        )
        session.add(notes)
    before = {f: getattr(notes, f) for f in NOTE_FIELDS}
    changed = [f for f in NOTE_FIELDS if f in values and values[f] != before[f]]
    for f in changed:
        setattr(notes, f, values[f])
    if changed:
        notes.updated_at, notes.updated_by = now, actor.label
        act(session, crisis_id, "review.notes", actor=actor.label, at=now, fields=changed)
        record(
            session,
            actor=actor,
            action=AuditAction.REVIEW_CHANGED,
            at=now,
            target_type="crisis",
            target_id=crisis_id,
            before={f: before[f] for f in changed},
            after={f: values[f] for f in changed},
            ip=ip,
        )
    session.flush()
    return notes_of(session, crisis_id)


def improvement_out(a: ImprovementAction, now: datetime) -> dict[str, Any]:
    return {
        "id": a.id,
        "crisis": a.crisis_id,
        "title": a.title,
        "owner": a.owner,
        "due_at": a.due_at.isoformat(),
        "links_to": a.links_to,
        "done": a.done_at is not None,
        "done_at": a.done_at.isoformat() if a.done_at else None,
        "done_by": a.done_by,
        "overdue": a.done_at is None and a.due_at < now,
        "created_at": a.created_at.isoformat(),
        "created_by": a.created_by,
    }


def improvements(session: Session, crisis_id: int, *, now: datetime) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ImprovementAction)
        .where(ImprovementAction.crisis_id == crisis_id)
        .order_by(ImprovementAction.due_at, ImprovementAction.id)
    )
    return [improvement_out(a, now) for a in rows]


def add_improvement(
    session: Session,
    crisis_id: int,
    *,
    title: str,
    owner: str,
    due_at: datetime,
    links_to: str | None,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> dict[str, Any]:
    _crisis(session, crisis_id)
    due_at = due_at.astimezone(UTC)  # stored and shown as the instant it is, whatever zone it came in
    a = ImprovementAction(
        crisis_id=crisis_id,
        title=title,
        owner=owner,
        due_at=due_at,
        links_to=links_to,
        created_at=now,
        created_by=actor.label,
    )
    session.add(a)
    session.flush()
    act(
        session,
        crisis_id,
        "improvement.added",
        actor=actor.label,
        at=now,
        improvement=a.id,
        title=title,
        owner=owner,
        due_at=due_at.isoformat(),
    )
    record(
        session,
        actor=actor,
        action=AuditAction.REVIEW_CHANGED,
        at=now,
        target_type="crisis",
        target_id=crisis_id,
        after={
            "improvement": a.id,
            "title": title,
            "owner": owner,
            "due_at": due_at.isoformat(),
            "links_to": links_to,
        },
        ip=ip,
    )
    session.flush()
    return improvement_out(a, now)


def set_improvement(
    session: Session,
    crisis_id: int,
    improvement_id: int,
    *,
    done: bool,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> dict[str, Any]:
    a = session.get(ImprovementAction, improvement_id)
    if a is None or a.crisis_id != crisis_id:
        raise ReviewError(f"crisis {crisis_id} has no improvement action {improvement_id}")
    if done != (a.done_at is not None):
        a.done_at, a.done_by = (now, actor.label) if done else (None, None)
        act(
            session,
            crisis_id,
            "improvement.done" if done else "improvement.reopened",
            actor=actor.label,
            at=now,
            improvement=a.id,
            title=a.title,
        )
        record(
            session,
            actor=actor,
            action=AuditAction.REVIEW_CHANGED,
            at=now,
            target_type="crisis",
            target_id=crisis_id,
            before={"improvement": a.id, "done": not done},
            after={"improvement": a.id, "done": done},
            ip=ip,
        )
        session.flush()
    return improvement_out(a, now)

"""Correcting the grouping by hand: move a situation to another crisis (or out into a new one: a
split), or merge two crises; and ending a crisis a person took charge of once its situations are
calm. Each change is audited and returns the crisis events to publish.

What a person decided stays: the situation's link says who put it there (``by``), and the automatic
grouping only places situations that have no crisis yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.bus.base import Message
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.playbook import act
from crisisdesk.crises.tracker import CrisisTracker, crisis_event, taken_in_charge
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.detection.models import Situation
from crisisdesk.sources.models import Monitor


class CrisisChangeError(Exception):
    """A change that cannot be made; ``status`` is the HTTP answer (404 or 409)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def move(session: Session, situation_id: int, into: int | None, *, actor: Actor, now: datetime,
         ip: str | None = None, types: Sequence[CrisisTypeConfig] = DEFAULT_TYPES) -> list[Message]:
    """Put the situation into crisis ``into``, or (None) into a new crisis of its own."""
    situation = session.get(Situation, situation_id)
    if situation is None:
        raise CrisisChangeError(f"no situation {situation_id}", status=404)
    link = session.get(CrisisSituation, situation_id)
    before = link.crisis_id if link is not None else None
    if into is not None:
        target = session.get(Crisis, into)
        if target is None:
            raise CrisisChangeError(f"no crisis {into}", status=404)
        if before == into:
            raise CrisisChangeError(f"situation {situation_id} is in crisis {into} already")
    else:
        if link is not None and _count(session, before) == 1:
            raise CrisisChangeError(f"situation {situation_id} is alone in crisis {before} already")
        monitor = session.scalar(select(Monitor.name).where(Monitor.id == situation.monitor_id)) or "?"
        target = Crisis(title=monitor, status="open" if situation.status != "resolved" else "resolved",
                        severity=situation.severity, opened_at=now, updated_at=now,
                        resolved_at=now if situation.status == "resolved" else None, monitors=[])
        session.add(target)
        session.flush()
    reason: dict[str, object] = {"kind": "manual", "by": actor.label, "text": f"moved here by {actor.label}"}
    if link is None:
        link = CrisisSituation(situation_id=situation_id, crisis_id=target.id, joined_at=now, reason=reason,
                               by=actor.label)
        session.add(link)
    else:
        link.crisis_id, link.joined_at, link.reason, link.by = target.id, now, reason, actor.label
    session.flush()
    act(session, target.id, "situation.moved", actor=actor.label, at=now, situation=situation_id,
        source=before, into=target.id)
    if before is not None:
        act(session, before, "situation.moved", actor=actor.label, at=now, situation=situation_id,
            source=before, into=target.id)
    events = [_refresh(session, target, now, types)]
    if before is not None:
        old = session.get_one(Crisis, before)
        events.append(_refresh(session, old, now, types))
    record(session, actor=actor, action=AuditAction.CRISIS_CHANGED, at=now, target_type="crisis",
           target_id=target.id, before={"situation": situation_id, "crisis": before},
           after={"situation": situation_id, "crisis": target.id}, ip=ip)
    return events


def merge(session: Session, source_id: int, into: int, *, actor: Actor, now: datetime,
          ip: str | None = None, types: Sequence[CrisisTypeConfig] = DEFAULT_TYPES) -> list[Message]:
    """Move every situation of crisis ``source_id`` into crisis ``into``; the source ends."""
    if source_id == into:
        raise CrisisChangeError("a crisis cannot be merged into itself")
    source, target = session.get(Crisis, source_id), session.get(Crisis, into)
    if source is None or target is None:
        raise CrisisChangeError(f"no crisis {source_id if source is None else into}", status=404)
    reason: dict[str, object] = {"kind": "manual", "by": actor.label, "text": f"moved here by {actor.label}"}
    moved = list(session.scalars(select(CrisisSituation).where(CrisisSituation.crisis_id == source_id)))
    for link in moved:
        link.crisis_id, link.joined_at, link.reason, link.by = into, now, reason, actor.label
    session.flush()
    for crisis_id in (into, source_id):
        act(session, crisis_id, "crisis.merged", actor=actor.label, at=now, source=source_id, into=into,
            situations=[x.situation_id for x in moved])
    events = [_refresh(session, target, now, types), _refresh(session, source, now, types)]
    events[-1]["merged_into"] = into
    record(session, actor=actor, action=AuditAction.CRISIS_CHANGED, at=now, target_type="crisis",
           target_id=into, before={"crisis": source_id, "situations": [x.situation_id for x in moved]},
           after={"merged_into": into}, ip=ip)
    return events


def _count(session: Session, crisis_id: int | None) -> int:
    return len(session.scalars(select(CrisisSituation.situation_id)
                               .where(CrisisSituation.crisis_id == crisis_id)).all())


def _refresh(session: Session, crisis: Crisis, now: datetime,
             types: Sequence[CrisisTypeConfig] = DEFAULT_TYPES) -> Message:
    """Bring the crisis's monitors, severity and status in line with its situations now."""
    rows = session.execute(select(Situation, Monitor.name)
                           .join(CrisisSituation, CrisisSituation.situation_id == Situation.id)
                           .join(Monitor, Monitor.id == Situation.monitor_id)
                           .where(CrisisSituation.crisis_id == crisis.id).order_by(Situation.id)).all()
    monitors: list[str] = []
    for _, name in rows:
        if name not in monitors:
            monitors.append(name)
    crisis.monitors = monitors
    crisis.updated_at = now
    if rows:
        CrisisTracker(types=types).rate_crisis(session, crisis)
    still_open = any(s.status != "resolved" for s, _ in rows)
    if still_open:
        crisis.status, crisis.resolved_at = "open", None
    elif crisis.status != "resolved" and not (rows and taken_in_charge(crisis)):
        crisis.status, crisis.resolved_at = "resolved", now
    session.flush()
    name = "crisis.resolved" if crisis.status == "resolved" and not still_open else "crisis.updated"
    return crisis_event(session, crisis, name, now)


#: Longest note a person leaves when ending a crisis.
MAX_NOTE = 2000


def resolve(session: Session, crisis_id: int, *, actor: Actor, now: datetime, note: str = "",
            ip: str | None = None) -> list[Message]:
    """End the crisis: a person says the work is done. Only once its situations are calm (an open
    one would open it again with its next update); the note lands on the timeline and in the log."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None:
        raise CrisisChangeError(f"no crisis {crisis_id}", status=404)
    if crisis.status == "resolved":
        raise CrisisChangeError(f"crisis {crisis_id} has ended already")
    said = note.strip()
    if len(said) > MAX_NOTE:
        raise CrisisChangeError(f"note has {len(said)} characters; at most {MAX_NOTE}", status=422)
    still = session.scalars(
        select(Situation.id).join(CrisisSituation, CrisisSituation.situation_id == Situation.id)
        .where(CrisisSituation.crisis_id == crisis_id, Situation.status != "resolved")
        .order_by(Situation.id)).all()
    if still:
        ids = ", ".join(f"#{i}" for i in still)
        raise CrisisChangeError(f"crisis {crisis_id} still has open situations ({ids}): it ends once they "
                                "are calm, or move them to a crisis of their own first")
    crisis.status, crisis.resolved_at, crisis.updated_at = "resolved", now, max(crisis.updated_at, now)
    session.flush()
    act(session, crisis_id, "crisis.resolved", actor=actor.label, at=now, note=said or None)
    record(session, actor=actor, action=AuditAction.CRISIS_CHANGED, at=now, target_type="crisis",
           target_id=crisis_id, before={"status": "open"}, after={"status": "resolved", "note": said or None},
           ip=ip)
    return [crisis_event(session, crisis, "crisis.resolved", now)]

"""Switching crisis mode on and off: a person's decision, on the crisis timeline and in the audit log.

Switching on raises the priority of the open conversations already under the crisis (the new ones
are raised as their messages arrive); switching off releases what the mode held back (the outbox
sender sends the paused posts in its next round). A crisis's mode also ends when the crisis
resolves (see :mod:`crisisdesk.crises.mode`); :func:`close_ended` writes that down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.crises.mode import ActiveMode, in_force
from crisisdesk.crises.mode_effects import conversations_under, raise_all, read_state
from crisisdesk.crises.models import Crisis, CrisisMode
from crisisdesk.crises.playbook import act
from crisisdesk.crises.types import CrisisTypeConfig

#: Who ends a mode when its crisis resolved.
SYSTEM = "crisisdesk"


class ModeError(Exception):
    """A switch that cannot be made; ``status`` is the HTTP answer (404 or 409)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Switched:
    mode: CrisisMode
    on: bool
    #: Conversations whose priority switching on raised.
    raised: list[int] = field(default_factory=list)


def _scope(crisis_id: int | None) -> str:
    return f"crisis #{crisis_id}" if crisis_id is not None else "the workspace"


def switch(session: Session, crisis_id: int | None, on: bool, *, actor: Actor, now: datetime,
           reason: str = "", ip: str | None = None, types: Sequence[CrisisTypeConfig] = (),
           zone: str = "Europe/Berlin") -> Switched:
    """Switch the mode of crisis ``crisis_id`` (None: workspace-wide) on or off.

    Raises :class:`ModeError`: 404 for an unknown crisis, 409 when it would change nothing or the
    crisis is resolved (its mode would end at once)."""
    crisis = None
    if crisis_id is not None:
        crisis = session.get(Crisis, crisis_id, with_for_update=True)  # two switches in turn (PostgreSQL)
        if crisis is None:
            raise ModeError(f"no crisis {crisis_id}", status=404)
    current = [m for m in in_force(session) if m.crisis_id == crisis_id]
    if on:
        if current:
            raise ModeError(f"crisis mode is on for {_scope(crisis_id)} already (since "
                            f"{current[0].on_at.isoformat()}, by {current[0].on_by})")
        if crisis is not None and crisis.status != "open":
            raise ModeError(f"crisis #{crisis_id} is {crisis.status}: its mode would end at once")
        mode = CrisisMode(crisis_id=crisis_id, on_at=now, on_by=actor.label, reason=reason.strip())
        session.add(mode)
        session.flush()
    else:
        rows = list(session.scalars(select(CrisisMode).where(
            CrisisMode.off_at.is_(None),
            CrisisMode.crisis_id.is_(None) if crisis_id is None else CrisisMode.crisis_id == crisis_id)))
        if not rows:
            raise ModeError(f"crisis mode is not on for {_scope(crisis_id)}")
        for row in rows:
            row.off_at, row.off_by = now, actor.label
        mode = rows[0]
        session.flush()
    kind = "mode.on" if on else "mode.off"
    for timeline in _timelines(session, crisis_id):
        act(session, timeline, kind, actor=actor.label, at=now, scope="crisis" if crisis_id else "workspace",
            mode=mode.id, reason=reason.strip())
    record(session, actor=actor, action=AuditAction.CRISIS_MODE_CHANGED, at=now,
           target_type="crisis" if crisis_id is not None else "workspace", target_id=crisis_id,
           before={"on": not on}, after={"on": on, "mode": mode.id, "reason": reason.strip()}, ip=ip)
    done = Switched(mode, on)
    if on:
        state = read_state(session, types=types, zone=zone)
        counted = [crisis_id] if crisis_id is not None else list(state.crises)
        done.raised = raise_all(session, state, conversations_under(session, counted), now=now)
        session.flush()
    return done


def _timelines(session: Session, crisis_id: int | None) -> list[int]:
    """The crisis timelines a switch lands on: the crisis's, or every open crisis's (workspace)."""
    if crisis_id is not None:
        return [crisis_id]
    return list(session.scalars(select(Crisis.id).where(Crisis.status == "open").order_by(Crisis.id)))


def close_ended(session: Session, now: datetime) -> list[CrisisMode]:
    """Close, for the log, the modes whose crisis has resolved (they stopped acting at once): off at
    the crisis's end, by ``crisisdesk``, on the timeline and in the audit log. Idempotent."""
    rows = session.execute(select(CrisisMode, Crisis).join(Crisis, Crisis.id == CrisisMode.crisis_id)
                           .where(CrisisMode.off_at.is_(None), Crisis.status != "open")).all()
    closed = []
    for mode, crisis in rows:
        mode.off_at, mode.off_by = crisis.resolved_at or now, SYSTEM
        act(session, crisis.id, "mode.off", actor=SYSTEM, at=now, scope="crisis", mode=mode.id,
            reason="crisis resolved")
        record(session, actor=Actor(SYSTEM), action=AuditAction.CRISIS_MODE_CHANGED, at=now,
               target_type="crisis", target_id=crisis.id, before={"on": True},
               after={"on": False, "mode": mode.id, "reason": "crisis resolved"})
        closed.append(mode)
    session.flush()
    return closed


def describe(modes: Sequence[ActiveMode]) -> list[dict[str, object]]:
    return [m.as_dict() for m in modes]

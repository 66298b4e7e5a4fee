"""Reads and simple writes of a crisis's updates: its plan (copied from the playbook on first use),
what the sweep has seen of it, the last update each audience heard, and what is due now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.crises import playbook
from crisisdesk.crises.models import Crisis
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.updates.cadence import CrisisNow, Due, next_due
from crisisdesk.updates.config import DEFAULT_PLAN, AudiencePlan, check_plan
from crisisdesk.updates.models import Publication, StakeholderUpdate, UpdatePlan, UpdateStatus

PLAN = TypeAdapter(list[AudiencePlan])


class UpdatesError(Exception):
    """An update action that cannot be done; ``status`` is the HTTP answer (403, 404, 409 or 422)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def playbook_plan(types: Sequence[CrisisTypeConfig], crisis: Crisis) -> list[AudiencePlan]:
    ct = playbook.type_of(types, crisis.type)
    return list(ct.updates) if ct is not None and ct.updates is not None else list(DEFAULT_PLAN)


def state_of(crisis: Crisis) -> dict[str, Any]:
    """What an update tells of the crisis; a change of it makes an update due."""
    return {"severity": crisis.severity, "type": crisis.type, "status": crisis.status}


def plan_row(session: Session, crisis: Crisis, types: Sequence[CrisisTypeConfig], *, now: datetime,
             actor: str = "crisisdesk") -> UpdatePlan:
    """The crisis's plan, copied from its playbook the first time it is asked for."""
    row = session.get(UpdatePlan, crisis.id)
    if row is None:
        plan = playbook_plan(types, crisis)
        row = UpdatePlan(crisis_id=crisis.id, audiences=[a.model_dump(mode="json") for a in plan],
                         source=f"playbook:{crisis.type or 'default'}", updated_at=now, updated_by=actor,
                         seen={})
        session.add(row)
        session.flush()
    return row


def plan_of(row: UpdatePlan) -> list[AudiencePlan]:
    return PLAN.validate_python(row.audiences)


def set_plan(session: Session, crisis: Crisis, audiences: list[dict[str, Any]],
             types: Sequence[CrisisTypeConfig], *, actor: str, now: datetime) -> UpdatePlan:
    """Replace the crisis's plan by ``audiences`` (validated; an error names the field)."""
    try:
        plan = check_plan(PLAN.validate_python(audiences))
    except (ValidationError, ValueError) as exc:
        raise UpdatesError(f"update plan: {exc}", status=422) from None
    row = plan_row(session, crisis, types, now=now, actor=actor)
    row.audiences = [a.model_dump(mode="json") for a in plan]
    row.source, row.updated_at, row.updated_by = "edited", now, actor
    return row


def observe(row: UpdatePlan, crisis: Crisis, now: datetime) -> None:
    """Note the crisis's state and the levels it reached, with when they were first seen."""
    seen = dict(row.seen or {})
    state = state_of(crisis)
    if seen.get("state") != state:
        # the first look dates the state from the crisis's opening: the sweep was not there before
        seen["state"], seen["since"] = state, (now if seen else crisis.opened_at).isoformat()
    levels = dict(seen.get("levels") or {})
    if not levels:  # first look: the crisis has been at its level since it opened
        for level in range(1, crisis.severity + 1):
            levels[str(level)] = crisis.opened_at.isoformat()
    for level in range(1, crisis.severity + 1):
        levels.setdefault(str(level), now.isoformat())
    seen["levels"] = levels
    if seen != row.seen:
        row.seen = seen


def crisis_now(row: UpdatePlan, crisis: Crisis) -> CrisisNow:
    seen = row.seen or {}
    since = datetime.fromisoformat(seen["since"]) if seen.get("since") else crisis.opened_at
    levels = {int(k): datetime.fromisoformat(v) for k, v in (seen.get("levels") or {}).items()}
    return CrisisNow(open=crisis.status == "open", severity=crisis.severity, state=state_of(crisis),
                     state_since=since, level_since=levels)


def last_published(session: Session, crisis_id: int) -> dict[str, StakeholderUpdate]:
    """Each audience's last published update."""
    newest = (select(StakeholderUpdate.audience, func.max(StakeholderUpdate.published_at).label("at"))
              .where(StakeholderUpdate.crisis_id == crisis_id,
                     StakeholderUpdate.status == UpdateStatus.PUBLISHED)
              .group_by(StakeholderUpdate.audience).subquery())
    same = (newest.c.audience == StakeholderUpdate.audience) & (newest.c.at == StakeholderUpdate.published_at)
    rows = session.scalars(select(StakeholderUpdate).join(newest, same)
                           .where(StakeholderUpdate.crisis_id == crisis_id))
    return {u.audience: u for u in rows}


@dataclass(frozen=True, slots=True)
class AudienceDue:
    plan: AudiencePlan
    due: Due | None
    last: StakeholderUpdate | None


def due_now(session: Session, crisis: Crisis, row: UpdatePlan) -> list[AudienceDue]:
    """Every audience of the plan with its next due update (None: nothing due) and its last one."""
    now_state = crisis_now(row, crisis)
    last = last_published(session, crisis.id)
    out = []
    for plan in plan_of(row):
        prev = last.get(plan.audience.value)
        due = next_due(plan, now_state, last_at=prev.published_at if prev else None,
                       last_state=prev.crisis_state if prev else None)
        out.append(AudienceDue(plan, due, prev))
    return out


def updates_of(session: Session, crisis_id: int) -> list[StakeholderUpdate]:
    """The crisis's updates, newest first."""
    return list(session.scalars(select(StakeholderUpdate).where(StakeholderUpdate.crisis_id == crisis_id)
                                .order_by(StakeholderUpdate.created_at.desc(), StakeholderUpdate.id.desc())))


def publications_of(session: Session, update_ids: Sequence[int]) -> dict[int, list[Publication]]:
    out: dict[int, list[Publication]] = {i: [] for i in update_ids}
    if update_ids:
        for pub in session.scalars(select(Publication).where(Publication.update_id.in_(update_ids))
                                   .order_by(Publication.id)):
            out[pub.update_id].append(pub)
    return out


def describe(update: StakeholderUpdate, pubs: Sequence[Publication]) -> dict[str, Any]:
    """An update as the API and the page show it."""
    return {"id": update.id, "crisis_id": update.crisis_id, "audience": update.audience,
            "lang": update.lang, "phase": update.phase, "title": update.title, "body": update.body,
            "channels": list(update.channels), "status": update.status, "findings": update.findings or [],
            "next_update_at": update.next_update_at,
            "created_at": update.created_at, "created_by": update.created_by, "decided_by": update.decided_by,
            "decided_at": update.decided_at, "comment": update.comment, "published_at": update.published_at,
            "published_by": update.published_by,
            "publications": [{"channel": p.channel, "state": p.state, "detail": p.detail,
                              "at": p.updated_at} for p in pubs]}

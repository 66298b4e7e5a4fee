"""Reading crises for the API and pages: the list (open first, newest first) and one crisis with its
situations, why each joined, and its timeline of situation events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.orm import Session

from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.playbook import people_of, tasks, timeline, type_of
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.models import Escalation
from crisisdesk.sources.models import Monitor


def summary(c: Crisis) -> dict[str, Any]:
    return {"id": c.id, "title": c.title, "status": c.status, "severity": c.severity, "type": c.type,
            "monitors": list(c.monitors), "reasons": list(c.reasons or []),
            "opened_at": c.opened_at.isoformat(),
            "updated_at": c.updated_at.isoformat(),
            "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None}


def list_crises(session: Session, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    query = select(Crisis)
    if status is not None:
        query = query.where(Crisis.status == status)
    open_first = case((Crisis.status == "open", 0), else_=1)
    rows = session.scalars(
        query.order_by(open_first, Crisis.updated_at.desc(), Crisis.id.desc()).limit(limit))
    out = []
    for c in rows:
        item = summary(c)
        item["situations"] = list(session.scalars(
            select(CrisisSituation.situation_id).where(CrisisSituation.crisis_id == c.id)
            .order_by(CrisisSituation.situation_id)))
        out.append(item)
    return out


def get_crisis(session: Session, crisis_id: int) -> dict[str, Any] | None:
    c = session.get(Crisis, crisis_id)
    if c is None:
        return None
    out = summary(c)
    rows = session.execute(
        select(Situation, Monitor.name, CrisisSituation)
        .join(CrisisSituation, CrisisSituation.situation_id == Situation.id)
        .join(Monitor, Monitor.id == Situation.monitor_id)
        .where(CrisisSituation.crisis_id == crisis_id).order_by(Situation.opened_at, Situation.id)).all()
    situations = []
    for s, monitor, link in rows:
        stored = _json(s.explanation)
        situations.append({
            "id": s.id, "monitor": monitor, "cause": s.cause, "status": s.status, "severity": s.severity,
            "opened_at": s.opened_at.isoformat(), "resolved_at": s.resolved_at.isoformat() if s.resolved_at
            else None, "summary": stored.get("summary"), "joined_at": link.joined_at.isoformat(),
            "joined_by": link.by, "why": link.reason.get("text"),
            "reason": {k: v for k, v in link.reason.items() if k != "text"}})
    out["situations"] = situations
    # An open crisis whose situations are all calm waits for a person to end it (manual.resolve).
    calm = [str(x["resolved_at"] or "") for x in situations]
    out["calm_since"] = max(calm) if c.status == "open" and calm and all(calm) else None
    ids = [s["id"] for s in situations]
    events: list[SituationEvent] = list(session.scalars(
        select(SituationEvent).where(SituationEvent.situation_id.in_(ids))
        .order_by(SituationEvent.at, SituationEvent.id).limit(500))) if ids else []
    out["timeline"] = [{"at": e.at.isoformat(), "event": e.event, "situation": e.situation_id,
                        "severity": e.severity, "summary": _json(e.body).get("summary")} for e in events]
    return out


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def covering(conn: Connection, situation_id: int, severity: int) -> int | None:
    """The crisis whose escalation already covers this situation at ``severity``: another of its
    situations has an escalation running or acknowledged at that severity or higher. One page for
    one event: escalation starts nothing for a situation so covered (None: not covered)."""
    crisis = conn.execute(select(CrisisSituation.crisis_id)
                          .where(CrisisSituation.situation_id == situation_id)).scalar()
    if crisis is None:
        return None
    siblings = select(CrisisSituation.situation_id).where(CrisisSituation.crisis_id == crisis,
                                                          CrisisSituation.situation_id != situation_id)
    top = conn.execute(select(func.max(Escalation.severity)).where(
        Escalation.situation_id.in_(siblings), Escalation.status.in_(("active", "acknowledged")))).scalar()
    return int(crisis) if top is not None and int(top) >= severity else None


def siblings(conn: Connection, situation_id: int) -> list[int]:
    """The other situations of this situation's crisis (an acknowledgement stops their escalations)."""
    crisis = select(CrisisSituation.crisis_id).where(CrisisSituation.situation_id == situation_id)
    return [int(x) for x in conn.execute(select(CrisisSituation.situation_id).where(
        CrisisSituation.crisis_id.in_(crisis), CrisisSituation.situation_id != situation_id)).scalars()]


def playbook_part(session: Session, crisis: dict[str, Any], *, types: Sequence[CrisisTypeConfig],
                  roles: Mapping[str, Sequence[str]], names: Mapping[str, str], now: datetime) -> None:
    """Add the crisis's type, playbook (spokespersons, whom to involve now, holding statement),
    tasks and actions to ``crisis`` (as :func:`get_crisis` returned it), naming people by name."""
    row = session.get_one(Crisis, crisis["id"])
    ct = type_of(types, row.type)

    def who(ref: str) -> dict[str, Any]:
        return {"ref": ref, "people": [names.get(p, p) for p in people_of([ref], roles=roles)]}

    crisis["type_name"] = ct.name.model_dump() if ct else None
    crisis["type_confirmed_by"] = row.type_confirmed_by
    crisis["type_confirmed_at"] = row.type_confirmed_at.isoformat() if row.type_confirmed_at else None
    crisis["type_reason"] = row.type_reason
    crisis["types"] = [{"key": t.key, "name": t.name.model_dump()} for t in types]
    crisis["playbook"] = None if ct is None else {
        "spokespersons": [who(r) for r in ct.spokespersons],
        "involved": [who(r) for r in ct.involved(row.severity)],
        "approval_from": ct.approval_from, "crisis_mode_from": ct.crisis_mode_from,
        "apology": ct.apology, "answer_on": ct.answer_on, "templates": list(ct.templates),
        "holding_statement": ct.holding_statement.model_dump() if ct.holding_statement else None,
        "checklist": [{"key": c.key, "title": c.title.model_dump(), "owner": c.owner,
                       "due_minutes": c.due_minutes, "from_level": c.from_level} for c in ct.checklist]}
    crisis["tasks"] = [{"id": t.id, "key": t.key, "title": t.title, **who(t.owner),
                        "owner": t.owner, "due_at": t.due_at.isoformat(),
                        "done_at": t.done_at.isoformat() if t.done_at else None, "done_by": t.done_by,
                        "overdue": t.done_at is None and t.due_at < now}
                       for t in tasks(session, row.id)]
    crisis["actions"] = [{"at": a.at.isoformat(), "actor": a.actor, "kind": a.kind, "detail": a.detail}
                         for a in timeline(session, row.id)]


def open_crisis_of(conn: Connection, situation_id: int) -> tuple[int, str | None] | None:
    """The severity and type (suggested or confirmed) of the open crisis this situation belongs to
    (None: in none, or it ended)."""
    row = conn.execute(
        select(Crisis.severity, Crisis.type).join(CrisisSituation, CrisisSituation.crisis_id == Crisis.id)
        .where(CrisisSituation.situation_id == situation_id, Crisis.status == "open")).first()
    return (int(row[0]), row[1]) if row is not None else None

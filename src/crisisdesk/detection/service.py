"""Reading situations: the list, one with its timeline, escalations and deliveries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.models import Escalation
from crisisdesk.notify.models import Delivery
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]
_esc: Table = Escalation.__table__  # type: ignore[assignment]
_deliveries: Table = Delivery.__table__  # type: ignore[assignment]
_monitors: Table = Monitor.__table__  # type: ignore[assignment]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _summary(row: Any) -> dict[str, Any]:
    explanation = json.loads(row.explanation or "{}")
    return {
        "id": row.id, "monitor": row.monitor, "cause": row.cause, "status": row.status,
        "severity": row.severity, "opened_at": _iso(row.opened_at), "updated_at": _iso(row.updated_at),
        "resolved_at": _iso(row.resolved_at), "acknowledged_at": _iso(row.acknowledged_at),
        "acknowledged_by": row.acknowledged_by, "summary": explanation.get("summary", ""),
        "summaries": explanation.get("summaries", {}),
        "top_terms": explanation.get("top_terms", [])[:10],
    }


def list_situations(conn: Connection, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; ``status``: open or resolved."""
    q = (select(_situations, _monitors.c.name.label("monitor"))
         .join(_monitors, _monitors.c.id == _situations.c.monitor_id)
         .order_by(_situations.c.updated_at.desc(), _situations.c.id.desc()).limit(limit))
    if status is not None:
        q = q.where(_situations.c.status == status)
    return [_summary(row) for row in conn.execute(q)]


def _without_explanation(body: str) -> dict[str, Any]:
    """An event as published: the explanation kept beside it (for notifications) stays out."""
    data: dict[str, Any] = json.loads(body)
    data.pop("explanation", None)
    return data


def get_situation(conn: Connection, situation_id: int) -> dict[str, Any] | None:
    """One situation with its explanation, timeline, escalations and notification deliveries."""
    row = conn.execute(select(_situations, _monitors.c.name.label("monitor"))
                       .join(_monitors, _monitors.c.id == _situations.c.monitor_id)
                       .where(_situations.c.id == situation_id)).first()
    if row is None:
        return None
    out = _summary(row)
    out["explanation"] = json.loads(row.explanation or "{}")
    out["timeline"] = [
        {"event": e.event, "at": _iso(e.at), "severity": e.severity, "body": _without_explanation(e.body)}
        for e in conn.execute(select(_events).where(_events.c.situation_id == situation_id)
                              .order_by(_events.c.at, _events.c.id))
    ]
    out["escalations"] = [
        {"id": e.id, "severity": e.severity, "status": e.status, "steps_run": e.next_step,
         "next_at": _iso(e.next_at), "started_at": _iso(e.started_at),
         "steps": _steps(json.loads(e.chain or "{}"), e.status, e.next_step, _iso(e.next_at))}
        for e in conn.execute(select(_esc).where(_esc.c.situation_id == situation_id).order_by(_esc.c.id))
    ]
    out["deliveries"] = [
        {"target": d.target_name, "kind": d.kind, "status": d.status, "attempts": d.attempts,
         "created_at": _iso(d.created_at), "sent_at": _iso(d.sent_at), "last_error": d.last_error}
        for d in conn.execute(select(_deliveries).where(_deliveries.c.situation_id == situation_id)
                              .order_by(_deliveries.c.id))
    ]
    return out


def _steps(chain: dict[str, Any], status: str, steps_run: int, next_at: str | None) -> list[dict[str, Any]]:
    """Every step of an escalation's chain over all its rounds: ``done``, ``next`` (with when),
    ``pending``, or ``stopped`` (acknowledged, resolved or superseded before it came)."""
    steps = chain.get("steps") or []
    rounds = int(chain.get("repeat") or 0) + 1
    out = []
    for i in range(len(steps) * rounds):
        step = steps[i % len(steps)]
        state = ("done" if i < steps_run else "next" if i == steps_run and status == "active"
                 else "pending" if status == "active" else "stopped")
        out.append({"number": i % len(steps) + 1, "round": i // len(steps) + 1, "state": state,
                    "recipients": [g["recipient"] for g in step.get("groups", [])],
                    "wait_minutes": step.get("wait_minutes"), "at": next_at if state == "next" else None})
    return out

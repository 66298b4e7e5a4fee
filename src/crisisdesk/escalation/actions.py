"""Acknowledging a situation: from a signed link, the CLI or the API, always the same action."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from crisisdesk.bus.base import Message
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.models import Escalation
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]
_esc: Table = Escalation.__table__  # type: ignore[assignment]


def log_event(conn: Connection, sid: int, event: str, at: datetime, severity: int,
              body: Mapping[str, Any]) -> None:
    """Append to the situation's timeline."""
    conn.execute(insert(_events).values(situation_id=sid, event=event, at=at, severity=severity,
                                        body=json.dumps(body, ensure_ascii=False, default=str)))


def acknowledge(conn: Connection, situation_id: int, *, by: str, at: datetime,
                via: str | None = None) -> Message | None:
    """Stop the situation's escalation and record who acknowledged. None: no such situation.

    Acknowledging twice is harmless: the first person and time are kept, the second is logged.
    A later raise of severity starts a new escalation (see :mod:`.engine`). ``via`` says where
    (``web``, ``api``, ``link``, ``cli``), for the timeline and whoever shows the event.
    """
    situation = conn.execute(select(_situations).where(_situations.c.id == situation_id)).mappings().first()
    if situation is None:
        return None
    if situation["acknowledged_at"] is None:
        conn.execute(update(_situations).where(_situations.c.id == situation_id).values(
            acknowledged_at=at, acknowledged_by=by))
    stopped = conn.execute(update(_esc).where(_esc.c.situation_id == situation_id, _esc.c.status == "active")
                           .values(status="acknowledged", next_at=None, updated_at=at)).rowcount
    monitor = conn.execute(select(Monitor.name).where(Monitor.id == situation["monitor_id"])).scalar_one()
    body: Message = {"event": "alert.acknowledged", "situation": situation_id, "monitor": monitor,
                     "severity": situation["severity"], "at": at.isoformat(), "by": by,
                     "escalations_stopped": stopped}
    if via is not None:
        body["via"] = via
    log_event(conn, situation_id, "alert.acknowledged", at, situation["severity"], body)
    return body

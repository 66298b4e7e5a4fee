"""People overrule detection: set a situation's severity (with a reason) or resolve it by hand.

The change is written like any detection event (situation row, timeline) and returned as an
``alert.updated`` or ``alert.resolved`` event with ``"manual": true``, who and why, so the
escalation engine reacts the same way (a raised severity restarts the escalation; resolving stops
it) and the detection engine's state follows (it will not reopen a resolved situation unless the
wave comes back, nor raise it again to a level a person lowered it from unless the signals
demand a higher one than the person set).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from crisisdesk.bus.base import Message
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.engine import DetectionEngine, Tracked, minute_of
from crisisdesk.detection.models import Situation
from crisisdesk.escalation.actions import log_event
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]


class ManualError(ValueError):
    """The change cannot be made (no such situation, already resolved, same severity)."""


class SituationNotFound(ManualError):
    """No situation with that id."""


class ManualConflict(ManualError):
    """The situation's state refuses the change (resolved already, at that severity already)."""


def _tracked(engine: DetectionEngine | None, sid: int) -> Tracked | None:
    if engine is None:
        return None
    return next((t for t in engine.tracked.values() if t.id == sid), None)


def _body(conn: Connection, row: dict[str, object], event: str, severity: int, at: datetime, by: str,
          reason: str, level_name: str, via: str | None) -> Message:
    monitor = conn.execute(select(Monitor.name).where(Monitor.id == row["monitor_id"])).scalar_one()
    explanation = json.loads(str(row["explanation"] or "{}"))
    return {"event": event, "situation": row["id"], "monitor": monitor, "cause": row["cause"],
            "severity": severity, "severity_name": level_name, "at": at.isoformat(),
            "top_terms": explanation.get("top_terms", [])[:10], "summary": explanation.get("summary", ""),
            "reasons": [f"set by {by}: {reason}"], "manual": True, "by": by, "reason": reason,
            **({"via": via} if via is not None else {})}


def set_severity(conn: Connection, situation_id: int, *, severity: int, reason: str, by: str, at: datetime,
                 engine: DetectionEngine | None = None, playbook: PlaybookConfig | None = None,
                 lang: str = "en", via: str | None = None) -> Message:
    """Raise or lower an open situation's severity; ``reason`` is required. ``via`` says where the
    person did it (``web``, ``api``, ``cli``)."""
    if not 1 <= severity <= 4:
        raise ManualError(f"severity {severity}: choose 1 to 4")
    if not reason.strip():
        raise ManualError("give a reason for the change")
    row = conn.execute(select(_situations).where(_situations.c.id == situation_id)).mappings().first()
    if row is None:
        raise SituationNotFound(f"no situation {situation_id}")
    if row["status"] == "resolved":
        raise ManualConflict(f"situation {situation_id} is resolved")
    if row["severity"] == severity:
        raise ManualConflict(f"situation {situation_id} is at severity {severity} already")
    conn.execute(update(_situations).where(_situations.c.id == situation_id).values(
        severity=severity, updated_at=at))
    tracked = _tracked(engine, situation_id)
    if tracked is not None:
        tracked.severity = severity
    name = playbook.name(severity, lang) if playbook is not None else str(severity)
    body = _body(conn, dict(row), "alert.updated", severity, at, by, reason.strip(), name, via)
    body["previous_severity"] = row["severity"]
    log_event(conn, situation_id, "alert.updated", at, severity, body)
    return body


def resolve(conn: Connection, situation_id: int, *, reason: str, by: str, at: datetime,
            engine: DetectionEngine | None = None, playbook: PlaybookConfig | None = None,
            lang: str = "en", via: str | None = None) -> Message:
    """Resolve an open situation by hand."""
    row = conn.execute(select(_situations).where(_situations.c.id == situation_id)).mappings().first()
    if row is None:
        raise SituationNotFound(f"no situation {situation_id}")
    if row["status"] == "resolved":
        raise ManualConflict(f"situation {situation_id} is resolved already")
    conn.execute(update(_situations).where(_situations.c.id == situation_id).values(
        status="resolved", resolved_at=at, updated_at=at))
    tracked = _tracked(engine, situation_id)
    if tracked is not None:
        tracked.status, tracked.resolved_minute = "resolved", minute_of(at)
    severity = int(row["severity"])
    name = playbook.name(severity, lang) if playbook is not None else str(severity)
    body = _body(conn, dict(row), "alert.resolved", severity, at, by, reason.strip() or "-", name, via)
    log_event(conn, situation_id, "alert.resolved", at, severity, body)
    return body

"""A channel's problems as alerts: one situation per channel and problem, escalated like any other.

Why a situation: acknowledging, the escalation policies by severity, notifications with their
signed links, the situations list and page, the API and the audit trail all work on situations.
A channel's problem that is a situation takes all of that as it is, instead of a second alert
system beside the first.

A situation belongs to a monitor, so each channel gets a monitor of its own, ``channel:<key>``
(a configured monitor's name cannot hold ``:``), created with its first alert and kept inactive:
monitor pages, dashboards and detection read the active monitors only, so they never count it,
and detection's engine never follows its situations (it loads those of its own monitors). The
situation's ``cause`` is the problem (``credentials``, ``failing``, ``rate_limited``, ``silent``).

While a problem lasts its alert stays open, once: no second alert of the same channel and problem.
It is resolved when the channel is healthy again (or switched off, or its alerts are). An alert
a person resolved by hand is not opened again while the same problem lasts (a person decided; it
comes back when the problem ends and starts again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection

from crisisdesk.bus.base import Message
from crisisdesk.channels.health import Finding, describe, resolved_text
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.actions import log_event
from crisisdesk.escalation.engine import Escalator
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]
_monitors: Table = Monitor.__table__  # type: ignore[assignment]

#: The monitors of channels' alerts are named this and the channel's key.
PREFIX = "channel:"
#: PostgreSQL's advisory lock of a health round: two processes of the service never both open the
#: same alert (SQLite has one writer at a time anyway).
_LOCK = 0x63_68_61_6E_6E_65_6C  # "channel"
LANGS = ("de", "en")


def monitor_name(channel: str) -> str:
    return PREFIX + channel


def channel_of(monitor: str | None) -> str | None:
    """The channel whose alerts the monitor holds; None for a configured monitor."""
    return monitor[len(PREFIX):] if monitor and monitor.startswith(PREFIX) else None


@dataclass(frozen=True, slots=True)
class OpenAlert:
    situation: int
    channel: str
    problem: str
    severity: int


def open_alerts(conn: Connection) -> dict[tuple[str, str], OpenAlert]:
    """The open alerts of every channel, by (channel, problem)."""
    rows = conn.execute(
        select(_situations.c.id, _situations.c.cause, _situations.c.severity, _monitors.c.name)
        .join(_monitors, _monitors.c.id == _situations.c.monitor_id)
        .where(_monitors.c.name.startswith(PREFIX, autoescape=True), _situations.c.status == "open")
        .order_by(_situations.c.id))
    out: dict[tuple[str, str], OpenAlert] = {}
    for row in rows:
        channel = channel_of(row.name) or ""
        out.setdefault((channel, row.cause), OpenAlert(row.id, channel, row.cause, row.severity))
    return out


def open_alert_rows(conn: Connection) -> list[dict[str, Any]]:
    """The open alerts of every channel as situations (with the monitor's name), most severe and
    newest first: for the pages that list open situations beside the monitors' own."""
    rows = conn.execute(
        select(_situations, _monitors.c.name.label("monitor"))
        .join(_monitors, _monitors.c.id == _situations.c.monitor_id)
        .where(_monitors.c.name.startswith(PREFIX, autoescape=True), _situations.c.status == "open")
        .order_by(_situations.c.severity.desc(), _situations.c.id.desc())).mappings()
    out = []
    for row in rows:
        explanation = json.loads(row["explanation"] or "{}")
        out.append({**{k: v for k, v in row.items() if k != "explanation"},
                    "summary": explanation.get("summary", ""), "summaries": explanation.get("summaries", {})})
    return out


@dataclass(frozen=True)
class AlertSettings:
    """How the alerts of one sync are written: the channels' severities, the workspace's language."""

    severities: Mapping[str, int]
    lang: str = "en"
    playbook: PlaybookConfig = field(default_factory=PlaybookConfig)


def sync_alerts(conn: Connection, findings: Mapping[str, Sequence[Finding]], *, settings: AlertSettings,
                now: datetime, escalator: Escalator | None = None) -> list[Message]:
    """Open an alert for every problem found that has none, resolve every open alert whose problem
    is gone, and let the escalation react (start, stop, run due steps). ``findings``: the problems
    of every channel whose alerts are on; a channel not in it has its open alerts resolved.
    Returns the events in order, for the runner to publish after the commit."""
    if conn.dialect.name == "postgresql":  # service processes sharing the database take turns
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    events: list[Message] = []
    alerts = open_alerts(conn)
    for channel, found in findings.items():
        for finding in found:
            if (channel, finding.problem.value) in alerts or _dismissed(conn, finding):
                continue
            events.append(_open(conn, finding, settings.severities.get(channel, 3), now, settings))
    wanted = {(c, f.problem.value) for c, found in findings.items() for f in found}
    for key, alert in alerts.items():
        if key not in wanted:
            events.append(_resolve(conn, alert, now, settings))
    if escalator is None:
        return events
    out: list[Message] = []
    for event in events:
        out.append(event)
        out.extend(escalator.handle(conn, [event]))
    out.extend(escalator.advance(conn, now))  # later steps, when no detection ticks to run them
    return out


def _monitor(conn: Connection, channel: str, now: datetime) -> int:
    name = monitor_name(channel)
    found = conn.execute(select(_monitors.c.id).where(_monitors.c.name == name)).scalar_one_or_none()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(_monitors).values(
        name=name, query="", active=False, created_at=now, updated_at=now,
    ).returning(_monitors.c.id)).scalar_one())


def _dismissed(conn: Connection, finding: Finding) -> bool:
    """A person resolved this channel's alert of this problem after it last was fine."""
    row = conn.execute(
        select(_situations.c.id, _situations.c.resolved_at)
        .join(_monitors, _monitors.c.id == _situations.c.monitor_id)
        .where(_monitors.c.name == monitor_name(finding.channel),
               _situations.c.cause == finding.problem.value)
        .order_by(_situations.c.id.desc()).limit(1)).first()
    if row is None or row.resolved_at is None or row.resolved_at < finding.since:
        return False
    body = conn.execute(select(_events.c.body).where(_events.c.situation_id == row.id,
                                                     _events.c.event == "alert.resolved")
                        .order_by(_events.c.id.desc()).limit(1)).scalar_one_or_none()
    return body is not None and bool(json.loads(body).get("manual"))


def _open(conn: Connection, finding: Finding, severity: int, now: datetime,
          settings: AlertSettings) -> Message:
    summaries = {lang: describe(finding, lang) for lang in LANGS}
    summary = summaries["de" if settings.lang == "de" else "en"]
    explanation = {"summary": summary, "summaries": summaries, "top_terms": [], "channel": finding.channel,
                   "problem": finding.problem.value, "since": finding.since.isoformat(),
                   "detail": dict(finding.detail)}
    sid = int(conn.execute(insert(_situations).values(
        monitor_id=_monitor(conn, finding.channel, now), cause=finding.problem.value, status="open",
        severity=severity, opened_at=now, updated_at=now,
        explanation=json.dumps(explanation, ensure_ascii=False, default=str),
    ).returning(_situations.c.id)).scalar_one())
    body: Message = {
        "event": "alert.opened", "situation": sid, "monitor": monitor_name(finding.channel),
        "cause": finding.problem.value, "severity": severity,
        "severity_name": settings.playbook.name(severity, settings.lang), "at": now.isoformat(),
        "top_terms": [], "summary": summary, "summaries": summaries, "reasons": [],
        "channel": finding.channel}
    log_event(conn, sid, "alert.opened", now, severity, body | {"explanation": explanation})
    return body


def _resolve(conn: Connection, alert: OpenAlert, now: datetime, settings: AlertSettings) -> Message:
    conn.execute(update(_situations).where(_situations.c.id == alert.situation).values(
        status="resolved", resolved_at=now, updated_at=now))
    summaries = {lang: resolved_text(alert.channel, lang) for lang in LANGS}
    body: Message = {
        "event": "alert.resolved", "situation": alert.situation, "monitor": monitor_name(alert.channel),
        "cause": alert.problem, "severity": alert.severity,
        "severity_name": settings.playbook.name(alert.severity, settings.lang), "at": now.isoformat(),
        "top_terms": [], "summary": summaries["de" if settings.lang == "de" else "en"],
        "summaries": summaries, "channel": alert.channel}
    log_event(conn, alert.situation, "alert.resolved", now, alert.severity, body)
    return body

"""Ticket SLA breaches as alerts: one situation per ticket and target, escalated like any other.

The model is channel health's (:mod:`crisisdesk.channels.health_alerts`): a breach becomes a
situation of an inactive monitor, ``inbox:sla`` (a configured monitor's name cannot hold ``:``,
and channel alerts use ``channel:``), so the escalation policies by severity, notifications with
their acknowledgement links, the situations pages and the audit trail take it as they are. The
situation's ``cause`` is the target (``sla_first_reply``, ``sla_next_reply``, ``sla_resolution``:
``situations.cause`` holds 16 characters), its severity the ticket priority's
(``inbox.sla.severity``), and its explanation names the conversation.

:func:`check` runs from the service's ticker (and from tests with their own ``now``). A breach is
reported once per due time: the due time reported is kept on the conversation (``sla_breached``),
so a situation a person resolved by hand stays resolved while the same due time is overdue. The
situation resolves by itself once the target is met (the answer reached the platform, the ticket
was resolved) or is no longer overdue (a lower priority moved the due time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.bus.base import Message
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation
from crisisdesk.escalation.actions import log_event
from crisisdesk.escalation.engine import Escalator
from crisisdesk.inbox.models import Contact, Conversation, ConversationEvent
from crisisdesk.inbox.sla import FIRST_RESPONSE, KINDS, NEXT_RESPONSE, RESOLUTION, SlaPolicy, due_of
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]
_monitors: Table = Monitor.__table__  # type: ignore[assignment]

MONITOR = "inbox:sla"
CAUSES = {FIRST_RESPONSE: "sla_first_reply", NEXT_RESPONSE: "sla_next_reply", RESOLUTION: "sla_resolution"}
_KIND_OF = {cause: kind for kind, cause in CAUSES.items()}
#: PostgreSQL's advisory lock of an SLA round: two service processes never open the same alert.
_LOCK = 0x69_6E_62_6F_78_73_6C  # "inboxsl"
LANGS = ("de", "en")
_WHAT = {
    "de": {FIRST_RESPONSE: "erste Antwort", NEXT_RESPONSE: "nächste Antwort", RESOLUTION: "Lösung"},
    "en": {FIRST_RESPONSE: "first response", NEXT_RESPONSE: "next response", RESOLUTION: "resolution"},
}


@dataclass(frozen=True)
class SlaAlertSettings:
    lang: str = "en"
    playbook: PlaybookConfig = field(default_factory=PlaybookConfig)


@dataclass(frozen=True, slots=True)
class OpenBreach:
    situation: int
    conversation: int
    kind: str
    severity: int
    ticket: str


def late_text(minutes: float, lang: str) -> str:
    """How late, rounded up to what a person reads: minutes, then hours, then days."""
    m = max(1, math.ceil(minutes))
    if m < 120:
        return f"{m} Min." if lang == "de" else f"{m} min"
    if m < 48 * 60:
        return f"{m // 60} Std." if lang == "de" else f"{m // 60} h"
    return f"{m // 1440} Tagen" if lang == "de" else f"{m // 1440} days"


def breach_text(ticket: str, contact: str | None, kind: str, minutes: float, lang: str) -> str:
    """``Ticket 2026-0142 (Anna Weber): erste Antwort seit 25 Min. überfällig``."""
    who = f" ({contact})" if contact else ""
    what = _WHAT[lang][kind]
    if lang == "de":
        return f"Ticket {ticket}{who}: {what} seit {late_text(minutes, lang)} überfällig"
    return f"Ticket {ticket}{who}: {what} overdue by {late_text(minutes, lang)}"


def met_text(ticket: str, kind: str, lang: str) -> str:
    what = _WHAT[lang][kind]
    if lang == "de":
        return f"Ticket {ticket}: {what} nicht mehr überfällig"
    return f"Ticket {ticket}: {what} no longer overdue"


def open_breaches(conn: Connection) -> dict[tuple[int, str], OpenBreach]:
    """The open SLA alerts, by (conversation, target)."""
    rows = conn.execute(
        select(_situations.c.id, _situations.c.cause, _situations.c.severity, _situations.c.explanation)
        .join(_monitors, _monitors.c.id == _situations.c.monitor_id)
        .where(_monitors.c.name == MONITOR, _situations.c.status == "open")
        .order_by(_situations.c.id)
    )
    out: dict[tuple[int, str], OpenBreach] = {}
    for row in rows:
        explanation = json.loads(row.explanation or "{}")
        kind = _KIND_OF.get(row.cause)
        cid = explanation.get("conversation")
        if kind is None or not isinstance(cid, int):
            continue
        out.setdefault(
            (cid, kind), OpenBreach(row.id, cid, kind, row.severity, str(explanation.get("ticket")))
        )
    return out


def check(
    conn: Connection,
    policy: SlaPolicy | None,
    *,
    now: datetime,
    settings: SlaAlertSettings,
    escalator: Escalator | None = None,
) -> list[Message]:
    """Open an alert for every overdue due time not reported yet, resolve every alert whose due
    time is met or no longer overdue, and let the escalation react. ``policy`` None (SLAs off):
    open alerts are resolved. Returns the events in order, for publishing after the commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    events: list[Message] = []
    alerts = open_breaches(conn)
    wanted: set[tuple[int, str]] = set()
    with Session(bind=conn) as session:
        if policy is not None:
            overdue = session.execute(
                select(Conversation, Contact.name)
                .outerjoin(Contact, Contact.id == Conversation.contact_id)
                .where(Conversation.sla_due.is_not(None), Conversation.sla_due <= now)
                .order_by(Conversation.sla_due, Conversation.id)
            ).all()
            for conversation, contact in overdue:
                for kind in KINDS:
                    due = due_of(conversation, kind)
                    if due is None or due > now:
                        continue
                    wanted.add((conversation.id, kind))
                    if (conversation.id, kind) in alerts or conversation.sla_breached.get(
                        kind
                    ) == due.isoformat():
                        continue
                    events.append(
                        _open(conn, session, conversation, contact, kind, due, policy, now, settings)
                    )
        for key, alert in alerts.items():
            if key not in wanted:
                events.append(_resolve(conn, alert, now, settings))
        session.flush()
    if escalator is None or (policy is None and not events):
        return events
    out: list[Message] = []
    for event in events:
        out.append(event)
        out.extend(escalator.handle(conn, [event]))
    out.extend(escalator.advance(conn, now))
    return out


def _monitor(conn: Connection, now: datetime) -> int:
    found = conn.execute(select(_monitors.c.id).where(_monitors.c.name == MONITOR)).scalar_one_or_none()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(_monitors)
            .values(
                name=MONITOR,
                query="",
                active=False,
                created_at=now,
                updated_at=now,
            )
            .returning(_monitors.c.id)
        ).scalar_one()
    )


def _open(
    conn: Connection,
    session: Session,
    conversation: Conversation,
    contact: str | None,
    kind: str,
    due: datetime,
    policy: SlaPolicy,
    now: datetime,
    settings: SlaAlertSettings,
) -> Message:
    ticket = conversation.ticket or str(conversation.id)
    late = (now - due).total_seconds() / 60
    summaries = {lang: breach_text(ticket, contact, kind, late, lang) for lang in LANGS}
    summary = summaries["de" if settings.lang == "de" else "en"]
    severity = policy.config.severity_of(conversation.priority)
    explanation: dict[str, Any] = {
        "summary": summary,
        "summaries": summaries,
        "top_terms": [],
        "conversation": conversation.id,
        "ticket": ticket,
        "contact": contact,
        "target": kind,
        "due": due.isoformat(),
        "priority": conversation.priority,
        "channel": conversation.channel,
    }
    sid = int(
        conn.execute(
            insert(_situations)
            .values(
                monitor_id=_monitor(conn, now),
                cause=CAUSES[kind],
                status="open",
                severity=severity,
                opened_at=now,
                updated_at=now,
                explanation=json.dumps(explanation, ensure_ascii=False, default=str),
            )
            .returning(_situations.c.id)
        ).scalar_one()
    )
    conversation.sla_breached = {**conversation.sla_breached, kind: due.isoformat()}
    session.add(
        ConversationEvent(
            conversation_id=conversation.id,
            at=now,
            kind="sla.breached",
            actor="system",
            body={"target": kind, "due": due.isoformat(), "situation": sid, "late_minutes": round(late, 1)},
        )
    )
    body: Message = {
        "event": "alert.opened",
        "situation": sid,
        "monitor": MONITOR,
        "cause": CAUSES[kind],
        "severity": severity,
        "severity_name": settings.playbook.name(severity, settings.lang),
        "at": now.isoformat(),
        "top_terms": [],
        "summary": summary,
        "summaries": summaries,
        "reasons": [],
        "conversation": conversation.id,
        "ticket": ticket,
    }
    log_event(conn, sid, "alert.opened", now, severity, body | {"explanation": explanation})
    return body


def _resolve(conn: Connection, alert: OpenBreach, now: datetime, settings: SlaAlertSettings) -> Message:
    conn.execute(
        update(_situations)
        .where(_situations.c.id == alert.situation)
        .values(status="resolved", resolved_at=now, updated_at=now)
    )
    summaries = {lang: met_text(alert.ticket, alert.kind, lang) for lang in LANGS}
    body: Message = {
        "event": "alert.resolved",
        "situation": alert.situation,
        "monitor": MONITOR,
        "cause": CAUSES[alert.kind],
        "severity": alert.severity,
        "severity_name": settings.playbook.name(alert.severity, settings.lang),
        "at": now.isoformat(),
        "top_terms": [],
        "summary": summaries["de" if settings.lang == "de" else "en"],
        "summaries": summaries,
        "conversation": alert.conversation,
        "ticket": alert.ticket,
    }
    log_event(conn, alert.situation, "alert.resolved", now, alert.severity, body)
    return body


def breach_situations(conn: Connection, conversation_id: int) -> Mapping[str, int]:
    """The open SLA alerts of one conversation, by target (for its page)."""
    return {kind: b.situation for (cid, kind), b in open_breaches(conn).items() if cid == conversation_id}

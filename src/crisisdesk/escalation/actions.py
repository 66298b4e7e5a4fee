"""Acknowledging a situation: from a signed link, the CLI or the API, always the same action."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from crisisdesk.bus.base import Message
from crisisdesk.crises.service import siblings
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.links import AckLink
from crisisdesk.escalation.models import AckLinkUse, Escalation
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]
_esc: Table = Escalation.__table__  # type: ignore[assignment]
_uses: Table = AckLinkUse.__table__  # type: ignore[assignment]


def log_event(conn: Connection, sid: int, event: str, at: datetime, severity: int,
              body: Mapping[str, Any]) -> None:
    """Append to the situation's timeline."""
    conn.execute(insert(_events).values(situation_id=sid, event=event, at=at, severity=severity,
                                        body=json.dumps(body, ensure_ascii=False, default=str)))


def acknowledge(conn: Connection, situation_id: int, *, by: str, at: datetime,
                via: str | None = None, escalation_id: int | None = None,
                step: int | None = None) -> Message | None:
    """Stop the situation's escalation and record who acknowledged. None: no such situation.

    Acknowledging twice is harmless: the first person and time are kept, the second is logged.
    A later raise of severity starts a new escalation (see :mod:`.engine`). ``via`` says where
    (``web``, ``api``, ``link``, ``cli``), for the timeline and whoever shows the event.
    ``escalation_id`` stops only that escalation (a link's, sent at ``step``), not whatever runs now.
    """
    situation = conn.execute(select(_situations).where(_situations.c.id == situation_id)).mappings().first()
    if situation is None:
        return None
    if situation["acknowledged_at"] is None:
        conn.execute(update(_situations).where(_situations.c.id == situation_id).values(
            acknowledged_at=at, acknowledged_by=by))
    running = (_esc.c.situation_id == situation_id) & (_esc.c.status == "active")
    if escalation_id is not None:
        running &= _esc.c.id == escalation_id
    stopped = conn.execute(update(_esc).where(running)
                           .values(status="acknowledged", next_at=None, updated_at=at)).rowcount
    # The escalation runs per crisis: acknowledging one of its situations stops the others' too.
    others = siblings(conn, situation_id)
    if others:
        stopped += conn.execute(update(_esc).where(_esc.c.situation_id.in_(others), _esc.c.status == "active")
                                .values(status="acknowledged", next_at=None, updated_at=at)).rowcount
    monitor = conn.execute(select(Monitor.name).where(Monitor.id == situation["monitor_id"])).scalar_one()
    body: Message = {"event": "alert.acknowledged", "situation": situation_id, "monitor": monitor,
                     "severity": situation["severity"], "at": at.isoformat(), "by": by,
                     "escalations_stopped": stopped}
    if via is not None:
        body["via"] = via
    if escalation_id is not None:
        body["escalation"], body["step"] = escalation_id, step
    log_event(conn, situation_id, "alert.acknowledged", at, situation["severity"], body)
    return body


#: What happened to a click on an acknowledgement link.
LinkResult = Literal["acknowledged", "used", "ended", "unknown"]


@dataclass(frozen=True)
class LinkOutcome:
    """``acknowledged``: this click acknowledged (``event`` is the timeline event). ``used``: the
    link was used before, by ``by`` at ``at``; nothing changed. ``ended``: the escalation the link
    was sent for is over (``status``: superseded by a later one, resolved, or acknowledged by
    ``by`` at ``at``); nothing changed. ``unknown``: no such escalation of this situation."""

    result: LinkResult
    by: str | None = None
    at: datetime | None = None
    status: str | None = None
    event: Message | None = None


def link_state(conn: Connection, link: AckLink) -> LinkOutcome | None:
    """Why the link would change nothing now, or None when a click would acknowledge."""
    used = conn.execute(select(_uses).where(_uses.c.escalation_id == link.escalation_id,
                                            _uses.c.step == link.step, _uses.c.recipient == link.recipient)
                        ).mappings().first()
    if used is not None:
        return LinkOutcome("used", by=used["recipient"], at=used["used_at"])
    esc = conn.execute(select(_esc).where(_esc.c.id == link.escalation_id,
                                          _esc.c.situation_id == link.situation_id)).mappings().first()
    if esc is None:
        return LinkOutcome("unknown")
    if esc["status"] in _LINK_ACKNOWLEDGES:
        return None
    if esc["status"] == "acknowledged":
        situation = conn.execute(select(_situations.c.acknowledged_by, _situations.c.acknowledged_at)
                                 .where(_situations.c.id == link.situation_id)).one()
        return LinkOutcome("ended", status="acknowledged", by=situation.acknowledged_by,
                           at=situation.acknowledged_at)
    return LinkOutcome("ended", status=str(esc["status"]), at=esc["updated_at"])


#: A link acknowledges while its escalation runs, or after it ran out without an answer; never
#: once it was superseded (a raised severity is a new escalation that needs its own answer).
_LINK_ACKNOWLEDGES = frozenset({"active", "exhausted"})


def use_link(conn: Connection, link: AckLink, *, at: datetime, ip: str | None = None) -> LinkOutcome:
    """Acknowledge with a (verified) link: as its recipient, stopping only the escalation it was
    sent for, once. A second click, or a race of two, finds the first use and changes nothing."""
    refused = link_state(conn, link)
    if refused is not None:
        return refused
    try:
        with conn.begin_nested():
            conn.execute(insert(_uses).values(escalation_id=link.escalation_id, step=link.step,
                                              recipient=link.recipient, used_at=at, ip=ip))
    except IntegrityError:
        again = link_state(conn, link)
        return again if again is not None else LinkOutcome("used", by=link.recipient)
    event = acknowledge(conn, link.situation_id, by=link.recipient, at=at, via="link",
                        escalation_id=link.escalation_id, step=link.step)
    if event is None:
        return LinkOutcome("unknown")
    return LinkOutcome("acknowledged", by=link.recipient, at=at, event=event)

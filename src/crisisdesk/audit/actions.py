"""Changes to other domains that the HTTP layer makes, with their audit entry in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.bus.base import Message
from crisisdesk.detection import manual
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation
from crisisdesk.detection.service import get_situation
from crisisdesk.escalation.actions import LinkOutcome, acknowledge, use_link
from crisisdesk.escalation.links import AckLink
from crisisdesk.escalation.watch import Watch


def acknowledge_audited(conn: Connection, situation_id: int, *, by: str, at: datetime, actor: Actor,
                        ip: str | None = None, via: str | None = None) -> dict[str, Any] | None:
    """:func:`crisisdesk.escalation.actions.acknowledge` plus a ``situation.acknowledged`` entry with
    the acknowledgement before and after (a repeated acknowledgement keeps the first one; its
    entry shows that). None: no such situation."""
    before = conn.execute(select(Situation.acknowledged_at, Situation.acknowledged_by)
                          .where(Situation.id == situation_id)).first()
    if before is None:
        return None
    event = acknowledge(conn, situation_id, by=by, at=at, via=via)
    if event is None:
        return None
    after = conn.execute(select(Situation.acknowledged_at, Situation.acknowledged_by)
                         .where(Situation.id == situation_id)).one()
    record(conn, actor=actor, action=AuditAction.SITUATION_ACKNOWLEDGED, at=at, target_type="situation",
           target_id=situation_id, ip=ip,
           before={"acknowledged_at": before.acknowledged_at, "acknowledged_by": before.acknowledged_by},
           after={"acknowledged_at": after.acknowledged_at, "acknowledged_by": after.acknowledged_by,
                  "escalations_stopped": event["escalations_stopped"]})
    return dict(event)


def use_link_audited(conn: Connection, link: AckLink, *, at: datetime, ip: str | None = None) -> LinkOutcome:
    """:func:`crisisdesk.escalation.actions.use_link` plus a ``situation.acknowledged`` entry by
    ``link:<recipient>`` when the click acknowledged (a refused click changes nothing)."""
    before = conn.execute(select(Situation.acknowledged_at, Situation.acknowledged_by)
                          .where(Situation.id == link.situation_id)).first()
    outcome = use_link(conn, link, at=at, ip=ip)
    if outcome.result != "acknowledged" or before is None or outcome.event is None:
        return outcome
    after = conn.execute(select(Situation.acknowledged_at, Situation.acknowledged_by)
                         .where(Situation.id == link.situation_id)).one()
    record(conn, actor=Actor.link(link.recipient), action=AuditAction.SITUATION_ACKNOWLEDGED, at=at,
           target_type="situation", target_id=link.situation_id, ip=ip,
           before={"acknowledged_at": before.acknowledged_at, "acknowledged_by": before.acknowledged_by},
           after={"acknowledged_at": after.acknowledged_at, "acknowledged_by": after.acknowledged_by,
                  "escalations_stopped": outcome.event["escalations_stopped"],
                  "escalation": link.escalation_id, "step": link.step})
    return outcome


def _brief(situation: dict[str, Any] | None) -> dict[str, Any] | None:
    if situation is None:
        return None
    return {k: situation[k] for k in ("status", "severity", "acknowledged_by", "acknowledged_at")}


def _overrule(conn: Connection, detector: object, situation_id: int, *, action: AuditAction, actor: Actor,
              ip: str | None, at: datetime, apply: Callable[[Watch | None], Message]) -> list[Message]:
    """A person's change (:mod:`crisisdesk.detection.manual`), audited with the situation before and
    after, then handed to escalation like a detector's event. Meant to run inside
    ``PipelineRunner.with_detector`` (its ``detector`` argument), which publishes the returned events
    after the commit, so that live pages and the demo's timeline see the change wherever it was made."""
    watch = detector if isinstance(detector, Watch) else None
    before = get_situation(conn, situation_id)
    event = apply(watch)
    after = get_situation(conn, situation_id)
    record(conn, actor=actor, action=action, at=at, target_type="situation", target_id=situation_id,
           before=_brief(before), after=_brief(after), ip=ip)
    return watch.overrule(conn, event, at) if watch is not None else [event]


def set_severity_audited(conn: Connection, detector: object, situation_id: int, *, severity: int, reason: str,
                         by: str, at: datetime, actor: Actor, ip: str | None, playbook: PlaybookConfig,
                         lang: str, via: str) -> list[Message]:
    """:func:`crisisdesk.detection.manual.set_severity` for the web page and the API alike; raises
    :class:`~crisisdesk.detection.manual.ManualError` (nothing is written then)."""
    return _overrule(conn, detector, situation_id, action=AuditAction.SITUATION_SEVERITY_CHANGED, actor=actor,
                     ip=ip, at=at, apply=lambda watch: manual.set_severity(
                         conn, situation_id, severity=severity, reason=reason, by=by, at=at,
                         engine=watch.detection if watch else None, playbook=playbook, lang=lang, via=via))


def resolve_audited(conn: Connection, detector: object, situation_id: int, *, reason: str, by: str,
                    at: datetime, actor: Actor, ip: str | None, playbook: PlaybookConfig, lang: str,
                    via: str) -> list[Message]:
    """:func:`crisisdesk.detection.manual.resolve` for the web page and the API alike."""
    return _overrule(conn, detector, situation_id, action=AuditAction.SITUATION_RESOLVED, actor=actor, ip=ip,
                     at=at, apply=lambda watch: manual.resolve(
                         conn, situation_id, reason=reason, by=by, at=at,
                         engine=watch.detection if watch else None, playbook=playbook, lang=lang, via=via))

"""Changes to other domains that the HTTP layer makes, with their audit entry in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.detection.models import Situation
from crisisdesk.escalation.actions import LinkOutcome, acknowledge, use_link
from crisisdesk.escalation.links import AckLink


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

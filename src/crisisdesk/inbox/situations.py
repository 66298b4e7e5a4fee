"""The situations an inbox message belongs to: for the rules' conditions on situations and for the
inbox's view of one situation.

A message belongs to a situation when one of its monitors is the situation's and it was written
while the situation was open, or in the hour before it opened (the rise that opened it). Only the
monitors' own situations count: channel-health and SLA alerts are situations of inactive
monitors and are about us, not about what people write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crisisdesk.detection.models import Situation
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import Conversation
from crisisdesk.posts.models import Post
from crisisdesk.sources.models import Monitor, MonitorMatch

#: Messages written this long before a situation opened belong to it (the rise that opened it).
LEAD = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Span:
    monitor: str
    severity: int
    opened_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class OpenSituations:
    """Situations open at some time since a moment: asked per message time."""

    spans: Sequence[Span]

    def at(self, moment: datetime) -> dict[str, int]:
        """The severity of each monitor's open situation at ``moment`` (the worst if several)."""
        out: dict[str, int] = {}
        for s in self.spans:
            if s.opened_at <= moment and (s.resolved_at is None or moment < s.resolved_at):
                out[s.monitor] = max(out.get(s.monitor, 0), s.severity)
        return out


def open_situations(session: Session, since: datetime) -> OpenSituations:
    """The active monitors' situations open at any time from ``since`` on."""
    rows = session.execute(
        select(Monitor.name, Situation.severity, Situation.opened_at, Situation.resolved_at)
        .join(Monitor, Monitor.id == Situation.monitor_id)
        .where(Monitor.active, or_(Situation.resolved_at.is_(None), Situation.resolved_at > since))
    ).all()
    return OpenSituations([Span(*row) for row in rows])


@dataclass(frozen=True, slots=True)
class Window:
    """Which messages belong to one situation: its monitor's, written from ``start`` until ``end``."""

    monitor_id: int
    start: datetime
    end: datetime | None


def window(session: Session, situation_id: int) -> Window:
    found = session.get(Situation, situation_id)
    if found is None:
        raise InboxError(f"situation: no situation {situation_id}", status=404)
    return Window(found.monitor_id, found.opened_at - LEAD, found.resolved_at)


@dataclass(frozen=True, slots=True)
class About:
    """What a conversation's messages are about: the monitors that matched them, the situations
    those messages belong to (newest first), and their complaint types."""

    monitors: list[str]
    situations: list[dict[str, Any]]
    complaint_types: list[str]


def about(session: Session, conversation: Conversation) -> About:
    in_thread = and_(Post.platform == conversation.platform, Post.conversation_id == conversation.thread)
    matched = session.execute(
        select(Monitor.id, Monitor.name, func.min(Post.created_at), func.max(Post.created_at))
        .join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
        .join(Post, Post.id == MonitorMatch.post_id)
        .where(in_thread, Monitor.active)
        .group_by(Monitor.id, Monitor.name)
        .order_by(Monitor.name)
    ).all()
    situations: list[dict[str, Any]] = []
    for monitor_id, name, first, last in matched:
        rows = session.execute(
            select(Situation.id, Situation.cause, Situation.severity, Situation.status, Situation.opened_at)
            .where(Situation.monitor_id == monitor_id, Situation.opened_at <= last + LEAD,
                   or_(Situation.resolved_at.is_(None), Situation.resolved_at >= first))
        ).all()
        situations += [{"id": sid, "monitor": name, "cause": cause, "severity": severity, "status": status,
                        "opened_at": opened} for sid, cause, severity, status, opened in rows]
    situations.sort(key=lambda s: (s["opened_at"], s["id"]), reverse=True)
    types: set[str] = set()
    listed = select(Post.complaint_types).where(in_thread, Post.complaint_types.is_not(None))
    for raw in session.scalars(listed):
        types.update(orjson.loads(raw) if raw else [])
    return About([name for _, name, _, _ in matched], situations, sorted(types))

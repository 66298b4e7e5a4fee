"""Ticket SLAs: when a ticket's next answer and its resolution are due, kept on the conversation.

Only tickets have SLAs. The due times follow from the ticket's state, so one function
(:func:`refresh`) sets them after anything that changes that state — a ticket opened, its
priority changed, the person writing again, our answer reaching the platform, the ticket resolved
or reopened — and the callers (the pipeline's inbox hook, the API and web forms, the outbox
sender's "answered" callback) call it in the same transaction as the change:

- **first response**: while nobody has answered yet and the person waits, due the target's
  minutes after they started waiting, but not before the ticket's clock started (a conversation
  made a ticket late, or reopened after a message we left unanswered, is not overdue at once);
- **next response**: the same once we have answered before and the person wrote again;
- **resolution**: while the ticket is not resolved, due the target's minutes after its clock
  started (``resolution_from``): when the ticket was opened (or SLAs were switched on: old tickets
  do not all breach at once) or last reopened.

An answer sent clears the response due time, resolving clears all of them. Minutes are business
minutes of ``inbox.business_hours`` unless ``inbox.sla.business_hours`` is false. Breaches are
reported by :mod:`crisisdesk.inbox.sla_alerts`. Due times are computed when the state changes:
a changed target applies to a ticket from its next change on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxItem
from crisisdesk.inbox.calendar import BusinessCalendar
from crisisdesk.inbox.models import Conversation, ConversationStatus
from crisisdesk.inbox.rules_config import InboxConfig
from crisisdesk.inbox.sla_config import SlaConfig
from crisisdesk.posts.models import Post

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
KINDS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)
_CHUNK = 500


@dataclass(frozen=True)
class SlaPolicy:
    """The SLA in force: targets by priority and the calendar they count in (None: every minute)."""

    config: SlaConfig
    calendar: BusinessCalendar | None

    def due(self, start: datetime, minutes: int) -> datetime:
        if self.calendar is None:
            return start + timedelta(minutes=minutes)
        return self.calendar.add(start, minutes)


def policy_of(inbox: InboxConfig) -> SlaPolicy | None:
    """The workspace's SLA; None when switched off."""
    if not inbox.sla.enabled:
        return None
    return SlaPolicy(inbox.sla, inbox.business_hours.calendar() if inbox.sla.business_hours else None)


def due_of(conversation: Conversation, kind: str) -> datetime | None:
    value: datetime | None = getattr(conversation, f"{kind}_due")
    return value


def refresh(conversation: Conversation, policy: SlaPolicy | None, now: datetime) -> None:
    """Set the conversation's due times from its state (see the module's text); idempotent.
    ``policy`` None (SLAs switched off): nothing changes."""
    if policy is None:
        return
    c = conversation
    due: dict[str, datetime | None] = dict.fromkeys(KINDS)
    if c.ticket is None or c.status == ConversationStatus.RESOLVED.value:
        c.resolution_from = None  # the clock stops; a reopening starts it again
    else:
        if c.resolution_from is None:
            c.resolution_from = now
        minutes = policy.config.target(c.priority, RESOLUTION)
        if minutes is not None:
            due[RESOLUTION] = policy.due(c.resolution_from, minutes)
        if c.waiting_since is not None:
            kind = FIRST_RESPONSE if c.first_response_at is None else NEXT_RESPONSE
            minutes = policy.config.target(c.priority, kind)
            if minutes is not None:
                start = max(c.waiting_since, c.resolution_from)
                due[kind] = policy.due(start, minutes)
    for kind, value in due.items():
        if due_of(c, kind) != value:
            setattr(c, f"{kind}_due", value)
    given = [value for value in due.values() if value is not None]
    earliest = min(given) if given else None
    if c.sla_due != earliest:
        c.sla_due = earliest


def refresh_tickets(
    session: Session, conversation_ids: Iterable[int], policy: SlaPolicy, now: datetime
) -> int:
    """:func:`refresh` the tickets among ``conversation_ids`` (for the pipeline: new messages)."""
    ids = sorted(set(conversation_ids))
    count = 0
    for start in range(0, len(ids), _CHUNK):
        for conversation in session.scalars(
            select(Conversation).where(
                Conversation.id.in_(ids[start : start + _CHUNK]), Conversation.ticket.is_not(None)
            )
        ):
            refresh(conversation, policy, now)
            count += 1
    session.flush()
    return count


def refresh_answered(session: Session, item_id: int, policy: SlaPolicy, now: datetime) -> None:
    """:func:`refresh` the ticket an outbox reply answered (after :func:`service.answered`)."""
    post_id = session.scalar(select(OutboxItem.post_id).where(OutboxItem.id == item_id))
    post = session.get(Post, post_id) if post_id is not None else None
    if post is None or post.conversation_id is None:
        return
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.platform == post.platform,
            Conversation.thread == post.conversation_id,
            Conversation.ticket.is_not(None),
        )
    )
    if conversation is not None:
        refresh(conversation, policy, now)
        session.flush()


def breached(conversation: Conversation, now: datetime) -> list[str]:
    """The targets of the conversation that are overdue at ``now``."""
    return [kind for kind in KINDS if (due := due_of(conversation, kind)) is not None and due <= now]


def due_condition(before: datetime) -> ColumnElement[bool]:
    """Tickets with a due time before ``before`` (overdue ones included): the view "SLA soon due".
    Resolved tickets have no due times, so they never match."""
    return and_(Conversation.sla_due.is_not(None), Conversation.sla_due <= before)

"""Changing one conversation: the team's moves on it (status, priority, assignee, tags, notes,
tickets) and answers through the outbox. Its messages as the conversation view shows them are in
:mod:`crisisdesk.inbox.thread_view`, the lists in :mod:`crisisdesk.inbox.listing`, contacts in
:mod:`crisisdesk.inbox.contacts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Connector
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outgoing import Action, private_reply_window
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationMention,
    ConversationStatus,
    Priority,
)
from crisisdesk.inbox.notices import Notices, mentioned
from crisisdesk.posts.models import Post

_REPLIES = (Action.REPLY_PUBLIC.value, Action.REPLY_PRIVATE.value)


def get(session: Session, conversation_id: int) -> Conversation:
    found = session.get(Conversation, conversation_id)
    if found is None:
        raise InboxError(f"no conversation {conversation_id}", status=404)
    return found


def events(session: Session, conversation_id: int) -> list[ConversationEvent]:
    return list(
        session.scalars(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.at, ConversationEvent.id)
        )
    )


def _event(
    session: Session,
    conversation: Conversation,
    kind: str,
    actor: Actor,
    now: datetime,
    *,
    body: Mapping[str, Any] | None = None,
    text: str | None = None,
) -> ConversationEvent:
    event = ConversationEvent(
        conversation_id=conversation.id,
        at=now,
        kind=kind,
        actor=actor.label,
        actor_user_id=actor.user_id,
        body=dict(body or {}),
        text=text,
    )
    session.add(event)
    return event


@dataclass(frozen=True, slots=True)
class Change:
    """What a person changes; fields left None stay (``assignee_user_id=0`` unassigns)."""

    status: ConversationStatus | None = None
    snoozed_until: datetime | None = None
    priority: Priority | None = None
    assignee_user_id: int | None = None
    team: str | None = None
    tags: Sequence[str] | None = None


def change(
    session: Session,
    conversation: Conversation,
    what: Change,
    *,
    actor: Actor,
    now: datetime,
    user_exists: Any = None,
    events: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Apply ``what`` and write one timeline event per changed field; returns the fields changed.
    ``events``: collect the events' rows there instead, for the caller to insert at once (the
    rules change hundreds of conversations a batch)."""
    changed: list[str] = []

    def put(field: str, value: Any, kind: str) -> None:
        before = getattr(conversation, field)
        if before == value:
            return
        setattr(conversation, field, value)
        if events is None:
            _event(session, conversation, kind, actor, now, body={"from": before, "to": value})
        else:
            events.append({"conversation_id": conversation.id, "at": now, "kind": kind, "actor": actor.label,
                           "actor_user_id": actor.user_id, "body": {"from": before, "to": value},
                           "text": None})
        changed.append(field)

    if what.status is not None:
        if what.status is ConversationStatus.SNOOZED:
            if what.snoozed_until is None or what.snoozed_until <= now:
                raise InboxError("snoozed needs snoozed_until in the future")
            conversation.snoozed_until = what.snoozed_until
        elif what.snoozed_until is not None:
            raise InboxError("snoozed_until goes with status snoozed only")
        else:
            conversation.snoozed_until = None
        put("status", what.status.value, "status")
        conversation.resolved_at = now if what.status is ConversationStatus.RESOLVED else None
    if what.priority is not None:
        put("priority", what.priority.value, "priority")
    if what.assignee_user_id is not None:
        assignee = None if what.assignee_user_id == 0 else what.assignee_user_id
        if assignee is not None and user_exists is not None and not user_exists(assignee):
            raise InboxError(f"no active user {assignee} to assign to", status=422)
        put("assignee_user_id", assignee, "assigned")
    if what.team is not None:
        put("team", what.team or None, "team")
    if what.tags is not None:
        tags = sorted({t.strip() for t in what.tags if t.strip()})
        put("tags", tags, "tags")
    if changed:
        conversation.updated_at = now
    return changed


def open_ticket(session: Session, conversation: Conversation, *, actor: Actor, now: datetime) -> str:
    """Make the conversation a ticket (its number, counted per year, ``2026-0142``); a ticket
    already is one and keeps its number."""
    if conversation.ticket is not None:
        return conversation.ticket
    prefix = f"{now.year}-"
    last = session.scalar(select(func.max(Conversation.ticket)).where(Conversation.ticket.like(f"{prefix}%")))
    number = int(last.split("-", 1)[1]) + 1 if last else 1
    conversation.ticket = f"{prefix}{number:04d}"
    conversation.ticket_opened_at = now
    conversation.updated_at = now
    _event(session, conversation, "ticket", actor, now, body={"ticket": conversation.ticket})
    return conversation.ticket


def add_note(
    session: Session, conversation: Conversation, text: str, *, actor: Actor, now: datetime,
    notices: Notices | None = None,
) -> list[str]:
    """An internal note; the accounts it @mentions see the conversation in their "mentions" view
    and hear of it through their targets (a person of the workspace whose ``email`` is theirs).
    Returns the addresses mentioned."""
    if not text.strip():
        raise InboxError("a note needs a text")
    notices = notices or Notices(deliver=False)
    users = notices.resolve_users(session, mentioned(text))
    body = {"mentions": sorted({email for _, email in users.values()})} if users else None
    event = _event(session, conversation, "note", actor, now, text=text.strip(), body=body)
    conversation.updated_at = now
    session.flush()
    for uid, email in sorted(set(users.values())):
        session.add(ConversationMention(conversation_id=conversation.id, user_id=uid, event_id=event.id,
                                        by=actor.label, at=now))
        person = notices.person_by_email(email)
        if person is None or uid == actor.user_id:
            continue
        targets, _ = notices.people_of([f"person:{person}"], now)
        subject = conversation.ticket or conversation.subject or f"#{conversation.id}"
        notices.send(session, conversation, key=f"mention:{event.id}:{uid}", targets=targets,
                     title={"de": f"{actor.label} erwähnt Sie: {subject}",
                            "en": f"{actor.label} mentioned you: {subject}"},
                     summary={"de": text.strip(), "en": text.strip()}, at=now)
    return sorted({email for _, email in users.values()})


def reply(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    private: bool,
    key: str,
    connectors: Mapping[str, Connector],
    actor: Actor,
    now: datetime,
    attachments: tuple[int, ...] = (),
) -> OutboxItem:
    """Answer the conversation's latest inbound message through its channel (queued in the outbox).

    A conversation only we can read (a chat, an e-mail) is always answered privately."""
    if conversation.channel is None:
        raise InboxError(
            f"conversation {conversation.id} did not arrive through a connected channel: "
            "answer it on the platform"
        )
    latest = session.scalar(
        select(Post.id)
        .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread,
               Post.own.is_not(True))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(1)
    )
    action = Action.REPLY_PRIVATE if private or conversation.public is False else Action.REPLY_PUBLIC
    closes = window_closes_at(conversation, connectors)
    if conversation.public is False and closes is not None and now > closes:
        raise InboxError(
            f"the platform's window for private messages closed at {closes:%Y-%m-%d %H:%M} UTC "
            "(24 hours after the person's last message): a free-form message is refused now; "
            "wait for the person to write again (WhatsApp: or send an approved template)"
        )
    request = outbox.OutboundRequest(
        channel=conversation.channel, action=action, idempotency_key=key, post_id=latest, text=text,
        attachments=attachments,
    )
    try:
        item, _ = outbox.enqueue(session, request, connectors=connectors, actor=actor, now=now)
    except outbox.OutboxError as exc:
        raise InboxError(str(exc), status=exc.status) from None
    return item


def language_of(session: Session, conversation: Conversation) -> str | None:
    """The language of the person's latest message (what a prepared answer is written in)."""
    return session.scalar(
        select(Post.lang)
        .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread,
               Post.own.is_not(True))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(1)
    )


def window_closes_at(conversation: Conversation, connectors: Mapping[str, Connector]) -> datetime | None:
    """When the platform stops taking free-form private messages in this conversation (None: no
    such limit, or nothing heard from the person yet)."""
    connector = connectors.get(conversation.channel or "")
    window = private_reply_window(connector) if connector is not None else None
    if window is None or conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + window


def answered(session: Session, item_id: int, now: datetime) -> None:
    """An outbox reply reached the platform: the conversation is answered (for the outbox sender)."""
    item = session.get(OutboxItem, item_id)
    if item is None or item.action not in _REPLIES:
        return
    post = session.get(Post, item.post_id) if item.post_id is not None else None
    if post is None or post.conversation_id is None:
        return
    session.execute(
        update(Conversation)
        .where(Conversation.platform == post.platform, Conversation.thread == post.conversation_id)
        .values(
            last_outbound_at=now,
            waiting_since=None,
            updated_at=now,
            first_response_at=func.coalesce(Conversation.first_response_at, now),
            last_message_at=now,
        )
    )


def wake_snoozed(session: Session, now: datetime) -> int:
    """Snoozed conversations whose time has come are open again (the ticker calls this)."""
    due = list(session.scalars(select(Conversation).where(
        Conversation.status == ConversationStatus.SNOOZED.value, Conversation.snoozed_until <= now)))
    for conversation in due:
        _event(session, conversation, "woke", Actor.system(), now,
               body={"from": ConversationStatus.SNOOZED.value, "to": ConversationStatus.OPEN.value})
        conversation.status = ConversationStatus.OPEN.value
        conversation.snoozed_until = None
        conversation.updated_at = now
    session.flush()
    return len(due)

"""Reading and changing conversations: the lists by view, one conversation with its messages, the
team's moves on it (status, priority, assignee, tags, notes) and answers through the outbox.

A conversation's inbound messages are the posts of its thread, its outbound ones the outbox items
of its thread (a reply, a private reply); both are merged by time for the conversation view.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Action, Connector, private_reply_window
from crisisdesk.channels.models import OutboxItem
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.inbox.models import (
    Contact,
    ContactIdentity,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    ConversationWord,
    Priority,
)
from crisisdesk.inbox.threads import words
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import Monitor, MonitorMatch

MAX_MESSAGES = 500
_REPLIES = (Action.REPLY_PUBLIC.value, Action.REPLY_PRIVATE.value)


class InboxError(CrisisdeskError):
    """A request the inbox refuses; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class View(StrEnum):
    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    WAITING = "waiting"  # the person waits for our answer
    NEGATIVE = "negative"
    INSULTS = "insults"


@dataclass(frozen=True, slots=True)
class Filters:
    view: View = View.ALL
    status: ConversationStatus | None = ConversationStatus.OPEN
    channel: str | None = None
    monitor: str | None = None
    contact_id: int | None = None
    q: str | None = None


def _view_condition(view: View, user_id: int | None) -> ColumnElement[bool] | None:
    c = Conversation
    if view is View.MINE:
        return c.assignee_user_id == (user_id if user_id is not None else -1)
    if view is View.UNASSIGNED:
        return and_(c.assignee_user_id.is_(None), c.team.is_(None))
    if view is View.WAITING:
        return c.waiting_since.is_not(None)
    if view is View.NEGATIVE:
        return c.negative > 0
    if view is View.INSULTS:
        return c.insults > 0
    return None


def _filtered(filters: Filters, *, user_id: int | None) -> Select[Conversation]:
    c = Conversation
    stmt = select(c)
    if filters.status is not None:
        stmt = stmt.where(c.status == filters.status.value)
    if filters.channel is not None:
        stmt = stmt.where(c.channel == filters.channel)
    if filters.contact_id is not None:
        stmt = stmt.where(c.contact_id == filters.contact_id)
    condition = _view_condition(filters.view, user_id)
    if condition is not None:
        stmt = stmt.where(condition)
    in_thread = and_(Post.platform == c.platform, Post.conversation_id == c.thread)
    if filters.monitor is not None:
        stmt = stmt.where(
            exists(
                select(Post.id)
                .join(MonitorMatch, MonitorMatch.post_id == Post.id)
                .join(Monitor, Monitor.id == MonitorMatch.monitor_id)
                .where(in_thread, Monitor.name == filters.monitor)
            )
        )
    if filters.q:
        terms = sorted(words(filters.q))
        if not terms:
            raise InboxError("q: give at least one word of two letters or more", status=400)
        for term in terms:  # every word of the query, as the start of a word of the conversation
            stmt = stmt.where(
                c.id.in_(
                    select(ConversationWord.conversation_id).where(
                        ConversationWord.word >= term, ConversationWord.word < term + "\U0010ffff"
                    )
                )
            )
    return stmt


def encode_cursor(at: datetime, conversation_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([at.astimezone(UTC).isoformat(), conversation_id])).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, cid = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(cid, int):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InboxError("after: not a cursor this list gave out", status=400) from None
    return moment, cid


def list_conversations(
    session: Session, filters: Filters, *, user_id: int | None, limit: int = 50, after: str | None = None
) -> tuple[list[Conversation], str | None]:
    """Newest activity first, ``limit`` at a time; the cursor of the next page (None: no more)."""
    stmt = _filtered(filters, user_id=user_id)
    if after is not None:
        at, cid = decode_cursor(after)
        stmt = stmt.where(
            or_(
                Conversation.last_message_at < at,
                and_(Conversation.last_message_at == at, Conversation.id < cid),
            )
        )
    rows = list(
        session.scalars(
            stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return rows, (encode_cursor(last.last_message_at, last.id) if more and last is not None else None)


def view_counts(
    session: Session, *, user_id: int | None, status: ConversationStatus | None
) -> dict[str, int]:
    """How many conversations each view holds (of one status, open by default): one pass."""
    columns = []
    for view in View:
        condition = _view_condition(view, user_id)
        columns.append(func.count() if condition is None else func.sum(case((condition, 1), else_=0)))
    stmt = select(*columns).select_from(Conversation)
    if status is not None:
        stmt = stmt.where(Conversation.status == status.value)
    row = session.execute(stmt).one()
    return {view.value: int(value or 0) for view, value in zip(View, row, strict=True)}


def get(session: Session, conversation_id: int) -> Conversation:
    found = session.get(Conversation, conversation_id)
    if found is None:
        raise InboxError(f"no conversation {conversation_id}", status=404)
    return found


def messages(session: Session, conversation: Conversation) -> list[dict[str, Any]]:
    """Inbound posts and outbound outbox items of the conversation, oldest first."""
    posts = list(
        session.execute(
            select(Post, Author)
            .outerjoin(Author, Author.id == Post.author_id)
            .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread)
            .order_by(Post.created_at, Post.id)
            .limit(MAX_MESSAGES)
        )
    )
    post_ids = [p.id for p, _ in posts]
    outbound = list(
        session.scalars(
            select(OutboxItem).where(
                OutboxItem.action.in_(_REPLIES),
                or_(
                    and_(
                        OutboxItem.thread == conversation.thread, OutboxItem.channel == conversation.channel
                    ),
                    OutboxItem.post_id.in_(post_ids or [-1]),
                ),
            )
        )
    )
    out: list[dict[str, Any]] = [_inbound(p, a) for p, a in posts]
    out.extend(outbound_message(o) for o in outbound)
    out.sort(key=lambda m: (m["at"], m["id"]))
    return out


def _inbound(post: Post, author: Author | None) -> dict[str, Any]:
    return {
        "id": f"in:{post.id}",
        "direction": "in",
        "post_id": post.id,
        "external_id": post.external_id,
        "at": post.created_at,
        "text": post.text,
        "kind": post.kind,
        "url": post.url,
        "author": None
        if author is None
        else {
            "id": author.external_id,
            "handle": author.handle,
            "name": author.name,
            "followers": author.followers,
        },
        "sentiment": post.sentiment,
        "insult": post.insult,
        "complaint_types": orjson.loads(post.complaint_types) if post.complaint_types else [],
        "status": None,
    }


def outbound_message(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": f"out:{item.id}",
        "direction": "out",
        "outbox_id": item.id,
        "external_id": item.external_id,
        "at": item.sent_at or item.created_at,
        "text": item.text or "",
        "action": item.action,
        "private": item.action == Action.REPLY_PRIVATE.value,
        "status": item.status,
        "delivery_state": item.delivery_state,
        "error": item.last_error,
        "by": item.created_by,
        "in_reply_to_post_id": item.post_id,
    }


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
) -> None:
    session.add(
        ConversationEvent(
            conversation_id=conversation.id,
            at=now,
            kind=kind,
            actor=actor.label,
            actor_user_id=actor.user_id,
            body=dict(body or {}),
            text=text,
        )
    )


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
) -> list[str]:
    """Apply ``what`` and write one timeline event per changed field; returns the fields changed."""
    changed: list[str] = []

    def put(field: str, value: Any, kind: str) -> None:
        before = getattr(conversation, field)
        if before == value:
            return
        setattr(conversation, field, value)
        _event(session, conversation, kind, actor, now, body={"from": before, "to": value})
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


def add_note(session: Session, conversation: Conversation, text: str, *, actor: Actor, now: datetime) -> None:
    if not text.strip():
        raise InboxError("a note needs a text")
    _event(session, conversation, "note", actor, now, text=text.strip())
    conversation.updated_at = now


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
        .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread)
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
        channel=conversation.channel, action=action, idempotency_key=key, post_id=latest, text=text
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
        .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread)
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


def contact_of(session: Session, contact_id: int) -> tuple[Contact, list[Author]]:
    found = session.get(Contact, contact_id)
    if found is None:
        raise InboxError(f"no contact {contact_id}", status=404)
    identities = list(
        session.scalars(
            select(Author)
            .join(ContactIdentity, ContactIdentity.author_id == Author.id)
            .where(ContactIdentity.contact_id == contact_id)
        )
    )
    return found, identities


def merge_contacts(session: Session, keep_id: int, other_id: int, *, actor: Actor, now: datetime) -> int:
    """Make ``other`` part of ``keep`` (the same person on another platform, or twice on one):
    its identities and conversations move over, remembering where they came from for the undo.
    Returns how many identities moved."""
    if keep_id == other_id:
        raise InboxError("a contact cannot be merged into itself")
    keep, other = session.get(Contact, keep_id), session.get(Contact, other_id)
    if keep is None or other is None:
        raise InboxError(f"no contact {other_id if keep is not None else keep_id}", status=404)
    identities = list(session.scalars(select(ContactIdentity).where(ContactIdentity.contact_id == other_id)))
    if not identities:
        raise InboxError(f"contact {other_id} has no identities left (merged already?)", status=409)
    for identity in identities:
        identity.contact_id, identity.merged_from, identity.linked, identity.linked_at = (
            keep_id,
            other_id,
            "manual",
            now,
        )
    session.execute(
        update(Conversation).where(Conversation.contact_id == other_id).values(contact_id=keep_id)
    )
    keep.updated_at = now
    record(
        session,
        actor=actor,
        action=AuditAction.CONTACTS_MERGED,
        at=now,
        target_type="contact",
        target_id=keep_id,
        after={"merged": other_id, "identities": len(identities)},
    )
    session.flush()
    return len(identities)


def unmerge_contacts(session: Session, keep_id: int, other_id: int, *, actor: Actor, now: datetime) -> int:
    """Undo :func:`merge_contacts`: the identities that came from ``other`` go back, and so do the
    conversations their messages started. Returns how many identities went back."""
    identities = list(
        session.scalars(
            select(ContactIdentity).where(
                ContactIdentity.contact_id == keep_id, ContactIdentity.merged_from == other_id
            )
        )
    )
    if not identities:
        raise InboxError(f"contact {keep_id} holds nothing merged from contact {other_id}", status=409)
    authors = {i.author_id for i in identities}
    for identity in identities:
        identity.contact_id, identity.merged_from, identity.linked, identity.linked_at = (
            other_id,
            None,
            "auto",
            now,
        )
    for conversation in session.scalars(select(Conversation).where(Conversation.contact_id == keep_id)):
        first_author = session.scalar(
            select(Post.author_id)
            .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread)
            .order_by(Post.created_at, Post.id)
            .limit(1)
        )
        if first_author in authors:
            conversation.contact_id = other_id
    record(
        session,
        actor=actor,
        action=AuditAction.CONTACTS_UNMERGED,
        at=now,
        target_type="contact",
        target_id=keep_id,
        after={"restored": other_id, "identities": len(identities)},
    )
    session.flush()
    return len(identities)


def newer_reply_by_someone_else(
    session: Session, conversation: Conversation, *, seen: str, me: str
) -> dict[str, Any] | None:
    """The newest reply in the conversation that someone other than ``me`` queued after the message
    ``seen`` (a message id of :func:`messages`, the newest the person had on screen); None if none.

    An unknown ``seen`` counts as having seen nothing (every reply by others is newer)."""
    listed = messages(session, conversation)
    at = next((m["at"] for m in listed if m["id"] == seen), None)
    for m in reversed(listed):
        if m["direction"] != "out" or m["by"] == me or m["status"] == "failed":
            continue
        if at is None or (m["at"] > at and m["id"] != seen):
            found: dict[str, Any] = m
            return found
        break
    return None


def contact_names(session: Session, contact_ids: Sequence[int | None]) -> dict[int, str | None]:
    """The names of these contacts, by id (a list page shows a name per row, read at once)."""
    ids = sorted({i for i in contact_ids if i is not None})
    if not ids:
        return {}
    found = session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(ids)))
    return {row.id: row.name for row in found}


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

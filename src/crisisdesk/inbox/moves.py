"""Moving a public conversation to a private one, and keeping the two linked both ways.

A rule's ``move_to_private`` answers in public and sends a private reply; this module finds the
person's private conversation on the same channel and links the two on their timelines:
``moved_to_private`` on the public one and ``moved_from_public`` on the private one, each with the
other's id (``body.conversation_id``) and the private reply's outbox item (``body.outbox_id``).

The private conversation is often not there yet: a platform's private reply to a comment (Meta's)
opens a chat that reaches us only when the person answers in it, and under another id of the
person (Meta's page-scoped id), which the platform names only in its answer to the private reply
(``recipient_id``, kept by the outbox sender with the sent item's audit entry). So the move is
linked at once where the person's private conversation is known (the same contact, on the same
channel), and otherwise recorded with ``conversation_id: null`` and linked when a new private
conversation arrives on the channel whose person is the contact moved, or the recipient the
platform reported for the private reply. Only private replies sent in the last
:data:`LINK_WINDOW` are looked at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor, AuditAction
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.inbox.contacts import merge_contacts
from crisisdesk.inbox.models import ContactIdentity, Conversation, ConversationEvent
from crisisdesk.posts.models import Author, Post

MOVED_TO = "moved_to_private"
MOVED_FROM = "moved_from_public"
#: How long after its private reply went out a move still waits for the person's private answer.
LINK_WINDOW = timedelta(days=7)


def _row(conversation_id: int, kind: str, actor: str, now: datetime, other: int | None,
         outbox_id: int | None) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "at": now, "kind": kind, "actor": actor,
            "actor_user_id": None, "body": {"conversation_id": other, "outbox_id": outbox_id}, "text": None}


def private_of(session: Session, conversation: Conversation) -> Conversation | None:
    """The person's newest private conversation on the conversation's channel, if there is one."""
    if conversation.contact_id is None or conversation.channel is None:
        return None
    return session.scalar(
        select(Conversation)
        .where(Conversation.contact_id == conversation.contact_id,
               Conversation.channel == conversation.channel,
               Conversation.public.is_(False), Conversation.id != conversation.id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def move(session: Session, public: Conversation, outbox_id: int, *, actor: str, now: datetime,
         events: list[dict[str, Any]]) -> int | None:
    """Record the move of ``public`` (its private reply: ``outbox_id``) on the timelines (rows go to
    ``events``); returns the private conversation's id when it is known already, else None."""
    private = private_of(session, public)
    target = private.id if private is not None else None
    events.append(_row(public.id, MOVED_TO, actor, now, target, outbox_id))
    if target is not None:
        events.append(_row(target, MOVED_FROM, actor, now, public.id, outbox_id))
    return target


def new_private(session: Session, conversation_of: Mapping[int, int]) -> list[Conversation]:
    """The private conversations a batch started (post id → conversation id, as the pipeline
    threads it): every message of them came in this batch."""
    arrived = Counter(conversation_of.values())
    if not arrived:
        return []
    return [c for c in session.scalars(select(Conversation).where(
        Conversation.id.in_(list(arrived)), Conversation.public.is_(False),
        Conversation.channel.is_not(None))) if c.messages == arrived[c.id]]


def _sent_private_replies(session: Session, channels: set[str], now: datetime) -> list[OutboxItem]:
    """Our private replies to posts on ``channels`` sent within :data:`LINK_WINDOW`, oldest first:
    what both a move and a platform's word about a person are looked up in (read once a batch)."""
    if not channels:
        return []
    # next_attempt_at is set when queued: with the status it is the outbox's own index.
    return list(session.scalars(
        select(OutboxItem)
        .where(OutboxItem.status == OutboxStatus.SENT, OutboxItem.next_attempt_at >= now - LINK_WINDOW,
               OutboxItem.channel.in_(sorted(channels)), OutboxItem.action == Action.REPLY_PRIVATE.value,
               OutboxItem.post_id.is_not(None))
        .order_by(OutboxItem.id)))


def link_reported_people(session: Session, fresh: Sequence[Conversation], replies: Sequence[OutboxItem],
                         now: datetime) -> list[tuple[int, int]]:
    """One contact for a person the platform says is the same: a private reply we sent to a comment
    (Meta's) reached the person under another id, which the platform named in its answer
    (``recipient_id``); when a new private conversation comes from that id, its contact joins the
    commenter's (merged as ``auto``, audited, and undone like a merge by hand). Returns (kept,
    merged) contact pairs. ``replies``: :func:`_sent_private_replies` of the batch's channels."""
    items = {i.id: i for i in replies}
    reported = _recipients(session, list(items)) if items else {}
    if not reported:
        return []
    answered = {(items[i].channel, person): items[i].post_id for i, person in reported.items()}
    people = _people(session, [c.contact_id for c in fresh if c.contact_id is not None])
    merged: list[tuple[int, int]] = []
    for private in sorted(fresh, key=lambda c: c.id):
        if private.contact_id is None:
            continue
        keys = [(private.channel, p) for p in sorted(people.get(private.contact_id, ()))]
        post_id = next((answered[k] for k in keys if k in answered), None)
        if post_id is None:
            continue
        commenter = session.scalar(select(ContactIdentity.contact_id)
                                   .join(Post, Post.author_id == ContactIdentity.author_id)
                                   .where(Post.id == post_id))
        if commenter is None or commenter == private.contact_id:
            continue
        merge_contacts(session, commenter, private.contact_id, actor=Actor.system(), now=now, linked="auto")
        merged.append((commenter, private.contact_id))
    return merged


def link_arrivals(session: Session, conversation_of: Mapping[int, int],
                  now: datetime) -> list[tuple[int, int]]:
    """Link the new private conversations among ``conversation_of`` (post id → conversation id, a
    batch as the pipeline threads it) to the moves waiting for them; returns (public, private)
    pairs. Costs one query for a batch without a new private conversation."""
    fresh = new_private(session, conversation_of)
    if not fresh:
        return []
    replies = _sent_private_replies(session, {c.channel for c in fresh if c.channel}, now)
    if not replies:
        return []
    link_reported_people(session, fresh, replies, now)
    waiting = _waiting(session, replies)
    if not waiting:
        return []
    people = _people(session, [c.contact_id for c in fresh if c.contact_id is not None])
    rows: list[dict[str, Any]] = []
    linked: list[tuple[int, int]] = []
    for private in sorted(fresh, key=lambda c: c.id):
        for w in waiting:
            if w.done or w.channel != private.channel:
                continue
            same_contact = private.contact_id is not None and private.contact_id == w.contact_id
            reported = w.recipient is not None and w.recipient in people.get(private.contact_id or -1, set())
            if same_contact or reported:
                w.done = True
                rows.append(_row(w.public_id, MOVED_TO, w.actor, now, private.id, w.outbox_id))
                rows.append(_row(private.id, MOVED_FROM, w.actor, now, w.public_id, w.outbox_id))
                linked.append((w.public_id, private.id))
                break
    if rows:
        session.execute(insert(ConversationEvent), rows)
    return linked


class _Waiting:
    """A move whose private conversation is not known yet."""

    def __init__(self, public: Conversation, item: OutboxItem, actor: str, recipient: str | None) -> None:
        self.public_id, self.contact_id, self.channel = public.id, public.contact_id, item.channel
        self.outbox_id, self.actor, self.recipient = item.id, actor, recipient
        self.done = False


def _waiting(session: Session, items: Sequence[OutboxItem]) -> list[_Waiting]:
    """The moves among ``items`` (our recent private replies, oldest first) that are linked to no
    private conversation yet, oldest first."""
    if not items:
        return []
    threads = {p.id: (p.platform, p.conversation_id) for p in session.scalars(
        select(Post).where(Post.id.in_([i.post_id for i in items])))}
    publics: dict[tuple[str, str | None], Conversation] = {}
    for platform in {t[0] for t in threads.values()}:
        wanted = [t[1] for t in threads.values() if t[0] == platform and t[1]]
        publics.update({(c.platform, c.thread): c for c in session.scalars(select(Conversation).where(
            Conversation.platform == platform, Conversation.thread.in_(wanted)))})
    ids = [c.id for c in publics.values()]
    moves: dict[int, dict[int | None, ConversationEvent]] = {}
    for e in session.scalars(select(ConversationEvent).where(
            ConversationEvent.conversation_id.in_(ids), ConversationEvent.kind == MOVED_TO)
            .order_by(ConversationEvent.id)):
        body = e.body or {}
        outbox_id = body.get("outbox_id")
        if isinstance(outbox_id, int):
            by_item = moves.setdefault(outbox_id, {})
            by_item[body.get("conversation_id")] = e
    out: list[_Waiting] = []
    for item in items:
        recorded = moves.get(item.id, {})
        public = publics.get(threads.get(item.post_id or -1, ("", None)))
        if public is None or set(recorded) != {None}:
            continue  # not a move, or linked already
        out.append(_Waiting(public, item, recorded[None].actor, None))
    if out:
        reported = _recipients(session, [w.outbox_id for w in out])
        for w in out:
            w.recipient = reported.get(w.outbox_id)
    return out


def _recipients(session: Session, item_ids: Sequence[int]) -> dict[int, str]:
    """The person each private reply reached, as the platform named them when it took the reply
    (``recipient_id`` in the sent item's audit entry: the id their private conversation has)."""
    out: dict[int, str] = {}
    for target_id, after in session.execute(
            select(AuditEntry.target_id, AuditEntry.after).where(
                AuditEntry.target_type == "outbox", AuditEntry.target_id.in_([str(i) for i in item_ids]),
                AuditEntry.action == AuditAction.OUTBOUND_SENT.value)):
        recipient = (after or {}).get("recipient_id")
        if recipient:
            out[int(target_id)] = str(recipient)
    return out


def _people(session: Session, contact_ids: Sequence[int]) -> dict[int, set[str]]:
    """The platform ids of each contact's identities."""
    out: dict[int, set[str]] = {}
    if not contact_ids:
        return out
    for contact_id, external_id in session.execute(
            select(ContactIdentity.contact_id, Author.external_id)
            .join(Author, Author.id == ContactIdentity.author_id)
            .where(ContactIdentity.contact_id.in_(list(contact_ids)))):
        out.setdefault(int(contact_id), set()).add(str(external_id))
    return out


def links(events: Sequence[ConversationEvent]) -> dict[str, Any]:
    """Where a conversation moved to and came from, by its timeline: ``moved_to_private`` (the private
    conversation's id; None while it is not known), ``moved_from_public`` (the public one's id),
    and ``moved`` (whether it was moved at all)."""
    to: int | None = None
    came: int | None = None
    moved = False
    for e in events:
        other = (e.body or {}).get("conversation_id")
        if e.kind == MOVED_TO:
            moved = True
            to = other if isinstance(other, int) else to
        elif e.kind == MOVED_FROM and isinstance(other, int):
            came = other
    return {"moved_to_private": to, "moved_from_public": came, "moved": moved}

"""The durable outbox of outbound calls: asking for one, claiming it, recording what came of it.

Every reply, private reply, new post of ours (publish) and moderation action is a row first
(committed with its audit entry), then a call: a crash never loses a request, and the same
idempotency key asked twice (a double click, a client's retry) is one row, sent once. A call
under way when its sender died is marked ``uncertain`` rather than repeated: a platform without
idempotency keys would show the reply twice. Delivery and read reports that arrive later by
webhook move ``delivery_state`` forward.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, func, not_, or_, select, update
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.channels.base import STATE_RANK, Connector, DeliveryState, StatusReport, Watermark
from crisisdesk.channels.models import OutboxAttachment, OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import (
    NEEDS,
    Action,
    Outbound,
    OutgoingFile,
    attachment_limits,
    attachment_refusal,
)
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.posts.models import Author, Post

#: Longest text accepted for any platform; each connector refuses what its platform does not take.
MAX_TEXT = 65_536
_REPLIES = {Action.REPLY_PUBLIC, Action.REPLY_PRIVATE}
#: What needs a text: the replies, and a new post of ours.
_TEXTS = _REPLIES | {Action.PUBLISH}


class OutboxError(CrisisdeskError):
    """A request the outbox refuses; ``status`` is the HTTP answer (404, 409 or 422)."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """What a person (or a rule) asks for. With ``post_id`` the target, thread and recipient come
    from the stored post unless given; without it they must be given. A ``publish`` (a new post
    on our own account) has a text and none of them; ``language`` (ISO 639-1) tells the platforms
    that take it (Mastodon, Bluesky) what language the text is in."""

    channel: str
    action: Action
    idempotency_key: str
    post_id: int | None = None
    text: str | None = None
    target: str | None = None
    thread: str | None = None
    recipient: str | None = None
    #: Uploaded files (``outbox_attachments`` ids) to send with a reply, in this order.
    attachments: tuple[int, ...] = ()
    language: str | None = None


def enqueue(session: Session, request: OutboundRequest, *, connectors: Mapping[str, Connector],
            actor: Actor, now: datetime) -> tuple[OutboxItem, bool]:
    """Queue ``request`` (and audit who asked); ``(row, True)`` when new, ``(existing, False)`` when
    the key was used before for the same request. Raises :class:`OutboxError` naming the problem."""
    connector = connectors.get(request.channel)
    if connector is None:
        known = ", ".join(sorted(connectors)) or "none"
        raise OutboxError(f"no enabled channel {request.channel!r} (enabled: {known})", status=404)
    needed = NEEDS[request.action]
    if needed not in connector.capabilities:
        can = ", ".join(sorted(a.value for a, c in NEEDS.items() if c in connector.capabilities)) or "nothing"
        raise OutboxError(f"channel {request.channel!r} cannot {request.action.value} (it can: {can})")
    text = request.text.strip() if request.text is not None else None
    if request.action in _TEXTS and not text:
        raise OutboxError(f"{request.action.value} needs a text")
    if text is not None and len(text) > MAX_TEXT:
        raise OutboxError(f"text has {len(text)} characters; at most {MAX_TEXT}")
    if request.action is Action.PUBLISH:
        _check_publish(request)
    if request.attachments:
        if request.action not in _REPLIES:
            raise OutboxError(f"{request.action.value} takes no attachments; only replies do")
        if attachment_limits(connector) is None:
            raise OutboxError(f"channel {request.channel} cannot send attachments")
    existing = session.scalar(select(OutboxItem).where(OutboxItem.channel == request.channel,
                                                       OutboxItem.idempotency_key == request.idempotency_key))
    if existing is not None:
        asked = (request.action.value, request.post_id, text, tuple(request.attachments))
        if (existing.action, existing.post_id, existing.text, attached_ids(session, existing.id)) != asked:
            raise OutboxError(f"idempotency key {request.idempotency_key!r} was used for another request "
                              f"(outbox item {existing.id})", status=409)
        return existing, False
    target, thread, recipient = request.target, request.thread, request.recipient
    context: dict[str, Any] = {"language": request.language} if request.language else {}
    if request.post_id is not None:
        post = session.get(Post, request.post_id)
        if post is None:
            raise OutboxError(f"no post {request.post_id}", status=404)
        if post.channel is not None and post.channel != request.channel:
            raise OutboxError(f"post {post.id} arrived on channel {post.channel!r}, not {request.channel!r}")
        author = session.get(Author, post.author_id) if post.author_id is not None else None
        target = target or post.external_id
        thread = thread or post.conversation_id
        recipient = recipient or (author.external_id if author is not None else None)
        context = {"post": _stored_post(post), "platform": post.platform}
    files = _files(session, request, connector, Outbound(
        action=request.action, idempotency_key=request.idempotency_key, target=target, thread=thread,
        recipient=recipient, text=text, context=context))
    item = OutboxItem(channel=request.channel, idempotency_key=request.idempotency_key,
                      action=request.action.value, post_id=request.post_id, target=target, thread=thread,
                      recipient=recipient, text=text, context=context, status=OutboxStatus.QUEUED,
                      attempts=0, next_attempt_at=now, created_at=now, created_by=actor.label,
                      created_by_user_id=actor.user_id)
    session.add(item)
    session.flush()
    for position, row in enumerate(files):
        row.outbox_item_id, row.position = item.id, position
    after: dict[str, Any] = {"channel": item.channel, "action": item.action, "post_id": item.post_id,
                             "target": target, "text": text}
    if files:
        after["attachments"] = [{"id": r.id, "filename": r.filename, "size": r.size} for r in files]
    session.flush()
    record(session, actor=actor, action=AuditAction.OUTBOUND_QUEUED, at=now, target_type="outbox",
           target_id=item.id, after=after)
    return item, True


def _check_publish(request: OutboundRequest) -> None:
    """A new post of ours answers nothing and goes to nobody in particular: the connector knows
    where it goes (our account, page or channel). Files are not published yet."""
    named = [name for name in ("post_id", "target", "thread", "recipient") if getattr(request, name)]
    if named:
        raise OutboxError(f"publish posts on the channel's own account and takes no {', '.join(named)} "
                          "(to answer a post, use reply_public)")
    if request.attachments:
        raise OutboxError("publish takes no attachments yet: post the text alone")
    if request.language is not None and not re.fullmatch(r"[a-z]{2,3}", request.language):
        raise OutboxError(f"language {request.language!r} is not an ISO 639 code (de, en)")


def attached_ids(session: Session, item_id: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(OutboxAttachment.id).where(OutboxAttachment.outbox_item_id == item_id)
                                 .order_by(OutboxAttachment.position, OutboxAttachment.id)))


def _files(session: Session, request: OutboundRequest, connector: Connector,
           planned: Outbound) -> list[OutboxAttachment]:
    """The uploads a request names, checked before anything is queued: they exist, no other reply
    took them, and the connector's platform takes them (count, type, size, this very call)."""
    if not request.attachments:
        return []
    limits = attachment_limits(connector)
    if limits is None:  # checked by the caller; kept for the type checker
        raise OutboxError(f"channel {request.channel} cannot send attachments")
    if len(set(request.attachments)) != len(request.attachments):
        raise OutboxError("an attachment is named twice")
    if len(request.attachments) > limits.max_count:
        raise OutboxError(f"channel {request.channel} sends at most {limits.max_count} attachment(s) with "
                          f"one reply; {len(request.attachments)} were given")
    rows = {r.id: r for r in session.scalars(select(OutboxAttachment).where(
        OutboxAttachment.id.in_(list(request.attachments))).with_for_update())}
    missing = [str(i) for i in request.attachments if i not in rows]
    if missing:
        raise OutboxError(f"no attachment {', '.join(missing)} (upload it first; unused uploads are removed "
                          "after a day)", status=404)
    ordered = [rows[i] for i in request.attachments]
    problems = []
    for row in ordered:
        if row.outbox_item_id is not None:
            raise OutboxError(f"attachment {row.id} ({row.filename}) goes with outbox item "
                              f"{row.outbox_item_id} already; upload it again for another reply", status=409)
        kind = row.content_type.split("/", 1)[0]
        kind = kind if kind in ("image", "video", "audio") else "document"
        if not limits.accepts(row.content_type):
            problems.append(f"{row.filename} is {row.content_type}, which channel {request.channel} cannot "
                            "send")
        elif row.size > limits.limit_for(kind):
            problems.append(f"{row.filename} has {row.size} bytes; channel {request.channel} sends a {kind} "
                            f"of at most {limits.limit_for(kind)} bytes")
    if problems:
        raise OutboxError("; ".join(problems))
    refusal = attachment_refusal(connector, replace(planned, attachments=tuple(
        _planned_file(r) for r in ordered)))
    if refusal:
        raise OutboxError(f"channel {request.channel} cannot send attachments here: {refusal}")
    return ordered


def _planned_file(row: OutboxAttachment) -> OutgoingFile:
    """The file as the connector will get it (the path is not needed to judge the call)."""
    return OutgoingFile(attachment_id=row.id, filename=row.filename, content_type=row.content_type,
                        size=row.size, sha256=row.sha256, path=Path(row.storage_key))


def _stored_post(post: Post) -> dict[str, Any]:
    """The post as it was received (its canonical dict), or the columns when that is unreadable."""
    try:
        raw = orjson.loads(post.raw)
    except orjson.JSONDecodeError:
        raw = None
    if isinstance(raw, dict):
        return raw
    return {"platform": post.platform, "id": post.external_id, "text": post.text, "url": post.url,
            "conversation_id": post.conversation_id, "in_reply_to": post.in_reply_to}


def outbound(item: OutboxItem, files: Sequence[OutgoingFile] = ()) -> Outbound:
    """The call for a connector; ``context["automatic"]`` says an inbox rule asked for it, not a
    person (a mail then says so in its headers, so that other responders do not answer it)."""
    context = {**(item.context or {}), "automatic": item.created_by.startswith("rule:")}
    return Outbound(action=Action(item.action), idempotency_key=f"{item.channel}:{item.idempotency_key}",
                    target=item.target, thread=item.thread, recipient=item.recipient, text=item.text,
                    context=context, attachments=tuple(files))


# -- the sender's side ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Hold:
    """What stays queued for now (crisis mode): the posts we start ourselves — a reply without a
    stored post it answers (``post_id`` None: an announcement, a scheduled post) — and what the
    actors in ``created_by`` asked for (``rule:NAME`` of marketing rules). Held items are neither
    sent nor lost: they leave in the first round after the hold ends.

    A ``publish`` is not held for its action: in a crisis it is the crisis team's update to the
    public (the holding statement, the all-clear), which must leave now; one a marketing rule
    queued is still held by ``created_by``."""

    created_by: frozenset[str] = frozenset()

    def matches(self) -> ColumnElement[bool]:
        ours = and_(OutboxItem.action.in_([a.value for a in _REPLIES]), OutboxItem.post_id.is_(None))
        return or_(ours, OutboxItem.created_by.in_(sorted(self.created_by))) if self.created_by else ours


def held(session: Session, hold: Hold) -> int:
    """How many queued items ``hold`` keeps back."""
    return int(session.scalar(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.status == OutboxStatus.QUEUED, hold.matches())) or 0)


def due(session: Session, now: datetime, *, channels: Sequence[str], limit: int = 50,
        hold: Hold | None = None) -> list[OutboxItem]:
    """Queued items whose time has come, oldest first (PostgreSQL: rows another sender holds are
    skipped), except what ``hold`` keeps back."""
    if not channels:
        return []
    stmt = (select(OutboxItem).where(OutboxItem.status == OutboxStatus.QUEUED,
                                     OutboxItem.next_attempt_at <= now, OutboxItem.channel.in_(channels))
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id).limit(limit))
    if hold is not None:
        stmt = stmt.where(not_(hold.matches()))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def next_due_at(session: Session, *, channels: Sequence[str], hold: Hold | None = None) -> datetime | None:
    stmt = (select(func.min(OutboxItem.next_attempt_at))
            .where(OutboxItem.status == OutboxStatus.QUEUED, OutboxItem.channel.in_(channels)))
    if hold is not None:  # held items are not due: the sender would spin on them
        stmt = stmt.where(not_(hold.matches()))
    return session.scalar(stmt)


def claim(session: Session, item: OutboxItem, *, now: datetime) -> bool:
    """Take a due item for one attempt; False when another sender took it first."""
    result = session.execute(
        update(OutboxItem).where(OutboxItem.id == item.id, OutboxItem.status == OutboxStatus.QUEUED,
                                 OutboxItem.attempts == item.attempts)
        .values(status=OutboxStatus.SENDING, attempts=item.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


#: Where the session notes the threads whose outbound items changed (``session.info``): what
#: the inbox tells open pages once the session commits (:mod:`crisisdesk.inbox.live`).
TOUCHED = "crisisdesk.outbox.touched"


def _touched(session: Session, threads: Iterable[str | None]) -> None:
    session.info.setdefault(TOUCHED, set()).update(t for t in threads if t)


def _mark(session: Session, item_id: int, **values: Any) -> None:
    threads = session.scalars(update(OutboxItem).where(OutboxItem.id == item_id).values(**values)
                              .returning(OutboxItem.thread))
    _touched(session, threads)


def mark_sent(session: Session, item_id: int, *, external_id: str | None, now: datetime) -> None:
    _mark(session, item_id, status=OutboxStatus.SENT, external_id=external_id, sent_at=now, last_error=None,
          error_code=None, delivery_state=DeliveryState.SENT.value, delivery_state_at=now)


def mark_retry(session: Session, item_id: int, *, error: str, code: str | None, next_at: datetime) -> None:
    _mark(session, item_id, status=OutboxStatus.QUEUED, last_error=error[:2000], error_code=code,
          next_attempt_at=next_at)


def mark_failed(session: Session, item_id: int, *, error: str, code: str | None) -> None:
    _mark(session, item_id, status=OutboxStatus.FAILED, last_error=error[:2000], error_code=code)


def mark_interrupted(session: Session, *, now: datetime, lease: timedelta) -> list[OutboxItem]:
    """Items left ``sending`` longer than ``lease`` (their sender died mid-call) become uncertain."""
    rows = list(session.scalars(select(OutboxItem).where(OutboxItem.status == OutboxStatus.SENDING,
                                                         OutboxItem.claimed_at < now - lease)))
    for row in rows:
        row.status = OutboxStatus.UNCERTAIN
        row.last_error = (f"attempt {row.attempts} was interrupted: it may or may not have reached the "
                          "platform; check there, then retry or leave it")
    session.flush()
    return rows


def retry(session: Session, item_id: int, *, actor: Actor, now: datetime) -> OutboxItem:
    """Queue a failed or uncertain item again (a person's decision, audited)."""
    item = session.get(OutboxItem, item_id)
    if item is None:
        raise OutboxError(f"no outbox item {item_id}", status=404)
    if item.status not in (OutboxStatus.FAILED, OutboxStatus.UNCERTAIN):
        raise OutboxError(f"outbox item {item_id} is {item.status}; only failed or uncertain items are "
                          "retried", status=409)
    before = item.status
    item.status = OutboxStatus.QUEUED
    item.next_attempt_at = now
    session.flush()
    record(session, actor=actor, action=AuditAction.OUTBOUND_RETRIED, at=now, target_type="outbox",
           target_id=item.id, before={"status": before, "error": item.last_error},
           after={"status": item.status})
    return item


# -- reports from the platforms -----------------------------------------------------------------------

def apply_statuses(session: Session, channel: str, statuses: Sequence[StatusReport],
                   watermarks: Sequence[Watermark]) -> int:
    """Move ``delivery_state`` of what we sent forward (never back: platforms report out of order).

    A failure report counts after ``sent``/``delivered`` too (WhatsApp reports an undeliverable
    message as ``failed`` after ``sent``). Returns how many items changed."""
    changed = 0
    by_id: dict[str, list[StatusReport]] = {}
    for status in statuses:
        by_id.setdefault(status.external_id, []).append(status)
    if by_id:
        rows = session.scalars(select(OutboxItem).where(OutboxItem.channel == channel,
                                                        OutboxItem.external_id.in_(list(by_id))))
        for row in rows:
            moved = [_advance(row, r.state, r.at, r.error)
                     for r in sorted(by_id[row.external_id or ""], key=lambda r: STATE_RANK[r.state])]
            changed += any(moved)
            if any(moved):
                _touched(session, [row.thread])
    for mark in watermarks:
        rows = session.scalars(select(OutboxItem).where(
            OutboxItem.channel == channel, OutboxItem.thread == mark.thread,
            OutboxItem.status == OutboxStatus.SENT, OutboxItem.sent_at <= mark.at))
        for row in rows:
            if _advance(row, mark.state, mark.at, None):
                changed += 1
                _touched(session, [row.thread])
    session.flush()
    return changed


def _advance(row: OutboxItem, state: DeliveryState, at: datetime, error: str | None) -> bool:
    current = DeliveryState(row.delivery_state) if row.delivery_state else None
    if current is not None and STATE_RANK[state] <= STATE_RANK[current]:
        return False
    row.delivery_state = state.value
    row.delivery_state_at = at
    if state is DeliveryState.FAILED:
        row.last_error = (error or "the platform reported the message as not delivered")[:2000]
    return True

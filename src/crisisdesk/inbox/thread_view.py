"""A conversation's messages as the conversation view, the API and the contact timeline show them.

Its inbound messages are the posts of its thread; its outbound ones are the outbox items of its
thread (a reply, a private reply) and our own posts in it (answers typed in the platform's own
app, reported by the platform's echo); all are merged by time.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxAttachment, OutboxItem
from crisisdesk.channels.outgoing import Action
from crisisdesk.inbox.models import Conversation
from crisisdesk.posts.models import Author, Post

MAX_MESSAGES = 500
_REPLIES = (Action.REPLY_PUBLIC.value, Action.REPLY_PRIVATE.value)


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
    sent = {o.external_id for o in outbound if o.external_id}
    # our own posts in the thread are answers sent outside crisisdesk (the platform's app, another
    # tool); the platform's echo of a reply sent from here is that reply, shown once
    out: list[dict[str, Any]] = [_ours(p, a) if p.own else _inbound(p, a) for p, a in posts
                                 if not (p.own and p.external_id in sent)]
    files = attached_files(session, [o.id for o in outbound])
    out.extend(outbound_message(o, files.get(o.id, [])) for o in outbound)
    out.sort(key=lambda m: (m["at"], m["id"]))
    return out


def _post(post: Post, *, ours: bool) -> dict[str, Any]:
    """What a message that is a stored post shows, whoever wrote it."""
    return {"id": f"{'own' if ours else 'in'}:{post.id}", "direction": "out" if ours else "in",
            "post_id": post.id, "external_id": post.external_id, "at": post.created_at,
            "text": post.text, "kind": post.kind, "url": post.url}


def _inbound(post: Post, author: Author | None) -> dict[str, Any]:
    return {
        **_post(post, ours=False),
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


def _ours(post: Post, author: Author | None) -> dict[str, Any]:
    """Our answer that reached the thread from the platform (sent in its own app or another tool),
    in the shape of an outbound message: sent, by the account that wrote it."""
    by = (author.name or author.handle or author.external_id) if author is not None else post.channel
    return {**_post(post, ours=True), "elsewhere": True, "private": post.visibility == "private",
            "status": "sent", "by": by, "attachments": []}


def attached_files(session: Session, item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The files of outbound replies, as the thread shows them (name, type, size, download link)."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not item_ids:
        return found
    rows = session.scalars(select(OutboxAttachment).where(OutboxAttachment.outbox_item_id.in_(item_ids))
                           .order_by(OutboxAttachment.position, OutboxAttachment.id))
    for row in rows:
        found.setdefault(int(row.outbox_item_id or 0), []).append({
            "id": row.id, "filename": row.filename, "content_type": row.content_type, "size": row.size,
            "download": f"/api/v1/attachments/{row.id}/content"})
    return found


def files_of(session: Session, item: OutboxItem) -> list[dict[str, Any]]:
    return attached_files(session, [item.id]).get(item.id, [])


def outbound_message(item: OutboxItem, files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "attachments": files or [],
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
        "approval_state": item.approval_state,
        "crisis_id": item.crisis_id,
        "approval_comment": item.approval_comment,
        "approved_by": item.approved_by,
    }


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

"""Moderating what people posted: hide, unhide or delete a post on its platform, or ban its author.

One code path for ``POST /api/v1/posts/{platform}/{external_id}/moderation`` and the buttons on
the conversation page: the request names a stored post and goes to the outbox
(:func:`crisisdesk.channels.outbox.enqueue`) on the channel the post came through, which refuses
what the channel's connector cannot do (:data:`~crisisdesk.channels.outgoing.NEEDS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.channels import outbox
from crisisdesk.channels.base import Connector
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outgoing import NEEDS, Action
from crisisdesk.posts.models import Post

#: What a person asks for, by the name the API and the page use, and the outbox action it is.
MODERATION: dict[str, Action] = {"hide": Action.HIDE, "unhide": Action.UNHIDE, "delete": Action.DELETE,
                                 "ban_author": Action.BLOCK}


def possible(connector: Connector | None, name: str) -> bool:
    """Whether the channel can do the moderation action ``name`` at all (its capabilities)."""
    action = MODERATION.get(name)
    return connector is not None and action is not None and NEEDS[action] in connector.capabilities


def request_for(session: Session, *, platform: str, external_id: str, name: str, key: str,
                connectors: Mapping[str, Connector]) -> outbox.OutboundRequest:
    """The outbox request for moderating a stored post. Raises :class:`~crisisdesk.channels.outbox.
    OutboxError`: 404 for an unknown post, 422 for one that did not come through an enabled channel
    (an imported post: nobody here can act on it on its platform) or an unknown action."""
    action = MODERATION.get(name)
    if action is None:
        raise outbox.OutboxError(f"action: {name!r} is not one of {', '.join(MODERATION)}")
    post = session.scalar(select(Post).where(Post.platform == platform, Post.external_id == external_id))
    if post is None:
        raise outbox.OutboxError(f"no post {platform}/{external_id}", status=404)
    if post.channel is None or post.channel not in connectors:
        raise outbox.OutboxError(f"post {platform}/{external_id} did not arrive through a connected channel "
                                 f"({post.channel or 'none'}): crisisdesk cannot act on it on {platform}")
    return outbox.OutboundRequest(channel=post.channel, action=action, idempotency_key=key, post_id=post.id)


def requests_of(session: Session, post_ids: Iterable[int]) -> dict[int, list[OutboxItem]]:
    """The moderation requests made for each of these posts, oldest first (what became of a click)."""
    ids = list(post_ids)
    found: dict[int, list[OutboxItem]] = {}
    if not ids:
        return found
    actions = sorted({a.value for a in MODERATION.values()})
    for item in session.scalars(select(OutboxItem).where(OutboxItem.post_id.in_(ids),
                                                         OutboxItem.action.in_(actions))
                                .order_by(OutboxItem.created_at, OutboxItem.id)):
        if item.post_id is not None:
            found.setdefault(item.post_id, []).append(item)
    return found

"""An Instagram account's deliveries as posts: comments on its media, and direct messages.

A comment is public, in the thread of the media it is under; one with ``parent_id`` replies to
another comment. Mentions carry only ids (the text needs an API call): each becomes a lookup
that the connector fetches (:mod:`crisisdesk.channels.instagram.mentions`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisisdesk.channels.base import Delivery, InboundPost, Lookup, Unparsed, iso, unix_or_none
from crisisdesk.channels.instagram.mentions import PLATFORM, lookup_of
from crisisdesk.channels.meta.messaging import map_messaging
from crisisdesk.channels.meta.own_posts import count, lifetime_insights, own_post
from crisisdesk.channels.meta.times import graph_time
from crisisdesk.channels.meta.webhook import Entry, changes

_COMMENT_FIELDS = frozenset({"comments", "live_comments"})


class _From(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    username: str | None = None


class _Media(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    media_product_type: str | None = None


class CommentValue(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)

    id: str
    text: str | None = None
    from_: _From | None = Field(default=None, alias="from")
    media: _Media | None = None
    parent_id: str | None = None
    timestamp: int | float | str | None = None


def map_entry(entry: Entry, *, account_id: str, channel: str) -> Delivery:
    out = map_messaging(entry.messaging, platform=PLATFORM, account_id=account_id, channel=channel)
    # Instagram threads have a handover protocol too: while another app owns one, its messages come
    # under ``standby``. Kept (not read as ours to answer), never silently left out of the delivery.
    for event in entry.standby:
        out.unparsed.append(Unparsed("messaging standby event (another app owns the thread)", event))
    fallback = unix_or_none(entry.time) if entry.time else None
    for change, raw in changes(entry):
        if change is not None and change.field == "mentions":
            found = lookup_of(change.value, raw)
            if isinstance(found, Lookup):
                out.lookups.append(found)
            else:
                out.unparsed.append(found)
            continue
        if change is None or change.field not in _COMMENT_FIELDS:
            out.unparsed.append(Unparsed(f"change of field {raw.get('field')!r}", raw))
            continue
        try:
            value = CommentValue.model_validate(change.value)
        except ValidationError as exc:
            out.unparsed.append(Unparsed(f"comment change: {exc.errors()[0]['msg']}", raw))
            continue
        at = _time(value.timestamp) or fallback
        if at is None:
            out.unparsed.append(Unparsed("comment without a time", raw))
            continue
        media = value.media.id if value.media else None
        thread = f"{PLATFORM}:{account_id}:media:{media or value.id}"
        post: dict[str, Any] = {
            "platform": PLATFORM, "id": value.id, "created_at": iso(at), "text": value.text or "",
            "kind": "reply" if value.parent_id else "comment", "channel": channel,
            "conversation_id": media, "in_reply_to": value.parent_id or media,
        }
        if value.from_ is not None:
            post["author"] = {"id": value.from_.id, "handle": value.from_.username}
        own = value.from_ is not None and value.from_.id == account_id
        out.posts.append(InboundPost(post, thread=thread, public=True, own=own))
    return out


def _time(value: int | float | str | None) -> datetime | None:
    """Unix seconds or milliseconds, or an ISO time such as ``2026-01-01T10:00:00+0000``."""
    if value is None:
        return None
    if isinstance(value, str) and not value.replace(".", "", 1).isdigit():
        return graph_time(value)
    return unix_or_none(value)


#: What :meth:`InstagramConnector.own_posts` asks of each media on ``/{ig-user-id}/media``; with
#: the media's lifetime insights expanded in the same call (``views``, ``shares``, ``saved``), and
#: without them where Meta refuses those (no insights permission, a media type without them).
MEDIA_FIELDS_BASIC = "id,caption,timestamp,permalink,username,like_count,comments_count,media_type"
MEDIA_FIELDS = f"{MEDIA_FIELDS_BASIC},insights.metric(views,shares,saved)"
#: A media insight -> our count.
_MEDIA_INSIGHTS = {"views": "views", "shares": "shares", "saved": "saves"}


def map_media(items: list[Any], *, account_id: str, channel: str) -> Delivery:
    """The account's own media with their counts: likes and comments, and views, shares and saves
    where the media's insights came with them."""
    out = Delivery()
    for item in items:
        d = item if isinstance(item, dict) else {}
        handle = d.get("username")
        author = {"id": account_id, **({"handle": handle} if isinstance(handle, str) else {})}
        own_post(out, item, platform=PLATFORM, channel=channel,
                 thread=f"{PLATFORM}:{account_id}:media:{{id}}",
                 text=d.get("caption"), at=d.get("timestamp"), url=d.get("permalink"), author=author,
                 counts={"likes": count(d, "like_count"), "replies": count(d, "comments_count"),
                         **lifetime_insights(d, _MEDIA_INSIGHTS)})
    return out

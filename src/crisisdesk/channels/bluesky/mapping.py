"""Bluesky posts as posts: search results (post views) and mention/reply/quote notifications.

A stored body is one poll's new items of one source::

    {"source": "search" | "notifications", "query": "<q>", "me": "<our DID>", "items": [...]}

The id is the post's ``at://`` URI (unique, at most ~120 characters); the thread key is
``bluesky:<root URI>`` (``record.reply.root``, else the post itself). Post views carry
``likeCount``/``repostCount``/``replyCount``; notifications carry the record only (no counts).
Views carry no follower counts: ``followers`` stays empty. Bluesky posts are all public.

A reply names its parent and the thread's root each by URI *and* CID (a strong reference); the
post's fields have no place for a CID, so the post keeps, under ``reply_ref``, the ``reply``
object a reply to it needs: ``{"root": {"uri", "cid"}, "parent": {"uri", "cid"}}`` (the parent is
the post itself). The canonical post ignores the field and the stored raw post keeps it; that is
where sending takes it from (sending.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Attachment, Delivery, InboundPost, PayloadError, Unparsed, iso

PLATFORM = "bluesky"
#: Notification reasons that carry a post of someone else mentioning or answering us.
POST_REASONS = ("mention", "reply", "quote")


def parse_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment


def sort_at(item: dict[str, Any], *, indexed_only: bool = False) -> datetime | None:
    """When search orders an item: the earlier of ``createdAt`` and ``indexedAt``; notifications
    are ordered by ``indexedAt`` alone."""
    times = []
    record = item.get("record")
    created = record.get("createdAt") if isinstance(record, dict) and not indexed_only else None
    for value in (created, item.get("indexedAt")):
        try:
            times.append(parse_time(value))
        except (ValueError, TypeError):
            continue
    return min(times) if times else None


def web_url(uri: str, author: dict[str, Any]) -> str | None:
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    handle = author.get("handle")
    who = handle if handle and handle != "handle.invalid" else parts[0]
    return f"https://bsky.app/profile/{who}/post/{parts[2]}"


def _attachments(item: dict[str, Any]) -> list[Attachment]:
    embed = item.get("embed") or {}
    if isinstance(embed.get("media"), dict):  # recordWithMedia#view
        embed = embed["media"]
    found = [Attachment("image", url=i.get("fullsize"), name=i.get("alt") or None)
             for i in embed.get("images") or [] if isinstance(i, dict)]
    if embed.get("playlist"):
        found.append(Attachment("video", url=embed.get("playlist"), name=embed.get("alt") or None))
    return found


def strong_ref(value: Any) -> dict[str, str] | None:
    """A ``com.atproto.repo.strongRef`` (``{"uri", "cid"}``), or None when either part is missing."""
    if not isinstance(value, dict):
        return None
    uri, cid = value.get("uri"), value.get("cid")
    if not isinstance(uri, str) or not uri.startswith("at://") or not isinstance(cid, str) or not cid:
        return None
    return {"uri": uri, "cid": cid}


def reply_ref(item: dict[str, Any]) -> dict[str, dict[str, str]] | None:
    """The ``reply`` object of a post answering ``item`` (its root, and ``item`` as the parent)."""
    parent = strong_ref(item)
    reply = item["record"].get("reply")
    root = strong_ref(reply.get("root")) if isinstance(reply, dict) else parent
    if parent is None or root is None:
        return None
    return {"root": root, "parent": parent}


def item_to_post(item: dict[str, Any], *, channel: str, me: str | None) -> InboundPost:
    """A post view (search) or a notification (its record and author) as an inbound post."""
    uri = str(item["uri"])
    record: dict[str, Any] = item["record"]
    author: dict[str, Any] = item.get("author") or {}
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri") or parent or uri
    created = record.get("createdAt") or item.get("indexedAt")
    langs = record.get("langs") or []
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": uri, "created_at": iso(parse_time(created)),
        "text": str(record.get("text") or ""), "kind": "reply" if parent else "post", "channel": channel,
        "lang": str(langs[0])[:16] if langs else None, "url": web_url(uri, author),
        "in_reply_to": parent, "conversation_id": root[:255],
        "author": {"id": author.get("did"), "handle": author.get("handle"),
                   "name": author.get("displayName") or author.get("handle"), "followers": None},
    }
    ref = reply_ref(item)
    if ref is not None:
        post["reply_ref"] = ref
    if "likeCount" in item or "repostCount" in item or "replyCount" in item:
        post["metrics"] = {"likes": item.get("likeCount"), "shares": item.get("repostCount"),
                           "replies": item.get("replyCount")}
    return InboundPost(post, thread=f"{PLATFORM}:{root}", public=True, attachments=_attachments(item),
                       own=me is not None and author.get("did") == me)


def map_body(body: bytes, *, channel: str) -> Delivery:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise PayloadError("a stored Bluesky poll is an object with items (a list)")
    out = Delivery()
    me = str(data["me"]) if data.get("me") else None
    notifications = data.get("source") == "notifications"
    for item in data["items"]:
        if not isinstance(item, dict):
            out.unparsed.append(Unparsed("not a Bluesky object", item))
            continue
        if notifications and item.get("reason") not in POST_REASONS:
            out.unparsed.append(Unparsed(f"notification {item.get('reason')}", item))
            continue
        record = item.get("record")
        if not item.get("uri") or not isinstance(record, dict) or record.get("$type", "app.bsky.feed.post") \
                != "app.bsky.feed.post":
            out.unparsed.append(Unparsed("not a post", item))
            continue
        try:
            out.posts.append(item_to_post(item, channel=channel, me=me))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            out.unparsed.append(Unparsed(f"post not readable: {exc!r}", item))
    return out

"""@mentions of our Instagram account in other people's comments and captions.

Meta's ``mentions`` webhook names the item only: ``{"media_id", "comment_id"}`` for a comment that
mentions us, ``{"media_id"}`` alone for a caption (CHANNEL-APIS.md §1.4). The text is read from
the account node: ``GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){…}`` or
``mentioned_media.media_id(<id>){…}``, which answers ``{"mentioned_comment": {...}, "id"}``. That
answer is stored as a delivery (with the lookup and the time we read it) and mapped here: the
mention becomes a public post of someone else, in a thread of the media it is on
(``instagram:<account>:mention:<media-id>``), which our replies go to through
``POST /{ig-user-id}/mentions`` (:mod:`crisisdesk.channels.instagram.sending`).

Meta refuses the read when comments are off on the media or the item is gone (error 100): the
lookup then fails for good with Meta's reason. Fields a token or API version does not give are
asked again without them, as for our own media.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Delivery, InboundPost, Lookup, PlatformError, Unparsed, iso
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.own_posts import FIELD_REFUSALS, count
from crisisdesk.channels.meta.times import graph_time

PLATFORM = "instagram"
COMMENT = "mentioned_comment"
CAPTION = "mentioned_media"
#: The fields asked of a mentioning comment and of a mentioning media, and what is asked again
#: when Meta refuses the first set as such.
COMMENT_FIELDS = "id,text,timestamp,like_count,username,from,media{id,permalink,username}"
COMMENT_FIELDS_BASIC = "id,text,timestamp,like_count,media{id,permalink}"
MEDIA_FIELDS = "id,caption,timestamp,permalink,username,like_count,comments_count,media_type"
MEDIA_FIELDS_BASIC = "id,caption,timestamp,like_count,comments_count,media_type"
_FIELDS = {COMMENT: (COMMENT_FIELDS, COMMENT_FIELDS_BASIC), CAPTION: (MEDIA_FIELDS, MEDIA_FIELDS_BASIC)}


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if text.isdigit() else None


def lookup_of(value: object, raw: dict[str, Any]) -> Lookup | Unparsed:
    """The item a ``mentions`` change names: a comment (``comment_id`` with ``media_id``) or a
    caption (``media_id`` alone); ids must be Graph ids (digits), since they go into a URL."""
    data = value if isinstance(value, dict) else {}
    media, comment = _id(data.get("media_id")), data.get("comment_id")
    if media is None:
        if data.get("media_id") is None:
            return Unparsed("mention without a media_id", raw)
        return Unparsed("mention with a media_id that is not a Graph id", raw)
    if comment is None:
        return Lookup(CAPTION, {"media_id": media}, raw)
    if _id(comment) is None:
        return Unparsed("mention with a comment_id that is not a Graph id", raw)
    return Lookup(COMMENT, {"comment_id": str(comment).strip(), "media_id": media}, raw)


def fetch(graph: GraphClient, account_id: str, lookup: Lookup, *, now: datetime) -> bytes:
    """Meta's answer for a mention as JSON bytes, with the lookup and ``read_at`` added."""
    if lookup.what not in _FIELDS:
        raise PlatformError(f"an Instagram account cannot look up {lookup.what!r}", permanent=True)
    edge = f"comment_id({lookup.ids['comment_id']})" if lookup.what == COMMENT \
        else f"media_id({lookup.ids['media_id']})"
    full, basic = _FIELDS[lookup.what]
    try:
        answer = graph.get(account_id, fields=f"{lookup.what}.{edge}{{{full}}}")
    except PlatformError as exc:
        if str(exc.code) not in FIELD_REFUSALS:
            raise
        answer = graph.get(account_id, fields=f"{lookup.what}.{edge}{{{basic}}}")
    if not isinstance(answer.get(lookup.what), dict):
        raise PlatformError(f"Meta's answer has no {lookup.what} (the item may be gone)", permanent=True)
    return orjson.dumps({**answer, "lookup": {"what": lookup.what, "ids": dict(lookup.ids)},
                         "read_at": iso(now)})


def is_answer(payload: object) -> bool:
    """An answer :func:`fetch` stored, rather than a webhook envelope or a list of our posts."""
    return isinstance(payload, dict) and "object" not in payload and isinstance(payload.get("lookup"), dict) \
        and (COMMENT in payload or CAPTION in payload)


def map_answer(data: dict[str, Any], *, account_id: str, channel: str) -> Delivery:
    """The mentioning comment or media as a public post of its author, in the media's thread."""
    out = Delivery()
    ids = _obj(_obj(data.get("lookup")).get("ids"))
    item = data.get(COMMENT) if isinstance(data.get(COMMENT), dict) else data.get(CAPTION)
    if not isinstance(item, dict) or _id(item.get("id")) is None:
        out.unparsed.append(Unparsed("a mention answer without the item's id", data))
        return out
    ident = str(item["id"])
    comment = COMMENT in data
    media = _obj(item.get("media"))
    media_id = (_id(media.get("id")) or _id(ids.get("media_id"))) if comment else ident
    at = graph_time(item.get("timestamp")) or graph_time(data.get("read_at"))
    if media_id is None or at is None:
        out.unparsed.append(Unparsed("a mention answer without its media or time", data))
        return out
    text = item.get("text") if comment else item.get("caption")
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": ident, "created_at": iso(at),
        "text": text if isinstance(text, str) else "",
        "kind": "comment" if comment else "post", "channel": channel, "conversation_id": media_id,
        "metrics": {k: v for k, v in {"likes": count(item, "like_count"),
                                      "replies": None if comment else count(item, "comments_count")}.items()
                    if v is not None},
    }
    if comment:
        post["in_reply_to"] = media_id
    url = item.get("permalink") if not comment else media.get("permalink")
    if isinstance(url, str) and url:
        post["url"] = url
    author = _author(item)
    if author:
        post["author"] = author
    own = author.get("id") == account_id
    thread = f"{PLATFORM}:{account_id}:mention:{media_id}"
    out.posts.append(InboundPost(post, thread=thread, public=True, own=own))
    return out


def _author(item: dict[str, Any]) -> dict[str, str]:
    """``from`` (Instagram-scoped id and username, as in comment webhooks) where Meta gave it,
    else the username alone, which is then the id (a caption's author has no scoped id for us)."""
    sender = _obj(item.get("from"))
    handle = sender.get("username") or item.get("username")
    scoped = _id(sender.get("id"))
    out: dict[str, str] = {}
    if isinstance(handle, str) and handle:
        out["handle"] = handle
    if scoped is not None:
        out["id"] = scoped
    elif "handle" in out:
        out["id"] = out["handle"]
    return out

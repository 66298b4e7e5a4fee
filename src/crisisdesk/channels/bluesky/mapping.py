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

What the record's text does not hold is read from the rest of the post. Bluesky apps shorten a
link in the text (``example.com/news/2024/long-artic...``) and keep the whole address in a link
facet, which names its place by UTF-8 byte offsets: the shortened text is replaced by the address.
A link shown as a card (``app.bsky.embed.external``) is often removed from the text altogether:
its address is added at the end. Images and videos are attachments, from the embed view of a post
view (links to the CDN) or, for a notification that carries only the record, from the record's
blobs (the blob's CID as the media id). Shares are reposts and quotes, as on X. A ``createdAt``
that cannot be read as a time with an offset (some clients write one without) gives way to
``indexedAt``, the time the AppView saw the post.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Attachment, Delivery, InboundPost, PayloadError, Unparsed, iso

PLATFORM = "bluesky"
#: Notification reasons that carry a post of someone else mentioning or answering us.
POST_REASONS = ("mention", "reply", "quote")
_LINK = "app.bsky.richtext.facet#link"


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


def _media_of(embed: Any) -> dict[str, Any]:
    """The part of an embed that holds images, a video or a link card: a ``recordWithMedia``
    embed holds it under ``media``."""
    if not isinstance(embed, dict):
        return {}
    return embed["media"] if isinstance(embed.get("media"), dict) else embed


def _blob(value: Any, alt: Any, kind: str) -> Attachment | None:
    """A blob of a record (``{"$type": "blob", "ref": {"$link": <cid>}, "mimeType", "size"}``)."""
    if not isinstance(value, dict):
        return None
    ref = value.get("ref")
    cid = ref.get("$link") if isinstance(ref, dict) else value.get("cid")  # the older form: {cid, mimeType}
    size = value.get("size")
    return Attachment(kind, media_id=str(cid) if cid else None,
                      mime_type=value.get("mimeType") if isinstance(value.get("mimeType"), str) else None,
                      size=size if isinstance(size, int) and size >= 0 else None,
                      name=alt if isinstance(alt, str) and alt else None)


def _attachments(item: dict[str, Any]) -> list[Attachment]:
    """Images and a video of a post view's embed (``…#view``: links to the CDN), else of its record
    (notifications carry the record only: blobs)."""
    embed = _media_of(item.get("embed"))
    if embed:
        found = [Attachment("image", url=i.get("fullsize"), name=i.get("alt") or None)
                 for i in embed.get("images") or [] if isinstance(i, dict)]
        if embed.get("playlist"):
            found.append(Attachment("video", url=embed.get("playlist"), name=embed.get("alt") or None))
        return found
    record = item.get("record")
    embed = _media_of(record.get("embed")) if isinstance(record, dict) else {}
    blobs = [_blob(i.get("image"), i.get("alt"), "image") for i in embed.get("images") or []
             if isinstance(i, dict)]
    if "video" in embed:
        blobs.append(_blob(embed.get("video"), embed.get("alt"), "video"))
    return [b for b in blobs if b is not None]


def _card(item: dict[str, Any]) -> str | None:
    """The address of the post's link card (``app.bsky.embed.external``), in a view or a record."""
    record = item.get("record")
    for embed in (item.get("embed"), record.get("embed") if isinstance(record, dict) else None):
        external = _media_of(embed).get("external")
        if isinstance(external, dict) and isinstance(external.get("uri"), str) and external["uri"]:
            return str(external["uri"])
    return None


def full_text(record: dict[str, Any]) -> str:
    """The record's text with each link facet's text replaced by the facet's whole address.

    Offsets count UTF-8 bytes; a facet whose range does not fall on the text (broken, or cut
    inside a character) is left as it is."""
    text = str(record.get("text") or "")
    data = text.encode()
    spans: list[tuple[int, int, str]] = []
    for facet in record.get("facets") or []:
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        uri = next((f["uri"] for f in features if isinstance(f, dict) and f.get("$type") == _LINK
                    and isinstance(f.get("uri"), str)), None)
        if uri and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data):
            spans.append((start, end, uri))
    out, at = [], 0
    for start, end, uri in sorted(spans):
        if start < at:
            continue  # overlapping facets: the first one wins
        try:
            shown = data[start:end].decode()
            out.append(data[at:start].decode())
        except UnicodeDecodeError:
            continue
        out.append(uri if _shortened(shown, uri) else shown)
        at = end
    try:
        out.append(data[at:].decode())
    except UnicodeDecodeError:
        return text
    return "".join(out)


def _shortened(shown: str, uri: str) -> bool:
    """Whether a link's text is (a shortened form of) its address, not words of the author's own
    ("read this" linked to an article keeps its words)."""
    bare = _bare(shown.strip().removesuffix("...").removesuffix("\u2026"))
    return bool(bare) and _bare(uri).startswith(bare)


def _bare(address: str) -> str:
    return address.split("://", 1)[-1].removeprefix("www.")


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
    try:
        created = parse_time(record.get("createdAt"))
    except (ValueError, TypeError):
        created = parse_time(item.get("indexedAt"))
    langs = record.get("langs") or []
    text = full_text(record)
    card = _card(item)
    if card and card not in text:
        text = f"{text}\n\n{card}" if text else card
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": uri, "created_at": iso(created),
        "text": text, "kind": "reply" if parent else "post", "channel": channel,
        "lang": str(langs[0])[:16] if langs else None, "url": web_url(uri, author),
        "in_reply_to": parent, "conversation_id": root[:255],
        "author": {"id": author.get("did"), "handle": author.get("handle"),
                   "name": author.get("displayName") or author.get("handle"), "followers": None},
    }
    ref = reply_ref(item)
    if ref is not None:
        post["reply_ref"] = ref
    if "likeCount" in item or "repostCount" in item or "replyCount" in item:
        shares = [c for c in (item.get("repostCount"), item.get("quoteCount")) if isinstance(c, int)]
        post["metrics"] = {"likes": item.get("likeCount"), "shares": sum(shares) if shares else None,
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

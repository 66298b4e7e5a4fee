"""A Facebook page's deliveries as posts: feed changes (posts and comments) and Messenger chats.

Feed comments are public posts; a top-level comment and the replies under it are one thread
(one conversation in the inbox), and a comment whose parent is another comment is a reply. The
page's own feed actions (its replies, its hiding of a comment) arrive as feed changes too: they
are stored as our own, never as a customer's post.
Reactions, shares, likes and hides are kept as unparsed and counted (the inbox issue acts on them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisisdesk.channels.base import (
    Attachment,
    Deletion,
    Delivery,
    InboundPost,
    PayloadError,
    Unparsed,
    each_item,
    from_unix,
    iso,
    unix_or_none,
)
from crisisdesk.channels.meta.messaging import map_messaging
from crisisdesk.channels.meta.own_posts import count, lifetime_insights, own_post
from crisisdesk.channels.meta.times import graph_time
from crisisdesk.channels.meta.webhook import Entry, changes

PLATFORM = "facebook"
#: Feed items that carry a post or a comment; everything else (reactions, likes, shares, …) is
#: not an item to read.
_CONTENT_ITEMS = frozenset({"comment", "post", "status", "photo", "video", "link"})
_ADD = frozenset({"add"})
_EDIT = frozenset({"edited", "edit", "update"})
_REMOVE = frozenset({"remove", "delete"})
#: Feed items whose ``link`` is the media itself, by our attachment type.
_MEDIA_LINK = {"photo": "image", "video": "video"}


class _From(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    name: str | None = None


class FeedValue(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)

    item: str
    verb: str
    post_id: str | None = None
    comment_id: str | None = None
    parent_id: str | None = None
    from_: _From | None = Field(default=None, alias="from")
    message: str | None = None
    #: Unix seconds as Meta sends them; a Graph time string (``2026-12-04T10:00:00+0000``) is read too.
    created_time: int | float | str | None = None
    photo: str | None = None
    video: str | None = None
    #: On ``photo`` and ``video`` items the media's address (with ``photo_id``/``video_id``); on a
    #: ``status`` with several photos the first of them; on other items a link, not a file. Both
    #: are read where they are strings: an odd value costs the file, never the post.
    link: Any = None
    photos: Any = None
    permalink_url: str | None = None

    def attachments(self) -> list[Attachment]:
        """The files the item carries: a comment's ``photo``/``video``, a photo or video post's
        ``link``, a multi-photo post's ``photos``; each address once."""
        found: list[tuple[str, object]] = [("image", self.photo), ("video", self.video)]
        if self.item in _MEDIA_LINK:
            found.append((_MEDIA_LINK[self.item], self.link))
        found.extend(("image", url) for url in (self.photos if isinstance(self.photos, list) else []))
        out: list[Attachment] = []
        for kind, url in found:
            if isinstance(url, str) and url and all(a.url != url for a in out):
                out.append(Attachment(type=kind, url=url))
        return out


def map_entry(entry: Entry, *, page_id: str, channel: str) -> Delivery:
    out = map_messaging(entry.messaging, platform=PLATFORM, account_id=page_id, channel=channel)
    for event in entry.standby:  # another app owns the thread (handover): still the page's chat
        out.unparsed.append(Unparsed("messaging standby event (another app owns the thread)", event))
    fallback = unix_or_none(entry.time) if entry.time else None
    for change, raw in changes(entry):
        if change is None or change.field != "feed":
            out.unparsed.append(Unparsed(f"change of field {raw.get('field')!r}", raw))
            continue
        try:
            value = FeedValue.model_validate(change.value)
        except ValidationError as exc:
            out.unparsed.append(Unparsed(f"feed change: {exc.errors()[0]['msg']}", raw))
            continue
        each_item(out, raw, _map_feed, value, raw, out, page_id=page_id, channel=channel,
                  fallback_time=fallback)
    return out


def _map_feed(value: FeedValue, raw: dict[str, Any], out: Delivery, *, page_id: str, channel: str,
              fallback_time: Any) -> None:
    item_id = value.comment_id if value.item == "comment" else value.post_id
    if value.item not in _CONTENT_ITEMS or item_id is None:
        out.unparsed.append(Unparsed(f"feed {value.item} {value.verb}", raw))
        return
    at = _created(value.created_time) or fallback_time
    if value.verb in _REMOVE:
        if at is None:  # a removal we cannot date is kept, not lost
            out.unparsed.append(Unparsed(f"feed {value.item} {value.verb} without a time", raw))
        else:
            out.deletions.append(Deletion(PLATFORM, item_id, at))
        return
    if value.verb not in _ADD | _EDIT or at is None:
        out.unparsed.append(Unparsed(f"feed {value.item} {value.verb}", raw))
        return
    root = value.post_id or item_id
    is_comment = value.item == "comment"
    reply_to_comment = is_comment and value.parent_id is not None and value.parent_id != value.post_id
    # One conversation per comment thread (a top-level comment and the replies under it), so that
    # each person who comments is answered in their own thread, not in one of hundreds under a post.
    if is_comment:
        thread = f"{PLATFORM}:{page_id}:comment:{value.parent_id if reply_to_comment else item_id}"
    else:
        thread = f"{PLATFORM}:{page_id}:post:{root}"
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": item_id, "created_at": iso(at), "text": value.message or "",
        "kind": ("reply" if reply_to_comment else "comment") if is_comment else "post",
        "conversation_id": root, "channel": channel,
    }
    if value.from_ is not None:
        post["author"] = {"id": value.from_.id, "name": value.from_.name}
    if is_comment:
        post["in_reply_to"] = value.parent_id or value.post_id
    if value.permalink_url:
        post["url"] = value.permalink_url
    attachments = value.attachments()
    own = value.from_ is not None and value.from_.id == page_id
    out.posts.append(InboundPost(post, thread=thread, public=True, attachments=attachments,
                                 edited=value.verb in _EDIT, own=own))


def _created(value: int | float | str | None) -> datetime | None:
    """``created_time`` as Unix seconds (a number or digit string) or a Graph time string; None
    where absent. A number no calendar holds is the item's :class:`PayloadError` (unparsed)."""
    if not value:
        return None
    if isinstance(value, str) and not value.replace(".", "", 1).isdigit():
        moment = graph_time(value)
        if moment is None:
            raise PayloadError(f"created_time {value!r} is not a time")
        return moment
    return from_unix(value)


#: What :meth:`FacebookConnector.own_posts` asks of each post on ``/{page-id}/published_posts``:
#: the counts as summaries without the items themselves (``limit(0)``), and the post's views
#: (``post_media_view``, Meta's replacement of the retired ``post_impressions``) from its lifetime
#: insights in the same call; without them where Meta refuses those (no ``read_insights``).
PUBLISHED_FIELDS_BASIC = ("id,message,created_time,permalink_url,from,shares,"
                          "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)")
PUBLISHED_FIELDS = f"{PUBLISHED_FIELDS_BASIC},insights.metric(post_media_view)"
_POST_INSIGHTS = {"post_media_view": "views"}


def map_published(items: list[Any], *, page_id: str, channel: str) -> Delivery:
    """The page's own posts with their counts: reactions (every kind, as likes), comments (as
    replies), shares and views where the insights came. Meta leaves ``shares`` out of a post
    nobody shared."""
    out = Delivery()
    for item in items:
        d = item if isinstance(item, dict) else {}
        sender = d.get("from")
        name = sender.get("name") if isinstance(sender, dict) else None
        author = {"id": page_id, **({"name": name} if isinstance(name, str) else {})}
        own_post(out, item, platform=PLATFORM, channel=channel, thread=f"{PLATFORM}:{page_id}:post:{{id}}",
                 text=d.get("message"), at=d.get("created_time"), url=d.get("permalink_url"), author=author,
                 counts={"likes": count(d, "reactions", "summary", "total_count"),
                         "replies": count(d, "comments", "summary", "total_count"),
                         "shares": count(d, "shares", "count") if "shares" in d else 0,
                         **lifetime_insights(d, _POST_INSIGHTS)})
    return out

"""Mastodon statuses as posts (CHANNEL-APIS §6.2).

A stored body is one API page wrapped with what parsing needs and the page cannot say::

    {"source": "notifications" | "tag:<name>", "me": "<our account id>",
     "roots": {"<status id>": "<root id>", …}, "page": <the instance's bytes, unchanged>}

The thread key is ``mastodon:<instance host>:<root status id>``. Statuses carry only their parent
(``in_reply_to_id``), not the conversation's root; asking ``/statuses/:id/context`` for every reply
would spend the rate limit, so the poller keeps a map of roots of the statuses it has seen and
sends it along (``roots``): a reply to a status we have seen gets that status's root; a reply to
one we have not gets its parent as root (a thread may then start at the first reply we saw).

Counts are kept only when they are counts: an account that hides its followers is served with
``followers_count: -1`` by servers that honour that setting, which is "unknown", not a number. A
notification of someone quoting one of our statuses (``quote``, Mastodon 4.5) carries their
status as a mention does, and maps as one.

The text is what the status shows: the content warning, the content, the options of its ``poll``
(one per line: they are the author's words too) and the address of its link preview (``card``)
when the content does not hold that address already (a link under other words, a redirect).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Attachment, Delivery, InboundPost, PayloadError, Unparsed, iso
from crisisdesk.channels.html_text import html_to_text

PLATFORM = "mastodon"
_MEDIA = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}
#: Notification types whose ``status`` is somebody else's post to us (mentioning or quoting us)
#: or one we asked to hear of (``status``: an account we get notified about posted).
STATUS_NOTIFICATIONS = ("mention", "status", "quote")


def _count(value: Any) -> int | None:
    """A count as the instance gave it, or None for anything else (``-1`` for hidden, null)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def strip_html(content: str) -> str:
    """Mastodon's HTML as text (:func:`~crisisdesk.channels.html_text.html_to_text`): ``<br>`` is a
    line break, a paragraph ends with a blank line, links (mentions, hashtags, URLs shortened with
    invisible spans) keep their whole text."""
    return html_to_text(content)


def _poll_options(poll: Any) -> list[str]:
    options = poll.get("options") if isinstance(poll, dict) else None
    titles = [o.get("title") for o in options if isinstance(o, dict)] if isinstance(options, list) else []
    return [t.strip() for t in titles if isinstance(t, str) and t.strip()]


def _card_url(card: Any, text: str) -> str | None:
    """The preview's address, when the text does not name it already (a trailing ``/`` aside)."""
    url = card.get("url") if isinstance(card, dict) else None
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    return None if url.rstrip("/") in text else url


def status_text(status: dict[str, Any]) -> str:
    """The words a reader sees (see the module's docstring)."""
    text = strip_html(str(status.get("content") or ""))
    spoiler = str(status.get("spoiler_text") or "").strip()
    if spoiler:
        text = f"{spoiler}\n\n{text}" if text else spoiler
    parts = [text] if text else []
    options = _poll_options(status.get("poll"))
    if options:
        parts.append("\n".join(options))
    card = _card_url(status.get("card"), text)
    if card:
        parts.append(card)
    return "\n\n".join(parts)


def thread_key(host: str, status: dict[str, Any], roots: dict[str, str]) -> tuple[str, str]:
    """The conversation's root id and the thread key of a status (see the module's docstring)."""
    ident = str(status["id"])
    parent = status.get("in_reply_to_id")
    root = roots.get(ident) or (roots.get(str(parent), str(parent)) if parent else ident)
    return root, f"{PLATFORM}:{host}:{root}"


def status_to_post(status: dict[str, Any], *, host: str, channel: str, me: str | None,
                   roots: dict[str, str]) -> InboundPost:
    """One status (a boost's inner status already taken) as an inbound post."""
    account: dict[str, Any] = status.get("account") or {}
    text = status_text(status)
    visibility = status.get("visibility") or "public"
    parent = status.get("in_reply_to_id")
    root, thread = thread_key(host, status, roots)
    kind = "message" if visibility == "direct" else "reply" if parent else "post"
    created = datetime.fromisoformat(str(status["created_at"]).replace("Z", "+00:00"))
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": str(status["id"]), "created_at": iso(created), "text": text,
        "kind": kind, "channel": channel, "lang": status.get("language"),
        "url": status.get("url") or status.get("uri"),
        "in_reply_to": str(parent) if parent else None, "conversation_id": root,
        "author": {"id": str(account.get("id") or "") or None, "handle": account.get("acct"),
                   "name": account.get("display_name") or account.get("username"),
                   "followers": _count(account.get("followers_count"))},
        "metrics": {"likes": _count(status.get("favourites_count")),
                    "shares": _count(status.get("reblogs_count")),
                    "replies": _count(status.get("replies_count"))},
    }
    # ``url`` is null for a remote file the instance has not copied yet; ``remote_url`` is the original
    attachments = [Attachment(_MEDIA.get(str(m.get("type")), "file"), url=m.get("url") or m.get("remote_url"),
                              media_id=str(m.get("id")) if m.get("id") else None,
                              name=m.get("description"))
                   for m in status.get("media_attachments") or [] if isinstance(m, dict)]
    return InboundPost(post, thread=thread, public=visibility in ("public", "unlisted"),
                       attachments=attachments, edited=status.get("edited_at") is not None,
                       own=me is not None and str(account.get("id")) == me)


def statuses_of(source: str, page: list[Any], out: Delivery) -> list[dict[str, Any]]:
    """The statuses of a page, oldest first, boosts replaced by what they boost, each once."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in reversed(page):  # the instance sends the newest first
        if not isinstance(item, dict):
            out.unparsed.append(Unparsed("not a Mastodon object", item))
            continue
        status: Any = item
        if source == "notifications":
            if item.get("type") not in STATUS_NOTIFICATIONS or not isinstance(item.get("status"), dict):
                out.unparsed.append(Unparsed(f"notification {item.get('type')}", item))
                continue
            status = item["status"]
        if isinstance(status.get("reblog"), dict):
            status = status["reblog"]
        if not status.get("id") or not status.get("created_at"):
            out.unparsed.append(Unparsed("status without id or time", item))
            continue
        if str(status["id"]) not in seen:
            seen.add(str(status["id"]))
            found.append(status)
    return found


def map_body(body: bytes, *, host: str, channel: str) -> Delivery:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("page"), list):
        raise PayloadError("a stored Mastodon page is an object with a page (a list)")
    out = Delivery()
    roots = {str(k): str(v) for k, v in (data.get("roots") or {}).items()}
    me = str(data["me"]) if data.get("me") else None
    for status in statuses_of(str(data.get("source") or ""), data["page"], out):
        try:
            out.posts.append(status_to_post(status, host=host, channel=channel, me=me, roots=roots))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            out.unparsed.append(Unparsed(f"status not readable: {exc!r}", status))
    return out

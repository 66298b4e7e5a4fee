"""Feed entries as posts: one news article each (platform ``news``, kind ``article``).

The id is the entry's ``id``/``guid``, else its link, else a hash of title and date (a feed may
give none). The text is the title and the summary with the HTML removed; the time is the entry's
published or updated time, else the time it was first seen (feeds without dates exist).
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Delivery, InboundPost, PayloadError, Unparsed, iso

PLATFORM = "news"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def strip_html(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def entry_id(entry: dict[str, Any]) -> str | None:
    for key in ("id", "guid", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:255]
    title, when = entry.get("title"), entry.get("published") or entry.get("updated")
    if not title:
        return None
    return "sha256:" + hashlib.sha256(f"{title}|{when}".encode()).hexdigest()


def _time(entry: dict[str, Any], seen: str) -> str:
    for key in ("published_parsed", "updated_parsed"):
        parts = entry.get(key)
        if isinstance(parts, list | tuple) and len(parts) >= 6:
            year, month, day, hour, minute, second = (int(p) for p in parts[:6])
            return iso(datetime(year, month, day, hour, minute, second, tzinfo=UTC))
    return seen


def map_body(body: bytes, *, channel: str) -> Delivery:
    """A stored body: ``{"feed": {title, link}, "entry": {...}, "seen": ISO time}``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), dict):
        raise PayloadError("a stored feed entry is an object with an entry")
    entry: dict[str, Any] = data["entry"]
    feed: dict[str, Any] = data.get("feed") or {}
    out = Delivery()
    ident = entry_id(entry)
    title = strip_html(str(entry.get("title") or ""))
    summary = strip_html(str(entry.get("summary") or ""))
    if ident is None or not (title or summary):
        out.unparsed.append(Unparsed("feed entry without id or text", entry))
        return out
    if summary and title and not summary.startswith(title):
        text = f"{title}\n\n{summary}"
    else:
        text = summary or title
    source = str(data.get("name") or feed.get("title") or channel)[:255]
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": ident, "created_at": _time(entry, str(data.get("seen"))),
        "text": text, "kind": "article", "channel": channel, "url": entry.get("link"),
        "author": {"id": str(feed.get("link") or channel)[:255], "name": source},
    }
    if entry.get("author"):
        post["author"]["handle"] = str(entry["author"])[:255]
    reach = data.get("reach")
    if isinstance(reach, int) and not isinstance(reach, bool) and reach >= 0:
        post["author"]["followers"] = reach
    out.posts.append(InboundPost(post, thread=None, public=True))
    return out

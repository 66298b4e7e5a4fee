"""Feed entries as posts: one news article each (platform ``news``, kind ``article``).

The id is the entry's ``id``/``guid``, else its link, else a hash of title and date (a feed may
give none). The text is the title and the summary with the HTML removed; the time is the entry's
published or updated time, else the time it was first seen (feeds without dates exist).
Enclosures (a podcast's episode, an article's picture) and Media RSS's ``media:content`` and
``media:thumbnail`` are attachments, each address once.

A summary that only repeats the title is not repeated in the text: Google News gives as summary a
link whose text is the headline, followed by the outlet's name, and as title the headline with
`` - <outlet>``. When the summary's words begin with the title's words (letters and digits
compared, case ignored), the text is the title and what the summary says after it, unless that is
only the outlet's name (the entry's ``source``).

Only what is a tag is removed from the text: feedparser gives a plain-text title as text, where
``<`` and ``>`` are the characters themselves ("Pegel < 2 m, Sperrung > 3 Tage").
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Attachment, Delivery, InboundPost, PayloadError, Unparsed, iso

PLATFORM = "news"
#: An HTML tag (a name right after ``<`` or ``</``), a comment or a declaration; not a lone ``<``.
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|!--.*?--|![A-Za-z\[][^<>]*)>", re.DOTALL)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
#: What may stand between a repeated title and the rest of the summary.
_SEPARATORS = " \t\n-\u2013\u2014|:\u00b7,;.!?"
_KINDS = ("image", "audio", "video")
#: File name endings of media whose entry names neither a medium nor a type.
_ENDINGS = {"jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "webp": "image",
            "avif": "image", "mp4": "video", "m4v": "video", "mov": "video", "webm": "video",
            "mp3": "audio", "m4a": "audio", "ogg": "audio", "opus": "audio", "wav": "audio", "aac": "audio"}


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


def _enclosures(entry: dict[str, Any]) -> list[Attachment]:
    """The entry's enclosures (``{href, type, length}`` as feedparser gives them); the kind from the
    MIME type's first part, a length only when it is a number of bytes (feeds write ``0`` or
    nothing when they do not know it)."""
    found = []
    for item in entry.get("enclosures") or []:
        if not isinstance(item, dict) or not isinstance(item.get("href"), str) or not item["href"].strip():
            continue
        mime = item.get("type") if isinstance(item.get("type"), str) and item.get("type") else None
        major = mime.split("/", 1)[0] if mime else ""
        length = str(item.get("length") or "").strip()
        found.append(Attachment(major if major in ("image", "audio", "video") else "file",
                                url=item["href"].strip(), mime_type=mime,
                                size=int(length) if length.isdigit() and int(length) > 0 else None))
    return found


def _size(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _media(entry: dict[str, Any], known: set[str]) -> list[Attachment]:
    """Media RSS: ``media_content`` and ``media_thumbnail`` as feedparser gives them (lists of the
    element's attributes: ``url``, ``type``, ``medium``, ``fileSize``, ``width`` …), each address not
    in ``known`` (the enclosures') once. The kind from ``medium``, else the type, else the file's
    ending; a thumbnail is an image."""
    found = []
    for key in ("media_content", "media_thumbnail"):
        items = entry.get(key)
        for item in items if isinstance(items, list) else []:
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str) or not url.strip() or url.strip() in known:
                continue
            url = url.strip()
            known.add(url)
            mime = item.get("type") if isinstance(item.get("type"), str) and item.get("type") else None
            medium, major = item.get("medium"), mime.split("/", 1)[0] if mime else ""
            ending = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
            kind = (medium if medium in _KINDS else major if major in _KINDS
                    else "image" if key == "media_thumbnail" else _ENDINGS.get(ending, "file"))
            size = item.get("fileSize", item.get("filesize"))  # feedparser lowercases attribute names
            found.append(Attachment(kind, url=url, mime_type=mime, size=_size(size)))
    return found


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _text(title: str, summary: str, source: str) -> str:
    """The title and the summary, the summary without a repeat of the title (see the module)."""
    if not summary:
        return title
    if not title:
        return summary
    heading = _words(title)
    words = list(_WORD.finditer(summary))
    if not heading or [w.group().casefold() for w in words[:len(heading)]] != heading:
        return summary if summary.startswith(title) else f"{title}\n\n{summary}"
    rest = summary[words[len(heading) - 1].end():].lstrip(_SEPARATORS).strip()
    if not _words(rest) or (source and _words(rest) == _words(source)):
        return title
    return summary if summary.startswith(title) else f"{title}\n\n{rest}"


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
    outlet = entry.get("source")
    text = _text(title, summary, str(outlet.get("title") or "") if isinstance(outlet, dict) else "")
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
    attachments = _enclosures(entry)
    attachments += _media(entry, {a.url for a in attachments if a.url})
    out.posts.append(InboundPost(post, thread=None, public=True, attachments=attachments))
    return out

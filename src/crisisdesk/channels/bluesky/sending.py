"""What crisisdesk asks of Bluesky: a reply, a new post of ours, the deletion of one of our posts,
and a block.

Each is a record written to or removed from our own repository through the account's PDS
(``com.atproto.repo.createRecord`` / ``deleteRecord``). A reply must name its parent and the
thread's root each by URI *and* CID; the URI alone is not enough, and the CID is known only from
when the post was fetched: the mapping keeps it under ``reply_ref`` in the stored post (see
mapping.py). A post stored without it is refused here, before any call, rather than looked up:
the reply would otherwise go to whatever version of the post the network has now.

Links in the text get ``app.bsky.richtext.facet#link`` facets (byte offsets into the UTF-8 text):
Bluesky shows a link without a facet as plain text. The author needs no ``@`` mention: Bluesky
notifies the parent's author of every reply. The PDS takes no idempotency key, so a retry after
an answer that was lost can post twice (see docs/channels/bluesky.md).

A new post (publish) is the same record without ``reply``, with ``langs`` when the language is
known. The lexicon takes at most 300 graphemes (what a reader sees as one character: an emoji
with its skin tone, a flag, a letter with its accents) and 3000 bytes of text; a longer text is
refused here, before any call.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.bluesky.mapping import strong_ref
from crisisdesk.channels.outgoing import Outbound, too_long

POST = "app.bsky.feed.post"
BLOCK = "app.bsky.graph.block"
_LINK = re.compile(r"https?://[^\s<>\"]+")
#: Punctuation that ends a sentence rather than a link.
_TRAILING = ".,;:!?)]}'\""
#: app.bsky.feed.post's text: at most this many graphemes and bytes (UTF-8).
MAX_GRAPHEMES, MAX_BYTES = 300, 3000
_ZWJ = 0x200D


def _extends(cp: int, category: str) -> bool:
    """Whether a character belongs to the cluster before it: combining marks, joiners, variation
    selectors, skin tones, tags and the vowels and finals of conjoining Hangul."""
    return (category in ("Mn", "Me", "Mc") or cp in (_ZWJ, 0x200C) or 0xFE00 <= cp <= 0xFE0F
            or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or 0xE0100 <= cp <= 0xE01EF
            or 0x1160 <= cp <= 0x11FF)


def graphemes(text: str) -> int:
    """How many graphemes Bluesky counts in ``text``: Unicode's extended grapheme clusters, near
    enough for a length check (an emoji joined by ZWJ, a pair of regional indicators, CR LF, a
    letter and its combining marks each count once)."""
    count, joined, flag_open, previous = 0, False, False, ""
    for char in text:
        cp = ord(char)
        extend = _extends(cp, unicodedata.category(char)) or (joined and unicodedata.category(char) == "So")
        if 0x1F1E6 <= cp <= 0x1F1FF:
            extend, flag_open = flag_open, not flag_open
        else:
            flag_open = False
        if char == "\n" and previous == "\r":
            extend = True
        if not extend or count == 0:
            count += 1
        joined, previous = cp == _ZWJ, char
    return count


def missing(outbound: Outbound, what: str) -> PlatformError:
    return PlatformError(f"Bluesky {outbound.action.value}: {what}", code="missing", permanent=True)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(outbound: Outbound) -> dict[str, Any]:
    post = outbound.context.get("post")
    return post if isinstance(post, dict) else {}


def link_facets(text: str) -> list[dict[str, Any]]:
    """A link facet for every http(s) URL in ``text`` (offsets in bytes of its UTF-8 form)."""
    facets = []
    for match in _LINK.finditer(text):
        url = match.group().rstrip(_TRAILING)
        start = len(text[:match.start()].encode())
        facets.append({"index": {"byteStart": start, "byteEnd": start + len(url.encode())},
                       "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    return facets


def reply_record(outbound: Outbound, now: datetime) -> dict[str, Any]:
    """The ``app.bsky.feed.post`` record of a reply, or a permanent error naming what is missing."""
    text = (outbound.text or "").strip()
    if not text:
        raise missing(outbound, "no text to send")
    target = (outbound.target or "").strip()
    if not target:
        raise missing(outbound, "no target: the at:// URI of the post to reply to")
    ref = _post(outbound).get("reply_ref")
    root = strong_ref(ref.get("root")) if isinstance(ref, dict) else None
    parent = strong_ref(ref.get("parent")) if isinstance(ref, dict) else None
    if root is None or parent is None:
        raise missing(outbound, f"the stored post {target} has no CID (context post.reply_ref): a reply "
                                "must name its parent and root by URI and CID; posts fetched before "
                                "crisisdesk kept them cannot be answered from here")
    if parent["uri"] != target:
        raise missing(outbound, f"the stored post is {parent['uri']}, not the target {target}")
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": stamp(now),
                              "reply": {"root": root, "parent": parent}}
    facets = link_facets(text)
    if facets:
        record["facets"] = facets
    return record


def checked_text(outbound: Outbound) -> str:
    """The text of a new post, refused when it is blank or longer than the lexicon allows."""
    text = (outbound.text or "").strip()
    if not text:
        raise missing(outbound, "no text to post")
    length = graphemes(text)
    if length > MAX_GRAPHEMES:
        raise too_long("Bluesky", length, MAX_GRAPHEMES, "graphemes")
    size = len(text.encode())
    if size > MAX_BYTES:
        raise too_long("Bluesky", size, MAX_BYTES, "bytes (UTF-8)")
    return text


def post_record(outbound: Outbound, now: datetime) -> dict[str, Any]:
    """The ``app.bsky.feed.post`` record of a new post of ours: no ``reply``, links as facets."""
    text = checked_text(outbound)
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": stamp(now)}
    language = str(outbound.context.get("language") or "").strip()
    if language:
        record["langs"] = [language]
    facets = link_facets(text)
    if facets:
        record["facets"] = facets
    return record


def block_record(outbound: Outbound, now: datetime) -> dict[str, Any]:
    """The ``app.bsky.graph.block`` record for the author (their DID)."""
    author = _post(outbound).get("author")
    did = str(outbound.recipient or (author.get("id") if isinstance(author, dict) else None) or "").strip()
    if not did.startswith("did:"):
        raise missing(outbound, f"no recipient: the author's DID is unknown ({did!r})" if did
                      else "no recipient: the author's DID is unknown")
    return {"$type": BLOCK, "subject": did, "createdAt": stamp(now)}


def record_key(outbound: Outbound) -> tuple[str, str, str]:
    """The repository, collection and record key of ``at://<repo>/<collection>/<rkey>``."""
    target = (outbound.target or "").strip()
    if not target:
        raise missing(outbound, "no target: the at:// URI of our post to delete")
    parts = target.removeprefix("at://").split("/")
    if not target.startswith("at://") or len(parts) != 3 or not all(parts):
        raise missing(outbound, f"the target {target!r} is not an at://<repo>/<collection>/<rkey> URI")
    return parts[0], parts[1], parts[2]

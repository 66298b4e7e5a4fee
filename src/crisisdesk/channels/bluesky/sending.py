"""What crisisdesk asks of Bluesky: a reply, the deletion of one of our posts, and a block.

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
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from crisisdesk.channels.base import Outbound, PlatformError
from crisisdesk.channels.bluesky.mapping import strong_ref

POST = "app.bsky.feed.post"
BLOCK = "app.bsky.graph.block"
_LINK = re.compile(r"https?://[^\s<>\"]+")
#: Punctuation that ends a sentence rather than a link.
_TRAILING = ".,;:!?)]}'\""


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

"""Acting on X as our account (CHANNEL-APIS.md §5.5): public replies, new posts, hiding replies,
deleting.

* ``REPLY_PUBLIC``: ``POST /2/tweets`` with ``reply.in_reply_to_tweet_id``; X answers 201 with
  the new post's id.
* ``PUBLISH``: ``POST /2/tweets`` with the text alone: a new post of our account. X takes no
  idempotency key; it refuses a second post with the same text (403), so a retry after a lost
  answer cannot post twice.
* ``HIDE`` / ``UNHIDE``: ``PUT /2/tweets/:id/hidden`` with ``{"hidden": true|false}``; X allows it
  for replies in conversations our account started.
* ``DELETE``: ``DELETE /2/tweets/:id``; X deletes only our own posts, so a post known to be
  somebody else's is refused before the call (hide it instead).

The post acted on is the newest version: an edited post is stored under its first id, and its
``url`` (in the context) names the latest version, which is the one people see and reply to.
A text longer than X takes (280, weighed as X weighs it: most scripts of Europe 1 a character,
CJK and emoji 2, a link 23) is refused before the call.

Direct messages are not sent: X delivers DMs to apps only at the Enterprise level, so an answer
to a DM could never be read here, and the conversation would vanish from the inbox.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.outgoing import Action, Outbound, Sent, too_long
from crisisdesk.channels.x.client import XApi, problem

_STATUS_URL = re.compile(r"/status(?:es)?/(\d+)(?:[/?#]|$)")
#: twitter-text's configuration (v3): a post weighs at most 280; code points in these ranges weigh
#: 1, all others 2; a link weighs 23 whatever its length.
MAX_WEIGHT = 280
URL_WEIGHT = 23
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+")


def _weight(char: str) -> int:
    cp = ord(char)
    if cp == 0x200D or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF:
        return 0  # joiners, variation selectors and skin tones: part of the emoji before them
    return 1 if any(low <= cp <= high for low, high in _LIGHT) else 2


def weighted_length(text: str) -> int:
    """The length X checks against 280 (normalised to NFC first, as X does)."""
    text = unicodedata.normalize("NFC", text)
    urls = _URL.findall(text)
    rest = _URL.sub("", text)
    return URL_WEIGHT * len(urls) + sum(_weight(c) for c in rest)


def refuse(text: str) -> PlatformError:
    return PlatformError(text, permanent=True)


def _post(context: Mapping[str, Any]) -> Mapping[str, Any]:
    post = context.get("post")
    return post if isinstance(post, Mapping) else {}


def tweet_id(outbound: Outbound) -> str:
    """The id of the post acted on: the latest version named by the context's URL, else the target."""
    if not outbound.target:
        raise refuse(f"no target: {outbound.action.value} needs the id of the post on X")
    if not outbound.target.isdigit():
        raise refuse(f"target {outbound.target!r} is not an X post id (digits)")
    url = _post(outbound.context).get("url")
    found = _STATUS_URL.search(url) if isinstance(url, str) else None
    return found.group(1) if found else outbound.target


def _data(answer: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    data = answer.get("data")
    if not isinstance(data, Mapping):
        raise refuse(f"X answered {what} without data: {problem(answer) or 'no explanation'}")
    return data


def send(api: XApi, outbound: Outbound, *, account: str | None) -> Sent:
    if outbound.action == Action.PUBLISH:
        if outbound.text is None or not outbound.text.strip():
            raise refuse("no text: a post needs the text to post")
        weight = weighted_length(outbound.text)
        if weight > MAX_WEIGHT:
            raise too_long("X", weight, MAX_WEIGHT, "characters (as X weighs them)")
        posted = _data(api.act("POST", "/2/tweets", {"text": outbound.text}).data, "the post")
        if posted.get("id") is None:
            raise refuse("X answered the post without its id")  # it may be posted: no retry
        return Sent(str(posted["id"]))
    if outbound.action == Action.REPLY_PUBLIC:
        if outbound.text is None or not outbound.text.strip():
            raise refuse("no text: a reply needs the text to post")
        parent = tweet_id(outbound)
        body = {"text": outbound.text, "reply": {"in_reply_to_tweet_id": parent}}
        created = _data(api.act("POST", "/2/tweets", body).data, "the reply")
        if created.get("id") is None:
            raise refuse("X answered the reply without the new post's id")  # it may be posted: no retry
        return Sent(str(created["id"]), {"in_reply_to": parent})
    if outbound.action in (Action.HIDE, Action.UNHIDE):
        target = tweet_id(outbound)
        hidden = outbound.action == Action.HIDE
        state = _data(api.act("PUT", f"/2/tweets/{target}/hidden", {"hidden": hidden}).data, "hiding")
        if state.get("hidden") is not hidden:
            raise refuse(f"X answered hidden={state.get('hidden')!r} for post {target}, asked for {hidden}")
        return Sent(None, {"hidden": str(hidden).lower()})
    if outbound.action == Action.DELETE:
        target = tweet_id(outbound)
        author = _post(outbound.context).get("author")
        handle = author.get("handle") if isinstance(author, Mapping) else None
        if account and isinstance(handle, str) and handle.lower() != account.lower():
            raise refuse(f"the post is @{handle}'s: X lets @{account} delete only its own posts "
                         "(hide a reply instead)")
        state = _data(api.act("DELETE", f"/2/tweets/{target}").data, "deleting")
        if state.get("deleted") is not True:
            raise refuse(f"X did not delete post {target} (deleted={state.get('deleted')!r})")
        return Sent(None, {"deleted": "true"})
    raise refuse(f"crisisdesk does not {outbound.action.value} on X")

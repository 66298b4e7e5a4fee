"""What crisisdesk asks of a Mastodon instance (CHANNEL-APIS §6.3): a reply under a status, in
public or as a ``direct`` status, a new public status of ours (publish), the deletion of one of
our statuses, and blocking an account.

A reply names the author's ``@acct`` in its text: Mastodon notifies only the accounts a status
mentions, and a ``direct`` status reaches exactly those, so without the mention a private reply
would reach nobody but us. The acct comes from the stored post (``author.handle``); a text that
mentions the author already is left as it is. Replies carry the outbox's key as
``Idempotency-Key``: the instance answers a repeated call within an hour with the status it made
the first time, so a retry after a lost answer never posts twice; so does a new status. A text
longer than the instance takes (``max_characters``, 500 unless it says otherwise; a link counts
as 23 characters there, whatever its length) is refused here. Everything a call needs is checked
here, before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.outgoing import Action, Outbound, Sent, too_long

STATUSES = "/api/v1/statuses"
#: Mastodon's default status length; instances may allow more (the channel's ``max_characters``).
MAX_CHARACTERS = 500
#: What a link counts as in a status, however long it is.
URL_LENGTH = 23
_URL = re.compile(r"https?://\S+")
#: What creates a status, and what answers with one.
_STATUS_ACTIONS = (Action.REPLY_PUBLIC, Action.REPLY_PRIVATE, Action.PUBLISH)


@dataclass(frozen=True, slots=True)
class Call:
    """One request to the instance; ``idempotency_key`` goes into the ``Idempotency-Key`` header."""

    action: Action
    method: str
    path: str
    body: dict[str, Any] | None = None
    idempotency_key: str | None = None


def _missing(outbound: Outbound, what: str) -> PlatformError:
    return PlatformError(f"Mastodon {outbound.action.value}: {what}", code="missing", permanent=True)


def _post(outbound: Outbound) -> dict[str, Any]:
    post = outbound.context.get("post")
    return post if isinstance(post, dict) else {}


def _author(outbound: Outbound) -> dict[str, Any]:
    author = _post(outbound).get("author")
    return author if isinstance(author, dict) else {}


def _id(value: Any) -> str | None:
    """A status or account id (opaque), or None when there is none."""
    value = str(value or "").strip()
    return value or None


def _segment(value: str) -> str:
    """An id as one path segment: whatever it holds, never a path of its own."""
    return quote(value, safe="")


def with_mention(text: str, acct: str) -> str:
    """``text`` with ``@acct`` in front, unless it mentions that account already."""
    # not inside a longer name: "@kim" is not "@kim@other.example" (a final "." ends the sentence)
    mention = re.compile(rf"(?<![\w@])@{re.escape(acct)}(?![\w@-]|\.\w)", re.IGNORECASE)
    return text if mention.search(text) else f"@{acct} {text}"


def status_length(text: str) -> int:
    """The length Mastodon checks: characters, with every link as :data:`URL_LENGTH`."""
    return len(_URL.sub("x" * URL_LENGTH, text))


def _publish(outbound: Outbound, max_characters: int) -> Call:
    """A new public status of ours (not a reply to anything)."""
    text = (outbound.text or "").strip()
    if not text:
        raise _missing(outbound, "no text to post")
    length = status_length(text)
    if length > max_characters:
        raise too_long("this Mastodon instance", length, max_characters)
    body: dict[str, Any] = {"status": text, "visibility": "public"}
    language = str(outbound.context.get("language") or "").strip()
    if language:
        body["language"] = language
    return Call(outbound.action, "POST", STATUSES, body, outbound.idempotency_key or None)


def _reply(outbound: Outbound, *, private: bool) -> Call:
    text = (outbound.text or "").strip()
    if not text:
        raise _missing(outbound, "no text to send")
    target = _id(outbound.target)
    if target is None and not private:
        raise _missing(outbound, "no target: the id of the status to reply to")
    acct = str(_author(outbound).get("handle") or "").strip().removeprefix("@")
    if not acct:
        raise _missing(outbound, "the author's @acct is unknown (context post.author.handle): "
                                 "without the mention the reply reaches nobody")
    body: dict[str, Any] = {"status": with_mention(text, acct),
                            "visibility": "direct" if private else "public"}
    if target is not None:
        body["in_reply_to_id"] = target
    return Call(outbound.action, "POST", STATUSES, body, outbound.idempotency_key or None)


def call_for(outbound: Outbound, *, max_characters: int = MAX_CHARACTERS) -> Call:
    """The request an outbound action needs, or a permanent error naming what is missing."""
    action = outbound.action
    if action is Action.PUBLISH:
        return _publish(outbound, max_characters)
    if action in (Action.REPLY_PUBLIC, Action.REPLY_PRIVATE):
        return _reply(outbound, private=action is Action.REPLY_PRIVATE)
    if action is Action.DELETE:
        target = _id(outbound.target)
        if target is None:
            raise _missing(outbound, "no target: the id of our status to delete")
        return Call(action, "DELETE", f"{STATUSES}/{_segment(target)}")
    if action is Action.BLOCK:
        account = _id(outbound.recipient or _author(outbound).get("id"))
        if account is None:
            raise _missing(outbound, "no recipient: the author's account id is unknown")
        return Call(action, "POST", f"/api/v1/accounts/{_segment(account)}/block")
    raise PlatformError(f"Mastodon cannot {action.value} a status (no such call in its API)",
                        code="unsupported", permanent=True)


def sent_from(call: Call, response: httpx.Response) -> Sent:
    """What the instance answered: the new status's id for a reply or a new status, notes for the
    others."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if call.action in _STATUS_ACTIONS:
        if not isinstance(data, dict) or not data.get("id"):
            # The status may exist: only the answer is unreadable. Retrying with the same
            # Idempotency-Key returns it instead of posting again.
            raise PlatformError(f"{call.method} {call.path} answered without a status id", retry_after=30.0)
        details = {"visibility": str(data.get("visibility") or (call.body or {}).get("visibility"))}
        if data.get("url") or data.get("uri"):
            details["url"] = str(data.get("url") or data.get("uri"))
        return Sent(str(data["id"]), details)
    if call.action is Action.BLOCK:
        blocking = isinstance(data, dict) and data.get("blocking") is True
        return Sent(None, {"blocking": "yes" if blocking else "not confirmed in the answer"})
    return Sent(None)

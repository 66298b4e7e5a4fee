"""Sending through the Graph API, shared by Facebook, Instagram and WhatsApp.

Each platform turns an :class:`Outbound` into one :class:`GraphCall`, a pure step that refuses
whatever is missing (no text, no comment, no person) before anything is sent; :func:`perform`
makes the call and reads Meta's answer. Messenger and Instagram share the Send API
(``POST /{account}/messages``, ../shared/docs/CHANNEL-APIS.md §1.5): a private reply to a
comment names the comment (``recipient.comment_id``), a chat message names the person.

Meta takes exactly one private reply per comment. When such a request left but its answer was
lost (a read timeout, a dropped connection), it may have arrived: repeating it would fail or
send twice, so that failure is permanent and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.config import MetaChannelConfig
from crisisdesk.channels.outgoing import Action, Outbound, Sent

ReadAnswer = Callable[[dict[str, Any]], Sent]

_VERBS = {Action.REPLY_PUBLIC: "reply publicly", Action.REPLY_PRIVATE: "reply privately",
          Action.HIDE: "hide", Action.UNHIDE: "unhide", Action.DELETE: "delete", Action.BLOCK: "block",
          Action.PUBLISH: "publish"}
#: Transport failures before the request left: retrying them cannot send anything twice.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError,
             httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True, slots=True)
class GraphCall:
    """One Graph request and how to read its answer."""

    method: Literal["POST", "DELETE"]
    path: str
    read: ReadAnswer
    body: dict[str, Any] | None = None
    #: Meta accepts it only once (a private reply to a comment), or a second one would show twice
    #: (a page post): a lost answer is not retried.
    once: bool = False
    #: What a lost answer of a ``once`` call means, for the person who looks.
    lost: str = ("the private reply may have arrived, and Meta takes only one private reply per comment, "
                 "so it is not sent again: look in the inbox whether it arrived")


def perform(config: MetaChannelConfig, call: GraphCall) -> Sent:
    with GraphClient(config) as graph:
        try:
            if call.method == "DELETE":
                answer = graph.delete(call.path)
            else:
                answer = graph.post(call.path, call.body or {})
        except PlatformError as exc:
            if call.once and answer_lost(exc):
                raise PlatformError(f"Meta's answer was lost ({exc.__cause__!r}); {call.lost}",
                                    permanent=True) from exc
            raise
    return call.read(answer)


def answer_lost(exc: PlatformError) -> bool:
    """The request may have reached Meta but no answer came back."""
    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, _NOT_SENT)


# --- what an outbound must carry -----------------------------------------------------------------


def refuse(outbound: Outbound, why: str) -> PlatformError:
    """The permanent error for a call that cannot be made as asked; nothing was sent."""
    return PlatformError(f"cannot {_VERBS[outbound.action]}: {why}", permanent=True)


def text(outbound: Outbound) -> str:
    if outbound.text is None or not outbound.text.strip():
        raise refuse(outbound, "no text to send")
    return outbound.text


def target(outbound: Outbound, what: str) -> str:
    if not outbound.target:
        raise refuse(outbound, f"no target ({what})")
    return outbound.target


def stored(outbound: Outbound, name: str) -> str | None:
    """A field of the stored post the outbound acts on (``context["post"]``), if it is a string."""
    post = outbound.context.get("post")
    value = post.get(name) if isinstance(post, Mapping) else None
    return value if isinstance(value, str) and value else None


def thread_rest(outbound: Outbound, *, platform: str, account: str) -> list[str] | None:
    """What follows ``<platform>:<account>:`` in the outbound's thread (``[person]`` for a chat,
    ``["post", id]`` or ``["media", id]`` for a comment thread); a thread of another account is
    refused, since ids there mean nothing to this one (page-scoped ids are per page)."""
    if not outbound.thread:
        return None
    parts = outbound.thread.split(":")
    if len(parts) < 3 or parts[0] != platform or parts[1] != account:
        raise refuse(outbound, f"the thread {outbound.thread!r} is not one of {platform} account {account}")
    return parts[2:]


def is_public(outbound: Outbound, *, platform: str, account: str) -> bool | None:
    """Whether the item acted on is a comment or post (public) or a chat message; None: unknown."""
    public = outbound.context.get("public")
    if isinstance(public, bool):
        return public
    rest = thread_rest(outbound, platform=platform, account=account)
    return None if rest is None else len(rest) > 1


def person(outbound: Outbound, *, platform: str, account: str) -> str | None:
    """The person's id on the platform: the recipient, or the chat thread's last part."""
    if outbound.recipient:
        return outbound.recipient
    rest = thread_rest(outbound, platform=platform, account=account)
    return rest[0] if rest is not None and len(rest) == 1 else None


def public_item(outbound: Outbound, *, platform: str, account: str, what: str) -> str:
    """The target of a comment action (reply, hide, delete); a chat message is refused."""
    item = target(outbound, what)
    if is_public(outbound, platform=platform, account=account) is False:
        raise refuse(outbound, f"{item} is a private message, not a comment or post")
    return item


# --- the Send API of Messenger and Instagram ---------------------------------------------------


def private_reply(outbound: Outbound, *, platform: str, account: str,
                  messaging_type: str | None) -> GraphCall:
    """A private reply to a comment or post, or a chat message to the person, from ``account``.

    Where the outbound does not say whether its item is public, a recipient means a chat and a
    bare target a comment. ``messaging_type`` is sent with chat messages only (Messenger wants it).
    """
    body_text = text(outbound)
    public = is_public(outbound, platform=platform, account=account)
    if public is None:
        public = not outbound.recipient and bool(outbound.target)
    if public:
        item = target(outbound, "the comment to answer privately")
        key = "post_id" if stored(outbound, "kind") == "post" else "comment_id"
        return GraphCall("POST", f"{account}/messages", message_sent,
                         {"recipient": {key: item}, "message": {"text": body_text}}, once=True)
    who = person(outbound, platform=platform, account=account)
    if who is None:
        raise refuse(outbound, f"no recipient (the person's {platform} id, or a chat thread "
                               f"{platform}:{account}:<id>)")
    body: dict[str, Any] = {"recipient": {"id": who}, "message": {"text": body_text}}
    if messaging_type:
        body["messaging_type"] = messaging_type
    return GraphCall("POST", f"{account}/messages", message_sent, body)


# --- Meta's answers ------------------------------------------------------------------------------


def created(answer: dict[str, Any]) -> Sent:
    """``{"id": "<new comment>"}``."""
    return Sent(_str(answer.get("id")))


def message_sent(answer: dict[str, Any]) -> Sent:
    """``{"recipient_id": "<scoped id>", "message_id": "<mid>"}``; the recipient id links a private
    reply's new chat to the commenter."""
    details = {"recipient_id": str(answer["recipient_id"])} if answer.get("recipient_id") else {}
    return Sent(_str(answer.get("message_id")), details)


def succeeded(answer: dict[str, Any]) -> Sent:
    """``{"success": true}``; an explicit false is a refusal without a reason (retrying is harmless)."""
    if answer.get("success") is False:
        raise PlatformError("Meta answered success: false; nothing was changed")
    return Sent(None)


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)

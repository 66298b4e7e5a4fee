"""What connectors send: the actions the core asks for, the message and its files, and what the
platform answered.

An action needs a :class:`Capability` of the connector (:data:`NEEDS`); the core refuses one the
connector lacks before anything is queued, and a connector's ``send`` refuses what the platform
would (too long, no recipient, a closed window) before any request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from crisisdesk.channels.base import Capability, Connector, PlatformError


class Action(StrEnum):
    """What crisisdesk can ask a platform to do; each needs a :class:`Capability` (:data:`NEEDS`)."""

    REPLY_PUBLIC = "reply_public"  # a comment reply, an X or Mastodon reply: everyone sees it
    REPLY_PRIVATE = "reply_private"  # a direct/chat message, or Meta's private reply to a comment
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    BLOCK = "block"
    #: A new top-level post on our own account (a status, a tweet, a page post, a channel message):
    #: a text and nothing it answers (no post, target, thread or recipient).
    PUBLISH = "publish"


#: The capability each action needs; the core refuses an action the connector lacks.
NEEDS: dict[Action, Capability] = {
    Action.REPLY_PUBLIC: Capability.REPLY_PUBLIC, Action.REPLY_PRIVATE: Capability.REPLY_PRIVATE,
    Action.HIDE: Capability.HIDE, Action.UNHIDE: Capability.HIDE, Action.DELETE: Capability.DELETE,
    Action.BLOCK: Capability.BLOCK, Action.PUBLISH: Capability.PUBLISH,
}


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file we send with a reply: stored by the hub (``path``), checked against ``sha256`` when it
    is read, so that a file changed on disk is never sent as if it were the one uploaded."""

    attachment_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    path: Path

    @property
    def kind(self) -> str:
        """``image``, ``video``, ``audio`` or ``document``: what most platforms distinguish."""
        major = self.content_type.split("/", 1)[0]
        return major if major in ("image", "video", "audio") else "document"


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """What a connector's platform takes with one reply: how many files, how large each, of which
    types (``image/jpeg`` exactly, or ``image/*``); ``max_bytes_by_kind`` narrows ``max_bytes`` for
    a kind (WhatsApp: images 5 MB, documents 100 MB)."""

    max_count: int
    max_bytes: int
    content_types: frozenset[str]
    max_bytes_by_kind: Mapping[str, int] = field(default_factory=dict)
    #: The longest text that can go with files (a caption), where the platform limits it.
    max_caption: int | None = None

    def accepts(self, content_type: str) -> bool:
        major = content_type.split("/", 1)[0]
        return content_type in self.content_types or f"{major}/*" in self.content_types

    def limit_for(self, kind: str) -> int:
        return min(self.max_bytes, self.max_bytes_by_kind.get(kind, self.max_bytes))


def attachment_limits(connector: object) -> AttachmentLimits | None:
    """The connector's limits for files, or None when it cannot send any."""
    if Capability.ATTACHMENTS not in getattr(connector, "capabilities", frozenset()):
        return None
    limits = getattr(connector, "attachment_limits", None)
    return limits if isinstance(limits, AttachmentLimits) else None


def attachment_refusal(connector: object, outbound: Outbound) -> str | None:
    """Why this particular call cannot carry files (a public comment reply on a page), or None.

    Asked at enqueue time with the outbound as it will be sent (files included), so that a
    request the platform would refuse is never queued."""
    check = getattr(connector, "attachment_refusal", None)
    if check is None:
        return None
    answer = check(outbound)
    return answer if isinstance(answer, str) else None


@dataclass(frozen=True, slots=True)
class Outbound:
    """One outbound call, as the outbox hands it to a connector.

    ``target`` is the platform's id of the item acted on or replied to (a comment, a message, a
    status; the post's ``external_id``), ``thread`` crisisdesk's thread id of it
    (``telegram:<bot>:<chat>``), ``recipient`` the person's id on the platform (their author id).
    ``context`` holds what the stored post knows beyond that: ``post`` (the canonical post dict as
    stored, with ``author``, ``conversation_id``, ``url``), ``attachments`` and ``public``; a connector
    takes what its platform needs from it (Bluesky's parent cid, an e-mail's Message-ID and subject).
    ``idempotency_key`` is the outbox's key: sent along where a platform accepts one.
    A :attr:`Action.PUBLISH` has only a text (and no target, thread or recipient: the connector
    knows our account); its ``context`` may name the text's ``language`` (ISO 639-1).
    ``attachments`` are the files to send with a reply (only to connectors with
    :attr:`Capability.ATTACHMENTS`).
    """

    action: Action
    idempotency_key: str
    target: str | None = None
    thread: str | None = None
    recipient: str | None = None
    text: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[OutgoingFile, ...] = ()


@dataclass(frozen=True, slots=True)
class Sent:
    """What the platform answered to a successful call: the id of what it created (None for a
    hide, delete or block), and notes for people (``{"message_status": "accepted"}``)."""

    external_id: str | None
    details: dict[str, str] = field(default_factory=dict)


#: How long after a person's last message a platform lets us write to them privately, where it
#: limits that (Meta's 24-hour customer service window; WhatsApp then needs a template). A
#: connector declares it as ``private_reply_window``; without it there is no limit.
def private_reply_window(connector: object) -> timedelta | None:
    window = getattr(connector, "private_reply_window", None)
    return window if isinstance(window, timedelta) else None


class SendingConnector(Connector, Protocol):
    """A connector that acts on the platform; which actions it takes is its :attr:`capabilities`."""

    def send(self, outbound: Outbound) -> Sent:
        """Make the call; raise :class:`PlatformError` when the platform refuses, ``permanent`` when
        a retry cannot help (a closed 24-hour window, a deleted target, a missing permission),
        with ``retry_after`` from the platform's own rate-limit signal when it gives one. A call
        made without the data it needs (no recipient for a private reply) raises a permanent
        :class:`PlatformError` naming what is missing, before anything is sent."""


def too_long(platform: str, length: int, limit: int, unit: str = "characters") -> PlatformError:
    """The permanent refusal of a text longer than the platform takes, made before any request
    (counted as the platform counts: X's weights, Bluesky's graphemes, Telegram's UTF-16 units)."""
    return PlatformError(f"the text is {length} {unit} long; {platform} takes at most {limit} {unit}",
                         code="too_long", permanent=True)

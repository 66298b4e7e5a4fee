"""Typed values that flow between pipeline stages, and their JSON forms for the bus.

A stage receives values, returns values; it never reaches into another stage's state. The
``batch_to_message``/``batch_from_message`` pair is what crosses a process boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisisdesk.bus.base import Message

PostKey = tuple[str, str]  # (platform, external id)


@dataclass(slots=True)
class RawItem:
    """One unparsed item as a source delivered it.

    ``data`` is JSON text (a JSON Lines line, an API body item) or an already mapped dict (CSV).
    ``position`` is what a user needs to find it again: the line number, or the index in a batch.
    ``delivery_id`` is set by the channel processor alone: the stored delivery (its raw bytes)
    the item came in, kept with the post. It is not part of ``data``, so no file or API client
    can claim a delivery.
    """

    source: str
    position: int | None
    data: str | dict[str, Any]
    delivery_id: int | None = None

    @staticmethod
    def batch_to_message(items: Sequence[RawItem]) -> Message:
        """A whole batch is one bus message: per-message overhead is paid per batch, not per post.
        An item from a channel delivery carries its id as a fourth element."""
        return {"items": [(i.source, i.position, i.data) if i.delivery_id is None
                          else (i.source, i.position, i.data, i.delivery_id) for i in items]}

    @staticmethod
    def batch_from_message(message: Message) -> list[RawItem]:
        return [RawItem(*item) for item in message["items"]]


def printable(text: str) -> str:
    """``text`` with unpaired surrogates written as ``\\udXXX``, so it can be sent and stored
    (a reason may quote the input; UTF-8 has no form for half a character)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def jsonable(value: Any, depth: int = 0) -> Any:
    """A rejected item's data in a form any JSON writer takes: unpaired surrogates (from a lone
    ``\\ud800`` or from bytes that were not text) become U+FFFD, integers beyond 64 bits become
    strings, and nesting is cut at 64 levels. Used only when writing it as it is has failed."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
        return value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if depth >= 64:
        return "…"
    if isinstance(value, dict):
        return {jsonable(str(k), depth + 1): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value]
    return jsonable(str(value), depth + 1)


@dataclass(slots=True)
class Rejection:
    """An item the pipeline refused, with where it came from and why."""

    source: str
    position: int | None
    reason: str
    data: str | dict[str, Any] | None = None


@dataclass(slots=True)
class AuthorRef:
    platform: str
    external_id: str
    handle: str | None
    name: str | None
    followers: int | None
    verified: bool | None


@dataclass(slots=True)
class NormalizedPost:
    """A validated post in canonical form, plus what later stages add to it."""

    platform: str
    external_id: str
    kind: str
    created_at: datetime
    text: str
    lang: str | None
    url: str | None
    in_reply_to: str | None
    conversation_id: str | None
    channel: str | None
    author: AuthorRef | None
    likes: int | None
    shares: int | None
    replies: int | None
    views: int | None
    raw: str
    content_hash: str
    source: str
    position: int | None
    enrichment: dict[str, Any] = field(default_factory=dict)
    monitors: list[str] = field(default_factory=list)
    #: ``public`` or ``private`` when the source said; attachments as validated dicts (None: none).
    visibility: str | None = None
    attachments: list[dict[str, Any]] | None = None
    #: The channel delivery that carried it (:attr:`RawItem.delivery_id`).
    delivery_id: int | None = None
    #: Posted by one of our own accounts (the canonical field ``own``): counted in analytics as ours.
    own: bool = False
    #: Saved or bookmarked (None: the platform did not say).
    saves: int | None = None

    @property
    def key(self) -> PostKey:
        return (self.platform, self.external_id)

    # What the matcher reads besides text, lang, platform and kind (sources.evaluate.Matchable).
    @property
    def author_handle(self) -> str | None:
        return self.author.handle if self.author else None

    @property
    def author_name(self) -> str | None:
        return self.author.name if self.author else None

    def to_row(self) -> list[Any]:
        """A JSON-able row: the compact form in which posts cross a process boundary."""
        a = self.author
        return [
            self.platform, self.external_id, self.kind, self.created_at.isoformat(), self.text,
            self.lang, self.url, self.in_reply_to, self.conversation_id, self.channel,
            None if a is None else [a.platform, a.external_id, a.handle, a.name, a.followers, a.verified],
            self.likes, self.shares, self.replies, self.views, self.raw, self.content_hash,
            self.source, self.position, self.enrichment, self.monitors, self.visibility,
            self.attachments, self.delivery_id, self.own, self.saves,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> NormalizedPost:
        author = row[10]
        return cls(
            row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4], row[5], row[6], row[7],
            row[8], row[9], None if author is None else AuthorRef(*author), row[11], row[12],
            row[13], row[14], row[15], row[16], row[17], row[18], row[19], row[20], row[21], row[22],
            row[23], len(row) > 24 and bool(row[24]), row[25] if len(row) > 25 else None,
        )


@dataclass(slots=True)
class StoredPost:
    """A post after the store stage: its database id and what happened to it."""

    post: NormalizedPost
    post_id: int
    action: str  # "created" | "updated"


@dataclass(slots=True)
class DedupeResult:
    new: list[NormalizedPost]
    changed: list[NormalizedPost]
    duplicates: int
    #: Versions replaced by a later version of the same post within the batch.
    superseded: int = 0

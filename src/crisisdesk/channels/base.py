"""What every connector is to the core: capabilities, webhook verification, and parsed deliveries.

The core never asks which platform a channel is; it asks what the connector can do
(:class:`Capability`) and hands it raw bytes. A connector turns a platform's delivery into
:class:`Delivery`: the posts it carries (canonical post dicts, exactly what a file import or the
ingest API accepts, plus what the inbox needs next: the thread, public or private, attachments),
status reports for what we sent, and everything it did not understand, kept raw and named, so that
one unknown message type never blocks a channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar, ParamSpec, Protocol

import orjson

from crisisdesk.core.errors import CrisisdeskError

_P = ParamSpec("_P")


class Capability(StrEnum):
    """What a connector can do; the core checks these, never the platform's name."""

    WEBHOOK = "webhook"  # receives deliveries at /webhooks/{key}
    HANDSHAKE = "handshake"  # answers a GET subscription challenge on the webhook URL
    POLL = "poll"  # fetches on a schedule with a durable cursor
    REPLY_PUBLIC = "reply_public"  # a comment reply / reply post under the item
    REPLY_PRIVATE = "reply_private"  # a direct message, or a private reply to a comment
    HIDE = "hide"
    DELETE = "delete"
    BLOCK = "block"
    DELIVERY_STATUS = "delivery_status"  # reports sent/delivered/read for what we sent
    #: Sends files with a reply; the connector declares ``attachment_limits`` and may refuse
    #: a particular call (a public comment) in ``attachment_refusal``.
    ATTACHMENTS = "attachments"
    #: Posts a new top-level item on our own account, page or channel (a stakeholder update
    #: during a crisis): no item it answers, nobody in particular it goes to. A connector may
    #: have it only when its configuration names where to post (Telegram's ``publish_chat``).
    PUBLISH = "publish"
    #: Reports what the platform measured about our own account per day (reach, impressions,
    #: followers) through an insights endpoint: the analytics' reach, never a sum of followers.
    INSIGHTS = "insights"
    #: Reads our account's recent posts with the counts the platform keeps on them (reactions,
    #: comments, shares): the analytics' per-post engagement where webhooks carry no counts.
    OWN_POSTS = "own_posts"
    #: Fetches what a webhook only names (Instagram's @mentions carry ids, not the text): the
    #: parsed delivery lists :class:`Lookup` s, and the connector answers each (``look_up``).
    LOOK_UP = "look_up"


class WebhookRejected(CrisisdeskError):
    """A delivery that must not be stored: forged, unsigned or for another account.

    ``status`` is the HTTP answer (401 no or wrong credentials, 403 a handshake with the wrong token).
    """

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PayloadError(CrisisdeskError):
    """A delivery whose bytes are not what the platform documents (not JSON, not an object)."""


class PlatformError(CrisisdeskError):
    """The platform refused a call. ``permanent``: retrying the same call cannot help (a revoked
    token, a closed messaging window); otherwise retry, not before ``retry_after`` seconds if given.
    ``code`` is the platform's own (Graph error code, Telegram error_code, Viber status)."""

    def __init__(self, message: str, *, code: int | str | None = None, permanent: bool = False,
                 retry_after: float | None = None, reauthorize: bool = False,
                 rate_limited: bool | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after
        #: The credentials are dead (Meta 190, Telegram 401): the channel needs new ones.
        self.reauthorize = reauthorize
        #: We asked too often and the platform holds us back (channel health tells a poller kept
        #: waiting from one that fails). Without a word from the connector: HTTP's 429 as the code,
        #: which X, Mastodon, Bluesky and Telegram use; a platform with codes of its own (Meta's
        #: 4, 17, 32, 613) says so with ``rate_limited=True``.
        self.rate_limited = code == 429 if rate_limited is None else rate_limited


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``crisisdesk channels check`` found: the account the credentials open, and notes."""

    account: str
    details: dict[str, str] = field(default_factory=dict)


class DeliveryState(StrEnum):
    """How far a message we sent got; only moves forward (platforms report out of order)."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


#: Order of the states: a report of an earlier state after a later one changes nothing.
STATE_RANK: dict[DeliveryState, int] = {
    DeliveryState.SENT: 1, DeliveryState.DELIVERED: 2, DeliveryState.READ: 3, DeliveryState.FAILED: 4,
}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with an item: recorded, not downloaded."""

    type: str  # image, video, audio, file, sticker, location, …
    url: str | None = None
    media_id: str | None = None
    mime_type: str | None = None
    size: int | None = None
    name: str | None = None


@dataclass(slots=True)
class InboundPost:
    """One item that becomes a post.

    ``post`` is a canonical post (see :class:`crisisdesk.posts.schemas.PostIn`); ``thread`` is the
    conversation it belongs to, unique across platforms (``whatsapp:<number id>:<user id>``);
    ``public`` says whether everybody can see it (a comment) or only us (a direct message).
    ``edited`` marks a new version of a known item; ``deleted`` an item the author removed.
    """

    post: dict[str, Any]
    thread: str | None
    public: bool
    attachments: list[Attachment] = field(default_factory=list)
    edited: bool = False
    deleted: bool = False
    #: The page's or account's own item (an echo of our reply): stored for the thread, never
    #: counted as a customer's post.
    own: bool = False


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The platform's word on a message we sent: its id there, the state, when, and why it failed."""

    external_id: str
    state: DeliveryState
    at: datetime
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Watermark:
    """Everything we sent in ``thread`` up to ``at`` reached ``state`` (Messenger gives only a time)."""

    thread: str
    state: DeliveryState
    at: datetime


@dataclass(frozen=True, slots=True)
class Deletion:
    """The author (or a moderator on the platform) removed an item we may have stored."""

    platform: str
    external_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A part of a delivery the connector does not turn into a post: kept raw and counted.

    ``what`` names it for people (``feed reaction``, ``message type sticker``); reactions,
    subscriptions and new message types all end here instead of failing the delivery.
    """

    what: str
    raw: Any


@dataclass(slots=True)
class Delivery:
    """Everything one webhook body or one poll brought."""

    posts: list[InboundPost] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    watermarks: list[Watermark] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    #: Items the delivery only names, to be fetched (:attr:`Capability.LOOK_UP`).
    lookups: list[Lookup] = field(default_factory=list)

    def extend(self, other: Delivery) -> None:
        self.posts.extend(other.posts)
        self.statuses.extend(other.statuses)
        self.watermarks.extend(other.watermarks)
        self.deletions.extend(other.deletions)
        self.unparsed.extend(other.unparsed)
        self.lookups.extend(other.lookups)


@dataclass(frozen=True, slots=True)
class Lookup:
    """An item a delivery names without carrying it: ``what`` it is in the connector's words
    (``mentioned_comment``) and the ``ids`` that find it; ``raw`` is the part of the delivery
    that named it (kept with the reason if the item cannot be fetched)."""

    what: str
    ids: Mapping[str, str]
    raw: Any = None


class Connector(Protocol):
    """What every connector does: say what it can, read what was stored, check its credentials."""

    capabilities: ClassVar[frozenset[Capability]]

    @property
    def key(self) -> str: ...

    def parse(self, body: bytes) -> Delivery:
        """A stored delivery's items; raises :class:`PayloadError` only when the body is unreadable."""

    def check(self) -> CheckResult:
        """Ask the platform who these credentials are; raises :class:`PlatformError` with its words."""


class WebhookConnector(Connector, Protocol):
    """A connector that receives deliveries over HTTP (:attr:`Capability.WEBHOOK`)."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`WebhookRejected` unless ``body`` (the raw bytes) is really from the platform."""


@dataclass(slots=True)
class Fetched:
    """One poll: the raw bodies to store (each becomes a delivery, parsed like a webhook's), where
    the next poll starts, and how long to wait for it. Bodies and cursor are stored together."""

    bodies: list[bytes]
    cursor: dict[str, Any]
    wait: float


class PollingConnector(Connector, Protocol):
    """A connector that fetches on a schedule (:attr:`Capability.POLL`) with a durable cursor."""

    def fetch(self, cursor: dict[str, Any] | None) -> Fetched:
        """What is new since ``cursor`` (None: the first poll); raises :class:`PlatformError`."""


@dataclass(frozen=True, slots=True)
class DayInsight:
    """What the platform measured about our account on one day; None where it said nothing.
    ``reach``: people who saw our content (unique, as the platform counts them); ``impressions``:
    how often it was shown; ``engagements``: interactions with it (reactions, comments, shares,
    saves, as the platform counts them); ``followers``: the account's followers that day."""

    day: date
    reach: int | None = None
    impressions: int | None = None
    engagements: int | None = None
    followers: int | None = None


@dataclass(slots=True)
class Insights:
    """One insights call: the days measured, and what the platform refused (one line per metric,
    in its words), so that a refused metric loses only itself."""

    days: list[DayInsight] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class InsightsConnector(Connector, Protocol):
    """A connector that reads its account's insights (:attr:`Capability.INSIGHTS`)."""

    def insights(self, first: date, last: date, *, today: date) -> Insights:
        """The days ``first`` … ``last`` (both included) as the platform reports them, and the
        followers it counts now as ``today``'s when the range holds today; raises
        :class:`PlatformError` when it refused everything (a dead token, a missing permission)."""


class OwnPostsConnector(Connector, Protocol):
    """A connector that reads our account's recent posts (:attr:`Capability.OWN_POSTS`)."""

    def own_posts(self, since: datetime, *, now: datetime) -> list[bytes]:
        """The platform's answers listing our posts published since ``since``, newest first, each
        as the raw body it sent (with the time ``now`` it was read, so that a repeated answer is
        stored again): stored as deliveries and mapped by ``parse`` like a webhook's
        (own posts with their counts), so a known post is updated with its new counts. Raises
        :class:`PlatformError` when the platform refused."""


class LookupConnector(Connector, Protocol):
    """A connector that fetches what its deliveries only name (:attr:`Capability.LOOK_UP`)."""

    def look_up(self, lookup: Lookup, *, now: datetime) -> bytes:
        """The platform's answer for ``lookup`` as the raw body it sent (with the time ``now`` it
        was read), stored as a delivery and mapped by ``parse`` (the item as a post). Raises
        :class:`PlatformError` when the platform refused (``permanent`` where the item is gone)."""


def load_json(body: bytes) -> Any:
    """A stored body as JSON, or the :class:`PayloadError` that marks its delivery failed."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from None


def from_unix(value: Any) -> datetime:
    """A platform timestamp in seconds or milliseconds (int, float or digit string) as aware UTC.

    Meta sends seconds in some fields and milliseconds in others, WhatsApp strings of seconds;
    a value past the year 5138 in seconds is read as milliseconds. A value that is no time at all
    (negative beyond year 1, not a number) is the :class:`PayloadError` of its delivery.
    """
    try:
        number = float(value)
        if number > 1e11:
            number /= 1000.0
        return datetime.fromtimestamp(number, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PayloadError(f"{value!r} is not a Unix time ({exc})") from None


def unix_or_none(value: Any) -> datetime | None:
    """:func:`from_unix`, or None where the value is no time (an optional fallback time)."""
    try:
        return from_unix(value)
    except PayloadError:
        return None


def each_item(out: Delivery, raw: Any, map_one: Callable[_P, None], *args: _P.args, **kwargs: _P.kwargs,
              ) -> None:
    """Map one item of a delivery that carries several: a :class:`PayloadError` in it (a time no
    calendar holds) makes that item unparsed with the reason, and the others are kept."""
    try:
        map_one(*args, **kwargs)
    except PayloadError as exc:
        out.unparsed.append(Unparsed(str(exc), raw))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()

"""The canonical post: the one shape every source (file, API, connector) is parsed into at the edge."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, NotRequired

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

#: The largest count (followers, likes, shares, replies, views) a post may carry. The most viewed
#: video has under 2*10^10 views and the most followed account under 10^9 followers, so anything
#: above a trillion is a broken export, not a count; it would also overflow the database's
#: 64-bit columns once rollups add such counts up.
MAX_COUNT = 10**12


def clean_text(value: str) -> str:
    """Drop NUL characters and unpaired surrogates from free text (a post's text, an author's
    name and handle): neither PostgreSQL nor UTF-8 can store them, and a text cut mid-emoji by an
    exporter should not cost the post."""
    if value.isascii() and "\x00" not in value:
        return value
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join(c for c in value if not "\ud800" <= c <= "\udfff")
    return value


def unstorable(value: str | None) -> str | None:
    """Why an identifier, code or link cannot be kept as it is, or None. They are refused rather
    than cleaned: removing a character from an id would silently merge two posts."""
    if value is None or (value.isascii() and "\x00" not in value):
        return None
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (such as \\ud800), which is not text"
    return None


#: Fields refused when :func:`unstorable`; free text (text, author name and handle) is cleaned.
PLAIN_FIELDS = ("id", "lang", "url", "in_reply_to", "conversation_id", "channel")
#: The same for each attachment; its ``name`` (a file name or alt text) is free text, cleaned.
ATTACHMENT_PLAIN_FIELDS = ("type", "url", "media_id", "mime_type")

#: Attachments one post may carry. Telegram albums and e-mails bring a few, Facebook at most ten;
#: hundreds would be a broken export, and every one is shown with the post.
MAX_ATTACHMENTS = 50


Count = Annotated[int | None, Field(ge=0, le=MAX_COUNT)]


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    TELEGRAM = "telegram"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    EMAIL = "email"
    NEWS = "news"
    REVIEW = "review"
    OTHER = "other"


class PostKind(StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    MESSAGE = "message"
    REVIEW = "review"
    ARTICLE = "article"


class Visibility(StrEnum):
    """Who can see an item on its platform: everybody (a comment, a post) or only us (a message)."""

    PUBLIC = "public"
    PRIVATE = "private"


class AttachmentIn(TypedDict):
    """A file that came with a post, recorded (not downloaded): its kind (``image``, ``video``,
    ``audio``, ``file``, ``sticker``, ``location``, …), where it is (a link, or the platform's
    media id to fetch it by), its MIME type, size in bytes and file name, as far as known."""

    __pydantic_config__ = ConfigDict(coerce_numbers_to_str=True)  # type: ignore[misc]

    type: Annotated[str, Field(min_length=1, max_length=32)]
    url: NotRequired[Annotated[str | None, Field(max_length=4096)]]
    media_id: NotRequired[Annotated[str | None, Field(max_length=512)]]
    mime_type: NotRequired[Annotated[str | None, Field(max_length=255)]]
    size: NotRequired[Count]
    name: NotRequired[Annotated[str | None, Field(max_length=1000)]]


class AuthorIn(TypedDict, total=False):
    __pydantic_config__ = ConfigDict(coerce_numbers_to_str=True)  # type: ignore[misc]

    id: Annotated[str | None, Field(max_length=255)]
    handle: Annotated[str | None, Field(max_length=255)]
    name: Annotated[str | None, Field(max_length=255)]
    followers: Count
    verified: bool | None


class MetricsIn(TypedDict, total=False):
    likes: Count
    shares: Count
    replies: Count
    views: Count
    saves: Count


class PostIn(TypedDict):
    """A post as crisisdesk accepts it (JSON Lines import, ``POST /api/v1/posts``, connectors).

    ``id`` is the platform's own id; numbers are accepted and kept as their decimal string because
    many exports write ids as numbers. ``created_at`` must carry a UTC offset: a naive time would be
    guessed wrong by hours for half the users. Counts above :data:`MAX_COUNT` are refused. The
    normalize stage then cleans free text (:func:`clean_text`) and refuses identifiers that cannot
    be stored (:func:`unstorable`); it does so in plain Python, only for items that can hold such
    characters, since validators called from here would cost every post. Unknown fields are
    ignored (and kept in the raw payload). ``visibility`` and ``attachments`` are what a channel
    knows about an item (a file or API client may send them too); which stored delivery carried a
    channel's item is not a field here: only the channel processor knows it
    (``RawItem.delivery_id``). A TypedDict rather than a model: validation is the same, three
    times faster, and this runs for every ingested post.
    """

    __pydantic_config__ = ConfigDict(coerce_numbers_to_str=True)  # type: ignore[misc]

    platform: Platform
    id: Annotated[str, Field(min_length=1, max_length=255)]
    created_at: AwareDatetime
    text: str
    author: NotRequired[AuthorIn | None]
    kind: NotRequired[PostKind]
    lang: NotRequired[Annotated[str | None, Field(max_length=16)]]
    url: NotRequired[str | None]
    in_reply_to: NotRequired[Annotated[str | None, Field(max_length=255)]]
    conversation_id: NotRequired[Annotated[str | None, Field(max_length=255)]]
    channel: NotRequired[Annotated[str | None, Field(max_length=255)]]
    metrics: NotRequired[MetricsIn | None]
    visibility: NotRequired[Visibility | None]
    attachments: NotRequired[Annotated[list[AttachmentIn] | None, Field(max_length=MAX_ATTACHMENTS)]]
    #: Posted by one of our own accounts (a page post, our reply): analytics counts it as ours.
    own: NotRequired[bool]


#: Validates canonical posts, from JSON text or from Python objects.
POST_ADAPTER: TypeAdapter[PostIn] = TypeAdapter(PostIn)


class IngestSummary(BaseModel):
    """What an import, a replay or an API call did, in the numbers a user checks first."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, other: IngestSummary) -> None:
        self.read += other.read
        self.imported += other.imported
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.rejected += other.rejected


class PostAccepted(BaseModel):
    """Answer of ``POST /api/v1/posts``."""

    summary: IngestSummary
    rejects: list[RejectOut] = Field(default_factory=list)
    queued: int | None = Field(
        default=None, description="Distributed mode only: valid posts handed to the workers, which store "
        "them within about a second (the summary then counts only what was read and rejected here). "
        "Absent in the embedded mode, where the summary says what was stored.")


class RejectOut(BaseModel):
    index: int | None = Field(description="Position in the submitted batch (0-based).")
    reason: str


PostAccepted.model_rebuild()

"""The canonical post: the one shape every source (file, API, connector) is parsed into at the edge."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, NotRequired

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict


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


class AuthorIn(TypedDict, total=False):
    __pydantic_config__ = ConfigDict(coerce_numbers_to_str=True)  # type: ignore[misc]

    id: Annotated[str | None, Field(max_length=255)]
    handle: Annotated[str | None, Field(max_length=255)]
    name: Annotated[str | None, Field(max_length=255)]
    followers: Annotated[int | None, Field(ge=0)]
    verified: bool | None


class MetricsIn(TypedDict, total=False):
    likes: Annotated[int | None, Field(ge=0)]
    shares: Annotated[int | None, Field(ge=0)]
    replies: Annotated[int | None, Field(ge=0)]
    views: Annotated[int | None, Field(ge=0)]


class PostIn(TypedDict):
    """A post as crisisdesk accepts it (JSON Lines import, ``POST /api/v1/posts``, connectors).

    ``id`` is the platform's own id; numbers are accepted and kept as their decimal string because
    many exports write ids as numbers. ``created_at`` must carry a UTC offset: a naive time would be
    guessed wrong by hours for half the users. Unknown fields are ignored (and kept in the raw
    payload). A TypedDict rather than a model: validation is the same, three times faster, and
    this runs for every ingested post.
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


class RejectOut(BaseModel):
    index: int | None = Field(description="Position in the submitted batch (0-based).")
    reason: str


PostAccepted.model_rebuild()

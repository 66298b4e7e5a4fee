"""The canonical post: the one shape every source (file, API, connector) is parsed into at the edge."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str | None = Field(default=None, max_length=255)
    handle: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    followers: int | None = Field(default=None, ge=0)
    verified: bool | None = None


class MetricsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    likes: int | None = Field(default=None, ge=0)
    shares: int | None = Field(default=None, ge=0)
    replies: int | None = Field(default=None, ge=0)
    views: int | None = Field(default=None, ge=0)


class PostIn(BaseModel):
    """A post as crisisdesk accepts it (JSON Lines import, ``POST /api/v1/posts``, connectors).

    ``id`` is the platform's own id; numbers are accepted and kept as their decimal string because
    many exports write ids as numbers. ``created_at`` must carry a UTC offset: a naive time would be
    guessed wrong by hours for half the users.
    """

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    platform: Platform
    id: str = Field(min_length=1, max_length=255)
    created_at: AwareDatetime
    text: str
    author: AuthorIn | None = None
    kind: PostKind = PostKind.POST
    lang: str | None = Field(default=None, max_length=16)
    url: str | None = None
    in_reply_to: str | None = Field(default=None, max_length=255)
    conversation_id: str | None = Field(default=None, max_length=255)
    channel: str | None = Field(default=None, max_length=255)
    metrics: MetricsIn | None = None


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

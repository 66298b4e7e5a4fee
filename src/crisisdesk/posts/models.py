"""Posts and their authors: every inbound item, normalised, with its raw payload kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime

#: Followers, likes, shares, replies, views: 64-bit, as platforms count (views pass 2^31).
#: SQLite's INTEGER is 64-bit already; only PostgreSQL needs BIGINT (migration 0008).
Count = BigInteger().with_variant(Integer(), "sqlite")


class Author(Base):
    """A person or account on one platform; unique per (platform, external id)."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    followers: Mapped[int | None] = mapped_column(Count)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, doc="When the profile last changed.")


class Post(Base):
    """One post, comment, message, review or article; unique per (platform, external id).

    ``content_hash`` fingerprints everything we normalise, so a re-delivered identical post is a
    duplicate while an edited one (new text or metrics) is an update. A post the author deleted
    keeps its row and text (``deleted_at`` set): it happened, and it still counts for history.
    """

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_author_id", "author_id"),
        Index("ix_posts_conversation", "platform", "conversation_id"),
        Index("ix_posts_sentiment_time", "sentiment", "created_at"),
        # Partial: imported posts (no delivery) cost the index nothing.
        Index("ix_posts_delivery_id", "delivery_id", sqlite_where=sql("delivery_id IS NOT NULL"),
              postgresql_where=sql("delivery_id IS NOT NULL")),
        # Partial: our own accounts' posts (analytics' top posts) among millions of others'.
        Index("ix_posts_own_created", "created_at", sqlite_where=sql("own"), postgresql_where=sql("own")),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    conversation_id: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(255))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"))
    likes: Mapped[int | None] = mapped_column(Count)
    shares: Mapped[int | None] = mapped_column(Count)
    replies: Mapped[int | None] = mapped_column(Count)
    views: Mapped[int | None] = mapped_column(Count)
    #: Saved or bookmarked (Instagram's ``saved``, X's ``bookmark_count``).
    saves: Mapped[int | None] = mapped_column(Count)
    # What analysis found (null when analysis is off); complaint_types is a JSON array of names.
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    insult: Mapped[str | None] = mapped_column(String(16))
    insult_score: Mapped[float | None] = mapped_column(Float)
    insult_kind: Mapped[str | None] = mapped_column(String(16))
    complaint_types: Mapped[str | None] = mapped_column(Text)
    #: public (a comment everybody sees) or private (a direct message); None: the source did not say.
    visibility: Mapped[str | None] = mapped_column(String(16))
    #: Files that came with it, recorded not downloaded: [{type, url, media_id, mime_type, size, name}].
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    raw: Mapped[str] = mapped_column(Text, doc="The payload as received (JSON text).")
    #: The channel delivery (``channel_deliveries.id``) whose raw bytes carried the latest version:
    #: the platform's own payload. Not a foreign key: deliveries are never deleted, and adding one
    #: to the existing table would make SQLite rebuild it, which fires the ON DELETE CASCADE of
    #: monitor matches and label corrections (migration 0012); it would also add a check to every
    #: insert of the import path.
    delivery_id: Mapped[int | None] = mapped_column(BigIntKey)
    content_hash: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the platform reported it deleted (None: it was not).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Posted by one of our own accounts (the canonical field ``own``); None: someone else's.
    own: Mapped[bool | None] = mapped_column(Boolean)

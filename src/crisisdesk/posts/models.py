"""Posts and their authors: every inbound item, normalised, with its raw payload kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    duplicate while an edited one (new text or metrics) is an update.
    """

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_author_id", "author_id"),
        Index("ix_posts_conversation", "platform", "conversation_id"),
        Index("ix_posts_sentiment_time", "sentiment", "created_at"),
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
    # What analysis found (null when analysis is off); complaint_types is a JSON array of names.
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    insult: Mapped[str | None] = mapped_column(String(16))
    insult_score: Mapped[float | None] = mapped_column(Float)
    insult_kind: Mapped[str | None] = mapped_column(String(16))
    complaint_types: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, doc="The payload as received (JSON text).")
    content_hash: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

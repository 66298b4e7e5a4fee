"""Stored rollups of every monitor's series, and the situations detection opens.

Rollups are additive counters per (monitor, resolution, bucket): a batch of posts adds to the
minute, hour and day it falls in, so dashboards and detectors read a few hundred rows instead of
scanning posts, and a restarted process rebuilds its detector state from them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class SeriesBucket(Base):
    """One monitor's counters for one minute, hour or day (``resolution``: m, h, d)."""

    __tablename__ = "series_buckets"

    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    volume: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    insult: Mapped[int] = mapped_column(Integer, default=0)
    #: Sum of the authors' followers (their potential audience) over the bucket's posts.
    reach: Mapped[int] = mapped_column(BigInteger, default=0)
    negative_reach: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Likes + shares + replies of the bucket's posts as they arrived.
    engagement: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Posts whose author crisisdesk had never seen before.
    new_authors: Mapped[int] = mapped_column(Integer, default=0)


class SeriesShare(Base):
    """Counters split by one dimension (``dim``: channel, complaint, lang) for one bucket."""

    __tablename__ = "series_shares"

    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    volume: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)


class Situation(Base):
    """One emerging crisis: a monitor and a cause, opened by a detector, updated as it grows."""

    __tablename__ = "situations"
    __table_args__ = (Index("ix_situations_monitor_cause", "monitor_id", "cause", "status"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    cause: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: The latest explanation (surging terms, top posts, authors, shares, summary) as JSON.
    explanation: Mapped[str] = mapped_column(Text, default="{}")


class SituationEvent(Base):
    """The situation's timeline: every open, update, severity change, escalation and resolve."""

    __tablename__ = "situation_events"
    __table_args__ = (Index("ix_situation_events_situation", "situation_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    severity: Mapped[int] = mapped_column(Integer)
    #: The event as published (reasons, signals, summary) as JSON.
    body: Mapped[str] = mapped_column(Text)

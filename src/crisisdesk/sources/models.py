"""Monitors (named boolean queries) and which posts each one matched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class Monitor(Base):
    """A named query from the workspace file; the file is the source of truth, the row its mirror."""

    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    query: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MonitorMatch(Base):
    """A post matched by a monitor.

    ``post_created_at`` repeats the post's time and leads the primary key after the monitor, so
    "posts of a monitor in a time range" — the query every dashboard and detector runs — is one
    range scan of the primary key, without a join and without a second index to maintain.
    """

    __tablename__ = "monitor_matches"
    __table_args__ = (Index("ix_monitor_matches_post", "post_id"),)

    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    post_created_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)

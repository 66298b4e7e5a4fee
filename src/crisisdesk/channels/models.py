"""What the channels keep: every delivery's raw bytes first, then what came of them.

A webhook body is stored before it is parsed and before the platform gets its ``200``: Meta offers
no way to fetch a lost delivery again, and a body that our code cannot read today may be readable
after an update. ``digest`` makes a redelivery of the same bytes a no-op.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # stored, not processed yet
    PROCESSED = "processed"
    FAILED = "failed"  # processing raised; kept with the error, retried by hand


class ChannelDelivery(Base):
    __tablename__ = "channel_deliveries"
    __table_args__ = (
        UniqueConstraint("channel", "digest"),
        Index("ix_channel_deliveries_pending", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: SHA-256 of the body: the same bytes delivered twice are stored once.
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: What processing found: {"posts": n, "own": n, "statuses": n, "deletions": n, "unparsed": n}.
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class UnparsedItem(Base):
    """A part of a delivery no mapping turned into a post: visible, countable, never lost."""

    __tablename__ = "channel_unparsed"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("channel_deliveries.id", ondelete="CASCADE"),
                                             index=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    what: Mapped[str] = mapped_column(String(200))
    raw: Mapped[Any] = mapped_column(JSON, nullable=True)


class ChannelCursor(Base):
    """Where a polled channel goes on from, and how its last polls went (for health and backoff).

    The cursor is written in the same transaction as the deliveries of the poll that moved it, so
    a restart neither loses nor repeats an item."""

    __tablename__ = "channel_cursors"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Polls that failed in a row; 0 after a success.
    failures: Mapped[int] = mapped_column(default=0)

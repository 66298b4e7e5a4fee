"""The notification outbox: one row per (step, target), which is also the delivery log.

A row is written in the same transaction as the escalation step that wants it, so a step that
committed always notifies and one that rolled back never does. The unique ``key`` makes enqueueing
idempotent: the same step, re-run after a restart, finds its row and sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    SENDING = "sending"  # claimed; next_attempt_at is when the claim expires
    SENT = "sent"
    FAILED = "failed"  # permanent error, or out of attempts; last_error says which


class Delivery(Base):
    """One notification to one target, with its attempts and outcome."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_notify_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notify_deliveries_situation_id", "situation_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), doc="Dedupe key, e.g. situation:7:step:2:oncall.")
    situation_id: Mapped[int | None] = mapped_column(BigInteger)  # no FK until situations exist
    target_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # TargetKind
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The rendered Notification.")
    status: Mapped[str] = mapped_column(String(16))  # DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(255), doc="Message id the target returned.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="Start of the latest attempt.")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

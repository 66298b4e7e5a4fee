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
        #: A channel's deliveries by time: its last one, the last 24 hours (health), today's.
        Index("ix_channel_deliveries_received", "channel", "received_at"),
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


class LookupStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt at ``due_at``
    DONE = "done"  # the platform's answer is stored as a delivery
    FAILED = "failed"  # the item is gone or the attempts ran out; ``error`` says why


class ChannelLookup(Base):
    """An item a delivery only named (an Instagram @mention), to be fetched from the platform.

    Written when the naming delivery is processed; fetched by the same thread right after, and
    again with a growing pause while the platform holds us back. Unique per channel and item, so
    a webhook delivered twice fetches once."""

    __tablename__ = "channel_lookups"
    __table_args__ = (
        UniqueConstraint("channel", "digest"),
        Index("ix_channel_lookups_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    #: The delivery that named the item (its unparsed part says so if the fetch fails for good).
    delivery_id: Mapped[int] = mapped_column(ForeignKey("channel_deliveries.id", ondelete="CASCADE"),
                                             index=True)
    #: SHA-256 of ``what`` and ``ids``: the same item named twice is one lookup.
    digest: Mapped[str] = mapped_column(String(64))
    what: Mapped[str] = mapped_column(String(64))
    ids: Mapped[dict[str, str]] = mapped_column(JSON)
    raw: Mapped[Any] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=LookupStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


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
    #: Since when the platform has refused every poll for asking too often (None after any other
    #: outcome): a poller kept waiting is a health problem of its own, not a failing one.
    limited_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChannelHealth(Base):
    """What channel health needs that no other table keeps: the platform's word that the
    credentials are dead (from a poll, a send or a check), and when they were last checked.

    The word stands until something worked after it (a poll, a send, a check): health compares
    the times instead of clearing the flag on every success, so polls and sends write nothing more.
    """

    __tablename__ = "channel_health"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    credentials_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    credentials_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Where the platform said it: poll, send or check.
    credentials_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: The last check of the credentials (``channels check``, the page's button, the periodic one).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When our posts of the longer history (``own_post_counts.HISTORY_DAYS``) were last read back
    #: with their counts; the checks in between read only the recent days.
    own_posts_history_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a sender; the call may be under way
    SENT = "sent"  # the platform accepted it (``external_id`` is its id there)
    FAILED = "failed"  # refused for good, or given up after the retries; ``last_error`` says why
    #: The sender died during the call: it may or may not have reached the platform. Not sent
    #: again by itself (a public reply twice is worse than a late one); a person looks and retries.
    UNCERTAIN = "uncertain"
    #: A public reply held back by a crisis's approval gate: never picked by the sender until a
    #: spokesperson approves it (then ``queued`` again; see ``crisisdesk.crises.approval``).
    AWAITING_APPROVAL = "awaiting_approval"
    #: A held reply a spokesperson rejected (``approval_comment`` says why); never sent.
    REJECTED = "rejected"


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OutboxItem(Base):
    """One outbound call (reply, private reply, hide, delete, block) and what became of it.

    ``(channel, idempotency_key)`` is unique: asking twice with the same key returns the first
    request instead of sending twice. ``delivery_state`` is the platform's later word (delivered,
    read), moved forward only."""

    __tablename__ = "channel_outbox"
    __table_args__ = (
        UniqueConstraint("channel", "idempotency_key"),
        Index("ix_channel_outbox_due", "status", "next_attempt_at"),
        Index("ix_channel_outbox_external", "channel", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    #: The stored post acted on or answered (None for a message started by us).
    post_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True, index=True)
    target: Mapped[str | None] = mapped_column(String(255), nullable=True)
    thread: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(255), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(32), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The platform's own error code of the last failure (Graph code, Telegram error_code, …).
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivery_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    delivery_state_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    created_by_user_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    #: The crisis whose approval gate held this reply (None: never held). No foreign key: the
    #: outbox keeps its history when a crisis is deleted.
    crisis_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True, index=True)
    #: pending | approved | rejected (:class:`ApprovalState`); None: it never needed approval.
    approval_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approval_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The reply check's findings when it was held (``[{"code", "message", "start", "end",
    #: "suggestion"}]``), shown to the approver.
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)


class OutboxAttachment(Base):
    """A file uploaded to go with a reply: its bytes in the hub's attachment store (by ``sha256``,
    so the same file uploaded twice is kept once), who uploaded it, and the outbox item that sends
    it (None until a reply takes it; unused uploads are removed after a day)."""

    __tablename__ = "outbox_attachments"
    __table_args__ = (Index("ix_outbox_attachments_unused", "outbox_item_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigIntKey)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Where the bytes are, relative to the attachment store's folder.
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outbox_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_outbox.id", ondelete="SET NULL"), nullable=True)
    #: The order of the files in their reply.
    position: Mapped[int] = mapped_column(default=0)

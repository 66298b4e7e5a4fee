"""A crisis's update plan, its updates and where each went, and the e-mail lists' subscribers.

An update is written (``draft``), checked by the reply guideline checker, approved or rejected by a
spokesperson, then published in one step to its channels; each channel's outcome is a
:class:`Publication` whose state follows the delivery (the channel outbox, the notification
deliveries, the list's mails), so the timeline can say where it went and whether it arrived.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class UpdateStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"


class PublicationState(StrEnum):
    QUEUED = "queued"  # handed to its sender; not yet out
    DELIVERED = "delivered"  # out: on the page, accepted by the platform or the mail server
    PARTLY = "partly"  # an e-mail list where some mails failed
    FAILED = "failed"


class UpdatePlan(Base):
    """The crisis's own copy of its playbook's plan (``audiences``: AudiencePlan dicts)."""

    __tablename__ = "update_plans"

    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), primary_key=True)
    audiences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ``playbook:<type>`` while copied as it was; ``edited`` after a person changed it.
    source: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(320))
    #: What the sweep saw of the crisis and since when (``{"state", "since", "levels": {level: at}}``),
    #: so that the cadence knows when a change happened and when a level was first reached.
    seen: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StakeholderUpdate(Base):
    __tablename__ = "stakeholder_updates"
    __table_args__ = (Index("ix_stakeholder_updates_crisis", "crisis_id", "audience", "published_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))
    phase: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(24), default=UpdateStatus.DRAFT)
    #: The guideline checker's findings at the last submission.
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    #: The crisis as this update told it (severity, type, status), set when published.
    crisis_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: When the next update is promised (said in the text; the cadence's next due time).
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(320), nullable=True)


class Publication(Base):
    """Where one update went (``channel`` as the plan writes it) and how far it got."""

    __tablename__ = "update_publications"
    __table_args__ = (UniqueConstraint("update_id", "channel"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("stakeholder_updates.id", ondelete="CASCADE"),
                                           index=True)
    channel: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16))
    #: The outbox item of a social post; None elsewhere.
    outbox_item_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    #: Words for people: the post's URL or id, the recipients counted, the error.
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscriber(Base):
    """An address on an e-mail list: pending until confirmed (double opt-in), off once unsubscribed.

    The confirmation token is stored only as its SHA-256 (it is sent once); the unsubscribe token
    is kept as it is, because every mail to the address carries it in its links and headers."""

    __tablename__ = "update_subscribers"
    __table_args__ = (UniqueConstraint("list", "email"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    list: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(8))
    #: ``page`` (subscribed on the status page) or ``config`` (named in the workspace file).
    source: Mapped[str] = mapped_column(String(16))
    confirm_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UpdateMail(Base):
    """One mail to send: an update to a subscriber, or a subscription's confirmation request.

    ``key`` is unique (``update:<publication>:<subscriber>`` or ``confirm:<subscriber>:<n>``), so
    publishing twice or a sender that died half-way never mails anyone twice."""

    __tablename__ = "update_mails"
    __table_args__ = (Index("ix_update_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    publication_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True, index=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("update_subscribers.id", ondelete="CASCADE"))
    #: The message as it will be sent (``subject``, ``text``, ``html``, ``headers``): rendered when
    #: queued, so that a retry sends exactly what was approved.
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

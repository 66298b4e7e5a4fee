"""Running escalations: a snapshot of the chain and where it stands, so timers survive restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class Escalation(Base):
    """One run of a policy for one situation at one severity.

    ``chain`` is the policy as it was when the escalation started, with recipients resolved to
    targets (JSON); editing the workspace never changes an escalation in flight. ``next_step``
    and ``next_at`` are the durable timer: a restarted process runs what is due, once.
    """

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "status", "next_at"),
                      Index("ix_escalations_situation", "situation_id"))

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    severity: Mapped[int] = mapped_column(Integer)
    #: active | acknowledged | exhausted | superseded | resolved
    status: Mapped[str] = mapped_column(String(16))
    chain: Mapped[str] = mapped_column(Text)
    #: Steps run so far over all rounds (step index = next_step % len(steps)).
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AckLinkUse(Base):
    """The one use of an acknowledgement link (one per escalation step and recipient): a second
    click finds it and shows who used the link and when, instead of acknowledging again."""

    __tablename__ = "ack_link_uses"
    __table_args__ = (UniqueConstraint("escalation_id", "step", "recipient"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)

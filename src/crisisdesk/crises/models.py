"""A crisis and the situations that belong to it, each with why it joined.

A situation belongs to at most one crisis (the primary key of ``crisis_situations`` is the
situation); who put it there is kept (``by``: ``auto`` for the grouping, a person's label for a
move by hand), so that the grouping never undoes what a person decided.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class Crisis(Base):
    __tablename__ = "crises"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | resolved
    severity: Mapped[int] = mapped_column(Integer, default=1)
    #: The crisis type (issue 14's playbooks); None until one is suggested or confirmed.
    type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Its monitors, in the order they joined (shown on cards, written to events).
    monitors: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Why this severity, in words: ``[{"de": ..., "en": ...}]`` (crisisdesk.crises.danger).
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class CrisisSituation(Base):
    __tablename__ = "crisis_situations"

    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"),
                                              primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Why it is in this crisis, in words and as data (``{"kind": "posts", "share": 0.64, ...}``).
    reason: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    by: Mapped[str] = mapped_column(String(255), default="auto")

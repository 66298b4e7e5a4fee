"""What people add to a crisis's review: their notes (strengths, weaknesses, the views of the
team and of people outside it) and the improvement actions, each with an owner and a due date,
tracked until done and linked to what they change (a playbook, a rule, a monitor).

The figures are never stored: they are computed from the record each time (reports.review)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class ReviewNotes(Base):
    __tablename__ = "review_notes"

    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), primary_key=True)
    strengths: Mapped[str] = mapped_column(Text, default="")
    weaknesses: Mapped[str] = mapped_column(Text, default="")
    #: What the people who worked on it say (the team's questionnaire answers, a debrief).
    internal_views: Mapped[str] = mapped_column(Text, default="")
    #: What people outside said of it (customers, press, partners).
    external_views: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(320))


class ImprovementAction(Base):
    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    #: Who sees it through: a person's e-mail or workspace key, or ``role:NAME``.
    owner: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: What it changes: ``playbook:KEY``, ``rule:NAME``, ``monitor:NAME``, ``policy:NAME`` (or None).
    links_to: Mapped[str | None] = mapped_column(String(255), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))

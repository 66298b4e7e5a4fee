"""What people add to a crisis's review: their notes (strengths, weaknesses, the views of the
team and of people outside it) and the improvement actions, each with an owner and a due date,
tracked until done and linked to what they change (a playbook, a rule, a monitor).

The figures are never stored: they are computed from the record each time (reports.review)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime
from crisisdesk.posts.models import Count


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


class ChannelDay(Base):
    """The analytics rollup: one UTC day of one channel's posts, ours (``own``) or others', with the
    sums of their metrics as last stored. Kept by the store stage in the posts' own transaction, by
    the difference between a post's stored and new version, so a redelivery adds nothing and a
    metrics update moves the sums (:mod:`crisisdesk.reports.rollup`). ``channel`` is the configured
    channel's name, or ``""`` for posts that came without one (an import)."""

    __tablename__ = "channel_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(255), primary_key=True)
    own: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    posts: Mapped[int] = mapped_column(Count, default=0)
    likes: Mapped[int] = mapped_column(Count, default=0)
    shares: Mapped[int] = mapped_column(Count, default=0)
    replies: Mapped[int] = mapped_column(Count, default=0)
    views: Mapped[int] = mapped_column(Count, default=0)
    #: Saved or bookmarked, and the posts that reported it (as ``views`` and ``with_views``).
    saves: Mapped[int] = mapped_column(Count, default=0, server_default="0")
    with_saves: Mapped[int] = mapped_column(Count, default=0, server_default="0")
    #: Posts that reported views at all (views are "not reported" when this is 0, never 0 views).
    with_views: Mapped[int] = mapped_column(Count, default=0)


class ChannelInsight(Base):
    """What a platform reports about one of our channels on one UTC day: followers, reach and
    impressions, each None when it did not say. Followers also come from our own account's profile
    as its posts arrive. Never a sum of other people's followers."""

    __tablename__ = "channel_insights"

    channel: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    followers: Mapped[int | None] = mapped_column(Count, nullable=True)
    reach: Mapped[int | None] = mapped_column(Count, nullable=True)
    impressions: Mapped[int | None] = mapped_column(Count, nullable=True)
    #: Engagements with our content as the platform counts them (where posts come without counts).
    engagements: Mapped[int | None] = mapped_column(Count, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuestionnaireAnswer(Base):
    """One team member's answers to the crisis's short questionnaire (what went well, what did not,
    what to change, how prepared they felt), kept per account so that answering again replaces."""

    __tablename__ = "questionnaire_answers"

    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), primary_key=True)
    #: The account's e-mail (lower case).
    person: Mapped[str] = mapped_column(String(320), primary_key=True)
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(Text, default="")
    #: 1 (not at all) … 5 (fully); None: not said.
    prepared: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)

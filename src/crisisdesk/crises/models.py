"""A crisis and the situations that belong to it, each with why it joined.

A situation belongs to at most one crisis (the primary key of ``crisis_situations`` is the
situation); who put it there is kept (``by``: ``auto`` for the grouping, a person's label for a
move by hand), so that the grouping never undoes what a person decided.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class Crisis(Base):
    __tablename__ = "crises"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | resolved
    severity: Mapped[int] = mapped_column(Integer, default=1)
    #: The crisis type (its playbook): suggested from its posts until a person confirms one.
    type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Who confirmed the type (then the suggestion no longer changes it) and when.
    type_confirmed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    type_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Why that type was suggested, in words: ``{"de": ..., "en": ...}``.
    type_reason: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
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


class CrisisTask(Base):
    """A task from the playbook's checklist (or added by a person), with its owner and due time."""

    __tablename__ = "crisis_tasks"
    __table_args__ = (UniqueConstraint("crisis_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    #: ``{"de": ..., "en": ...}``: the page shows the reader's language.
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    owner: Mapped[str] = mapped_column(String(255))  # role:NAME or person:NAME
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrisisAction(Base):
    """One entry of the crisis timeline: what a person (or the system) did for this crisis.

    ``kind`` names it (``type.confirmed``, ``task.done``, ``situation.moved``, ``reply.approved``,
    ``mode.on`` …); ``detail`` holds what the page and the review need to say it in words."""

    __tablename__ = "crisis_actions"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class CrisisMode(Base):
    """Crisis mode, switched on by a person for one crisis (``crisis_id``) or the whole workspace
    (``crisis_id`` None), until a person switches it off (``off_at``).

    A crisis's mode is in force only while its crisis is open: whatever resolves the crisis (the
    tracker, a merge, a move by hand) ends the mode at once, without a hook to forget; the row is
    closed (``off_by`` ``crisisdesk``) by the next sweep (:func:`crisisdesk.crises.mode.close_ended`)."""

    __tablename__ = "crisis_modes"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    crisis_id: Mapped[int | None] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    on_at: Mapped[datetime] = mapped_column(UTCDateTime)
    on_by: Mapped[str] = mapped_column(String(320))
    off_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    off_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    #: Why it was switched on (the person's words; may be empty).
    reason: Mapped[str] = mapped_column(Text, default="")

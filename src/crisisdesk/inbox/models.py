"""What the inbox keeps: conversations, the contacts behind them, and each conversation's timeline.

A conversation's messages are not copied: inbound ones are the posts of its thread (``posts`` by
platform and ``conversation_id``), outbound ones the outbox items answering them. The row holds
what lists must sort and filter on without reading the messages (last activity, who is waiting
for an answer since when, counts of negative and insulting messages), kept current as posts are
stored (:mod:`crisisdesk.inbox.threads`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting for the person, not for us
    SNOOZED = "snoozed"  # out of the lists until ``snoozed_until`` or a new message
    RESOLVED = "resolved"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Contact(Base):
    """A person across platforms: one or more platform identities (``authors``) linked to it."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(String(255))
    #: The identity it was made for (contacts are created a batch at a time and found by it).
    first_author_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactIdentity(Base):
    """One platform identity of a contact. ``linked``: ``auto`` (first seen, or the platforms say
    it is the same person) or ``manual`` (a person merged it; ``merged_from`` allows the undo)."""

    __tablename__ = "contact_identities"

    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    linked: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The contact this identity belonged to before a manual merge (None: never merged).
    merged_from: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("platform", "thread"),
        Index("ix_conversations_status_last", "status", "last_message_at"),
        Index("ix_conversations_assignee", "assignee_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    #: The posts' ``conversation_id``: a comment thread, a chat, an e-mail thread, an X conversation.
    thread: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(255), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    #: Everybody can read it (comments) or only us (chats, e-mail); None: not known.
    public: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.OPEN)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The oldest inbound message not answered yet (None: nobody waits for us).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Set once the conversation is a ticket: "2026-0142", counted per year.
    ticket: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    ticket_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    insults: Mapped[int] = mapped_column(Integer, default=0)


class ConversationEvent(Base):
    """The timeline beside the messages: assignments, status and priority changes, tags, notes."""

    __tablename__ = "conversation_events"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    #: Note text, or the change: {"from": …, "to": …}.
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)


class RuleRun(Base):
    """One rule acting on one inbound message: what each action did (or why it could not)."""

    __tablename__ = "inbox_rule_runs"
    __table_args__ = (Index("ix_inbox_rule_runs_rule_at", "rule", "at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(120))
    post_id: Mapped[int] = mapped_column(BigIntKey)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ReviewStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # a person agreed: it stays hidden
    RESTORED = "restored"  # a person disagreed: shown again, and the classifier learns from it


class ModerationReview(Base):
    """An item a rule hid on the platform, waiting for a person to confirm or restore it."""

    __tablename__ = "moderation_reviews"
    __table_args__ = (Index("ix_moderation_reviews_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    rule: Mapped[str] = mapped_column(String(120))
    #: The insult classifier's score when the rule acted (None: the rule did not look at it).
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    outbox_id: Mapped[int] = mapped_column(BigIntKey)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    #: The unhide call a restore queued.
    restore_outbox_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)


#: Words are compared bytewise: a prefix search is then an index range on both databases.
_WORD = String(64).with_variant(String(64, collation="C"), "postgresql")


class ConversationWord(Base):
    """Which conversations use which word (folded, 2–64 characters): the inbox's text search.

    A small inverted index kept by :mod:`crisisdesk.inbox.threads` for messages of conversations
    only, so that a search over a million messages is an index range scan per query word instead
    of reading every message (a database's own full-text search would differ between SQLite and
    PostgreSQL and cost every imported post, not only the inbox's)."""

    __tablename__ = "conversation_words"

    word: Mapped[str] = mapped_column(_WORD, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)


class TeamTurn(Base):
    """Whose turn it was last in a team's round robin: the next assignment starts after them.

    One row per team, locked while a conversation is assigned, so that two processes assigning
    at once do not both give work to the same member."""

    __tablename__ = "inbox_team_turns"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_user_id: Mapped[int | None] = mapped_column(BigIntKey, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationMention(Base):
    """A person @mentioned in a note: the conversation shows in their "mentions" view."""

    __tablename__ = "conversation_mentions"
    __table_args__ = (Index("ix_conversation_mentions_user", "user_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigIntKey)
    by: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

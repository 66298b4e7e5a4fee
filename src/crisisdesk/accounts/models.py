"""Users, their API tokens, web sessions and failed sign-ins.

Secrets never reach the database in a usable form: passwords as argon2id hashes, API tokens and
session cookies as SHA-256 hashes of random values (they have 256 bits of entropy, so a fast hash
is enough and lets a request find its row by an index lookup).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    #: Stored lower-cased; the unique index is the only guard against two accounts per address.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: A :class:`crisisdesk.accounts.roles.Role` value.
    role: Mapped[str] = mapped_column(String(32))
    #: Preferred interface language (de, en) or None: follow the browser.
    lang: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: IANA time zone the pages show times in (Europe/Berlin), or None: the workspace's ``time_zone``.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    """A personal token for scripts: acts as its user, with the user's current role."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 (hex) of the whole secret.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The secret's first characters, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser. Signing out or disabling the user deletes the row."""

    __tablename__ = "web_sessions"

    #: SHA-256 (hex) of the cookie value; the cookie itself is never stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: min(last_seen_at + idle timeout, created_at + absolute lifetime).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)


class LoginFailure(Base):
    """One failed sign-in; counted per (e-mail, address) over a window to throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key", "email", "ip", "at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

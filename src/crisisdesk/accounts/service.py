"""Reads and small writes: users, token and session lookups, the login throttle.

Every function takes the caller's ORM ``Session`` (the caller owns the transaction) and, where
time matters, a ``Clock``; nothing here reads the wall clock itself.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crisisdesk.accounts.errors import UserNotFound
from crisisdesk.accounts.models import ApiToken, LoginFailure, User, WebSession
from crisisdesk.accounts.roles import Role
from crisisdesk.accounts.schemas import normalize_email
from crisisdesk.core.clock import Clock

#: A session ends after this long without a request ...
SESSION_IDLE = timedelta(hours=12)
#: ... and in any case this long after sign-in.
SESSION_MAX = timedelta(days=7)
#: last_seen_at (and with it the sliding expiry) is written at most this often per session.
SESSION_TOUCH_EVERY = timedelta(minutes=1)
#: API tokens' last_used_at is written at most this often.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)

#: Failed sign-ins per (e-mail, client address) within THROTTLE_WINDOW before further tries are refused.
THROTTLE_MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)

TOKEN_PREFIX = "cdk_"  # noqa: S105 - a marker, not a secret
TOKEN_DISPLAY_CHARS = 12


def hash_secret(value: str) -> str:
    """SHA-256 hex of a random secret (cookie value or API token)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- users -------------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"no user {user_id}")
    return user


def find_user(session: Session, email: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except ValueError:
        return None
    return session.scalars(select(User).where(User.email == normalized)).first()


def get_user_by_email(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise UserNotFound(f"no user with e-mail address {email.strip()!r} (see crisisdesk users list)")
    return user


def list_users(session: Session, *, active: bool | None = None) -> list[User]:
    q = select(User).order_by(User.email)
    if active is not None:
        q = q.where(User.active == active)
    return list(session.scalars(q))


def count_active_admins(session: Session, *, excluding: int | None = None) -> int:
    q = select(func.count()).select_from(User).where(User.active.is_(True), User.role == Role.ADMIN.value)
    if excluding is not None:
        q = q.where(User.id != excluding)
    return int(session.scalar(q) or 0)


def snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user: never the password hash."""
    return {"email": user.email, "name": user.name, "role": user.role, "lang": user.lang,
            "time_zone": user.time_zone, "active": user.active}


# --- throttling ---------------------------------------------------------------------------------


def throttle_wait(session: Session, *, email: str, ip: str, clock: Clock) -> int:
    """Seconds until another try is allowed for (e-mail, address); 0 when one is allowed now."""
    now = clock.now()
    recent = list(session.scalars(
        select(LoginFailure.at).where(LoginFailure.email == email, LoginFailure.ip == ip,
                                      LoginFailure.at > now - THROTTLE_WINDOW)
        .order_by(LoginFailure.at.desc()).limit(THROTTLE_MAX_FAILURES)))
    if len(recent) < THROTTLE_MAX_FAILURES:
        return 0
    # The oldest of the last MAX failures has to leave the window.
    free_at = recent[-1] + THROTTLE_WINDOW
    return max(1, int((free_at - now).total_seconds() + 0.999))


def record_failure(session: Session, *, email: str, ip: str, clock: Clock) -> None:
    now = clock.now()
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - THROTTLE_WINDOW))
    session.add(LoginFailure(email=email[:320], ip=ip[:64], at=now))


def clear_failures(session: Session, *, email: str, ip: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.ip == ip))


# --- web sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSession:
    """A new session: ``cookie_value`` goes into the cookie and is never stored."""

    cookie_value: str
    csrf_token: str
    expires_at: datetime
    max_age: int


def create_web_session(session: Session, user: User, *, clock: Clock, ip: str | None = None,
                       user_agent: str | None = None) -> IssuedSession:
    now = clock.now()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    cookie = new_secret()
    csrf = new_secret()
    expires = min(now + SESSION_IDLE, now + SESSION_MAX)
    session.add(WebSession(id=hash_secret(cookie), user_id=user.id, csrf_token=csrf, created_at=now,
                           expires_at=expires, last_seen_at=now, ip=ip and ip[:64],
                           user_agent=user_agent and user_agent[:255]))
    return IssuedSession(cookie, csrf, expires, int(SESSION_MAX.total_seconds()))


def validate_web_session(session: Session, cookie_value: str, *, clock: Clock
                         ) -> tuple[User, WebSession] | None:
    """The session's user when the cookie names a live session of an active user; slides the
    idle expiry forward (never past the absolute limit). Expired sessions are deleted."""
    if not cookie_value or len(cookie_value) > 256:
        return None
    now = clock.now()
    row = session.get(WebSession, hash_secret(cookie_value))
    if row is None:
        return None
    if row.expires_at <= now:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= SESSION_TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = min(now + SESSION_IDLE, row.created_at + SESSION_MAX)
    return user, row


def revoke_web_session(session: Session, cookie_value: str) -> int | None:
    """Delete the session the cookie names; its user's id, or None when there was none."""
    row = session.get(WebSession, hash_secret(cookie_value))
    if row is None:
        return None
    user_id = row.user_id
    session.delete(row)
    return user_id


def revoke_user_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End all of a user's sessions (but ``keep``, a session id); how many ended."""
    q = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        q = q.where(WebSession.id != keep)
    return int(session.execute(q).rowcount)  # type: ignore[attr-defined]


# --- API tokens ---------------------------------------------------------------------------------


def list_tokens(session: Session, *, user_id: int | None = None, include_revoked: bool = True
                ) -> list[ApiToken]:
    q = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        q = q.where(ApiToken.user_id == user_id)
    if not include_revoked:
        q = q.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(q))


def verify_token(session: Session, secret: str, *, clock: Clock) -> tuple[User, ApiToken] | None:
    """The token's user when the secret names an unrevoked token of an active user."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 256:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_EVERY:
        row.last_used_at = now
    return user, row


def revoke_user_tokens(session: Session, user_id: int, *, clock: Clock) -> int:
    return int(session.execute(  # type: ignore[attr-defined]
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())).rowcount)

"""Changes to accounts, each with its audit entry in the same transaction.

The caller owns the transaction (``with Session(engine) as s, s.begin(): ...``) except for
:func:`sign_in`, which must commit a failed attempt before it refuses, so it runs its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisisdesk.accounts import service
from crisisdesk.accounts.errors import (
    AccountError,
    DuplicateEmail,
    InvalidCredentials,
    LastAdminError,
    LoginThrottled,
)
from crisisdesk.accounts.models import ApiToken, User
from crisisdesk.accounts.passwords import DEFAULT_HASHER, burn_time, hash_password, verify_password
from crisisdesk.accounts.roles import Role
from crisisdesk.accounts.schemas import TokenCreated, TokenRead, UserRead, UserUpdate, normalize_email
from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.core.clock import Clock


def create_user(session: Session, *, email: str, name: str, role: Role, password: str,
                lang: str | None = None, actor: Actor, clock: Clock, ip: str | None = None,
                hasher: PasswordHasher = DEFAULT_HASHER) -> User:
    try:
        normalized = normalize_email(email)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    name = name.strip()
    if not name:
        raise AccountError("a user needs a name")
    if service.find_user(session, normalized) is not None:
        raise DuplicateEmail(f"a user with e-mail address {normalized} exists already")
    user = User(email=normalized, name=name[:200], password_hash=hash_password(password, hasher=hasher),
                role=Role(role).value, lang=lang, active=True, created_at=clock.now())
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create won the race for the address
        raise DuplicateEmail(f"a user with e-mail address {normalized} exists already") from None
    record(session, actor=actor, action=AuditAction.USER_CREATED, at=clock.now(), target_type="user",
           target_id=user.id, after=service.snapshot(user), ip=ip)
    return user


def update_user(session: Session, user: User, changes: UserUpdate, *, actor: Actor, clock: Clock,
                ip: str | None = None, hasher: PasswordHasher = DEFAULT_HASHER) -> User:
    """Apply the fields given in ``changes``; disabling also ends sessions and revokes tokens.

    Refuses to demote or disable the last active admin: someone must be able to manage users.
    """
    given = changes.model_fields_set
    fields: dict[str, Any] = {}
    if "name" in given and changes.name is not None and changes.name.strip() != user.name:
        fields["name"] = changes.name.strip()
    if "role" in given and changes.role is not None and changes.role.value != user.role:
        fields["role"] = changes.role.value
    if "lang" in given and changes.lang != user.lang:
        fields["lang"] = changes.lang
    if "time_zone" in given and changes.time_zone != user.time_zone:
        fields["time_zone"] = changes.time_zone
    if fields:
        if user.role == Role.ADMIN and fields.get("role", Role.ADMIN) != Role.ADMIN:
            _keep_an_admin(session, user)
        before = {k: getattr(user, k) for k in fields}
        for key, value in fields.items():
            setattr(user, key, value)
        record(session, actor=actor, action=AuditAction.USER_UPDATED, at=clock.now(), target_type="user",
               target_id=user.id, before=before, after=fields, ip=ip)
    if "password" in given and changes.password is not None:
        set_password(session, user, changes.password, actor=actor, clock=clock, ip=ip, hasher=hasher)
    if "active" in given and changes.active is not None and changes.active != user.active:
        if changes.active:
            enable_user(session, user, actor=actor, clock=clock, ip=ip)
        else:
            disable_user(session, user, actor=actor, clock=clock, ip=ip)
    return user


def set_role(session: Session, user: User, role: Role, *, actor: Actor, clock: Clock,
             ip: str | None = None) -> User:
    return update_user(session, user, UserUpdate(role=role), actor=actor, clock=clock, ip=ip)


def _keep_an_admin(session: Session, user: User) -> None:
    if user.active and service.count_active_admins(session, excluding=user.id) == 0:
        raise LastAdminError(f"{user.email} is the last active admin; make someone else admin first")


def disable_user(session: Session, user: User, *, actor: Actor, clock: Clock, ip: str | None = None) -> User:
    """The user can no longer sign in; their sessions end and their API tokens are revoked."""
    if not user.active:
        return user
    if user.role == Role.ADMIN:
        _keep_an_admin(session, user)
    user.active = False
    sessions = service.revoke_user_sessions(session, user.id)
    tokens = service.revoke_user_tokens(session, user.id, clock=clock)
    record(session, actor=actor, action=AuditAction.USER_DISABLED, at=clock.now(), target_type="user",
           target_id=user.id, before={"active": True},
           after={"active": False, "sessions_ended": sessions, "tokens_revoked": tokens}, ip=ip)
    return user


def enable_user(session: Session, user: User, *, actor: Actor, clock: Clock, ip: str | None = None) -> User:
    """Allow signing in again (revoked tokens stay revoked)."""
    if user.active:
        return user
    user.active = True
    record(session, actor=actor, action=AuditAction.USER_ENABLED, at=clock.now(), target_type="user",
           target_id=user.id, before={"active": False}, after={"active": True}, ip=ip)
    return user


def set_password(session: Session, user: User, password: str, *, actor: Actor, clock: Clock,
                 ip: str | None = None, keep_session: str | None = None,
                 hasher: PasswordHasher = DEFAULT_HASHER) -> None:
    """Store a new password and end the user's other sessions (``keep_session``: the one asking)."""
    user.password_hash = hash_password(password, hasher=hasher)
    ended = service.revoke_user_sessions(session, user.id, keep=keep_session)
    record(session, actor=actor, action=AuditAction.USER_PASSWORD_CHANGED, at=clock.now(),
           target_type="user", target_id=user.id, after={"sessions_ended": ended}, ip=ip)


# --- signing in and out -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    user: UserRead
    session: service.IssuedSession


def sign_in(engine: Engine, *, email: str, password: str, ip: str, user_agent: str | None, clock: Clock,
            hasher: PasswordHasher = DEFAULT_HASHER) -> SignedIn:
    """Check the password and open a web session.

    Raises :class:`LoginThrottled` (with the seconds to wait) after THROTTLE_MAX_FAILURES failures
    for this e-mail address from this client address within THROTTLE_WINDOW, without looking at
    the password; :class:`InvalidCredentials` for a wrong address, wrong password or disabled
    account. Failures are counted in the database, so the limit holds across restarts and processes.
    """
    key = email.strip().lower()[:320]
    with Session(engine) as session, session.begin():
        wait = service.throttle_wait(session, email=key, ip=ip, clock=clock)
        if wait:
            raise LoginThrottled(wait)
        user = service.find_user(session, key)
        if user is None:
            burn_time(password, hasher=hasher)
            ok = False
        else:
            verified = verify_password(user.password_hash, password, hasher=hasher)
            ok = verified.ok and user.active
            if ok and verified.rehashed:
                user.password_hash = verified.rehashed
        if not ok:
            service.record_failure(session, email=key, ip=ip, clock=clock)
        else:
            assert user is not None
            service.clear_failures(session, email=key, ip=ip)
            user.last_login_at = clock.now()
            issued = service.create_web_session(session, user, clock=clock, ip=ip, user_agent=user_agent)
            record(session, actor=Actor.user(user.id, user.email), action=AuditAction.AUTH_LOGIN,
                   at=clock.now(), target_type="user", target_id=user.id, ip=ip)
            result = SignedIn(UserRead.model_validate(user), issued)
    if not ok:
        raise InvalidCredentials()
    return result


def sign_out(session: Session, cookie_value: str, *, clock: Clock, ip: str | None = None) -> bool:
    """End the session the cookie names; False when there was none."""
    user_id = service.revoke_web_session(session, cookie_value)
    if user_id is None:
        return False
    user = session.get(User, user_id)
    if user is not None:
        record(session, actor=Actor.user(user.id, user.email), action=AuditAction.AUTH_LOGOUT,
               at=clock.now(), target_type="user", target_id=user.id, ip=ip)
    return True


# --- API tokens ---------------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str, *, actor: Actor, clock: Clock,
                 ip: str | None = None) -> TokenCreated:
    """A new token for ``user``; the secret is in the answer and nowhere else, ever."""
    name = name.strip()
    if not name:
        raise AccountError("a token needs a name (what uses it?)")
    if not user.active:
        raise AccountError(f"{user.email} is disabled")
    secret = service.TOKEN_PREFIX + service.new_secret()
    token = ApiToken(user_id=user.id, name=name[:100], token_hash=service.hash_secret(secret),
                     prefix=secret[:service.TOKEN_DISPLAY_CHARS], created_at=clock.now())
    session.add(token)
    session.flush()
    record(session, actor=actor, action=AuditAction.TOKEN_CREATED, at=clock.now(), target_type="api_token",
           target_id=token.id, after={"user": user.email, "name": token.name, "prefix": token.prefix}, ip=ip)
    return TokenCreated(token=TokenRead.model_validate(token), secret=secret)


def revoke_token(session: Session, token: ApiToken, *, actor: Actor, clock: Clock,
                 ip: str | None = None) -> ApiToken:
    """Revoke (idempotent: revoking twice keeps the first time and writes no second entry)."""
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record(session, actor=actor, action=AuditAction.TOKEN_REVOKED, at=clock.now(),
               target_type="api_token", target_id=token.id,
               before={"revoked_at": None}, after={"revoked_at": token.revoked_at,
                                                   "name": token.name, "prefix": token.prefix}, ip=ip)
    return token

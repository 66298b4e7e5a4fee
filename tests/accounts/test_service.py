"""Sign-in throttling, session expiry, tokens and disabling, on both databases with a fake clock."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions, service
from crisisdesk.accounts.errors import DuplicateEmail, InvalidCredentials, LastAdminError, LoginThrottled
from crisisdesk.accounts.models import ApiToken, LoginFailure, User, WebSession
from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor
from crisisdesk.db import make_engine
from tests.accounts.fixtures import FAST_HASHER, PASSWORD, FakeClock

IP = "203.0.113.7"




def add(engine: Engine, clock: FakeClock, email: str = "lena@example.org", role: Role = Role.AGENT,
        hasher: PasswordHasher = FAST_HASHER) -> int:
    with Session(engine) as s, s.begin():
        return actions.create_user(s, email=email, name="Lena", role=role, password=PASSWORD,
                                   actor=Actor.system(), clock=clock, hasher=hasher).id


def sign_in(engine: Engine, clock: FakeClock, password: str = PASSWORD, *, email: str = "lena@example.org",
            ip: str = IP, hasher: PasswordHasher = FAST_HASHER) -> actions.SignedIn:
    return actions.sign_in(engine, email=email, password=password, ip=ip, user_agent="pytest", clock=clock,
                           hasher=hasher)


def test_email_is_stored_lower_cased_and_unique(engine: Engine) -> None:
    clock = FakeClock()
    add(engine, clock, email="  Lena@Example.ORG ")
    with Session(engine) as s:
        assert s.scalars(select(User.email)).all() == ["lena@example.org"]
    with pytest.raises(DuplicateEmail):
        add(engine, clock, email="LENA@example.org")
    assert sign_in(engine, clock, email="LENA@EXAMPLE.org").user.email == "lena@example.org"


def test_throttle_after_five_failures_per_email_and_address(engine: Engine) -> None:
    clock = FakeClock()
    add(engine, clock)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            sign_in(engine, clock, "wrong password!")
        clock.advance(seconds=30)
    # 5 failures in 2 minutes: refused, even with the right password, with the seconds to wait.
    with pytest.raises(LoginThrottled) as refused:
        sign_in(engine, clock)
    assert refused.value.retry_after == 15 * 60 - 150
    assert "try again in 750 seconds" in str(refused.value)
    # Other addresses and other e-mails are not affected.
    assert sign_in(engine, clock, ip="198.51.100.1").user.email == "lena@example.org"
    with pytest.raises(InvalidCredentials):
        sign_in(engine, clock, email="nobody@example.org")
    # The limit lives in the database: a new engine (another process, a restart) sees it.
    other = make_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        with pytest.raises(LoginThrottled):
            sign_in(other, clock)
    finally:
        other.dispose()
    # When the oldest failure leaves the window, one more try is allowed, and success clears the count.
    clock.advance(seconds=750)
    assert sign_in(engine, clock).user.email == "lena@example.org"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)
                        .where(LoginFailure.email == "lena@example.org", LoginFailure.ip == IP)) == 0


def test_unknown_email_and_disabled_user_count_as_failures(engine: Engine) -> None:
    clock = FakeClock()
    add(engine, clock)
    with Session(engine) as s, s.begin():
        actions.disable_user(s, service.get_user_by_email(s, "lena@example.org"), actor=Actor.system(),
                             clock=clock)
    for email in ["ghost@example.org"] * 5:
        with pytest.raises(InvalidCredentials):
            sign_in(engine, clock, email=email)
    with pytest.raises(LoginThrottled):
        sign_in(engine, clock, email="ghost@example.org")
    with pytest.raises(InvalidCredentials, match="wrong e-mail address or password"):
        sign_in(engine, clock)  # right password, disabled account: the same answer


def test_login_rehashes_when_parameters_changed(engine: Engine) -> None:
    clock = FakeClock()
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    new = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    add(engine, clock, hasher=old)
    sign_in(engine, clock, hasher=new)
    with Session(engine) as s:
        stored = s.scalars(select(User.password_hash)).one()
    assert "m=16,t=2" in stored
    sign_in(engine, clock, hasher=new)  # still signs in with the new hash


def test_session_slides_and_expires(engine: Engine) -> None:
    clock = FakeClock()
    add(engine, clock)
    cookie = sign_in(engine, clock).session.cookie_value

    def alive() -> bool:
        with Session(engine) as s, s.begin():
            return service.validate_web_session(s, cookie, clock=clock) is not None

    # A request every 11 hours keeps the session alive ...
    for _ in range(14):
        clock.advance(hours=11)
        assert alive()
    # ... but never beyond 7 days after sign-in.
    clock.advance(hours=14 * -11 + 7 * 24)
    assert not alive()
    # And 12 quiet hours end a fresh one.
    cookie = sign_in(engine, clock).session.cookie_value
    clock.advance(hours=11, minutes=59)
    assert alive()
    clock.advance(hours=12)
    assert not alive()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0  # expired rows deleted
    with Session(engine) as s:
        assert service.validate_web_session(s, "forged", clock=clock) is None


def test_disable_ends_sessions_and_revokes_tokens(engine: Engine) -> None:
    clock = FakeClock()
    uid = add(engine, clock)
    cookie = sign_in(engine, clock).session.cookie_value
    with Session(engine) as s, s.begin():
        secret = actions.create_token(s, service.get_user(s, uid), "script", actor=Actor.system(),
                                      clock=clock).secret
    with Session(engine) as s, s.begin():
        assert service.verify_token(s, secret, clock=clock) is not None
        assert service.validate_web_session(s, cookie, clock=clock) is not None
    with Session(engine) as s, s.begin():
        actions.disable_user(s, service.get_user(s, uid), actor=Actor.cli("root"), clock=clock)
    with Session(engine) as s, s.begin():
        assert service.verify_token(s, secret, clock=clock) is None
        assert service.validate_web_session(s, cookie, clock=clock) is None
        assert s.scalars(select(ApiToken.revoked_at)).one() == clock.now()
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.disabled")).one()
    assert entry.actor == "cli:root" and entry.target_id == str(uid)
    assert entry.before == {"active": True}
    assert entry.after == {"active": False, "sessions_ended": 1, "tokens_revoked": 1}
    # Enabling again does not bring the token back.
    with Session(engine) as s, s.begin():
        actions.enable_user(s, service.get_user(s, uid), actor=Actor.system(), clock=clock)
    with Session(engine) as s, s.begin():
        assert service.verify_token(s, secret, clock=clock) is None


def test_token_secret_is_only_stored_hashed(engine: Engine) -> None:
    clock = FakeClock()
    uid = add(engine, clock)
    with Session(engine) as s, s.begin():
        created = actions.create_token(s, service.get_user(s, uid), "nightly", actor=Actor.system(),
                                       clock=clock)
    assert created.secret.startswith("cdk_") and len(created.secret) > 40
    assert created.token.prefix == created.secret[:12]
    with Session(engine) as s, s.begin():
        row = s.scalars(select(ApiToken)).one()
        assert created.secret not in (row.token_hash, row.prefix)
        assert service.verify_token(s, created.secret + "x", clock=clock) is None
        clock.advance(minutes=5)
        assert service.verify_token(s, created.secret, clock=clock) is not None
    with Session(engine) as s, s.begin():
        token = s.scalars(select(ApiToken)).one()
        assert token.last_used_at == clock.now()
        actions.revoke_token(s, token, actor=Actor.system(), clock=clock)
        actions.revoke_token(s, token, actor=Actor.system(), clock=clock)  # idempotent
    with Session(engine) as s:
        assert service.verify_token(s, created.secret, clock=clock) is None
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "token.revoked")) == 1


def test_the_last_admin_stays(engine: Engine) -> None:
    clock = FakeClock()
    uid = add(engine, clock, email="root@example.org", role=Role.ADMIN)
    with Session(engine) as s, s.begin(), pytest.raises(LastAdminError, match="last active admin"):
        actions.set_role(s, service.get_user(s, uid), Role.ANALYST, actor=Actor.system(), clock=clock)
    with Session(engine) as s, s.begin(), pytest.raises(LastAdminError):
        actions.disable_user(s, service.get_user(s, uid), actor=Actor.system(), clock=clock)
    other = add(engine, clock, email="second@example.org", role=Role.ADMIN)
    with Session(engine) as s, s.begin():
        actions.set_role(s, service.get_user(s, uid), Role.ANALYST, actor=Actor.system(), clock=clock)
    with Session(engine) as s, s.begin(), pytest.raises(LastAdminError):
        actions.disable_user(s, service.get_user(s, other), actor=Actor.system(), clock=clock)

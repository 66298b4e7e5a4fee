"""Password hashing with argon2id (``argon2-cffi``), a length policy and transparent rehashing.

The hash string carries its own parameters, so raising the cost later needs no migration: a user
whose stored hash uses older parameters gets a fresh hash the next time they sign in.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from crisisdesk.accounts.errors import PasswordPolicyError

MIN_LENGTH = 12
#: argon2 hashes any length, but an unbounded input is a cheap way to burn server CPU.
MAX_LENGTH = 1024

#: RFC 9106's second recommended option (64 MiB, 3 passes), argon2-cffi's default since 21.2.
DEFAULT_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, type=Type.ID)


@dataclass(frozen=True)
class Verified:
    ok: bool
    #: A new hash to store when the stored one used other parameters (only when ``ok``).
    rehashed: str | None = None


def check_policy(password: str) -> None:
    """Raise :class:`PasswordPolicyError` naming the rule a new password breaks."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(
            f"password too short: {len(password)} characters, at least {MIN_LENGTH} needed "
            "(a passphrase of a few words is easiest)")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"password too long: at most {MAX_LENGTH} characters")
    if not password.strip():
        raise PasswordPolicyError("password must not be only spaces")


def hash_password(password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """Hash a new password after checking the policy."""
    check_policy(password)
    return hasher.hash(password)


def verify_password(stored: str, password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> Verified:
    """Compare in constant time; a malformed stored hash counts as a mismatch, never as an error."""
    if len(password) > MAX_LENGTH:
        return Verified(False)
    try:
        hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verified(False)
    if hasher.check_needs_rehash(stored):
        return Verified(True, hasher.hash(password))
    return Verified(True)


_DUMMY: dict[int, str] = {}


def burn_time(password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> None:
    """Spend as long as a real verification does, so an unknown e-mail address does not answer
    faster than a known one."""
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not-a-real-password-0000")
    verify_password(_DUMMY[key], password, hasher=hasher)

"""argon2id hashing, the length policy and rehashing when the parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from crisisdesk.accounts.errors import PasswordPolicyError
from crisisdesk.accounts.passwords import MIN_LENGTH, check_policy, hash_password, verify_password

OLD = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
NEW = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)


def test_hash_is_argon2id_and_verifies() -> None:
    stored = hash_password("a long enough passphrase", hasher=OLD)
    assert stored.startswith("$argon2id$")
    assert "passphrase" not in stored
    assert verify_password(stored, "a long enough passphrase", hasher=OLD).ok
    assert not verify_password(stored, "a long enough passphrasE", hasher=OLD).ok
    assert hash_password("a long enough passphrase", hasher=OLD) != stored  # salted


def test_rehash_when_parameters_change() -> None:
    stored = hash_password("a long enough passphrase", hasher=OLD)
    assert verify_password(stored, "a long enough passphrase", hasher=OLD).rehashed is None
    upgraded = verify_password(stored, "a long enough passphrase", hasher=NEW)
    assert upgraded.ok and upgraded.rehashed is not None
    assert "m=16,t=2" in upgraded.rehashed
    assert verify_password(upgraded.rehashed, "a long enough passphrase", hasher=NEW).rehashed is None
    assert verify_password(stored, "wrong password here", hasher=NEW).rehashed is None


def test_default_parameters_are_rfc9106() -> None:
    stored = hash_password("a long enough passphrase")
    assert "$m=65536,t=3,p=4$" in stored


def test_malformed_stored_hash_is_a_mismatch() -> None:
    assert not verify_password("not a hash", "whatever it is", hasher=OLD).ok
    assert not verify_password("", "whatever it is", hasher=OLD).ok


@pytest.mark.parametrize(("password", "message"), [
    ("short", f"too short: 5 characters, at least {MIN_LENGTH}"),
    (" " * 20, "only spaces"),
    ("x" * 2000, "too long"),
])
def test_policy(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError, match=message):
        check_policy(password)
    with pytest.raises(PasswordPolicyError):
        hash_password(password, hasher=OLD)

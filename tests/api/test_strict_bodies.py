"""Request bodies take a JSON boolean or integer only where the schema says so: no loose coercion
of 0, "no" or false into a flag or an id."""

from __future__ import annotations

import pytest

from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World, rows


@pytest.mark.parametrize("active", [0, "no", "false", 0.0])
def test_active_must_be_a_boolean(world: World, active: object) -> None:
    analyst = world.user_ids[Role.ANALYST]
    admin = world.bearer(Role.ADMIN)
    r = world.client.patch(f"/api/v1/users/{analyst}", json={"active": active}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "active"]
    assert rows(world, User, User.id == analyst)[0].active is True


def test_active_false_still_disables(world: World) -> None:
    analyst = world.user_ids[Role.ANALYST]
    admin = world.bearer(Role.ADMIN)
    r = world.client.patch(f"/api/v1/users/{analyst}", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False


@pytest.mark.parametrize("user_id", [False, True, "1", 1.0, 2**64, 0])
def test_a_token_owner_must_be_a_real_id(world: World, user_id: object) -> None:
    r = world.client.post("/api/v1/tokens", json={"name": "x", "user_id": user_id},
                          headers=world.bearer(Role.ADMIN))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "user_id"]

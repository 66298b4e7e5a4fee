"""The role table: every role and permission registered and documented; analyst reads only."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisdesk.accounts.errors import AccountError
from crisisdesk.accounts.roles import (
    PERMISSION_DESCRIPTIONS,
    ROLE_DESCRIPTIONS,
    ROLE_PERMISSIONS,
    SERVICE_PERMISSIONS,
    Permission,
    Role,
    parse_role,
)

DOC = (Path(__file__).parents[2] / "docs" / "accounts.md").read_text(encoding="utf-8")


def test_every_role_and_permission_is_registered_and_documented() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set(ROLE_DESCRIPTIONS) == set(Role)
    assert set(PERMISSION_DESCRIPTIONS) == set(Permission)
    for role in Role:
        assert f"`{role.value}`" in DOC, role
    for permission in Permission:
        assert f"`{permission.value}`" in DOC, permission
        assert any(permission in perms for perms in ROLE_PERMISSIONS.values()), permission


def test_the_docs_table_matches_the_code() -> None:
    """docs/accounts.md has one row per permission with a ✓ per role that has it."""
    order = [r.value for r in Role]
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[2:2 + len(order)]
            for line in DOC.splitlines() if line.startswith("| `")}
    for permission in Permission:
        marks = [cell.strip() == "✓" for cell in rows[permission.value]]
        assert marks == [permission in ROLE_PERMISSIONS[Role(r)] for r in order], permission


def test_shape_of_the_roles() -> None:
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert ROLE_PERMISSIONS[Role.ANALYST] == {Permission.VIEW}
    for role in Role:
        assert Permission.VIEW in ROLE_PERMISSIONS[role]
        if role is not Role.ADMIN:
            assert not {Permission.MANAGE_USERS, Permission.VIEW_AUDIT} & ROLE_PERMISSIONS[role]
    assert {Permission.INGEST, Permission.LABEL_POSTS} == SERVICE_PERMISSIONS


@pytest.mark.parametrize(("text", "role"), [("admin", Role.ADMIN), ("Crisis-Lead", Role.CRISIS_LEAD),
                                             (" analyst ", Role.ANALYST)])
def test_parse_role(text: str, role: Role) -> None:
    assert parse_role(text) is role


def test_parse_role_names_the_choices() -> None:
    with pytest.raises(AccountError, match="use one of: admin, crisis_lead"):
        parse_role("boss")

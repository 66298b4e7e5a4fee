"""The OpenAPI description says what the routes answer: checked over the whole description (so a
route added later is held to it too) and against real answers of a few routes."""

from __future__ import annotations

from typing import Any

import pytest

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World


def operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    spec = world.client.get("/openapi.json").json()
    return [(method.upper(), path, op) for path, methods in spec["paths"].items()
            for method, op in methods.items()]


def test_every_operation_documents_what_its_shape_implies(world: World) -> None:
    ops = operations(world)
    assert len(ops) > 30
    for method, path, op in ops:
        answers = op["responses"]
        where = f"{method} {path}"
        assert "503" in answers, where
        assert path == "/healthz" or "Retry-After" in answers["503"]["headers"], where
        if op.get("security"):
            assert {"401", "403"} <= set(answers), where
        if "requestBody" in op:
            assert {"400", "413", "422"} <= set(answers), where


def test_the_422_shape_is_a_list_or_a_sentence(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    detail = spec["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert {v.get("type") for v in detail["anyOf"]} == {"array", "string"}
    admin = world.bearer(Role.ADMIN)
    listed = world.client.get("/api/v1/audit?limit=0", headers=admin)
    assert listed.status_code == 422 and listed.json()["detail"][0]["loc"] == ["query", "limit"]
    sentence = world.client.put("/api/v1/config", json={"text": "monitors: 5"}, headers=admin)
    assert sentence.status_code == 422 and isinstance(sentence.json()["detail"], str)


@pytest.mark.parametrize(("method", "url", "template", "code"), [
    ("GET", "/api/v1/users/987654", "/api/v1/users/{user_id}", 404),
    ("DELETE", "/api/v1/tokens/987654", "/api/v1/tokens/{token_id}", 404),
    ("GET", "/api/v1/situations/987654", "/api/v1/situations/{situation_id}", 404),
    ("POST", "/api/v1/situations/987654/ack", "/api/v1/situations/{situation_id}/ack", 404),
    ("GET", "/api/v1/config/monitors/nope", "/api/v1/config/monitors/{key}", 404),
    ("POST", "/api/v1/users", "/api/v1/users", 409),
])
def test_the_error_answers_a_route_gives_are_documented(world: World, method: str, url: str, template: str,
                                                        code: int) -> None:
    body = {"email": "admin@example.org", "name": "Again", "role": "analyst",
            "password": "correct horse battery staple"} if method == "POST" and code == 409 else None
    r = world.client.request(method, url, json=body, headers=world.bearer(Role.ADMIN))
    assert r.status_code == code, r.text
    documented = {(m, p): op for m, p, op in operations(world)}
    assert str(code) in documented[(method, template)]["responses"]


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3"])
def test_audit_times_must_be_iso_dates(world: World, value: str) -> None:
    r = world.client.get("/api/v1/audit", params={"until": value}, headers=world.bearer(Role.ADMIN))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", "until"]
    ok = world.client.get("/api/v1/audit", params={"until": "2026-12-01T09:00:00Z"},
                          headers=world.bearer(Role.ADMIN))
    assert ok.status_code == 200, ok.text

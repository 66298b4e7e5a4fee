"""Request bodies take a JSON boolean or integer only where the schema says so: no loose coercion
of 0, "no" or false into a flag or an id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, get_args

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World, rows
from tests.api.routes import api_routes


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


# ---- every JSON body of every route, probed field by field ------------------------------------

def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models an annotation holds (itself, inside a list, a union or an Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models(arg)


def _json_types(schema: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    if isinstance(schema.get("type"), str):
        found.add(schema["type"])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found |= _json_types(sub)
    return found


def _body_fields(world: World) -> Iterator[tuple[type[BaseModel], str, FieldInfo]]:
    seen: set[type[BaseModel]] = set()
    todo = [m for r in api_routes(world.client.app)  # type: ignore[arg-type]
            for a in r.body_params.values() for m in _models(a)]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            yield model, name, info
            todo.extend(_models(info.annotation))


#: JSON values a loose (lax) validator would turn into the type the schema names, and must not.
_LOOSE = {"boolean": [0, 1, "true", "no", 0.0], "integer": [True, False, "1", 1.0],
          "number": [True, "1.5"]}


def test_no_body_field_coerces_a_wrong_json_type(world: World) -> None:
    """The schema says boolean, integer or number: only that JSON type passes (schemathesis found
    ``{"on": 0}`` and ``{"assignee_user_id": false}`` accepted)."""
    loose: list[str] = []
    probed = 0
    for model, name, info in _body_fields(world):
        annotation: Any = (Annotated[info.annotation, *info.metadata]
                           if info.metadata else info.annotation)
        strict = ConfigDict(strict=bool(model.model_config.get("strict")))
        adapter: TypeAdapter[Any] = TypeAdapter(annotation, config=strict)
        kinds = _json_types(adapter.json_schema())
        if "string" in kinds:  # a field that also takes text may read "1" as text
            continue
        for kind in kinds & set(_LOOSE):
            probed += 1
            for value in _LOOSE[kind]:
                if kind == "number" and "integer" in kinds and isinstance(value, float):
                    continue
                try:
                    adapter.validate_python(value)
                except ValidationError:
                    continue
                loose.append(f"{model.__qualname__}.{name} ({kind}) accepts {value!r}")
    assert probed > 10
    assert not loose, "\n".join(loose)

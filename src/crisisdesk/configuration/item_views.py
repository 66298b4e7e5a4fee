"""The configuration one item at a time over HTTP: monitors, notification targets, people, roles,
escalation policies, channels and inbox rules (``/api/v1/config/{kind}/{key}``), as the settings
forms and the inbox's rules page use them."""

# No ``from __future__ import annotations``: the routes are built in a loop, and FastAPI must see
# each route's own dependency and body example, which are local names.
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Response, status

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.configuration.items import (
    Item,
    ItemNotFound,
    Kind,
    Saved,
    delete_item,
    get_item,
    list_items,
    put_item,
)
from crisisdesk.configuration.secrets import MASK
from crisisdesk.configuration.service import export_text, latest
from crisisdesk.core.errors import ConfigError
from crisisdesk.runtime import Runtime

Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]

#: Who may change each kind: monitors are the listening side, the rest decides who is woken up.
EDIT_PERMISSION: dict[Kind, Permission] = {
    Kind.MONITORS: Permission.MANAGE_MONITORS, Kind.TARGETS: Permission.MANAGE_NOTIFICATIONS,
    Kind.PEOPLE: Permission.MANAGE_NOTIFICATIONS, Kind.ROLES: Permission.MANAGE_NOTIFICATIONS,
    Kind.POLICIES: Permission.MANAGE_NOTIFICATIONS, Kind.CHANNELS: Permission.MANAGE_CHANNELS,
    Kind.RULES: Permission.MANAGE_RULES,
}

EXAMPLES: dict[Kind, Any] = {
    Kind.MONITORS: {"query": '"deutsche bahn" OR #db', "description": "The brand"},
    Kind.TARGETS: {"kind": "slack", "webhook_url": "env:SLACK_CRISIS_URL"},
    Kind.PEOPLE: {"name": "Anna Berg", "targets": ["anna-mail"], "lang": "de",
                  "working_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00",
                                    "end": "18:00", "timezone": "Europe/Berlin"}},
    Kind.ROLES: ["anna", "ben"],
    Kind.CHANNELS: {"platform": "telegram", "bot_token": "env:TELEGRAM_BOT_TOKEN",
                    "secret_token": "env:TELEGRAM_SECRET"},
    Kind.POLICIES: {"steps": [{"notify": ["role:crisis_lead"], "wait_minutes": 15},
                              {"notify": ["role:management", "target:crisis-room"]}], "repeat": 1},
    Kind.RULES: {"when": {"public": True, "sentiment": ["negative"]},
                 "then": [{"tag": "complaint"}, {"priority": "high"}], "stop": False},
}
KEY_MEANING: dict[Kind, str] = {
    Kind.MONITORS: "the monitor's name", Kind.TARGETS: "the target's name",
    Kind.PEOPLE: "the person's short name (used in roles and policies)", Kind.ROLES: "the role",
    Kind.POLICIES: "the severity (1-4) from which the policy applies",
    Kind.CHANNELS: "the channel's key (used in /webhooks/{key})",
    Kind.RULES: "the inbox rule's name (rules are tried in the order of the document; new ones last)",
}


def _item(item: Item) -> dict[str, Any]:
    return {"key": item.key, "value": item.value}


def items_router(runtime: Runtime, on_saved: Any = None) -> APIRouter:
    """``on_saved(saved)`` is called after every stored change (the running service applies it)."""
    r = APIRouter(tags=["configuration"])

    def text() -> str:
        return export_text(runtime.engine, runtime.workspace)

    def version() -> int | None:
        with runtime.engine.connect() as conn:
            stored = latest(conn)
        return stored.version if stored else None

    def done(saved: Saved) -> None:
        if on_saved is not None:
            on_saved(saved)

    for kind in Kind:
        editor = Annotated[Principal, Depends(require(EDIT_PERMISSION[kind]))]
        # Channels are read by those who may change them: their blocks name accounts and hosts.
        reader = editor if kind is Kind.CHANNELS else Reader
        _register(r, kind, reader, editor, text, version, done, runtime)
    return r


def _register(r: APIRouter, kind: Kind, reader: Any, editor: Any, text: Any, version: Any, done: Any,
              runtime: Runtime) -> None:
    """The four routes of one kind (a function, so that each closure keeps its own kind)."""
    base = f"/api/v1/config/{kind.value}"
    example = EXAMPLES[kind]

    @r.get(base, summary=f"List the {kind.value}", name=f"list_{kind.value}")
    def list_(_who: reader) -> dict[str, Any]:
        return {"version": version(), "items": [_item(i) for i in list_items(text(), kind)]}

    @r.get(base + "/{key}", summary=f"One of the {kind.value}", name=f"get_{kind.value}",
           responses=errors(404))
    def get(key: str, _who: reader) -> dict[str, Any]:
        try:
            return {"version": version(), **_item(get_item(text(), kind, key))}
        except ItemNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc

    @r.put(base + "/{key}", summary=f"Create or replace one of the {kind.value}", name=f"put_{kind.value}",
           responses={201: {"description": "Created (200: an existing one was replaced)."}},
           description=f"`key` is {KEY_MEANING[kind]}. The body is the item as written in crisisdesk.yaml; "
           f"a secret sent as `{MASK}` keeps its stored value. 201 when created, 200 when replaced, 422 "
           "naming every problem with its place (nothing is stored then). The change is a new version "
           "of the configuration and takes effect at once.")
    def put(key: str, who: editor, response: Response,
            value: Annotated[Any, Body(examples=[example])]) -> dict[str, Any]:
        try:
            with runtime.engine.begin() as conn:
                saved = put_item(conn, runtime.workspace.path.read_text(encoding="utf-8"), kind, key, value,
                                 actor=who.actor, at=runtime.runner.clock.now(), ip=who.ip)
        except ConfigError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.problem) from exc
        done(saved)
        if saved.created:
            response.status_code = status.HTTP_201_CREATED
        return {"version": saved.stored.version, "created": saved.created}

    @r.delete(base + "/{key}", summary=f"Delete one of the {kind.value}", name=f"delete_{kind.value}",
              responses=errors(404),
              description="Refused with 422 while anything still refers to it (every place named).")
    def delete(key: str, who: editor) -> dict[str, Any]:
        try:
            with runtime.engine.begin() as conn:
                saved = delete_item(conn, runtime.workspace.path.read_text(encoding="utf-8"), kind, key,
                                    actor=who.actor, at=runtime.runner.clock.now(), ip=who.ip)
        except ItemNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
        except ConfigError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.problem) from exc
        done(saved)
        return {"version": saved.stored.version}

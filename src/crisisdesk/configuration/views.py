"""The configuration over HTTP: read it, replace it (validated), and check a monitor query."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.configuration.secrets import MASK
from crisisdesk.configuration.service import export_text, latest, save
from crisisdesk.core.errors import ConfigError
from crisisdesk.runtime import Runtime
from crisisdesk.sources.query import QuerySyntaxError, parse

Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]
Editor = Annotated[Principal, Depends(require(Permission.MANAGE_NOTIFICATIONS))]
Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


class ConfigIn(BaseModel):
    text: str = Field(description="The whole workspace configuration as YAML (as in crisisdesk.yaml); a "
                      f"secret given as {MASK} keeps the value stored at the same place.")
    note: str | None = Field(default=None, max_length=500, description="Why, for the version history.")


class QueryIn(BaseModel):
    query: str = Field(max_length=10_000)


class QueryCheck(BaseModel):
    ok: bool
    error: str | None = None
    position: int | None = Field(default=None, description="Where in the query the problem is (0-based).")


def check_query(query: str) -> QueryCheck:
    try:
        parse(query)
    except QuerySyntaxError as exc:
        return QueryCheck(ok=False, error=exc.message, position=exc.position)
    return QueryCheck(ok=True)


def config_router(runtime: Runtime) -> APIRouter:
    r = APIRouter()

    @r.get("/api/v1/config", summary="The configuration in force (YAML) and its version",
           description=f"Literal secrets (SMTP password, webhook secret, Slack/Teams URL, bot token) come as "
           f"`{MASK}`; `env:NAME` references as written. A document PUT back with `{MASK}` keeps them.")
    def get_config(_who: Reader) -> dict[str, Any]:
        with runtime.engine.connect() as conn:
            stored = latest(conn)
        return {"version": stored.version if stored else None, "source": "database" if stored else "file",
                "text": export_text(runtime.engine, runtime.workspace)}

    @r.put("/api/v1/config", summary="Replace the configuration (validated; applies at once)")
    def put_config(body: ConfigIn, who: Editor) -> dict[str, Any]:
        """422 names every problem with its place (``monitors[2].query: …``); nothing is stored then."""
        try:
            with runtime.engine.begin() as conn:
                stored, config = save(conn, body.text, actor=who.actor, at=runtime.runner.clock.now(),
                                      note=body.note, ip=who.ip,
                                      fallback=runtime.workspace.path.read_text(encoding="utf-8"))
        except ConfigError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.problem) from exc
        runtime.reload_if_changed()  # in force here at once; other processes within a tick
        return {"version": stored.version, "monitors": [m.name for m in config.monitors]}

    @r.post("/api/v1/queries/check", summary="Check a monitor query as it is typed")
    def post_check(body: QueryIn, _who: Viewer) -> QueryCheck:
        return check_query(body.query)

    return r

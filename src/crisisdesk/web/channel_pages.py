"""Settings → Channels: every connected account and feed with its health, what arrived, what was
kept unparsed, and what went out through it.

Everyone who may view sees the state of the channels (a dead channel in the middle of a crisis is
everyone's business); changing a channel or checking its credentials needs ``manage_channels``,
checked on the server whatever the page showed. The check is ``crisisdesk channels check`` in one
click: its answer counts for channel health like the CLI's.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.health import describe
from crisisdesk.channels.health_facts import HealthSubject
from crisisdesk.channels.health_monitor import check
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.status import channel_status
from crisisdesk.configuration.service import latest
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_formatter, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE_CHANNELS))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def subjects() -> list[HealthSubject]:
        enabled = runtime.connectors()
        return [HealthSubject.of(c, enabled.get(c.key) or connector_for(c))
                for c in runtime.workspace.config.channels]

    @r.get("/settings/channels", response_class=HTMLResponse)
    def channels(request: Request, user: Viewer, flash: str = "", error: str = "") -> HTMLResponse:
        fmt = request_formatter(request, user)
        now = runtime.runner.clock.now()
        zone = ZoneInfo(fmt.tz)
        today = datetime.combine(now.astimezone(zone).date(), time(), zone).astimezone(UTC)
        with runtime.engine.connect() as conn:
            rows = channel_status(conn, subjects(), now=now, today=today)
            stored = latest(conn)
        return render(request, "settings_channels.html", user, nav="settings", section="channels",
                      stored=stored, problems=[], saved=None, rows=rows,
                      can_manage=user.can(Permission.MANAGE_CHANNELS), flash=flash or error,
                      flash_error=bool(error), problem_text=lambda f: describe(f, fmt.lang))

    @r.post("/settings/channels/{key}/check")
    def check_channel(request: Request, key: str, user: Manager) -> Response:
        lang = request_lang(request, user)
        found = next((c for c in runtime.workspace.config.channels if c.key == key), None)
        if found is None:
            return render(request, "error.html", user, message=t("error.not_found", lang), status_code=404)
        result = check(runtime.engine, connector_for(found), clock=runtime.runner.clock,
                       stored=runtime.delivery_stored)
        if runtime.health is not None:
            runtime.health.kick()  # an alert opens or ends at once, not at the next round
        if isinstance(result, PlatformError):
            said = quote(t("channels.check_refused", lang, channel=key, error=str(result)))
            return RedirectResponse(f"/settings/channels?error={said}#channel-{key}", status_code=303)
        said = quote(t("channels.check_ok", lang, channel=key, account=result.account))
        return RedirectResponse(f"/settings/channels?flash={said}#channel-{key}", status_code=303)

    return r

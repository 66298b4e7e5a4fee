"""The overview: every monitor's live numbers, open situations, what changed in the last hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.channels.health_alerts import open_alert_rows
from crisisdesk.crises.service import list_crises
from crisisdesk.dashboards.schemas import SituationBrief
from crisisdesk.dashboards.service import overview
from crisisdesk.detection.service import list_situations
from crisisdesk.runtime import Runtime
from crisisdesk.sources.service import newest_match
from crisisdesk.web.templating import render, request_formatter

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


@dataclass(frozen=True)
class QuietHint:
    """The overview shows the last 24 hours up to now; when they hold no post at all (a workspace
    that imported last month's posts), it says when the newest post was and links to the days
    around it, instead of an empty page that looks like a broken import."""

    at: datetime
    url: str


def _quiet_hint(conn: Connection, data: Any, now: datetime, tz: str) -> QuietHint | None:
    if any(p.volume for m in data.monitors for p in m.sparkline):
        return None
    newest = newest_match(conn)
    if newest is None or newest[1] >= now - timedelta(hours=24):
        return None
    monitor_id, at = newest
    day = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(tz)).date()
    query = urlencode({"range": "custom", "start": (day - timedelta(days=3)).isoformat(),
                       "end": day.isoformat()})
    return QuietHint(at, f"/monitors/{monitor_id}?{query}")


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def overview_page(request: Request, user: Viewer) -> HTMLResponse:
        now = runtime.runner.clock.now()
        with runtime.engine.connect() as conn:
            data = overview(conn, now=now)
            quiet = _quiet_hint(conn, data, now, request_formatter(request, user).tz)
            # A dead channel is an open situation too, though no monitor's (channels/health_alerts.py).
            channel_alerts = [SituationBrief.model_validate(row) for row in open_alert_rows(conn)]
        # The overview leads with the crises; their situations are shown there, not again below.
        with Session(runtime.engine) as session:
            crises = list_crises(session, status="open")
        in_crisis = {sid for c in crises for sid in c["situations"]}
        partial = request.headers.get("x-partial") == "1"
        return render(request, "overview_live.html" if partial else "overview.html", user, nav="overview",
                      data=data, quiet=quiet, channel_alerts=channel_alerts, crises=crises,
                      in_crisis=in_crisis)

    @r.get("/situations", response_class=HTMLResponse)
    def situations_page(request: Request, user: Viewer, status: str | None = None) -> HTMLResponse:
        with runtime.engine.connect() as conn:
            rows = list_situations(conn, status=status if status in ("open", "resolved") else None, limit=200)
        return render(request, "situations.html", user, nav="situations", rows=rows, status=status or "")

    return r

"""The overview: every monitor's live numbers, open situations, what changed in the last hour."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.dashboards.service import overview
from crisisdesk.detection.service import list_situations
from crisisdesk.runtime import Runtime
from crisisdesk.web.templating import render

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def overview_page(request: Request, user: Viewer) -> HTMLResponse:
        with runtime.engine.connect() as conn:
            data = overview(conn, now=runtime.runner.clock.now())
        partial = request.headers.get("x-partial") == "1"
        return render(request, "overview_live.html" if partial else "overview.html", user, nav="overview",
                      data=data)

    @r.get("/situations", response_class=HTMLResponse)
    def situations_page(request: Request, user: Viewer, status: str | None = None) -> HTMLResponse:
        with runtime.engine.connect() as conn:
            rows = list_situations(conn, status=status if status in ("open", "resolved") else None, limit=200)
        return render(request, "situations.html", user, nav="situations", rows=rows, status=status or "")

    return r

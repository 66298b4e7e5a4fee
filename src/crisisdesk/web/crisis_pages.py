"""Crisis pages: the list (open first) and one crisis with its situations, why each joined (in the
reader's language, from the reason's data), and the timeline of their events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.fields import Id
from crisisdesk.crises.grouping import explain
from crisisdesk.crises.service import get_crisis, list_crises
from crisisdesk.runtime import Runtime
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/crises", response_class=HTMLResponse)
    def crises_page(request: Request, user: Viewer, status: str | None = None) -> HTMLResponse:
        wanted = status if status in ("open", "resolved") else None
        with Session(runtime.engine) as session:
            rows = list_crises(session, status=wanted)
        return render(request, "crises.html", user, nav="crises", rows=rows, status=wanted or "")

    @r.get("/crises/{crisis_id}", response_class=HTMLResponse)
    def crisis_page(request: Request, user: Viewer, crisis_id: Id) -> HTMLResponse:
        with Session(runtime.engine) as session:
            crisis = get_crisis(session, crisis_id)
        if crisis is None:
            raise HTTPException(404, f"no crisis {crisis_id}")
        lang = request_lang(request, user)
        for s in crisis["situations"]:
            s["why_said"] = explain({**s["reason"], "by": s["joined_by"]}, crisis_id, lang)
        return render(request, "crisis.html", user, nav="crises", c=crisis)

    return r

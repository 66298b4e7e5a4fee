"""Crisis pages: the list (open first) and one crisis with its situations, why each joined (in the
reader's language, from the reason's data), its type and playbook (confirm the type, tick tasks
off, end it once calm), and one timeline of the situations' events and the people's actions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.bus.base import Message
from crisisdesk.core.fields import Id
from crisisdesk.crises import manual
from crisisdesk.crises.grouping import explain
from crisisdesk.crises.playbook import PlaybookError, confirm_type, set_task
from crisisdesk.crises.service import get_crisis, list_crises, playbook_part
from crisisdesk.crises.tracker import CrisisTracker, crisis_event
from crisisdesk.runtime import Runtime
from crisisdesk.web.crisis_mode_pages import panel
from crisisdesk.web.crisis_words import action_words
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Worker = Annotated[Principal, Depends(require(Permission.ACKNOWLEDGE))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/crises", response_class=HTMLResponse)
    def crises_page(request: Request, user: Viewer, status: str | None = None, mode_said: str = "",
                    mode_error: str = "") -> HTMLResponse:
        wanted = status if status in ("open", "resolved") else None
        with Session(runtime.engine) as session:
            rows = list_crises(session, status=wanted)
        return render(request, "crises.html", user, nav="crises", rows=rows, status=wanted or "",
                      mode=panel(runtime, None, request_lang(request, user)), mode_said=mode_said,
                      mode_error=mode_error)

    @r.get("/crises/{crisis_id}", response_class=HTMLResponse)
    def crisis_page(request: Request, user: Viewer, crisis_id: Id, error: str = "", mode_said: str = "",
                    mode_error: str = "") -> HTMLResponse:
        config = runtime.workspace.config
        with Session(runtime.engine) as session:
            crisis = get_crisis(session, crisis_id)
            if crisis is None:
                raise HTTPException(404, f"no crisis {crisis_id}")
            playbook_part(session, crisis, types=config.crisis_types, roles=config.roles,
                          names={k: p.name for k, p in config.people.items()}, now=runtime.runner.clock.now())
        lang = request_lang(request, user)
        for s in crisis["situations"]:
            s["why_said"] = explain({**s["reason"], "by": s["joined_by"]}, crisis_id, lang)
        entries = [{"at": e["at"], "situation": e} for e in crisis["timeline"]]
        entries += [{"at": a["at"], "action": a, "said": action_words(a, lang)} for a in crisis["actions"]]
        entries.sort(key=lambda e: str(e["at"]))
        return render(request, "crisis.html", user, nav="crises", c=crisis, entries=entries, flash=error,
                      flash_error=bool(error), can_organise=user.can(Permission.CHANGE_SEVERITY),
                      can_tick=user.can(Permission.ACKNOWLEDGE), mode=panel(runtime, crisis_id, lang),
                      mode_said=mode_said, mode_error=mode_error)

    @r.post("/crises/{crisis_id}/type")
    def confirm(request: Request, crisis_id: Id, user: Organiser,
                crisis_type: Annotated[str, Form(alias="type")]) -> Response:
        now = runtime.runner.clock.now()
        types = runtime.workspace.config.crisis_types

        def run(conn: Connection, _detector: object) -> list[Message]:
            with Session(bind=conn) as session:
                crisis = confirm_type(session, crisis_id, crisis_type, types, actor=user.actor, now=now,
                                      ip=user.ip)
                CrisisTracker(types=types).rate_crisis(session, crisis)
                event = crisis_event(session, crisis, "crisis.updated", now)
                session.flush()
            return [event]

        try:
            runtime.runner.with_detector(run)
        except PlaybookError as exc:
            if exc.status == 404:
                raise HTTPException(404, str(exc)) from None
            return RedirectResponse(f"/crises/{crisis_id}?error={quote(str(exc))}", status_code=303)
        return RedirectResponse(f"/crises/{crisis_id}#h-playbook", status_code=303)

    @r.post("/crises/{crisis_id}/resolve")
    def resolve(crisis_id: Id, user: Organiser, note: Annotated[str, Form(max_length=manual.MAX_NOTE)] = ""
                ) -> Response:
        now = runtime.runner.clock.now()

        def run(conn: Connection, _detector: object) -> list[Message]:
            with Session(bind=conn) as session:
                events = manual.resolve(session, crisis_id, actor=user.actor, now=now, note=note, ip=user.ip)
                session.flush()
            return events

        try:
            runtime.runner.with_detector(run)
        except manual.CrisisChangeError as exc:
            if exc.status == 404:
                raise HTTPException(404, str(exc)) from None
            return RedirectResponse(f"/crises/{crisis_id}?error={quote(str(exc))}", status_code=303)
        return RedirectResponse(f"/crises/{crisis_id}", status_code=303)

    @r.post("/crises/{crisis_id}/tasks/{task_id}")
    def tick(crisis_id: Id, task_id: Id, user: Worker, done: Annotated[bool, Form()]) -> Response:
        try:
            with Session(runtime.engine) as session, session.begin():
                set_task(session, crisis_id, task_id, done=done, actor=user.actor,
                         now=runtime.runner.clock.now(), ip=user.ip)
        except PlaybookError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return RedirectResponse(f"/crises/{crisis_id}#h-tasks", status_code=303)

    return r

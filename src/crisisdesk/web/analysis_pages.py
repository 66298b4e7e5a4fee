"""Settings → Analysis: the model in force, the corrections waiting, and the retrain button.

The button is ``crisisdesk retrain`` in one click: it starts the same :class:`RetrainJob` as
``POST /api/v1/analysis/retrain`` (``app.state.retrain``), and the page shows its step while it
runs and its before/after scores when it is done. Reading the page needs what the settings hub
needs (``manage_monitors``); the button and its POST need ``manage_analysis`` (admins), checked
on the server whatever the page showed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.retrain import AlreadyRunning, RetrainJob
from crisisdesk.configuration.service import latest
from crisisdesk.runtime import Runtime
from crisisdesk.training.retrain import RetrainOptions, prepare
from crisisdesk.web.formatting import format_number
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_lang

Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]
Starter = Annotated[Principal, Depends(require(Permission.MANAGE_ANALYSIS))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, user: Principal, *, error: str = "", status_code: int = 200) -> HTMLResponse:
        job: RetrainJob = request.app.state.retrain
        plan = prepare(runtime.engine, RetrainOptions())
        with runtime.engine.connect() as conn:
            stored = latest(conn)
        lang = request_lang(request, user)

        def points(delta: float) -> str:
            """A change of a score in percentage points, signed, in the reader's locale."""
            return ("+" if delta > 0 else "−" if delta < 0 else "±") + format_number(abs(delta) * 100, lang,
                                                                                     decimals=1)

        return render(request, "settings_analysis.html", user, nav="settings", section="analysis",
                      stored=stored, problems=[], saved=None, model=runtime.workspace.config.analysis.model,
                      counts=plan.counts(), needs=plan.needs, minimum=plan.options.min_heldback,
                      complaints=plan.complaint_corrections,
                      job=job.state(), points=points, error=error, status_code=status_code)

    @r.get("/settings/analysis", response_class=HTMLResponse)
    def analysis(request: Request, user: Reader) -> HTMLResponse:
        return page(request, user)

    @r.post("/settings/analysis/retrain")
    def start(request: Request, user: Starter, dry_run: Annotated[str, Form()] = "",
              force: Annotated[str, Form()] = "") -> Response:
        job: RetrainJob = request.app.state.retrain
        try:
            job.start(RetrainOptions(dry_run=dry_run == "yes", force=force == "yes"), actor=user.actor)
        except AlreadyRunning:
            return page(request, user, error=t("analysis.already_running", request_lang(request, user)),
                        status_code=409)
        return RedirectResponse("/settings/analysis", status_code=303)

    return r

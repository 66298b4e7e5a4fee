"""A situation: why it fired, what happened since, and the buttons to act on it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.audit.actions import acknowledge_audited, resolve_audited, set_severity_audited
from crisisdesk.bus.base import Message
from crisisdesk.core.fields import Id
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.manual import ManualError
from crisisdesk.detection.service import get_situation
from crisisdesk.pipeline.runner import Detector
from crisisdesk.runtime import Runtime
from crisisdesk.web import charts
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_formatter, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Acknowledger = Annotated[Principal, Depends(require(Permission.ACKNOWLEDGE))]
SeverityChanger = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Resolver = Annotated[Principal, Depends(require(Permission.RESOLVE))]


def _who(user: Principal) -> str:
    return user.user.name or user.user.email if user.user is not None else "service"


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def playbook() -> PlaybookConfig:
        """Read at each request: a saved configuration applies without a restart."""
        return runtime.workspace.config.playbook

    def now() -> datetime:
        return runtime.runner.clock.now()

    @r.get("/situations/{situation_id}", response_class=HTMLResponse)
    def situation_page(request: Request, situation_id: Id, user: Viewer, flash: str = "",
                       error: str = "") -> HTMLResponse:
        with runtime.engine.connect() as conn:
            found = get_situation(conn, situation_id)
        if found is None:
            raise HTTPException(404, f"no situation {situation_id}")
        fmt = request_formatter(request, user)
        lang = fmt.lang
        channels = found["explanation"].get("channels", {})
        chart = charts.bar_chart([(k, float(v.get("share", 0))) for k, v in channels.items()],
                                 title=t("situation.channels", lang), fmt=fmt, percent=True)
        return render(request, "situation.html", user, nav="situations", s=found, channels_chart=chart,
                      level_name=playbook().name(found["severity"], lang),
                      levels=[(lv, playbook().name(lv, lang)) for lv in (1, 2, 3, 4)],
                      flash=flash or error, flash_error=bool(error))

    @r.post("/situations/{situation_id}/ack")
    def ack(situation_id: Id, user: Acknowledger) -> Response:
        def run(conn: Connection, _detector: Detector | None) -> list[Message]:
            event = acknowledge_audited(conn, situation_id, by=_who(user), at=now(), actor=user.actor,
                                        ip=user.ip, via="web")
            if event is None:
                raise HTTPException(404, f"no situation {situation_id}")
            return [event]

        runtime.runner.with_detector(run)
        return RedirectResponse(f"/situations/{situation_id}", status_code=303)

    @r.post("/situations/{situation_id}/severity")
    def severity(request: Request, situation_id: Id, user: SeverityChanger,
                 severity: Annotated[int, Form()], reason: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        if not reason.strip():
            refused = _q(t("situation.reason_required", lang))
            return RedirectResponse(f"/situations/{situation_id}?error={refused}", status_code=303)
        try:
            runtime.runner.with_detector(lambda conn, detector: set_severity_audited(
                conn, detector, situation_id, severity=severity, reason=reason, by=_who(user), at=now(),
                actor=user.actor, ip=user.ip, playbook=playbook(), lang=lang, via="web"))
        except ManualError as exc:
            return RedirectResponse(f"/situations/{situation_id}?error={_q(str(exc))}", status_code=303)
        return RedirectResponse(f"/situations/{situation_id}", status_code=303)

    @r.post("/situations/{situation_id}/resolve")
    def resolve(request: Request, situation_id: Id, user: Resolver,
                reason: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        try:
            runtime.runner.with_detector(lambda conn, detector: resolve_audited(
                conn, detector, situation_id, reason=reason, by=_who(user), at=now(), actor=user.actor,
                ip=user.ip, playbook=playbook(), lang=lang, via="web"))
        except ManualError as exc:
            return RedirectResponse(f"/situations/{situation_id}?error={_q(str(exc))}", status_code=303)
        return RedirectResponse(f"/situations/{situation_id}", status_code=303)

    return r


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


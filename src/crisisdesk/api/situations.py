"""Situations over HTTP: list, detail (permission view), acknowledge (permission acknowledge),
change the severity (change_severity) and resolve (resolve), and the signed acknowledgement link
(no sign-in: the link's signature is the permission).

Every change goes through the same audited actions as the situation page
(:mod:`crisisdesk.audit.actions`), in turn with the pipeline, and its events are published after
the commit, so live pages, escalation and the demo's timeline see it wherever it was made.

The link in a notification opens a small page that asks for a click: a GET never acknowledges,
because mail scanners and chat link previews fetch every URL they see.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from crisisdesk.accounts.deps import client_ip, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.schemas import ErrorOut, ResolveIn, SeverityIn, SituationChanged, errors
from crisisdesk.audit.actions import acknowledge_audited, resolve_audited, set_severity_audited
from crisisdesk.audit.service import Actor
from crisisdesk.bus.base import Message
from crisisdesk.detection.manual import ManualConflict, ManualError, SituationNotFound
from crisisdesk.detection.service import get_situation, list_situations
from crisisdesk.escalation.links import check_token
from crisisdesk.pipeline.runner import Detector
from crisisdesk.runtime import Runtime
from crisisdesk.web.templating import request_lang
from crisisdesk.workspace import secret_key

_TEXT = {
    "en": {"title": "Acknowledge situation", "button": "Acknowledge", "name": "Your name",
           "done": "Acknowledged. The escalation has stopped.", "bad": "This link does not work",
           "already": "Already acknowledged by {by}."},
    "de": {"title": "Lage bestätigen", "button": "Bestätigen", "name": "Ihr Name",
           "done": "Bestätigt. Die Eskalation ist gestoppt.", "bad": "Dieser Link funktioniert nicht",
           "already": "Bereits bestätigt von {by}."},
}


class AckIn(BaseModel):
    by: str | None = Field(default=None, max_length=255,
                           description="Ignored: the acknowledgement is recorded as the signed-in user.")


def _lang(request: Request) -> str:
    accept = request.headers.get("accept-language", "")
    return "de" if accept.lower().startswith("de") else "en"


def _page(lang: str, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}'
        f"</title></head><body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        f"padding:0 1rem\"><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def situations_router(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    secret = secret_key(runtime.workspace, runtime.settings)

    def now() -> Any:
        return runtime.runner.clock.now()

    def acknowledged(situation_id: int, *, by: str, actor: Actor, ip: str | None,
                     via: str) -> dict[str, Any] | None:
        """Acknowledge in turn with the pipeline; the runner publishes the event after the commit
        (live pages, the demo's timeline), as for an acknowledgement on the web page."""
        def run(conn: Connection, _detector: Detector | None) -> list[Message]:
            event = acknowledge_audited(conn, situation_id, by=by, at=now(), actor=actor, ip=ip, via=via)
            return [] if event is None else [event]

        events = runtime.runner.with_detector(run)
        return events[0] if events else None

    @router.get("/api/v1/situations", dependencies=[Depends(require(Permission.VIEW))], summary="Situations",
                responses=errors())
    def list_(situation_status: Annotated[str | None, Query(alias="status", pattern="^(open|resolved)$")]
              = None) -> list[dict[str, Any]]:
        """Newest first, each with its severity, summary and acknowledgement."""
        with runtime.engine.connect() as conn:
            return list_situations(conn, status=situation_status)

    @router.get("/api/v1/situations/{situation_id}", dependencies=[Depends(require(Permission.VIEW))],
                responses=errors(e404="No situation with that id."),
                summary="One situation with its explanation, timeline, escalations and deliveries")
    def detail(situation_id: int) -> dict[str, Any]:
        with runtime.engine.connect() as conn:
            found = get_situation(conn, situation_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return found

    @router.post("/api/v1/situations/{situation_id}/ack", responses=errors(e404="No situation with that id."),
                 summary="Acknowledge a situation (stops its escalation)")
    def ack(request: Request, situation_id: int,
            who: Annotated[Principal, Depends(require(Permission.ACKNOWLEDGE))],
            body: AckIn | None = None) -> dict[str, Any]:
        event = acknowledged(situation_id, by=who.display_name, actor=who.actor, ip=client_ip(request),
                             via="api")
        if event is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return event

    def changed(situation_id: int,
                change: Callable[[Connection, Detector | None], list[Message]]) -> SituationChanged:
        """Run a person's change with the runner's detector; its own event (not the escalation steps
        it set off) is the answer. 404 unknown id, 409 the situation's state refuses, 422 bad input."""
        try:
            events = runtime.runner.with_detector(change)
        except SituationNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
        except ManualConflict as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        except ManualError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        own = next(e for e in events if e.get("manual") and e.get("situation") == situation_id)
        return SituationChanged.model_validate(own)

    change_errors = errors(e404="No situation with that id.",
                           e422="The body is not valid (severity 1 to 4; a reason that is not blank).")

    @router.post("/api/v1/situations/{situation_id}/severity", response_model=SituationChanged,
                 summary="Raise or lower an open situation's severity",
                 responses={**change_errors, 409: {"model": ErrorOut, "description": (
                     "The situation is resolved, or at that severity already.")}})
    def severity(request: Request, situation_id: int, body: SeverityIn,
                 who: Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]) -> SituationChanged:
        """As the button on the situation page: audited, a raised severity restarts the escalation,
        and detection will not lower it again on its own below what the person set."""
        lang, ip = request_lang(request, who), client_ip(request)
        return changed(situation_id, lambda conn, detector: set_severity_audited(
            conn, detector, situation_id, severity=body.severity, reason=body.reason, by=who.display_name,
            at=now(), actor=who.actor, ip=ip, playbook=runtime.workspace.config.playbook, lang=lang,
            via="api"))

    @router.post("/api/v1/situations/{situation_id}/resolve", response_model=SituationChanged,
                 summary="Resolve an open situation (stops its escalation)",
                 responses={**change_errors, 409: {"model": ErrorOut,
                                                   "description": "The situation is resolved already."}})
    def resolve(request: Request, situation_id: int,
                who: Annotated[Principal, Depends(require(Permission.RESOLVE))],
                body: ResolveIn | None = None) -> SituationChanged:
        """As the button on the situation page; the reason is optional."""
        lang, ip = request_lang(request, who), client_ip(request)
        reason = body.reason if body is not None else ""
        return changed(situation_id, lambda conn, detector: resolve_audited(
            conn, detector, situation_id, reason=reason, by=who.display_name, at=now(), actor=who.actor,
            ip=ip, playbook=runtime.workspace.config.playbook, lang=lang, via="api"))

    @router.get("/ack/{situation_id}", response_class=HTMLResponse, include_in_schema=False)
    def ack_page(request: Request, situation_id: int, t: str = "") -> HTMLResponse:
        lang = _lang(request)
        text = _TEXT[lang]
        problem = check_token(secret, situation_id, t, now())
        if problem is not None:
            return _page(lang, text["bad"], f"<p>{html.escape(problem)}</p>")
        with runtime.engine.connect() as conn:
            found = get_situation(conn, situation_id)
        if found is None:
            return _page(lang, text["bad"], "<p>?</p>")
        already = (f"<p>{html.escape(text['already'].format(by=found['acknowledged_by']))}</p>"
                   if found["acknowledged_at"] else "")
        return _page(lang, f"{text['title']}: {found['monitor']}", (
            f"<p><strong>{html.escape(str(found['severity']))}</strong> — "
            f"{html.escape(found['summary'])}</p>{already}"
            f'<form method="post"><input type="hidden" name="t" value="{html.escape(t)}">'
            f'<label>{text["name"]} <input name="by" autocomplete="name"></label> '
            f'<button type="submit">{text["button"]}</button></form>'))

    @router.post("/ack/{situation_id}", response_class=HTMLResponse, include_in_schema=False)
    def ack_link(request: Request, situation_id: int, t: Annotated[str, Form()] = "",
                 by: Annotated[str, Form()] = "") -> HTMLResponse:
        lang = _lang(request)
        text = _TEXT[lang]
        problem = check_token(secret, situation_id, t, now())
        if problem is not None:
            return HTMLResponse(_page(lang, text["bad"], f"<p>{html.escape(problem)}</p>").body,
                                status_code=status.HTTP_403_FORBIDDEN)
        name = (by.strip() or "link")[:255]
        event = acknowledged(situation_id, by=name, actor=Actor.link(name), ip=client_ip(request), via="link")
        if event is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return _page(lang, text["title"], f"<p>{text['done']}</p>")

    return router

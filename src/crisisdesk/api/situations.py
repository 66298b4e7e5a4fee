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
from crisisdesk.audit.actions import (
    acknowledge_audited,
    resolve_audited,
    set_severity_audited,
    use_link_audited,
)
from crisisdesk.audit.service import Actor
from crisisdesk.bus.base import Message
from crisisdesk.core.fields import Id
from crisisdesk.detection.manual import ManualConflict, ManualError, SituationNotFound
from crisisdesk.detection.service import get_situation, list_situations
from crisisdesk.escalation.actions import LinkOutcome, link_state
from crisisdesk.escalation.links import read_token
from crisisdesk.pipeline.runner import Detector
from crisisdesk.runtime import Runtime
from crisisdesk.web.formatting import Lang, format_datetime
from crisisdesk.web.templating import request_lang
from crisisdesk.workspace import secret_key

_TEXT = {
    "en": {"title": "Acknowledge situation", "button": "Acknowledge as {name}",
           "for": "This link was sent to {name}.",
           "done": "Acknowledged by {name}. The escalation has stopped.", "bad": "This link does not work",
           "used": "This link was already used by {by} on {at}. Nothing was changed.",
           "ended": "This link belongs to an escalation that has ended: {why}. It does not acknowledge a "
                    "later one; sign in to acknowledge the situation: {url}",
           "superseded": "a raised severity started a new escalation",
           "resolved": "the situation was resolved",
           "acknowledged": "it was acknowledged by {by} on {at}", "unknown": "no such escalation"},
    "de": {"title": "Lage bestätigen", "button": "Als {name} bestätigen",
           "for": "Dieser Link wurde an {name} gesendet.",
           "done": "Bestätigt von {name}. Die Eskalation ist gestoppt.",
           "bad": "Dieser Link funktioniert nicht",
           "used": "Dieser Link wurde bereits von {by} am {at} benutzt. Es wurde nichts geändert.",
           "ended": "Dieser Link gehört zu einer beendeten Eskalation: {why}. Eine spätere bestätigt er "
                    "nicht; melden Sie sich an, um die Lage zu bestätigen: {url}",
           "superseded": "eine höhere Stufe hat eine neue Eskalation begonnen",
           "resolved": "die Lage ist beendet",
           "acknowledged": "sie wurde von {by} am {at} bestätigt", "unknown": "keine solche Eskalation"},
}


def _refusal(lang: Lang, outcome: LinkOutcome, situation_url: str) -> str:
    """Why a link changes nothing now, in the reader's language (HTML, escaped)."""
    text = _TEXT[lang]
    at = f"{format_datetime(outcome.at, lang)} UTC" if outcome.at is not None else "?"
    by = outcome.by or "?"
    if outcome.result == "used":
        return html.escape(text["used"].format(by=by, at=at))
    if outcome.result == "unknown":
        return html.escape(text["unknown"])
    why = text.get(outcome.status or "", outcome.status or "?").format(by=by, at=at)
    return html.escape(text["ended"].format(why=why, url=situation_url))


class AckIn(BaseModel):
    by: str | None = Field(default=None, max_length=255,
                           description="Ignored: the acknowledgement is recorded as the signed-in user.")


def _lang(request: Request) -> Lang:
    accept = request.headers.get("accept-language", "")
    return "de" if accept.lower().startswith("de") else "en"


def _page(lang: str, title: str, body: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(status_code=status_code, content=
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}'
        f"</title></head><body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        f"padding:0 1rem\"><h1>{html.escape(title)}</h1>{body}</body></html>")


def situations_router(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    secret = secret_key(runtime.workspace, runtime.settings)

    def now() -> Any:
        return runtime.runner.clock.now()

    def situation_url(situation_id: int) -> str:
        return f"{runtime.workspace.config.escalation.base_url.rstrip('/')}/situations/{situation_id}"

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
    def detail(situation_id: Id) -> dict[str, Any]:
        with runtime.engine.connect() as conn:
            found = get_situation(conn, situation_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return found

    @router.post("/api/v1/situations/{situation_id}/ack", responses=errors(e404="No situation with that id."),
                 summary="Acknowledge a situation (stops its escalation)")
    def ack(request: Request, situation_id: Id,
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
    def severity(request: Request, situation_id: Id, body: SeverityIn,
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
    def resolve(request: Request, situation_id: Id,
                who: Annotated[Principal, Depends(require(Permission.RESOLVE))],
                body: ResolveIn | None = None) -> SituationChanged:
        """As the button on the situation page; the reason is optional."""
        lang, ip = request_lang(request, who), client_ip(request)
        reason = body.reason if body is not None else ""
        return changed(situation_id, lambda conn, detector: resolve_audited(
            conn, detector, situation_id, reason=reason, by=who.display_name, at=now(), actor=who.actor,
            ip=ip, playbook=runtime.workspace.config.playbook, lang=lang, via="api"))

    @router.get("/ack/{situation_id}", response_class=HTMLResponse, include_in_schema=False)
    def ack_page(request: Request, situation_id: Id, t: str = "") -> HTMLResponse:
        """Shows who the link is for and asks for the click; or why it would change nothing."""
        lang = _lang(request)
        text = _TEXT[lang]
        link = read_token(secret, situation_id, t, now())
        if isinstance(link, str):
            return _page(lang, text["bad"], f"<p>{html.escape(link)}</p>", status_code=403)
        with runtime.engine.connect() as conn:
            found = get_situation(conn, situation_id)
            refused = link_state(conn, link)
        if found is None:
            return _page(lang, text["bad"], "<p>?</p>", status_code=404)
        head = (f"<p><strong>{html.escape(str(found['severity']))}</strong> — "
                f"{html.escape(found['summary'])}</p>")
        title = f"{text['title']}: {found['monitor']}"
        if refused is not None:
            return _page(lang, title, f"{head}<p>{_refusal(lang, refused, situation_url(situation_id))}</p>")
        name = html.escape(link.recipient)
        return _page(lang, title, (
            f"{head}<p>{text['for'].format(name=name)}</p>"
            f'<form method="post"><input type="hidden" name="t" value="{html.escape(t)}">'
            f'<button type="submit">{text["button"].format(name=name)}</button></form>'))

    @router.post("/ack/{situation_id}", response_class=HTMLResponse, include_in_schema=False)
    def ack_link(request: Request, situation_id: Id, t: Annotated[str, Form()] = "") -> HTMLResponse:
        """Acknowledges as the link's recipient (a name in the form or query is not asked for and
        not used), once: 409 with who used it and when on a second click, or when the link's
        escalation is over (superseded by a later one, resolved, acknowledged)."""
        lang = _lang(request)
        text = _TEXT[lang]
        link = read_token(secret, situation_id, t, now())
        if isinstance(link, str):
            return _page(lang, text["bad"], f"<p>{html.escape(link)}</p>", status_code=403)
        verified = link
        outcomes: list[LinkOutcome] = []

        def run(conn: Connection, _detector: Detector | None) -> list[Message]:
            outcome = use_link_audited(conn, verified, at=now(), ip=client_ip(request))
            outcomes.append(outcome)
            return [outcome.event] if outcome.event is not None else []

        runtime.runner.with_detector(run)
        outcome = outcomes[0]
        if outcome.result == "acknowledged":
            return _page(lang, text["title"],
                         f"<p>{html.escape(text['done'].format(name=link.recipient))}</p>")
        code = status.HTTP_404_NOT_FOUND if outcome.result == "unknown" else status.HTTP_409_CONFLICT
        return _page(lang, text["title"], f"<p>{_refusal(lang, outcome, situation_url(situation_id))}</p>",
                     status_code=code)

    return router

"""Situations over HTTP: list, detail, acknowledge (token), and the signed acknowledgement link.

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

from crisisdesk.detection.service import get_situation, list_situations
from crisisdesk.escalation.actions import acknowledge
from crisisdesk.escalation.links import check_token
from crisisdesk.ingest.service import Runtime
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
    by: str = Field(default="api", min_length=1, max_length=255, description="Who acknowledges.")


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


def situations_router(runtime: Runtime, require_token: Callable[..., None]) -> APIRouter:
    router = APIRouter()
    secret = secret_key(runtime.workspace, runtime.settings)

    def now() -> Any:
        return runtime.runner.clock.now()

    @router.get("/api/v1/situations", dependencies=[Depends(require_token)], summary="Situations")
    def list_(situation_status: Annotated[str | None, Query(alias="status", pattern="^(open|resolved)$")]
              = None) -> list[dict[str, Any]]:
        """Newest first, each with its severity, summary and acknowledgement."""
        with runtime.engine.connect() as conn:
            return list_situations(conn, status=situation_status)

    @router.get("/api/v1/situations/{situation_id}", dependencies=[Depends(require_token)],
                summary="One situation with its explanation, timeline, escalations and deliveries")
    def detail(situation_id: int) -> dict[str, Any]:
        with runtime.engine.connect() as conn:
            found = get_situation(conn, situation_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return found

    @router.post("/api/v1/situations/{situation_id}/ack", dependencies=[Depends(require_token)],
                 summary="Acknowledge a situation (stops its escalation)")
    def ack(situation_id: int, body: AckIn | None = None) -> dict[str, Any]:
        with runtime.engine.begin() as conn:
            event = acknowledge(conn, situation_id, by=(body or AckIn()).by, at=now())
        if event is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return event

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
        with runtime.engine.begin() as conn:
            event = acknowledge(conn, situation_id, by=(by.strip() or "link")[:255], at=now())
        if event is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no situation {situation_id}")
        return _page(lang, text["title"], f"<p>{text['done']}</p>")

    return router

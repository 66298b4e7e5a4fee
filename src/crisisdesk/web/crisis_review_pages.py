"""The after-action review page of a crisis: the record's key moments and figures, the curves with
the situations marked, the channels and complaint types, the mood before, during and after, and
what the team said and did — in the reader's language; and its download as HTML or PDF (the JSON
is ``/api/v1/crises/{id}/review``; all come from :func:`crisisdesk.reports.review.build_review`)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crisisdesk import runtime_updates as ru
from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.fields import Id
from crisisdesk.crises.models import Crisis
from crisisdesk.reports import questionnaire
from crisisdesk.reports.actions import ReviewError, add_improvement, save_notes, set_improvement
from crisisdesk.reports.review import build_review
from crisisdesk.reports.schemas import ImprovementIn
from crisisdesk.runtime import Runtime
from crisisdesk.web import review_export
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.i18n import Lang, t
from crisisdesk.web.templating import render, request_formatter

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Worker = Annotated[Principal, Depends(require(Permission.ACKNOWLEDGE))]
Note = Annotated[str, Form(max_length=20_000)]
Answer = Annotated[str, Form(max_length=4000)]


def _lang(user: Principal) -> Lang:
    return "de" if user.user is not None and user.user.lang == "de" else "en"


def _said(exc: Exception) -> str:
    """A form's error in a sentence: the field and what is wrong with it."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def exported(runtime: Runtime, crisis_id: int, fmt: Formatter, kind: Literal["html", "pdf"]) -> Response:
    """The review as a download (shared by the page's links and the API)."""
    review = _review(runtime, crisis_id)
    now = runtime.runner.clock.now()
    if kind == "pdf":
        try:
            body = review_export.export_pdf(review, fmt, generated_at=now)
        except review_export.ExportUnavailable as exc:
            raise HTTPException(501, str(exc)) from None
        media = "application/pdf"
    else:
        body = review_export.export_html(review, fmt, generated_at=now).encode("utf-8")
        media = "text/html; charset=utf-8"
    name = review_export.filename(review, fmt.lang, kind)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _review(runtime: Runtime, crisis_id: int) -> dict[str, Any]:
    with Session(runtime.engine) as session:
        review = build_review(session, crisis_id, now=runtime.runner.clock.now())
    if review is None:
        raise HTTPException(404, f"no crisis {crisis_id}")
    return review


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/crises/{crisis_id}/review", response_class=HTMLResponse)
    def review_page(
        request: Request, user: Viewer, crisis_id: Id, error: str = "", saved: str = ""
    ) -> HTMLResponse:
        review = _review(runtime, crisis_id)
        fmt = request_formatter(request, user)
        return render(
            request,
            "crisis_review.html",
            user,
            nav="crises",
            editable=True,
            can_organise=user.can(Permission.CHANGE_SEVERITY),
            can_tick=user.can(Permission.ACKNOWLEDGE),
            flash=error or (t("review.saved", fmt.lang) if saved else ""),
            flash_error=bool(error),
            **review_export.context(review, fmt),
        )

    def back(crisis_id: int, anchor: str, error: str = "") -> Response:
        query = f"?error={quote(error)}" if error else "?saved=1"
        return RedirectResponse(f"/crises/{crisis_id}/review{query}#{anchor}", status_code=303)

    @r.post("/crises/{crisis_id}/review/notes")
    def notes(
        crisis_id: Id,
        user: Organiser,
        strengths: Note = "",
        weaknesses: Note = "",
        internal_views: Note = "",
        external_views: Note = "",
    ) -> Response:
        values = {
            "strengths": strengths,
            "weaknesses": weaknesses,
            "internal_views": internal_views,
            "external_views": external_views,
        }
        try:
            with Session(runtime.engine) as session, session.begin():
                save_notes(
                    session, crisis_id, values, actor=user.actor, now=runtime.runner.clock.now(), ip=user.ip
                )
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return back(crisis_id, "h-notes")

    @r.post("/crises/{crisis_id}/review/actions")
    def add(
        crisis_id: Id,
        user: Organiser,
        title: Annotated[str, Form(max_length=500)],
        owner: Annotated[str, Form(max_length=255)],
        due: Annotated[str, Form(max_length=10)],
        links_to: Annotated[str, Form(max_length=255)] = "",
    ) -> Response:
        zone = ZoneInfo(str(runtime.workspace.config.time_zone))
        try:  # the end of the day it is due, where the team works; the API's own checks
            day = date.fromisoformat(due)
            body = ImprovementIn(
                title=title.strip(),
                owner=owner.strip(),
                due_at=datetime.combine(day, time(23, 59), tzinfo=zone),
                links_to=links_to.strip() or None,
            )
        except (ValueError, ValidationError) as exc:
            return back(crisis_id, "h-improvements", _said(exc))
        try:
            with Session(runtime.engine) as session, session.begin():
                add_improvement(
                    session,
                    crisis_id,
                    title=body.title,
                    owner=body.owner,
                    due_at=body.due_at,
                    links_to=body.links_to,
                    actor=user.actor,
                    now=runtime.runner.clock.now(),
                    ip=user.ip,
                )
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return back(crisis_id, "h-improvements")

    @r.post("/crises/{crisis_id}/review/actions/{action_id}")
    def tick(crisis_id: Id, action_id: Id, user: Worker, done: Annotated[bool, Form()]) -> Response:
        try:
            with Session(runtime.engine) as session, session.begin():
                set_improvement(
                    session,
                    crisis_id,
                    action_id,
                    done=done,
                    actor=user.actor,
                    now=runtime.runner.clock.now(),
                    ip=user.ip,
                )
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return back(crisis_id, "h-improvements")

    @r.post("/crises/{crisis_id}/review/questionnaire/send")
    def ask(crisis_id: Id, user: Organiser) -> Response:
        try:
            asked = ru.ask_team(runtime, crisis_id, user.actor)
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return back(crisis_id, "h-questionnaire", "" if asked else t("review.q.nobody", _lang(user)))

    @r.get("/crises/{crisis_id}/review/questionnaire", response_class=HTMLResponse)
    def questionnaire_page(
        request: Request, user: Viewer, crisis_id: Id, error: str = "", saved: str = ""
    ) -> HTMLResponse:
        with Session(runtime.engine) as session:
            crisis = session.get(Crisis, crisis_id)
            if crisis is None:
                raise HTTPException(404, f"no crisis {crisis_id}")
            mine = questionnaire.mine(session, crisis_id, user.user.email) if user.user else None
        fmt = request_formatter(request, user)
        return render(
            request,
            "review_questionnaire.html",
            user,
            nav="crises",
            c={"id": crisis.id, "title": crisis.title},
            mine=mine,
            flash=error or (t("review.q.thanks", fmt.lang) if saved else ""),
            flash_error=bool(error),
        )

    @r.post("/crises/{crisis_id}/review/questionnaire")
    def answer(
        crisis_id: Id,
        user: Viewer,
        went_well: Answer = "",
        went_badly: Answer = "",
        change: Answer = "",
        prepared: Annotated[str, Form(max_length=1)] = "",
    ) -> Response:
        if user.user is None:
            raise HTTPException(403, "only a person answers the questionnaire")
        values = {
            "went_well": went_well,
            "went_badly": went_badly,
            "change": change,
            "prepared": int(prepared) if prepared.isdigit() else None,
        }
        try:
            with Session(runtime.engine) as session, session.begin():
                questionnaire.answer(
                    session,
                    crisis_id,
                    user.user.email,
                    values,
                    actor=user.actor,
                    now=runtime.runner.clock.now(),
                )
        except ReviewError as exc:
            if exc.status == 404:
                raise HTTPException(404, str(exc)) from None
            return RedirectResponse(
                f"/crises/{crisis_id}/review/questionnaire?error={quote(str(exc))}", status_code=303
            )
        return RedirectResponse(f"/crises/{crisis_id}/review/questionnaire?saved=1", status_code=303)

    @r.get("/crises/{crisis_id}/review/export")
    def review_download(
        request: Request, user: Viewer, crisis_id: Id, format: Literal["html", "pdf"] = "html"
    ) -> Response:
        return exported(runtime, crisis_id, request_formatter(request, user), format)

    return r

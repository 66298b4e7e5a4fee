"""The after-action review page of a crisis: the record's key moments and figures, the curves with
the situations marked, the channels and complaint types, the mood before, during and after, and
what the team said and did — in the reader's language; and its download as HTML or PDF (the JSON
is ``/api/v1/crises/{id}/review``; all come from :func:`crisisdesk.reports.review.build_review`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.fields import Id
from crisisdesk.reports.review import build_review
from crisisdesk.runtime import Runtime
from crisisdesk.web import review_export
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.templating import render, request_formatter

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


def exported(runtime: Runtime, crisis_id: int, fmt: Formatter, kind: Literal["html", "pdf"]) -> Response:
    """The review as a download (shared by the page's links and the API)."""
    review = _review(runtime, crisis_id)
    now = runtime.runner.clock.now()
    if kind == "pdf":
        try:
            body = review_export.export_pdf(review, fmt, generated_at=now)
        except review_export.ExportUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
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
    def review_page(request: Request, user: Viewer, crisis_id: Id) -> HTMLResponse:
        review = _review(runtime, crisis_id)
        fmt = request_formatter(request, user)
        return render(request, "crisis_review.html", user, nav="crises", **review_export.context(review, fmt))

    @r.get("/crises/{crisis_id}/review/export")
    def review_download(request: Request, user: Viewer, crisis_id: Id,
                        format: Literal["html", "pdf"] = "html") -> Response:
        return exported(runtime, crisis_id, request_formatter(request, user), format)

    return r

"""A crisis's after-action review over HTTP (permission view): the record and its figures as JSON,
the same numbers the review page shows (:func:`crisisdesk.reports.review.build_review`; the
definitions are in docs/reviews.md)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.api.schemas import errors
from crisisdesk.core.fields import Id
from crisisdesk.reports.review import build_review
from crisisdesk.runtime import Runtime
from crisisdesk.web.crisis_review_pages import exported
from crisisdesk.web.formatting import Formatter


def reviews_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["reviews"])

    @router.get("/api/v1/crises/{crisis_id}/review", dependencies=[Depends(require(Permission.VIEW))],
                responses=errors(e404="No crisis with that id."),
                summary="The crisis's after-action review: key moments, times, curves, channels, the team")
    def review(crisis_id: Id) -> dict[str, Any]:
        """Built from the record each time it is asked for; ``final`` is false while the crisis is
        open (the figures of what has not happened yet are null, never zero)."""
        with Session(runtime.engine) as session:
            found = build_review(session, crisis_id, now=runtime.runner.clock.now())
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no crisis {crisis_id}")
        return found

    @router.get("/api/v1/crises/{crisis_id}/review/export", dependencies=[Depends(require(Permission.VIEW))],
                responses={**errors(e404="No crisis with that id.", e503="PDF export is not installed on the "
                                    "server (WeasyPrint and Pango)."),
                           200: {"content": {"application/pdf": {}, "text/html": {}},
                                 "description": "The review as a file to download."}},
                response_class=Response,
                summary="The after-action review as a document: one HTML file or a PDF, German or English")
    def export(crisis_id: Id, format: Literal["html", "pdf"] = "pdf",
               lang: Literal["de", "en"] = "en") -> Response:
        """The same sections as the review page, with the charts; times in the workspace's zone."""
        fmt = Formatter(lang=lang, tz=str(runtime.workspace.config.time_zone))
        return exported(runtime, crisis_id, fmt, format)

    return router

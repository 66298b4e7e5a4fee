"""A crisis's after-action review over HTTP (permission view): the record and its figures as JSON,
the same numbers the review page shows (:func:`crisisdesk.reports.review.build_review`; the
definitions are in docs/reviews.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.api.schemas import errors
from crisisdesk.core.fields import Id
from crisisdesk.reports.review import build_review
from crisisdesk.runtime import Runtime


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

    return router

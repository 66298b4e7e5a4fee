"""Analytics of our own channels over HTTP (permission view): the figures as JSON and as CSV, the
same numbers the analytics page shows (:func:`crisisdesk.reports.analytics.build`; the definitions
are in docs/analytics.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.api.schemas import errors
from crisisdesk.reports.analytics import Period, PeriodError, build, choose_period
from crisisdesk.reports.analytics_csv import to_csv
from crisisdesk.runtime import Runtime

#: Without ``from``, the period is this many days up to ``to`` (default today).
DEFAULT_DAYS = 30

From = Annotated[date | None, Query(alias="from", description="First day (UTC), included. Default: "
                                    f"{DEFAULT_DAYS} days before `to`.")]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC), included. Default: today.")]
_ERRORS = errors(e400="`to` is before `from`, the period is longer than two years, or a day is outside "
                        "2000-01-01 to 2100-12-31.",
                 e422="A date is not a date (YYYY-MM-DD).")


def analytics_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["analytics"])

    def period(start: date | None, end: date | None) -> Period:
        try:
            return choose_period(start, end, days=DEFAULT_DAYS, today=runtime.runner.clock.now().date())
        except PeriodError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None

    @router.get(
        "/api/v1/analytics",
        dependencies=[Depends(require(Permission.VIEW))],
        responses=_ERRORS,
        summary="Analytics of our own channels for a period, with the previous period of the same length",
    )
    def analytics(start: From = None, end: To = None) -> dict[str, Any]:
        """Per channel: our posts, engagements (``engagements_source``: ``platform`` where the
        platform's insights count them, else ``posts``, the sum of our posts' counts), views, reach
        and impressions (null where the platform reports none: never followers instead),
        followers and their growth, the engagement rate and its basis (``reach`` or
        ``followers``), response rate and median first-response time; share of voice per
        monitor; our top posts."""
        chosen = period(start, end)
        with Session(runtime.engine) as session:
            return build(session, chosen)

    @router.get(
        "/api/v1/analytics.csv",
        dependencies=[Depends(require(Permission.VIEW))],
        responses={**_ERRORS, 200: {"content": {"text/csv": {}}, "description": "One row per figure."}},
        response_class=Response,
        summary="The same analytics as CSV: one row per channel or monitor and figure",
    )
    def analytics_csv(start: From = None, end: To = None) -> Response:
        chosen = period(start, end)
        with Session(runtime.engine) as session:
            body = to_csv(build(session, chosen))
        name = f"analytics-{chosen.start}-{chosen.end}.csv"
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return router

"""``/analytics`` and ``/analytics.csv``: our channels' figures over 7, 30 or 90 days or a chosen
period, next to the period before, with the definitions on the page. The numbers are
:func:`crisisdesk.reports.analytics.build`'s, exactly what ``GET /api/v1/analytics`` answers; this
module only says them in the reader's language. Reading needs ``view``, as the API.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.reports.analytics import FIGURES, Period, PeriodError, build, choose_period
from crisisdesk.reports.analytics_csv import to_csv
from crisisdesk.runtime import Runtime
from crisisdesk.web import charts
from crisisdesk.web.formatting import Formatter, format_number, format_percent
from crisisdesk.web.i18n import Lang, t
from crisisdesk.web.templating import render, request_formatter, request_lang

#: A period's length in days: 7, 30 or 90 on the picker; anything past two years is refused (422).
Days = Annotated[int, Query(ge=1, le=731)]
Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
DAYS = (7, 30, 90)
_RATES = {"engagement_rate", "response_rate"}
#: Figures a platform may not report at all: "not reported" rather than "not computable".
_REPORTED = {"saves", "views", "reach", "impressions", "followers", "follower_growth"}


def _show(figure: str, value: Any, fmt: Formatter, lang: Lang) -> str:
    if value is None:
        return t("an.not_reported" if figure in _REPORTED else "an.not_computable", lang)
    if figure in _RATES:  # engagement rates are small: two decimals
        return format_percent(value, lang, decimals=2 if figure == "engagement_rate" else 0)
    if figure == "median_response_seconds":
        return fmt.timedelta(timedelta(seconds=value))
    return fmt.number(value)


def _change(figure: str, delta: float | None, fmt: Formatter, lang: Lang) -> str:
    if delta is None:
        return "–"
    if figure in _RATES:
        points = format_number(delta * 100, lang, decimals=2)
        return ("+" if delta > 0 else "") + t("an.points", lang, n=points)
    if figure == "median_response_seconds":
        return ("+" if delta > 0 else "−" if delta < 0 else "") + fmt.timedelta(timedelta(seconds=abs(delta)))
    return ("+" if delta > 0 else "") + fmt.number(delta)


def _table(row: dict[str, Any], fmt: Formatter, lang: Lang) -> list[dict[str, Any]]:
    out = []
    for figure in FIGURES:
        shown = _show(figure, row[figure], fmt, lang)
        if figure == "engagement_rate" and row["engagement_rate_basis"]:
            shown += " " + t(f"an.basis.{row['engagement_rate_basis']}", lang)
        if figure == "engagements" and row["engagements_source"] == "platform":
            shown += " " + t("an.source.platform", lang)
        out.append({"figure": figure, "value": row[figure], "shown": shown,
                    "before": _show(figure, row["previous"][figure], fmt, lang),
                    "change": _change(figure, row["change"][figure]["delta"], fmt, lang)})
    return out


def _parse(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def chosen(days: int, start: str | None, end: str | None) -> Period:
        today = runtime.runner.clock.now().date()
        try:
            return choose_period(_parse(start), _parse(end), days=days if days in DAYS else 30, today=today)
        except ValueError as exc:  # PeriodError, or a date that is none
            raise PeriodError(str(exc)) from None

    @r.get("/analytics", response_class=HTMLResponse)
    def analytics(request: Request, user: Viewer, days: Days = 30) -> HTMLResponse:
        """``days`` (7, 30, 90) or ``from`` and ``to`` (YYYY-MM-DD, UTC days)."""
        lang = request_lang(request, user)
        fmt = request_formatter(request, user)
        start = request.query_params.get("from") or None
        end = request.query_params.get("to") or None
        problems = []
        try:
            period = chosen(days, start, end)
        except PeriodError as exc:
            problems.append(t("an.bad_period", lang, why=str(exc)))
            start = end = None
            period = chosen(30, None, None)
        with Session(runtime.engine) as session:
            report = build(session, period)
        voice = [(v["monitor"], v["share"] or 0.0) for v in report["share_of_voice"]]
        query = f"from={period.start}&to={period.end}"
        return render(
            request, "analytics.html", user, nav="analytics", status_code=400 if problems else 200,
            problems=problems, report=report, days=days if not (start or end) else None, choices=DAYS,
            start=period.start.isoformat(), end=period.end.isoformat(), csv_href=f"/analytics.csv?{query}",
            channels=[(row, _table(row, fmt, lang)) for row in report["channels"]],
            voice_chart=charts.bar_chart(voice, title=t("an.voice", lang), fmt=fmt, percent=True)
            if any(share for _m, share in voice) else None,
        )

    @r.get("/analytics.csv")
    def analytics_csv(request: Request, user: Viewer, days: Days = 30) -> Response:
        try:
            period = chosen(days, request.query_params.get("from"), request.query_params.get("to"))
        except PeriodError as exc:
            return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
        with Session(runtime.engine) as session:
            body = to_csv(build(session, period))
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="analytics-{period.start}-{period.end}.csv"'})

    return r

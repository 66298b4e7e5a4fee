"""``/inbox/performance``: how the team is doing over today, 7 or 30 days (first response and
resolution times, replies per person and per channel, SLA breaches) and the open workload per
person now. The numbers are :func:`crisisdesk.inbox.performance.report`'s, over the bounds of
:func:`~crisisdesk.inbox.performance.window`, exactly what ``GET /api/v1/inbox/performance?period=``
answers; this module only says them in the reader's language. Reading needs ``view``, as the API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.accounts.service import list_users
from crisisdesk.inbox import performance as perf
from crisisdesk.runtime import Runtime
from crisisdesk.web import charts
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_formatter, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


def _duration(seconds: float | None, fmt: Formatter) -> str:
    return "–" if seconds is None else fmt.timedelta(timedelta(seconds=seconds))


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/inbox/performance", response_class=HTMLResponse)
    def performance(request: Request, user: Viewer, period: str = perf.Period.DAYS_7.value) -> HTMLResponse:
        lang = request_lang(request, user)
        fmt = request_formatter(request, user)
        problems = []
        if period not in {p.value for p in perf.Period}:
            problems.append(t("perf.bad_period", lang, value=period))
            period = perf.Period.DAYS_7.value
        since, until = perf.window(
            perf.Period(period), now=runtime.runner.clock.now(), zone=runtime.workspace.config.time_zone
        )
        with Session(runtime.engine) as session:
            report = perf.report(session, since=since, until=until)
            names = {u.email.lower(): u.name or u.email for u in list_users(session)}
        people = [
            (names.get(str(row["by"]).lower(), str(row["by"])), int(row["count"]))
            for row in report["replies_by_person"]
        ]
        channels = [(str(row["channel"]), int(row["count"])) for row in report["replies_by_channel"]]
        workload = [(str(row["name"] or row["email"]), int(row["open"])) for row in report["workload"]]
        times = [(key, report[f"{key}_seconds"]) for key in ("first_response", "resolution")]
        return render(
            request,
            "inbox_performance.html",
            user,
            nav="inbox",
            status_code=400 if problems else 200,
            problems=problems,
            period=period,
            periods=[p.value for p in perf.Period],
            report=report,
            times=[
                (key, spread, _duration(spread["median"], fmt), _duration(spread["p90"], fmt))
                for key, spread in times
            ],
            people=people,
            channels=channels,
            workload=workload,
            people_chart=(charts.bar_chart(people, title=t("perf.replies_person", lang), fmt=fmt)),
            channels_chart=(charts.bar_chart(channels, title=t("perf.replies_channel", lang), fmt=fmt)),
            workload_chart=(charts.bar_chart(workload, title=t("perf.workload", lang), fmt=fmt)),
        )

    return r

"""The after-action review page of a crisis: the record's key moments and figures, the curves with
the situations marked, the channels and complaint types, the mood before, during and after, and
what the team said and did — in the reader's language, printable (the JSON is
``/api/v1/crises/{id}/review``; both come from :func:`crisisdesk.reports.review.build_review`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.fields import Id
from crisisdesk.reports.review import build_review
from crisisdesk.runtime import Runtime
from crisisdesk.web import charts
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_formatter

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]

#: The figures, in the order the page lists them.
FIGURES = (
    "time_to_detect",
    "time_to_alert",
    "time_to_acknowledge",
    "time_to_first_public_response",
    "time_to_holding_statement",
    "time_to_resolution",
)


@dataclass(frozen=True)
class Point:
    start: datetime
    volume: float
    negative_share: float


@dataclass(frozen=True)
class Band:
    opened_at: datetime
    resolved_at: datetime | None
    severity: int


@dataclass(frozen=True)
class Stack:
    start: datetime
    values: dict[str, float]


def _duration(fmt: Formatter, seconds: float | None) -> str:
    return "–" if seconds is None else fmt.timedelta(timedelta(seconds=seconds))


def _share(fmt: Formatter, value: float | None) -> str:
    return "–" if value is None else fmt.percent(value)


def figures_said(review: dict[str, Any], fmt: Formatter) -> list[dict[str, str]]:
    """Each figure with its name, value and definition in the reader's language."""
    return [
        {
            "key": k,
            "name": t(f"review.fig.{k}", fmt.lang),
            "value": _duration(fmt, review["figures"][k]),
            "means": t(f"review.def.{k}", fmt.lang),
        }
        for k in FIGURES
    ]


def review_charts(review: dict[str, Any], fmt: Formatter) -> dict[str, str]:
    ui = fmt.lang
    step = timedelta(seconds=review["step_seconds"])
    start = datetime.fromisoformat(review["window"]["start"])
    end = datetime.fromisoformat(review["window"]["end"]) + step
    points = [
        Point(
            datetime.fromisoformat(p["at"]), p["volume"], p["negative"] / p["volume"] if p["volume"] else 0.0
        )
        for p in review["curve"]
    ]
    bands = [
        Band(
            datetime.fromisoformat(s["opened_at"]),
            datetime.fromisoformat(s["resolved_at"]) if s["resolved_at"] else None,
            s["severity"],
        )
        for s in review["situations"]
    ]
    volume = charts.volume_chart(
        points,
        start=start,
        end=end,
        step=step,
        title=t("review.volume", ui),
        fmt=fmt,
        volume_label=t("monitor.posts", ui),
        share_label=t("overview.negative", ui),
        markers=bands,
        marker_label=lambda b: f"{b.severity}",
    )
    audience = charts.volume_chart(
        [Point(datetime.fromisoformat(p["at"]), p["audience"], 0.0) for p in review["curve"]],
        start=start,
        end=end,
        step=step,
        title=t("review.audience_curve", ui),
        fmt=fmt,
        volume_label=t("review.audience", ui),
        share_label="",
    )
    kinds = [k["type"] for k in review["complaint_types"][:6]]
    stacks = [
        Stack(datetime.fromisoformat(p["at"]), {k: float(p["complaint_types"].get(k, 0)) for k in kinds})
        for p in review["curve"]
    ]
    complaints = (
        charts.small_multiples(stacks, kinds, start=start, end=end, title=t("review.complaints", ui), fmt=fmt)
        if kinds
        else ""
    )
    channels = (
        charts.bar_chart(
            [(c["platform"], float(c["posts"])) for c in review["channels"]],
            title=t("situation.channels", ui),
            fmt=fmt,
        )
        if review["channels"]
        else ""
    )
    return {"volume": volume, "audience": audience, "complaints": complaints, "channels": channels}


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/crises/{crisis_id}/review", response_class=HTMLResponse)
    def review_page(request: Request, user: Viewer, crisis_id: Id) -> HTMLResponse:
        with Session(runtime.engine) as session:
            review = build_review(session, crisis_id, now=runtime.runner.clock.now())
        if review is None:
            raise HTTPException(404, f"no crisis {crisis_id}")
        fmt = request_formatter(request, user)
        sentiment = review["sentiment"]
        mood = {
            part: _share(fmt, (sentiment[part] or {}).get("negative_share"))
            for part in ("before", "during", "after")
        }
        responses = [
            {
                **row,
                "median": _duration(fmt, row["response_seconds"]["median"]),
                "p90": _duration(fmt, row["response_seconds"]["p90"]),
                "rate": _share(fmt, row["response_rate"]),
            }
            for row in review["responses"]
        ]
        return render(
            request,
            "crisis_review.html",
            user,
            nav="crises",
            r=review,
            c=review["crisis"],
            figures=figures_said(review, fmt),
            charts=review_charts(review, fmt),
            mood=mood,
            responses=responses,
            negative_share=_share(fmt, review["posts"]["negative_share"]),
        )

    return r

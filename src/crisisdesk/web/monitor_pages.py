"""A monitor: its charts over a chosen range and the live, filterable list of its posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, ComplaintType
from crisisdesk.audit.service import AuditAction, record
from crisisdesk.core.fields import Id
from crisisdesk.dashboards.post_list import CursorError, post_list
from crisisdesk.dashboards.service import monitor_page
from crisisdesk.runtime import Runtime
from crisisdesk.training.corrections import Correction, CorrectionError, correct
from crisisdesk.web import charts
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_formatter

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Labeller = Annotated[Principal, Depends(require(Permission.LABEL_POSTS))]
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def parse_range(range_: str, start: str | None, end: str | None, now: datetime, *,
                tz: str = "UTC") -> tuple[datetime, datetime]:
    """``24h``/``7d``/``30d`` back from now, or ``custom`` with ISO dates (end exclusive). A date
    is a day in the user's zone ``tz`` (from its midnight there), as the page shows times."""
    zone = ZoneInfo(tz)

    def day_start(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)

    if range_ == "custom" and start:
        try:
            s = day_start(start) if "T" not in start else datetime.fromisoformat(start).astimezone(UTC)
            e = day_start(end) + timedelta(days=1) if end else now
        except ValueError as exc:
            raise HTTPException(422, f"start/end: {exc}") from exc
        if e <= s:
            raise HTTPException(422, "end must be after start")
        return s, min(e, now)
    return now - RANGES.get(range_, RANGES["24h"]), now


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def complaint_taxonomy() -> list[ComplaintType]:
        """Read at each request: a saved configuration applies without a restart."""
        return runtime.workspace.config.analysis.complaint_types or list(DEFAULT_TAXONOMY)

    @r.get("/monitors/{monitor_id}", response_class=HTMLResponse)
    def monitor(request: Request, monitor_id: Id, user: Viewer,
                range_: Annotated[str, Query(alias="range")] = "24h", start: str | None = None,
                end: str | None = None, q: str | None = None, lang: str | None = None,
                sentiment: str | None = None, insult: str | None = None, complaint: str | None = None,
                channel: str | None = None, cursor: str | None = None) -> HTMLResponse:
        now = runtime.runner.clock.now()
        taxonomy = complaint_taxonomy()
        fmt = request_formatter(request, user)
        ui = fmt.lang
        s, e = parse_range(range_, start, end, now, tz=fmt.tz)
        filters = {"q": q or None, "lang": lang or None, "sentiment": sentiment or None,
                   "insult": {"yes": True, "no": False}.get(insult or ""), "complaint": complaint or None,
                   "channel": channel or None}
        try:
            with runtime.engine.connect() as conn:
                posts = post_list(conn, monitor_id=monitor_id, start=s, end=e, cursor=cursor or None,
                                  **filters)  # type: ignore[arg-type]
                if request.headers.get("x-partial") == "1":
                    return render(request, "posts_live.html", user, posts=posts, taxonomy=taxonomy,
                                  complaint_label=_complaint_labels(taxonomy, ui),
                                  monitor_id=monitor_id, more_url=_more_url(request))
                page = monitor_page(conn, monitor_id=monitor_id, start=s, end=e, now=now)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        except CursorError as exc:
            raise HTTPException(422, str(exc)) from exc
        step = timedelta(seconds=page.series.step_seconds)
        label = _complaint_labels(taxonomy, ui)
        volume = charts.volume_chart(
            page.series.points, start=page.series.start, end=page.series.end, step=step,
            title=t("monitor.volume", ui), fmt=fmt, volume_label=t("monitor.posts", ui),
            share_label=t("overview.negative", ui), markers=page.situations,
            marker_label=lambda m: f"{m.severity} · {t('cause.' + m.cause, ui)}")
        sov = charts.bar_chart([(i.key, i.share) for i in page.share_of_voice], percent=True,
                               title=t("monitor.share_of_voice", ui), fmt=fmt, highlight=page.name)
        over_time = page.complaints_over_time
        complaints = charts.small_multiples(over_time.points, over_time.keys, start=s, end=e,
                                            title=t("monitor.complaints", ui), fmt=fmt, labels=label)
        channels = charts.bar_chart([(i.key, i.share) for i in page.channels],
                                    title=t("situation.channels", ui), fmt=fmt, percent=True)
        authors = charts.bar_chart(
            [(f"@{a.handle or a.name or '?'}", float(a.followers)) for a in page.top_authors],
            title=t("monitor.top_authors", ui), fmt=fmt)
        query = request.url.query
        return render(request, "monitor.html", user, nav="overview", page=page, posts=posts, charts={
            "volume": volume, "sov": sov, "complaints": complaints, "channels": channels, "authors": authors},
            range=range_, start=start or "", end=end or "", filters=filters, insult=insult or "",
            taxonomy=taxonomy, complaint_label=label, monitor_id=monitor_id, more_url=_more_url(request),
            live_url=f"/monitors/{monitor_id}" + (f"?{query}" if query else ""))

    @r.post("/posts/{platform}/{external_id}/labels")
    def label(request: Request, platform: str, external_id: str, user: Labeller,
              sentiment: Annotated[str, Form()] = "", insult: Annotated[str, Form()] = "",
              complaint_types: Annotated[list[str] | None, Form()] = None,
              complaints_given: Annotated[str, Form()] = "",
              back: Annotated[str, Form()] = "/") -> Response:
        """A person corrects a post's analysis; kept for retraining (crisisdesk train)."""
        now = runtime.runner.clock.now()
        # Checkboxes send nothing when none is ticked: ``complaints_given`` says the form had them.
        types = tuple(complaint_types or ()) if (complaints_given or complaint_types) else None
        fix = Correction(sentiment or None, insult or None, types)
        try:
            current = correct(runtime.engine, platform=platform, external_id=external_id, correction=fix,
                              complaint_names=[x.name for x in complaint_taxonomy()],
                              source=f"web:{user.actor.label}",
                              now=now)
        except CorrectionError as exc:
            code = 404 if str(exc).startswith("no post") else 422
            raise HTTPException(code, str(exc)) from exc
        with runtime.engine.begin() as conn:
            record(conn, actor=user.actor, action=AuditAction.POST_LABELLED, at=now, target_type="post",
                   target_id=f"{platform}:{external_id}", after=current, ip=user.ip)
        target = back if back.startswith("/") and not back.startswith("//") else "/"
        return RedirectResponse(target, status_code=303)

    return r


def _complaint_labels(taxonomy: list[ComplaintType], lang: str) -> dict[str, str]:
    """Complaint-type keys (``delay``) as the reader's language names them (Verspätung)."""
    return {x.name: (x.label_de if lang == "de" else x.label_en) for x in taxonomy}


def _more_url(request: Request) -> str:
    """This page's query without its cursor, ready for ``cursor=…`` (filters stay as they are)."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    return "?" + (urlencode(kept) + "&" if kept else "")

"""The overview and the monitors over HTTP: the same numbers as the overview page and the monitor
page's charts, from the same service (:mod:`crisisdesk.dashboards.service`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.engine import Connection

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.api.params import RangeName, bad_param, chart_span
from crisisdesk.api.schemas import MonitorDetail, MonitorRead, MonitorSeries, errors
from crisisdesk.core.fields import IsoDateTime
from crisisdesk.dashboards.schemas import Overview
from crisisdesk.dashboards.service import monitor_page, monitor_series, overview
from crisisdesk.runtime import Runtime
from crisisdesk.sources.models import Monitor

#: Most points a series may have when the step is chosen by hand.
MAX_SERIES_POINTS = 5000
#: The longest step: a year.
MAX_STEP = 366 * 86400

RangeParam = Annotated[RangeName, Query(alias="range", description=(
    "The last 24 hours, 7 or 30 days back from now, as the page's buttons; ignored with `since`."))]
SinceParam = Annotated[IsoDateTime | None, Query(description=(
    "Start of a range of your own (ISO 8601; UTC when no offset is given); `until` defaults to now."))]
UntilParam = Annotated[IsoDateTime | None, Query(description="End of the range (exclusive).")]


def monitors_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["dashboards"],
                       dependencies=[Depends(require(Permission.VIEW))])

    def now() -> datetime:
        return runtime.runner.clock.now()

    def described(row: Any) -> MonitorRead:
        config = {m.name: m for m in runtime.workspace.config.monitors}.get(row.name)
        return MonitorRead(id=row.id, name=row.name, query=row.query, active=row.active,
                           description=config.description if config is not None else None)

    def find(conn: Connection, name: str) -> MonitorRead:
        row = conn.execute(select(Monitor.id, Monitor.name, Monitor.query, Monitor.active)
                           .where(Monitor.name == name)).first()
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no monitor {name!r}")
        return described(row)

    @router.get("/overview", response_model=Overview, responses=errors(),
                summary="Every active monitor's live numbers and open situations, the last hour's changes")
    def get_overview() -> Overview:
        """What the overview page shows: per monitor the last hour, the hour before, the last 24
        hours and a 24-hour sparkline, its open situations (most severe first); the situation
        changes of the last hour; the monitors that moved most."""
        with runtime.engine.connect() as conn:
            return overview(conn, now=now())

    @router.get("/monitors", response_model=list[MonitorRead], responses=errors(),
                summary="The monitors, active and removed ones")
    def list_monitors() -> list[MonitorRead]:
        # The holders of crisisdesk's own alerts (``channel:<key>``, ``inbox:sla``) are not monitors
        # anybody configured: a configured monitor's name cannot contain ":".
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(Monitor.id, Monitor.name, Monitor.query, Monitor.active)
                                .where(~Monitor.name.contains(":", autoescape=True))
                                .order_by(Monitor.name)).all()
        return [described(r) for r in rows]

    @router.get("/monitors/{name}", response_model=MonitorDetail,
                responses=errors(e404="No monitor of that name.",
                                 e422="`range`, `since` or `until` is not valid."),
                summary="A monitor with everything its page shows for a range")
    def get_monitor(name: str, range_: RangeParam = "24h", since: SinceParam = None,
                    until: UntilParam = None) -> MonitorDetail:
        """Totals, the volume series with its situations, share of voice, complaint types (in total
        and over time), channels, languages, surging terms and hashtags, top authors."""
        at = now()
        start, end = chart_span(range_, since, until, at)
        with runtime.engine.connect() as conn:
            monitor = find(conn, name)
            page = monitor_page(conn, monitor_id=monitor.id, start=start, end=end, now=at)
        return MonitorDetail(**monitor.model_dump(), dashboard=page)

    @router.get("/monitors/{name}/series", response_model=MonitorSeries,
                responses=errors(e404="No monitor of that name.",
                                 e422="`range`, `since`, `until` or `step` is not valid."),
                summary="A monitor's volume series (the page's chart)")
    def get_series(name: str, range_: RangeParam = "24h", since: SinceParam = None, until: UntilParam = None,
                   step: Annotated[int | None, Query(ge=60, le=MAX_STEP, description=(
                       "Seconds per point, a multiple of 60; default: what the page chooses for the "
                       "range (24 h: 5 minutes, 7 days: hours, 30 days: hours…)."))] = None) -> MonitorSeries:
        """Points from the rollups, one per step (empty steps included, the last one may still be
        filling), with the situations that overlap the range; the numbers the page draws."""
        at = now()
        start, end = chart_span(range_, since, until, at)
        if step is not None:
            if step % 60:
                raise bad_param("step", "must be a multiple of 60 seconds", step)
            if (min(end, at) - start).total_seconds() / step > MAX_SERIES_POINTS:
                raise bad_param("step", f"gives more than {MAX_SERIES_POINTS} points for the range", step)
        with runtime.engine.connect() as conn:
            monitor = find(conn, name)
            series, markers = monitor_series(conn, monitor_id=monitor.id, start=start, end=end, now=at,
                                             step=step)
        return MonitorSeries(**series.model_dump(), monitor_id=monitor.id, monitor=monitor.name,
                             situations=markers)

    return router

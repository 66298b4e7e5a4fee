"""Settings → Processes: the distributed mode at a glance (the front ends and workers alive, who
holds the pipeline lease, each queue's backlog) and its dead letters, which ``manage_channels``
may put back on their topic. In the embedded mode the page says there is one process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import redis
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.audit.service import AuditAction, record
from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE_CHANNELS))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    buses: list[RedisBus] = []

    def bus() -> RedisBus | None:
        if not runtime.settings.bus_url:
            return None
        if not buses:
            from crisisdesk.cluster.worker import bus_of

            buses.append(bus_of(runtime.settings))
        return buses[0]

    @r.get("/settings/processes", response_class=HTMLResponse)
    def processes(request: Request, user: Viewer, flash: str = "", error: str = "") -> HTMLResponse:
        from crisisdesk.cluster.prepared import PIPELINE_GROUPS
        from crisisdesk.cluster.status import cluster_status

        b = bus()
        state: dict[str, Any] | None = None
        unreachable = ""
        letters: list[Any] = []
        if b is not None:
            try:
                state = cluster_status(b, runtime.engine)
                letters = [d for topic in sorted({t for t, _ in PIPELINE_GROUPS})
                           for d in b.dead_letters(topic, limit=50)]
            except redis.RedisError as exc:
                unreachable = str(exc)
        for p in (state or {}).get("processes", []):
            p["since"] = datetime.fromtimestamp(float(p.get("started", 0)), UTC)
        lease = (state or {}).get("lease")
        if lease is not None:
            lease["until"] = datetime.fromisoformat(lease["expires_at"])
        return render(request, "settings_processes.html", user, nav="settings", section="processes",
                      stored=None, problems=[], saved=None, distributed=b is not None, state=state,
                      unreachable=unreachable, letters=letters, lease=lease,
                      max_deliveries=runtime.settings.bus_max_deliveries,
                      can_replay=user.can(Permission.MANAGE_CHANNELS), flash=flash or error,
                      flash_error=bool(error))

    @r.post("/settings/processes/replay")
    def replay(request: Request, user: Manager, topic: Annotated[str, Form(max_length=64)]) -> Response:
        from crisisdesk.cluster.prepared import PIPELINE_GROUPS

        lang = request_lang(request, user)
        b = bus()
        if b is None or topic not in {t for t, _ in PIPELINE_GROUPS}:
            return render(request, "error.html", user, message=t("error.not_found", lang), status_code=404)
        try:
            n = b.replay_dead(topic)
        except redis.RedisError:
            said = quote(t("cluster.replay_unavailable", lang))
            return RedirectResponse(f"/settings/processes?error={said}", status_code=303)
        with runtime.engine.begin() as conn:
            record(conn, actor=user.actor, action=AuditAction.BUS_REPLAYED, at=runtime.runner.clock.now(),
                   target_type="topic", target_id=topic, after={"topic": topic, "replayed": n}, ip=user.ip)
        said = quote(t("cluster.replayed", lang, n=n, topic=topic))
        return RedirectResponse(f"/settings/processes?flash={said}", status_code=303)

    return r

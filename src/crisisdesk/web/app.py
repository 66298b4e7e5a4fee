"""Mounting the web pages on the HTTP app: routers, static files, HTML error pages.

The pages call the same services as the JSON API (``dashboards``, ``detection.service``, ``inbox``,
``detection.manual``, ``escalation.actions``, ``accounts``, ``audit``): there is no second code
path. A request without a session is sent to the sign-in page; one without the permission gets
a 403 page (API paths keep their JSON errors).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from crisisdesk.accounts.deps import NotAuthenticated, PermissionDenied
from crisisdesk.runtime import Runtime
from crisisdesk.web import (
    admin_pages,
    analysis_pages,
    analytics_pages,
    approval_pages,
    auth_pages,
    channel_pages,
    cluster_pages,
    contact_pages,
    crisis_mode_pages,
    crisis_pages,
    crisis_review_pages,
    inbox_forms,
    inbox_pages,
    inbox_performance_pages,
    inbox_rule_pages,
    live,
    monitor_pages,
    overview_pages,
    plan_pages,
    preferences_pages,
    review_pages,
    settings_item_pages,
    settings_pages,
    situation_pages,
    status_pages,
    update_pages,
)
from crisisdesk.web.templating import STATIC, render


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/healthz", "/metrics") or path.startswith("/docs"))


def unavailable_page(request: Request) -> Response | None:
    """The page that says the database is away (503), in the reader's language; None for the API."""
    if not _is_page(request):
        return None
    from crisisdesk.web.i18n import t
    from crisisdesk.web.templating import request_lang

    return render(
        request,
        "error.html",
        None,
        message=t("error.unavailable", request_lang(request, None)),
        status_code=503,
    )


def install_web(app: FastAPI, runtime: Runtime) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    hub = live.LiveHub()
    runtime.runner.listeners.append(hub.publish_threadsafe)
    runtime.runner.inbox_listeners.append(hub.publish_inbox_threadsafe)
    app.state.live = hub
    # The inbox's own pages before /inbox/{conversation_id}, which would otherwise take their paths.
    for module in (
        auth_pages,
        preferences_pages,
        overview_pages,
        crisis_review_pages,
        update_pages,
        crisis_pages,
        crisis_mode_pages,
        plan_pages,
        approval_pages,
        situation_pages,
        monitor_pages,
        inbox_rule_pages,
        inbox_performance_pages,
        review_pages,
        analytics_pages,
        contact_pages,
        inbox_pages,
        inbox_forms,
        admin_pages,
        settings_pages,
        settings_item_pages,
        analysis_pages,
        channel_pages,
        cluster_pages,
        status_pages,
        live,
    ):
        app.include_router(module.router(runtime))

    @app.exception_handler(NotAuthenticated)
    async def to_login(request: Request, exc: NotAuthenticated) -> Response:
        if not _is_page(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> Response:
        if not _is_page(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        from crisisdesk.web.i18n import t
        from crisisdesk.web.templating import request_lang

        message = t("error.forbidden", request_lang(request, None))
        return render(request, "error.html", None, message=message, status_code=403)

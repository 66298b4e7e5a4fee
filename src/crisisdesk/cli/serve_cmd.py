"""``crisisdesk serve``: the HTTP service."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.orm import Session

from crisisdesk.accounts.service import count_active_admins
from crisisdesk.api.app import create_app
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace
from crisisdesk.cluster import frontend
from crisisdesk.core.clock import SystemClock
from crisisdesk.db import describe_url
from crisisdesk.runtime import build_runtime


@friendly_errors
def serve(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP service: POST /api/v1/posts, situations and acknowledgements, /healthz, /metrics,
    OpenAPI at /docs. Detection runs on every post; notifications go out as alerts escalate."""
    settings, workspace = open_workspace(config)
    log_to_stderr(settings.log_level)
    token = settings.api_token
    if not token:
        token = secrets.token_urlsafe(24)
        err.print(f"[yellow]CRISISDESK_API_TOKEN is not set; this run accepts the token[/] {token}",
                  highlight=False, soft_wrap=True)
    runtime = build_runtime(workspace, settings, clock=SystemClock(), deliver=True)
    front = None
    if settings.bus_url:  # the distributed mode: workers do the pipeline's work
        try:
            front = frontend.attach(runtime)
        except Exception:
            runtime.close()
            raise
        runtime.start_ticker(front_end=True)
    else:
        runtime.start_notifications()
        runtime.start_ticker()
        runtime.start_channels()
    mode = (f"front end of the distributed mode, bus: {frontend.safe_url(settings.bus_url)}" if front
            else "embedded mode")
    err.print(f"crisisdesk on http://{host}:{port}  (web app: /, API docs: /docs, database: "
              f"{describe_url(workspace.database_url)}; {mode})", highlight=False, soft_wrap=True)
    with Session(runtime.engine) as session:
        if count_active_admins(session) == 0:
            err.print("[yellow]No admin yet:[/] create one with `crisisdesk users add EMAIL --name NAME "
                      "--role admin` to sign in to the web app.", highlight=False, soft_wrap=True)
    try:
        uvicorn.run(create_app(runtime, api_token=token), host=host, port=port,
                    log_level=settings.log_level.lower(), **settings.proxy_options())
    finally:
        if front is not None:
            front.close()
        runtime.close()


def log_to_stderr(level: str) -> None:
    """The service's own messages (configuration applied, deliveries retried, ticks that failed)
    on stderr next to uvicorn's, at CRISISDESK_LOG_LEVEL."""
    root = logging.getLogger("crisisdesk")
    root.setLevel(level)
    if any(h.get_name() == "crisisdesk-stderr" for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.set_name("crisisdesk-stderr")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)

"""The demo's web app: ``create_app`` on the replay's own runtime, served from a background thread.

The browser then sees what the terminal sees, as it happens: the same database, the same runner
(so a page's acknowledgement goes through the same detector the replay feeds) and the live
events of every batch. The demo's accounts share one password, made up for each run and printed
on the terminal; the app listens on 127.0.0.1 only and lives as long as the demo.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Final

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts.actions import create_user
from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.audit.service import Actor
from crisisdesk.channels.views import webhook_router
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.runtime import Runtime

HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: Role
    lang: str | None = None


#: The social media team's agents, who work the inbox during the crisis (:mod:`crisisdesk.demo.team`);
#: the same people as in the workspace's ``people``.
#: The crisis types' spokesperson (role:spokesperson): approves the team's public replies.
SPOKESPERSON: Final = DemoLogin("oliver@crisisdesk.example", "Oliver Grant", Role.SPOKESPERSON, "en")
AGENTS: Final = (
    DemoLogin("mia@crisisdesk.example", "Mia Schulz", Role.AGENT, "de"),
    DemoLogin("sam@crisisdesk.example", "Sam Taylor", Role.AGENT, "en"),
)
#: The demo's accounts: the first is the one the terminal suggests.
DEMO_LOGINS: Final = (
    DemoLogin("demo@crisisdesk.example", "Demo Crisis Lead", Role.CRISIS_LEAD),
    DemoLogin("admin@crisisdesk.example", "Demo Admin", Role.ADMIN),
    DemoLogin("analyst@crisisdesk.example", "Demo Analyst", Role.ANALYST),
    # the crisis types' spokesperson (role:spokesperson): approves the team's public replies
    SPOKESPERSON,
    *AGENTS,
)


def demo_password() -> str:
    """A fresh password for this run's accounts (16 characters; the policy asks for 12)."""
    return secrets.token_urlsafe(12)


def create_demo_users(engine: Engine, clock: Clock, password: str) -> tuple[DemoLogin, ...]:
    """Create the demo's accounts (all with ``password``) in one audited transaction."""
    with Session(engine) as session, session.begin():
        for login in DEMO_LOGINS:
            create_user(session, email=login.email, name=login.name, role=login.role, password=password,
                        lang=login.lang, actor=Actor.system(), clock=clock)
    return DEMO_LOGINS


def bind(port: int, host: str = HOST) -> socket.socket:
    """A listening socket on ``port``, or on a free port when that one is taken (0: any free port)."""
    for candidate in dict.fromkeys((port, 0)):
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
        # without it every response waits 40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        sock.set_inheritable(True)
        return sock
    raise OSError(f"no port to listen on at {host}")


def webhook_app(runtime: Runtime) -> FastAPI:
    """Only ``/webhooks/{key}``, as ``crisisdesk serve`` has it: what the demo serves with
    ``--no-web``, so that Voltaro's channels still receive their deliveries over HTTP."""
    app = FastAPI(title="crisisdesk demo webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(webhook_router(lambda key: runtime.connectors().get(key),
                                      engine=lambda: runtime.engine, clock=SystemClock(),
                                      stored=runtime.delivery_stored))
    return app


class DemoWebServer:
    """uvicorn in a daemon thread, serving the JSON API and the web pages of ``runtime`` on ``sock``
    (bound beforehand, so that the workspace's acknowledgement links can name its port), or only
    ``app`` when one is given (:func:`webhook_app`)."""

    def __init__(self, runtime: Runtime, sock: socket.socket, *, app: FastAPI | None = None) -> None:
        self._sock = sock
        self.host, self.port = sock.getsockname()[:2]
        if app is None:
            app = create_app(runtime, api_token=secrets.token_urlsafe(24))
        # Forwarded headers only from CRISISDESK_TRUSTED_PROXIES, as in `crisisdesk serve`.
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1,
                                lifespan="off", **runtime.settings.proxy_options())
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="demo-web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo's web app did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> DemoWebServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

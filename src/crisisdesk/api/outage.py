"""A database outage over HTTP: ``503`` with ``Retry-After`` instead of a 500 and a traceback per
request; the log says it once when it starts and once when it ends (:class:`crisisdesk.db.DatabaseWatch`).

Every route gets this without doing anything: the handler catches the SQLAlchemy errors that mean
"the database is not there" wherever they are raised (a dependency that identifies the user, a
route, the pipeline). Other database errors stay what they are: a bug, logged, 500.
``/healthz`` keeps its own answer (``503 {"status": "error", ...}``) for load balancers.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from crisisdesk.db import database_watch, is_outage

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 15
DETAIL = "the database is not reachable; try again later"


def install_outage_handler(app: FastAPI, engine: Engine,
                           page: Callable[[Request], Response | None] | None = None) -> None:
    """Answer 503 to requests that meet a database outage. ``page(request)`` may give the HTML
    answer for a web page (None: the JSON one)."""
    watch = database_watch(engine)

    async def unavailable(request: Request, exc: Exception) -> Response:
        if not is_outage(exc):
            raise exc  # a real bug: the server error handler logs it and answers 500
        watch.failed(exc)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        answer = page(request) if page is not None else None
        if answer is None:
            return JSONResponse({"detail": DETAIL}, status_code=503, headers=headers)
        answer.status_code = 503
        answer.headers.update(headers)
        return answer

    for kind in (DBAPIError, DisconnectionError, PoolTimeout):
        app.add_exception_handler(kind, unavailable)


BUS_DETAIL = "the message bus (Redis) is not reachable; try again later"


def install_bus_outage_handler(app: FastAPI) -> None:
    """The distributed mode's front ends: Redis away (a restart, a network cut) is a ``503`` with
    ``Retry-After`` for the request that needed it, never a 500; nothing of the request was kept,
    so the client sends it again."""
    import logging

    import redis

    log = logging.getLogger(__name__)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("%s %s: Redis is not reachable (%s)", request.method, request.url.path, exc)
        return JSONResponse({"detail": BUS_DETAIL}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    app.add_exception_handler(redis.RedisError, unavailable)

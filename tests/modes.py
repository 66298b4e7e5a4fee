"""Running a test's service in the embedded or the distributed mode.

``CRISISDESK_TEST_MODE=distributed`` (CI runs the ingest API's tests a second time so) makes
:func:`serving` a front end of the distributed mode with a worker in this process, on the real
Redis and PostgreSQL: the same assertions then hold across Redis Streams, the prepare step and the
lease holder. SQLite variants skip there (the mode needs PostgreSQL)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Row, select
from sqlalchemy.engine import Engine

from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace


def distributed() -> bool:
    return os.environ.get("CRISISDESK_TEST_MODE", "embedded") == "distributed"


def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for what the distributed mode delivers asynchronously (committed events reach a
    process's listeners over Redis pub/sub, also the process that made them); the embedded mode's
    listeners are called before the request returns, so it holds at once there."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def outbox_settled(engine: Engine, timeout: float = 20.0) -> list[Row[int, str]]:
    """Wait until the distributed mode's holder has sent what is due (nothing queued or being
    sent); every outbox item's id and status, by id."""
    due = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            rows = list(conn.execute(select(OutboxItem.id, OutboxItem.status).order_by(OutboxItem.id)))
        if not any(r.status in due for r in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def send_due(runtime: Runtime) -> None:
    """Send what the outbox holds: one round of a sender here, or in the distributed mode wait
    for the lease holder's sender (it is signalled when something is queued)."""
    if distributed():
        outbox_settled(runtime.engine)
        return
    from crisisdesk.channels.sending import OutboxSender
    from crisisdesk.inbox.service import answered

    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered).run_once()


#: A test that steps a background job by hand (a sender, the channels' health check) and looks at
#: the state in between (queued, then sent), or reads its test clock into sending times: the
#: distributed mode's lease holder runs them at once, on the system's clock.
BY_HAND = pytest.mark.skipif(distributed(), reason="steps a background job by hand; the distributed "
                             "mode's lease holder runs it at once")


@contextmanager
def serving(workspace_file: Path, monkeypatch: pytest.MonkeyPatch | None = None, *,
            clock: Clock | None = None) -> Iterator[Runtime]:
    """The runtime the app is built on, in the mode the environment asks for. ``clock`` is the
    front end's (a test's settable clock); the worker keeps the system's."""
    clock = clock or SystemClock()
    if not distributed():
        settings = Settings()
        runtime = build_runtime(load_workspace(workspace_file, settings), settings, clock=clock)
        yield runtime
        runtime.close()
        return
    if monkeypatch is None:
        with pytest.MonkeyPatch.context() as patch, serving(workspace_file, patch, clock=clock) as runtime:
            yield runtime
        return
    from crisisdesk.cluster import frontend
    from crisisdesk.cluster.worker import Worker
    from tests.conftest import REDIS_URL

    if not os.environ.get("CRISISDESK_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the distributed mode runs on PostgreSQL")
    prefix = f"t{uuid.uuid4().hex[:12]}"
    for name, value in (("BUS_URL", REDIS_URL), ("BUS_PREFIX", prefix), ("SECRET_KEY", "k" * 32),
                        ("LEASE_SECONDS", "2"), ("BUS_CLAIM_SECONDS", "1")):
        monkeypatch.setenv(f"CRISISDESK_{name}", value)
    settings = Settings()
    worker = Worker(load_workspace(workspace_file, settings), settings)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    runtime = build_runtime(load_workspace(workspace_file, settings), settings, clock=clock)
    front = frontend.attach(runtime)
    try:
        yield runtime
    finally:
        front.close()
        runtime.close()
        stop.set()
        thread.join(60)
        client = front.bus.client.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()

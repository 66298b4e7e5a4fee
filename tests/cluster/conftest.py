"""The distributed mode's world: a workspace on a PostgreSQL schema of its own, a Redis key prefix
of its own, settings that claim and take over fast, and helpers to wait for the workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.cluster.worker import Worker
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace


@dataclass
class Cluster:
    workspace_file: Path
    settings: Settings
    workers: list[tuple[Worker, threading.Event, threading.Thread]] = field(default_factory=list)

    def start_worker(self, *, prepare: bool = True, own: bool = True, bus: RedisBus | None = None) -> Worker:
        worker = Worker(load_workspace(self.workspace_file, self.settings), self.settings, prepare=prepare,
                        own=own, bus=bus)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        self.workers.append((worker, stop, thread))
        return worker

    def stop_all(self) -> None:
        for _, stop, _ in self.workers:
            stop.set()
        for _, _, thread in self.workers:
            thread.join(60)
        self.workers.clear()


def wait_for(what: Callable[[], object], timeout: float = 30.0, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {message or what}")


@pytest.fixture
def cluster(workspace_file: Path, database_url: str, redis_url: str, bus_prefix: str,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the distributed mode runs on PostgreSQL")
    for name, value in (("BUS_URL", redis_url), ("BUS_PREFIX", bus_prefix), ("BUS_CLAIM_SECONDS", "1"),
                        ("LEASE_SECONDS", "2"), ("SECRET_KEY", "one-key-for-every-process")):
        monkeypatch.setenv(f"CRISISDESK_{name}", value)
    c = Cluster(workspace_file, Settings())
    yield c
    c.stop_all()

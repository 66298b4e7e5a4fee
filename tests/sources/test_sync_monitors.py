"""Processes starting together on an empty PostgreSQL database (the compose file's two front ends
and two workers) each sync the configured monitors: they take turns, so every start succeeds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crisisdesk.db import make_engine, migrate
from crisisdesk.sources.models import Monitor
from crisisdesk.sources.service import sync_monitors
from tests.conftest import postgres_schema

MONITORS = [(f"m{i}", f"term{i}") for i in range(20)]


def test_processes_starting_together_sync_the_monitors_once_each() -> None:
    with postgres_schema() as url:
        engines = [make_engine(url) for _ in range(6)]
        try:
            migrate(engines[0])
            start = threading.Barrier(len(engines))
            results: list[dict[str, int]] = []
            errors: list[BaseException] = []

            def start_process(engine: Engine) -> None:
                start.wait()
                try:
                    results.append(sync_monitors(engine, MONITORS,
                                                 now=datetime(2026, 12, 7, tzinfo=UTC)))
                except BaseException as exc:  # reported by the assertion below
                    errors.append(exc)

            threads = [threading.Thread(target=start_process, args=(e,)) for e in engines]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            assert len(results) == len(engines) and all(r == results[0] for r in results)
            with engines[0].connect() as conn:
                assert conn.execute(select(func.count()).select_from(Monitor)).scalar_one() == len(MONITORS)
        finally:
            for e in engines:
                e.dispose()

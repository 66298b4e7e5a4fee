"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server.

PostgreSQL tests skip when no server answers, except in CI (``CI`` or
``CRISISDESK_REQUIRE_SERVERS`` set), where a missing server is a failure. Each PostgreSQL test
gets a schema of its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist gives its workers COLUMNS=80 and LINES=24; the CLI's consoles would then cut
    # table cells and wrap lines that the tests read whole (as they are when output is piped).
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

PG_URL = os.environ.get(
    "CRISISDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def servers_required() -> bool:
    return bool(os.environ.get("CRISISDESK_REQUIRE_SERVERS") or os.environ.get("CI"))


_pg_state: dict[str, str | None] = {}


def _pg_error() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per run)."""
    if "error" not in _pg_state:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["error"] = None
        except Exception as exc:
            _pg_state["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return _pg_state["error"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crisisdesk.db'}"
        return
    with postgres_schema() as url:
        yield url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of the test PostgreSQL whose search path is a fresh schema, dropped afterwards; skips
    (fails in CI) without a server."""
    problem = _pg_error()
    if problem:
        if servers_required():
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_URL}: {problem}")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


WORKSPACE_YAML = """\
version: 1
monitors:
  - name: bahn
    query: '"deutsche bahn" OR #db OR @DB_Bahn OR (bahn AND (verspätung OR ausfall))'
  - name: streik
    query: 'streik* OR strike'
"""


@pytest.fixture
def workspace_file(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace on the parametrised database; CRISISDESK_DATABASE_URL points there."""
    path = tmp_path / "ws" / "crisisdesk.yaml"
    path.parent.mkdir()
    path.write_text(WORKSPACE_YAML, encoding="utf-8")
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    monkeypatch.delenv("CRISISDESK_CONFIG", raising=False)
    monkeypatch.delenv("CRISISDESK_API_TOKEN", raising=False)
    return path


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database on the parametrised backend (SQLite and PostgreSQL)."""
    from crisisdesk.db import make_engine, migrate

    e = make_engine(database_url)
    migrate(e)
    yield e
    e.dispose()


REDIS_URL = os.environ.get("CRISISDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """The Redis server of the machine (skipped without one, a failure in CI)."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if servers_required():
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}: {problem}")
        pytest.skip(f"no Redis at {REDIS_URL}: {problem}")
    return REDIS_URL


@pytest.fixture
def bus_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis, deleted afterwards."""
    import redis

    prefix = f"t{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the distributed mode (``CRISISDESK_TEST_MODE=distributed``) only the tests that serve a
    workspace on PostgreSQL run again: the others (pure functions, parsers) do not depend on the
    mode, and the mode needs PostgreSQL."""
    from tests.modes import distributed

    if not distributed():
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        names = getattr(item, "fixturenames", ())
        spec = getattr(item, "callspec", None)
        on_sqlite = spec is not None and spec.params.get("database_url") == "sqlite"
        (kept if "workspace_file" in names and not on_sqlite else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept

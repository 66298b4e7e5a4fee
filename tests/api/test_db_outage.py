"""A database outage for real: `crisisdesk serve` on a PostgreSQL database of its own, which is
then closed to connections (``ALLOW_CONNECTIONS false`` and its sessions terminated) and opened
again. Requests answer 503 with Retry-After, the log says it once each way, /healthz keeps its
answer, and everything works again afterwards without a restart."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions
from crisisdesk.accounts.roles import Role
from crisisdesk.audit.service import Actor
from crisisdesk.core.clock import SystemClock
from crisisdesk.db import make_engine, migrate
from tests.accounts.fixtures import FAST_HASHER
from tests.cli.test_serve import Server, running_server
from tests.conftest import PG_URL, WORKSPACE_YAML, _pg_error, servers_required
from tests.factories import post

SERVICE_TOKEN = "outage-service-token-0123456789"


@dataclass
class Outage:
    server: Server
    name: str
    admin: Engine
    bearer: dict[str, str]

    def close(self) -> None:
        """No new connections, and the open ones are ended (as when the server goes away)."""
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name})

    def reopen(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))


@pytest.fixture
def outage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outage]:
    problem = _pg_error()
    if problem:
        if servers_required():
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_URL}: {problem}")
    name = f"crisisdesk_outage_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        migrate(engine)
        with Session(engine) as s, s.begin():
            user = actions.create_user(s, email="lead@example.org", name="Lead", role=Role.CRISIS_LEAD,
                                       password="correct horse battery staple", actor=Actor.system(),
                                       clock=SystemClock(), hasher=FAST_HASHER)
            secret = actions.create_token(s, user, "outage", actor=Actor.system(), clock=SystemClock()).secret
        engine.dispose()
        workspace = tmp_path / "ws" / "crisisdesk.yaml"
        workspace.parent.mkdir()
        workspace.write_text(WORKSPACE_YAML, encoding="utf-8")
        monkeypatch.setenv("CRISISDESK_DATABASE_URL", url)
        with running_server(workspace, tmp_path, token=SERVICE_TOKEN) as server:
            yield Outage(server, name, admin, {"Authorization": f"Bearer {secret}"})
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def lines(stderr: str, pattern: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(pattern, line)]


def test_an_outage_answers_503_says_so_once_and_passes(outage: Outage) -> None:
    service = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    with httpx.Client(base_url=outage.server.url, timeout=30.0) as http:
        assert http.get("/api/v1/situations", headers=outage.bearer).status_code == 200

        outage.close()
        answers = [http.get("/api/v1/situations", headers=outage.bearer) for _ in range(5)]
        answers.append(http.get("/api/v1/users/1", headers=outage.bearer))  # identified in a dependency
        answers.append(http.post("/api/v1/posts", json=post(1), headers=service))  # through the pipeline
        for r in answers:
            assert r.status_code == 503, (r.request.url, r.text)
            assert r.headers["retry-after"] == "15"
            assert r.json() == {"detail": "the database is not reachable; try again later"}

        page = http.get("/situations", headers={**outage.bearer, "Accept-Language": "de"})
        assert page.status_code == 503
        assert page.headers["retry-after"] == "15"
        assert "Die Datenbank ist gerade nicht erreichbar" in page.text

        health = http.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "error"

        # Long enough for the ticker (every 5 s) and the notifier (every 1 s) to meet the outage
        # too: they report it to the same watch instead of a traceback each time.
        time.sleep(6)

        stderr = outage.server.stderr_text()
        assert len(lines(stderr, "database unavailable")) == 1, stderr
        assert "Traceback" not in stderr, stderr
        assert not lines(stderr, "reachable again")

        outage.reopen()
        assert http.get("/api/v1/situations", headers=outage.bearer).status_code == 200
        r = http.post("/api/v1/posts", json=post(1), headers=service)
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["imported"] == 1
        assert http.get("/healthz").json()["status"] == "ok"

    stderr = outage.server.stderr_text()
    assert len(lines(stderr, "database unavailable")) == 1, stderr
    back = lines(stderr, "database reachable again")
    assert len(back) == 1, stderr
    failures = re.search(r"\((\d+) failed requests or steps\)", back[0])
    assert failures and int(failures.group(1)) > len(answers) + 1, back  # + the page; the rest: background
    assert "Traceback" not in stderr, stderr

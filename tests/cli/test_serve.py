"""`crisisdesk serve` for real: a subprocess with uvicorn on a free port, spoken to over HTTP.

The API tests use TestClient; this one checks what they cannot: the command wires settings,
workspace, database and token together, the server starts and answers on a socket, and it stops
cleanly. Runs on SQLite and PostgreSQL like every database test.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from crisisdesk.posts.service import count_posts
from tests.factories import post

TOKEN = "serve-test-token-0123456789"
STARTUP_SECONDS = 20.0


@dataclass
class Server:
    url: str
    stderr: Path

    def stderr_text(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(workspace_file: Path, workdir: Path, *, token: str | None) -> Iterator[Server]:
    """Start `crisisdesk serve`, wait until /healthz answers, always stop it afterwards."""
    port = free_port()
    env = dict(os.environ)  # after the fixture: CRISISDESK_DATABASE_URL is the parametrised database
    env.pop("CRISISDESK_API_TOKEN", None)
    if token is not None:
        env["CRISISDESK_API_TOKEN"] = token
    env["CRISISDESK_LOG_LEVEL"] = "WARNING"  # keep uvicorn's access log out of the stderr file
    stderr_path = workdir / f"serve-{port}.stderr"
    server = Server(f"http://127.0.0.1:{port}", stderr_path)
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crisisdesk.cli.main", "serve", "--config", str(workspace_file),
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"serve exited with {proc.returncode} before answering:\n{server.stderr_text()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer /healthz within {STARTUP_SECONDS:.0f} s:\n"
                            f"{server.stderr_text()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def counters(metrics_text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Samples of one counter, keyed by their sorted labels."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == f"{name}_total":
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_serve_ingests_over_http(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    missing_text = post(6)
    del missing_text["text"]
    batch = [*(post(i) for i in range(1, 5)),
             post(5, text="Zugausfall in München, schon wieder Verspätung bei der Bahn – äöüß"),
             missing_text, "kein Post"]

    with running_server(workspace_file, tmp_path, token=TOKEN) as server, \
            httpx.Client(base_url=server.url, timeout=30.0) as http:
        health = http.get("/healthz").json()
        assert health["status"] == "ok"
        assert health["database"] == "ok"

        r = http.post("/api/v1/posts", json=batch, headers=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["summary"] == {"read": 7, "imported": 5, "updated": 0, "duplicates": 0, "rejected": 2}
        assert [x["index"] for x in body["rejects"]] == [5, 6]
        assert "text" in body["rejects"][0]["reason"]

        # the same batch again, with one post edited: duplicates change nothing, the edit updates
        again = [*batch[:4], post(5, text="Zugausfall in München: Ersatzverkehr ist eingerichtet"),
                 *batch[5:]]
        r = http.post("/api/v1/posts", json=again, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json()["summary"] == {"read": 7, "imported": 0, "updated": 1, "duplicates": 4,
                                       "rejected": 2}

        # a single post (not a list) is accepted too
        r = http.post("/api/v1/posts", json=post(7), headers=auth)
        assert r.json()["summary"]["imported"] == 1

        no_token = http.post("/api/v1/posts", json=[post(8)])
        assert no_token.status_code == 401
        assert no_token.headers["www-authenticate"] == "Bearer"
        wrong = http.post("/api/v1/posts", json=[post(8)], headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401

        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        posts = counters(metrics.text, "crisisdesk_posts")
        assert posts == {
            (("outcome", "imported"),): 6.0,
            (("outcome", "updated"),): 1.0,
            (("outcome", "duplicate"),): 4.0,
            (("outcome", "rejected"),): 4.0,
        }
        requests = counters(metrics.text, "crisisdesk_http_requests")
        assert requests[(("route", "/api/v1/posts"), ("status", "200"))] == 3.0
        assert requests[(("route", "/api/v1/posts"), ("status", "401"))] == 2.0
        assert requests[(("route", "/healthz"), ("status", "200"))] >= 2.0
        assert "crisisdesk_ingest_batch_seconds_count 3.0" in metrics.text

        spec = http.get("/openapi.json").json()
        assert "/api/v1/posts" in spec["paths"]
        assert "PostIn" in spec["components"]["schemas"]
        assert http.get("/docs").status_code == 200

    # the server wrote to the parametrised database, not to a SQLite file beside the workspace
    engine = create_engine(database_url)
    try:
        assert count_posts(engine) == 6
    finally:
        engine.dispose()


def test_serve_without_token_prints_one(workspace_file: Path, tmp_path: Path) -> None:
    with running_server(workspace_file, tmp_path, token=None) as server, \
            httpx.Client(base_url=server.url, timeout=30.0) as http:
        # Rich wraps stderr at 80 columns when it is not a terminal, so the token may sit on the
        # next line: match across whitespace.
        found = re.search(r"accepts the token\s+(\S+)", server.stderr_text())
        assert found, server.stderr_text()
        token = found.group(1)
        assert len(token) >= 24
        assert http.post("/api/v1/posts", json=post(1)).status_code == 401
        r = http.post("/api/v1/posts", json=post(1), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["imported"] == 1


def test_a_bad_setting_names_the_variable_instead_of_a_traceback(workspace_file: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from crisisdesk.cli.main import app

    monkeypatch.setenv("CRISISDESK_LOG_LEVEL", "loud")
    result = CliRunner().invoke(app, ["serve", "--config", str(workspace_file)])
    assert result.exit_code == 2
    assert "CRISISDESK_LOG_LEVEL: 'loud' is not a log level" in result.stderr
    assert "Traceback" not in result.stderr


def _login_failures(http: httpx.Client, forwarded_for: list[str]) -> list[int]:
    creds = {"email": "someone@example.org", "password": "wrong password"}
    return [http.post("/api/v1/auth/login", json=creds, headers={"X-Forwarded-For": ip}).status_code
            for ip in forwarded_for]


def test_forwarded_for_does_not_escape_the_login_throttle(workspace_file: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn alone believes X-Forwarded-For from 127.0.0.1: a new address per try would mean
    unlimited guesses. Without CRISISDESK_TRUSTED_PROXIES nobody's forwarded header counts."""
    monkeypatch.delenv("CRISISDESK_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    with running_server(workspace_file, tmp_path, token=TOKEN) as server, \
            httpx.Client(base_url=server.url, timeout=30.0) as http:
        statuses = _login_failures(http, [f"203.0.113.{i}" for i in range(1, 8)])
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]


def test_forwarded_for_counts_from_a_trusted_proxy(workspace_file: Path, tmp_path: Path, database_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    from crisisdesk.accounts.models import LoginFailure

    monkeypatch.setenv("CRISISDESK_TRUSTED_PROXIES", "127.0.0.1, ::1")
    with running_server(workspace_file, tmp_path, token=TOKEN) as server, \
            httpx.Client(base_url=server.url, timeout=30.0) as http:
        statuses = _login_failures(http, ["203.0.113.1"] * 5 + ["203.0.113.2"] + ["203.0.113.1"])
    assert statuses == [401] * 5 + [401, 429]  # each client address has its own count
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            ips = conn.execute(select(LoginFailure.ip)).scalars().all()
    finally:
        engine.dispose()
    assert sorted(set(ips)) == ["203.0.113.1", "203.0.113.2"]


def test_a_bad_trusted_proxy_is_named(workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from crisisdesk.cli.main import app

    monkeypatch.setenv("CRISISDESK_TRUSTED_PROXIES", "10.0.0.1, proxy.local")
    result = CliRunner().invoke(app, ["serve", "--config", str(workspace_file)])
    assert result.exit_code == 2
    assert "CRISISDESK_TRUSTED_PROXIES: 'proxy.local' is not an IP address" in result.stderr

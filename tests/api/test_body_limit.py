"""The request body ceiling (CRISISDESK_MAX_BODY_BYTES) on a served app, spoken to over a socket:
a declared length past it is refused before anything is read, a chunked body is counted as it
streams in, and a normal batch still goes through."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import create_engine

from crisisdesk.posts.service import count_posts
from tests.cli.test_serve import Server, running_server
from tests.conftest import WORKSPACE_YAML
from tests.factories import post

TOKEN = "body-limit-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 64 * 1024


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, str]]:
    """A served app on SQLite (the ceiling does not depend on the database) with a 64 KiB ceiling."""
    workspace = tmp_path / "ws" / "crisisdesk.yaml"
    workspace.parent.mkdir()
    workspace.write_text(WORKSPACE_YAML, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'limit.db'}"
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", url)
    monkeypatch.setenv("CRISISDESK_MAX_BODY_BYTES", str(LIMIT))
    with running_server(workspace, tmp_path, token=TOKEN) as server:
        yield server, url


def posts_in(url: str) -> int:
    engine = create_engine(url)
    try:
        return count_posts(engine)
    finally:
        engine.dispose()


def batch_of(size: int) -> bytes:
    """A JSON array of valid posts, about ``size`` bytes."""
    items: list[dict[str, object]] = []
    n = 0
    while len(orjson.dumps(items)) < size:
        n += 1
        items.append(post(n, text=f"Die Bahn hat Verspätung {'x' * 900} #{n}"))
    return orjson.dumps(items)


def test_a_normal_batch_under_the_ceiling_is_processed(served: tuple[Server, str]) -> None:
    server, url = served
    body = batch_of(LIMIT - 2048)
    assert len(body) <= LIMIT
    r = httpx.post(f"{server.url}/api/v1/posts", content=body,
                   headers={**AUTH, "Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 200, r.text
    assert posts_in(url) == r.json()["summary"]["imported"] > 0


def test_a_declared_length_past_the_ceiling_is_refused_before_the_body_is_sent(
        served: tuple[Server, str]) -> None:
    """Headers say 60 MB, only a few bytes follow: the answer comes at once, without the rest."""
    server, url = served
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {60 * 1024 * 1024}\r\n\r\n".encode()
                     + b'[{"platform"')
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 5
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"connection: close" in head.lower()
    assert orjson.loads(body)["detail"] == \
        f"the request body is larger than {LIMIT} bytes (CRISISDESK_MAX_BODY_BYTES)"
    assert posts_in(url) == 0


def test_the_ceiling_comes_before_authentication(served: tuple[Server, str]) -> None:
    server, _url = served
    r = httpx.post(f"{server.url}/api/v1/posts", content=b"x" * (LIMIT + 1), timeout=30)
    assert r.status_code == 413


def test_a_chunked_body_is_counted_as_it_streams(served: tuple[Server, str]) -> None:
    """No Content-Length: the body arrives in chunks and is refused once it passes the ceiling."""
    server, url = served
    body = batch_of(3 * LIMIT)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("POST", "/api/v1/posts")
        headers = {**AUTH, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for chunk in chunks():
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed while we were still sending: that is the point
        response = conn.getresponse()
        assert response.status == 413
        assert "CRISISDESK_MAX_BODY_BYTES" in orjson.loads(response.read())["detail"]
    finally:
        conn.close()
    assert posts_in(url) == 0


@pytest.mark.parametrize("path", ["/login", "/api/v1/auth/login", "/settings/import"])
def test_every_route_has_the_ceiling_pages_too(served: tuple[Server, str], path: str) -> None:
    server, _url = served
    r = httpx.post(f"{server.url}{path}", content=b"e" * (LIMIT + 10),
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 413, r.text

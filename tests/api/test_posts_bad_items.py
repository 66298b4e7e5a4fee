"""POST /api/v1/posts: one bad item in a batch is refused by its index; its neighbours are stored.

Each test sends a batch with good posts around the bad one, on SQLite and PostgreSQL, and checks
the stored rows, not only the summary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crisisdesk.api.app import create_app
from crisisdesk.cli.main import app as cli
from crisisdesk.models import Author, Post
from crisisdesk.runtime import Runtime
from tests.factories import post, write_jsonl
from tests.modes import serving

TOKEN = "s3cret-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
def client(workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with (serving(workspace_file, monkeypatch) as runtime,
          TestClient(create_app(runtime, api_token=TOKEN)) as c):
        yield c


def send(client: TestClient, items: list[Any]) -> dict[str, Any]:
    """Send the batch as the stdlib writes it: big integers exact, lone surrogates as ``\\ud800``."""
    r = client.post("/api/v1/posts", content=json.dumps(items), headers=HEADERS)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def engine_of(client: TestClient) -> Engine:
    return cast(Runtime, cast(Any, client.app).state.runtime).engine


def stored(client: TestClient, *columns: Any) -> list[tuple[Any, ...]]:
    with engine_of(client).connect() as conn:
        return [tuple(row) for row in conn.execute(select(*columns).order_by(Post.external_id))]


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_counts_beyond_the_column_range_reject_only_their_item(client: TestClient) -> None:
    big = 2**31 + 5  # over PostgreSQL's 32-bit INTEGER: stored exactly now
    views = 3_000_000_000
    body = send(client, [
        post(1),
        post(2, metrics={"likes": 2**63}),                            # over SQLite's INTEGER too
        post(3, author={"id": "u3", "handle": "h3", "followers": big}, metrics={"views": views}),
        post(4, author={"id": "u4", "followers": 2**64 + 1}),         # orjson reads this as a float
        post(5, metrics={"shares": 10**12 + 1}),
        post(6),
    ])
    assert body["summary"] == {"read": 6, "imported": 3, "updated": 0, "duplicates": 0, "rejected": 3}
    reasons = {r["index"]: r["reason"] for r in body["rejects"]}
    assert set(reasons) == {1, 3, 4}
    assert reasons[1] == f"metrics.likes: {2**63} is over the limit of {10**12}"
    assert reasons[3].startswith("author.followers: ") and "over the limit" in reasons[3]
    assert reasons[4] == f"metrics.shares: {10**12 + 1} is over the limit of {10**12}"
    assert [r[0] for r in stored(client, Post.external_id)] == ["p1", "p3", "p6"]
    with engine_of(client).connect() as conn:
        got = conn.execute(select(Post.views, Author.followers).join(Author, Author.id == Post.author_id)
                           .where(Post.external_id == "p3")).one()
    assert tuple(got) == (views, big)


def test_deep_nesting_in_an_unknown_field_rejects_only_that_item(client: TestClient) -> None:
    body = send(client, [
        post(1),
        post(2, junk=nested(300)),   # deeper than orjson writes (254)
        post(3, junk=nested(100)),   # writable, but over the limit of 64
        post(4, junk=nested(20)),    # fine: kept in the raw payload
        post(5),
    ])
    assert body["summary"]["imported"] == 3
    reasons = {r["index"]: r["reason"] for r in body["rejects"]}
    assert set(reasons) == {1, 2}
    for reason in reasons.values():
        assert reason.startswith("junk: nested more than 64 levels deep")
    rows = stored(client, Post.external_id, Post.raw)
    assert [r[0] for r in rows] == ["p1", "p4", "p5"]
    assert json.loads(rows[1][1])["junk"] == nested(20)


def test_lone_surrogates_are_removed_from_text_and_refuse_an_id(client: TestClient) -> None:
    body = send(client, [
        post(1, text="cut mid-emoji \ud83d", author={"id": "u1", "name": "An\ud800na"}),
        post(2, id="p2\udc00"),
        post(3, junk="kept \ud800 as sent"),
        "\ud800",
        post(5, url="https://example.org/\ud800"),
        post(6, id="p6\x00"),
    ])
    assert body["summary"] == {"read": 6, "imported": 2, "updated": 0, "duplicates": 0, "rejected": 4}
    reasons = {r["index"]: r["reason"] for r in body["rejects"]}
    assert reasons[1].startswith("id: contains an unpaired surrogate")
    assert reasons[3] == "expected a JSON object"
    assert reasons[4].startswith("url: contains an unpaired surrogate")
    assert reasons[5].startswith("id: contains a NUL character")
    rows = stored(client, Post.external_id, Post.text, Post.raw)
    assert [(r[0], r[1]) for r in rows] == [("p1", "cut mid-emoji "), ("p3", post(3)["text"])]
    assert "\\ud800" in rows[1][2]  # the raw payload keeps what was sent, escaped
    with engine_of(client).connect() as conn:
        names = set(conn.execute(select(Author.name)).scalars())
    assert "Anna" in names


def test_api_and_import_store_the_same_post_for_a_lone_surrogate(client: TestClient, workspace_file: Path,
                                                                  tmp_path: Path) -> None:
    line = json.dumps(post(1, text="Zug fällt aus \ud83d", author={"id": "u1", "name": "Jürgen\udc00"}))
    src = write_jsonl(tmp_path / "one.jsonl", [line])
    result = CliRunner().invoke(cli, ["import", str(src), "--config", str(workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["imported"] == 1
    # The same post over the API is a duplicate: same text, same author, same fingerprint.
    r = client.post("/api/v1/posts", content=line, headers=HEADERS)
    assert r.json()["summary"]["duplicates"] == 1, r.text
    assert stored(client, Post.text) == [("Zug fällt aus ",)]


def test_time_out_of_range_in_utc_rejects_only_that_item(client: TestClient) -> None:
    body = send(client, [post(1), post(2, created_at="0001-01-01T00:00:00+01:00"), post(3)])
    assert body["rejects"] == [{"index": 1, "reason": "created_at: 0001-01-01T00:00:00+01:00 is out of "
                                                      "range once converted to UTC"}]
    assert [r[0] for r in stored(client, Post.external_id)] == ["p1", "p3"]


def test_a_body_neither_parser_reads_is_still_a_400(client: TestClient) -> None:
    r = client.post("/api/v1/posts", content=b"[" * 2000 + b"]" * 2000, headers=HEADERS)
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["detail"]


def test_an_author_known_only_by_a_very_long_handle_is_stored(client: TestClient) -> None:
    """Found by schemathesis on PostgreSQL: the key ``@`` + a 255-character handle is 256 long."""
    item = {"platform": "facebook", "id": "long-handle", "created_at": "2026-01-01T00:00:00Z", "text": "x",
            "author": {"id": "", "handle": "0" * 255}}
    r = client.post("/api/v1/posts", json=[item, {**item, "id": "long-handle-2"}], headers=HEADERS)
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["imported"] == 2

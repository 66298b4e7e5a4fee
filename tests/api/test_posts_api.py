"""The HTTP API: POST /api/v1/posts, /healthz, /metrics, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from crisisdesk.api.app import create_app
from crisisdesk.posts.service import count_posts
from crisisdesk.runtime import Runtime
from tests.factories import post
from tests.modes import serving

TOKEN = "s3cret-token"


def runtime_of(client: TestClient) -> Runtime:
    return cast(Runtime, cast(Any, client.app).state.runtime)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with (serving(workspace_file, monkeypatch) as runtime,
          TestClient(create_app(runtime, api_token=TOKEN)) as c):
        yield c


def test_post_requires_token(client: TestClient) -> None:
    assert client.post("/api/v1/posts", json=post(1)).status_code == 401
    wrong = client.post("/api/v1/posts", json=post(1), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert count_posts(runtime_of(client).engine) == 0


def test_post_single_and_batch_with_rejects(client: TestClient) -> None:
    r = client.post("/api/v1/posts", json=post(1), headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["summary"] == {"read": 1, "imported": 1, "updated": 0, "duplicates": 0, "rejected": 0}

    bad = post(3)
    del bad["text"]
    r = client.post("/api/v1/posts", json=[post(1), post(2), bad, "nonsense"], headers=AUTH)
    assert r.status_code == 200
    body = r.json()
    assert body["summary"] == {"read": 4, "imported": 1, "updated": 0, "duplicates": 1, "rejected": 2}
    assert [x["index"] for x in body["rejects"]] == [2, 3]
    assert "text" in body["rejects"][0]["reason"]
    assert count_posts(runtime_of(client).engine) == 2


def test_post_bad_body(client: TestClient) -> None:
    r = client.post("/api/v1/posts", content=b"{oops", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["detail"]
    r = client.post("/api/v1/posts", json=[post(i) for i in range(1001)], headers=AUTH)
    assert r.status_code == 413


def test_health_metrics_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    client.post("/api/v1/posts", json=[post(1), post(1)], headers=AUTH)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'crisisdesk_posts_total{outcome="imported"} 1.0' in metrics.text
    assert 'crisisdesk_posts_total{outcome="duplicate"} 1.0' in metrics.text
    spec = client.get("/openapi.json").json()
    assert "/api/v1/posts" in spec["paths"]
    assert "PostIn" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200

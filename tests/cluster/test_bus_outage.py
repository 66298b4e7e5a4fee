"""Redis away under a front end: the API answers 503 with Retry-After (never a 500) and works again
once Redis is back."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crisisdesk.api.app import create_app
from crisisdesk.cluster import frontend
from crisisdesk.core.clock import SystemClock
from crisisdesk.runtime import build_runtime
from crisisdesk.workspace import load_workspace
from tests.cluster.conftest import Cluster
from tests.cluster.servers import redis_server
from tests.factories import post

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_the_api_says_503_while_redis_is_away(cluster: Cluster, tmp_path: Path) -> None:
    with redis_server(tmp_path) as redis:
        settings = cluster.settings.model_copy(update={"bus_url": redis.url, "ingest_wait_seconds": 0.0})
        workspace = load_workspace(cluster.workspace_file, settings)
        runtime = build_runtime(workspace, settings, clock=SystemClock())
        front = frontend.attach(runtime)
        auth = {"Authorization": "Bearer t"}
        try:
            with TestClient(create_app(runtime, api_token="t"), raise_server_exceptions=False) as client:
                assert client.post("/api/v1/posts", json=post(1), headers=auth).json()["queued"] == 1
                redis.kill()
                down = client.post("/api/v1/posts", json=post(2), headers=auth)
                assert down.status_code == 503, down.text
                assert down.headers["Retry-After"] and "Redis" in down.json()["detail"]
                redis.start()
                again = client.post("/api/v1/posts", json=post(2), headers=auth)
                assert again.status_code == 200 and again.json()["queued"] == 1
        finally:
            front.close()
            runtime.close()

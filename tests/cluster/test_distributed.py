"""The distributed mode end to end in one test process: a front end (the real app) publishes, real
workers on the real Redis and PostgreSQL prepare and store; one of them holds the lease."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crisisdesk.api.app import create_app
from crisisdesk.cluster import frontend
from crisisdesk.core.clock import SystemClock
from crisisdesk.detection.models import SeriesBucket
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.workspace import load_workspace
from tests.cluster.conftest import Cluster, wait_for
from tests.factories import post

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def front(cluster: Cluster) -> Iterator[tuple[TestClient, Runtime]]:
    runtime = build_runtime(load_workspace(cluster.workspace_file, cluster.settings), cluster.settings,
                            clock=SystemClock(), deliver=True)
    fe = frontend.attach(runtime)
    with TestClient(create_app(runtime, api_token=TOKEN)) as client:
        yield client, runtime
    fe.close()
    runtime.close()


def count(runtime: Runtime, *where: Any) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Post).where(*where)).scalar_one())


def volume(runtime: Runtime) -> int:
    """What detection counted (the minute rollups of every monitor): a batch counted twice shows."""
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(SeriesBucket.volume), 0))
                                .where(SeriesBucket.resolution == "m")).scalar_one())


def test_posts_sent_to_a_front_end_are_stored_by_the_workers_once(
        cluster: Cluster, front: tuple[TestClient, Runtime]) -> None:
    client, runtime = front
    cluster.start_worker()
    cluster.start_worker()
    batch = [post(i) for i in range(40)] + [{"platform": "x"}]
    answer = client.post("/api/v1/posts", json=batch, headers=AUTH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["queued"] == 40
    # the front end waited for the lease holder: the summary says what was stored, as embedded
    assert body["summary"] == {"read": 41, "imported": 40, "updated": 0, "duplicates": 0, "rejected": 1}
    assert body["rejects"][0]["index"] == 40
    wait_for(lambda: count(runtime) == 40, message="40 posts stored")
    # sent again (a client retrying): nothing new, nothing counted twice
    client.post("/api/v1/posts", json=[post(i) for i in range(40)], headers=AUTH)
    client.post("/api/v1/posts", json=[post(40)], headers=AUTH)
    wait_for(lambda: count(runtime) == 41, message="the 41st post")
    assert volume(runtime) == 41 * 1  # each post matches the one monitor "bahn" once
    holders = [w for w, _, _ in cluster.workers if w.lease.held]
    assert len(holders) == 1
    # the holder trims what every group is done with: the streams keep at most their last entry
    bus = holders[0].bus
    wait_for(lambda: all(g.pending == 0 and not g.lag for t in ("ingest.raw", "ingest.prepared")
                         for g in bus.stats(t)), message="every message acknowledged")
    assert holders[0].trim() >= 2
    assert all(bus.client.xlen(bus.key(t)) <= 1 for t in ("ingest.raw", "ingest.prepared"))


def test_status_and_metrics_show_the_processes_the_lease_and_the_topics(
        cluster: Cluster, front: tuple[TestClient, Runtime]) -> None:
    from crisisdesk.cluster.status import cluster_status
    from crisisdesk.cluster.worker import bus_of

    client, runtime = front
    holder = cluster.start_worker()
    cluster.start_worker(own=False)
    wait_for(lambda: holder.owner is not None, message="a lease holder")
    client.post("/api/v1/posts", json=[post(i) for i in range(5)], headers=AUTH)
    wait_for(lambda: count(runtime) == 5, message="5 posts")
    bus = bus_of(cluster.settings)
    state = cluster_status(bus, runtime.engine)
    roles = sorted(p["role"] for p in state["processes"])
    assert roles == ["front end", "worker", "worker"]
    assert state["lease"]["holder"] == holder.name and state["lease"]["valid"]
    groups = {(g["topic"], g["group"]): g for g in state["groups"]}
    assert set(groups) == {("ingest.raw", "prepare"), ("ingest.prepared", "store")}
    text = client.get("/metrics").text
    assert "crisisdesk_bus_up 1.0" in text
    assert 'crisisdesk_processes{role="worker"} 2.0' in text
    assert "crisisdesk_lease_held 1.0" in text
    assert 'crisisdesk_bus_pending{group="store",topic="ingest.prepared"}' in text
    # the store group: only the holder reads it, alive by its heartbeat
    assert 'crisisdesk_bus_consumers{group="store",topic="ingest.prepared"} 1.0' in text
    assert 'crisisdesk_bus_consumers_active{group="store",topic="ingest.prepared"} 1.0' in text
    assert groups["ingest.prepared", "store"]["active"] == 1


def test_without_waiting_the_front_end_answers_what_it_queued(
        cluster: Cluster, front: tuple[TestClient, Runtime], monkeypatch: pytest.MonkeyPatch) -> None:
    client, runtime = front
    monkeypatch.setattr(runtime, "settings", runtime.settings.model_copy(update={"ingest_wait_seconds": 0.0}))
    answer = client.post("/api/v1/posts", json=[post(i) for i in range(3)], headers=AUTH).json()
    assert answer["queued"] == 3
    assert answer["summary"] == {"read": 3, "imported": 0, "updated": 0, "duplicates": 0, "rejected": 0}
    assert count(runtime) == 0  # no worker yet: the posts wait in Redis
    cluster.start_worker()
    wait_for(lambda: count(runtime) == 3, message="the queued posts stored once a worker runs")

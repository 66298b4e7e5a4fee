"""The consumers of the pipeline's groups: a worker that stops cleanly leaves them (unless messages
are pending for it), the lease holder prunes those that processes killed without a word left, and
``crisisdesk status`` tells the live ones from those Redis merely remembers."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.bus.redis_streams import FIELD, RedisBus, encode
from crisisdesk.cli.main import app
from crisisdesk.cluster import worker as worker_module
from crisisdesk.cluster.prepared import PREPARE_GROUP, PREPARED_TOPIC, STORE_GROUP, ensure_groups
from crisisdesk.cluster.worker import Worker, bus_of
from crisisdesk.pipeline.events import RawItem
from tests.cluster.conftest import Cluster, wait_for

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

GROUPS = ((INGEST_TOPIC, PREPARE_GROUP), (PREPARED_TOPIC, STORE_GROUP))


def batch(n: int) -> dict[str, object]:
    return RawItem.batch_to_message([RawItem("api", 0, {"platform": "x", "id": str(n), "text": f"t{n}"})])


def settled(bus: RedisBus) -> bool:
    return all(g.pending == 0 and not g.lag for t, _ in GROUPS for g in bus.stats(t))


def one_worker_through_a_batch(cluster: Cluster, bus: RedisBus, n: int) -> Worker:
    """A worker that holds the lease and has prepared and stored one batch: a consumer of both groups."""
    worker = cluster.start_worker()
    wait_for(lambda: worker.owner is not None, message="a lease holder")
    bus.publish(INGEST_TOPIC, [batch(n)])
    wait_for(lambda: all(worker.name in bus.consumers(t, g) for t, g in GROUPS) and settled(bus),
             message="the batch prepared and stored by the one worker")
    return worker


def test_a_worker_that_stops_cleanly_leaves_its_groups(cluster: Cluster) -> None:
    bus = bus_of(cluster.settings)
    worker = one_worker_through_a_batch(cluster, bus, 1)
    cluster.stop_all()
    assert all(worker.name not in bus.consumers(t, g) for t, g in GROUPS)
    assert [(g.consumers, g.active) for t, _ in GROUPS for g in bus.stats(t)] == [(0, 0), (0, 0)]


def test_a_worker_that_stops_with_a_message_pending_keeps_its_consumer(cluster: Cluster) -> None:
    bus = bus_of(cluster.settings)
    ensure_groups(bus)
    worker = cluster.start_worker(own=False)
    bus.publish(INGEST_TOPIC, [{"items": 42}])  # fails: pending for this worker, to be tried again
    wait_for(lambda: bus.consumers(INGEST_TOPIC, PREPARE_GROUP).get(worker.name, (0, 0))[0] == 1
             and worker.counters.failed >= 1, message="the failed message pending for the worker")
    cluster.stop_all()
    # deleting the consumer would drop the message; it waits for another worker to claim it
    assert bus.consumers(INGEST_TOPIC, PREPARE_GROUP)[worker.name][0] == 1
    assert bus.stats(INGEST_TOPIC)[0].pending == 1


def test_the_lease_holder_prunes_the_consumers_of_processes_gone(cluster: Cluster,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "TRIM_SECONDS", 0.0)  # housekeeping at every renewal
    s = cluster.settings
    assert s.bus_url is not None
    holder = cluster.start_worker(prepare=False, bus=RedisBus(
        s.bus_url, prefix=s.bus_prefix, claim_idle=s.bus_claim_seconds, stale_after=0.5))
    # this one claims nothing during the test: what a dead consumer holds stays its own
    preparer = cluster.start_worker(own=False, bus=RedisBus(s.bus_url, prefix=s.bus_prefix, claim_idle=3600))
    wait_for(lambda: holder.owner is not None, message="a lease holder")
    bus = bus_of(s)
    bus.publish(INGEST_TOPIC, [batch(2)])
    wait_for(lambda: preparer.name in bus.consumers(INGEST_TOPIC, PREPARE_GROUP) and settled(bus),
             message="the batch prepared by the other worker")
    # two processes killed long ago: one left nothing pending, the other a message it had read
    key = bus.key(INGEST_TOPIC)
    bus.client.xgroup_createconsumer(key, PREPARE_GROUP, "gone:1:aaaaaa")
    pipe = bus.client.pipeline(transaction=True)  # one step: the live preparer cannot take it first
    pipe.xadd(key, {FIELD: encode(batch(3))})
    pipe.xreadgroup(PREPARE_GROUP, "gone:2:bbbbbb", {key: ">"}, count=1)
    assert pipe.execute()[1]
    wait_for(lambda: "gone:1:aaaaaa" not in bus.consumers(INGEST_TOPIC, PREPARE_GROUP),
             message="the idle consumer without pending messages pruned")
    time.sleep(holder.lease.ttl)  # three more rounds of housekeeping (one each third of it)
    left = bus.consumers(INGEST_TOPIC, PREPARE_GROUP)
    assert left["gone:2:bbbbbb"][0] == 1  # never deleted: its message would be lost
    assert preparer.name in left  # idle as it may be, its heartbeat says it is alive
    assert holder.name not in left  # it never prepared


def test_status_shows_the_live_consumers_apart_from_those_of_dead_processes(cluster: Cluster) -> None:
    bus = bus_of(cluster.settings)
    one_worker_through_a_batch(cluster, bus, 3)
    for name in ("dead:1:aaaaaa", "dead:2:bbbbbb"):  # restarts that were killed with -9
        bus.client.xgroup_createconsumer(bus.key(INGEST_TOPIC), PREPARE_GROUP, name)
    wait_for(lambda: all(idle > cluster.settings.bus_claim_seconds
                         for name, (_p, idle) in bus.consumers(INGEST_TOPIC, PREPARE_GROUP).items()
                         if name.startswith("dead")), message="the dead consumers idle a while")
    result = CliRunner().invoke(app, ["status", "--config", str(cluster.workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    groups = {(g["topic"], g["group"]): g for g in json.loads(result.output)["groups"]}
    assert (groups[INGEST_TOPIC, PREPARE_GROUP]["consumers"], groups[INGEST_TOPIC, PREPARE_GROUP]["active"]) \
        == (3, 1)
    assert (groups[PREPARED_TOPIC, STORE_GROUP]["consumers"], groups[PREPARED_TOPIC, STORE_GROUP]["active"]) \
        == (1, 1)
    result = CliRunner().invoke(app, ["status", "--config", str(cluster.workspace_file)])
    assert result.exit_code == 0, result.output
    assert "1 (3 known)" in result.output

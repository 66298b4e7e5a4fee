"""The distributed mode on ``/metrics``: every front end exports the cluster's state for
Prometheus (read when scraped, so any front end answers for all)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from crisisdesk.bus.redis_streams import STALE_CONSUMER_SECONDS, RedisBus
from crisisdesk.cluster.status import cluster_status

log = logging.getLogger(__name__)


class ClusterCollector(Collector):
    def __init__(self, bus: RedisBus, engine: Engine) -> None:
        self.bus = bus
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("crisisdesk_bus_up", "1 when Redis answered this scrape.")
        try:
            state = cluster_status(self.bus, self.engine)
        except (redis.RedisError, OSError) as exc:
            log.warning("cluster metrics: Redis did not answer (%s)", exc)
            up.add_metric([], 0)
            yield up
            return
        except Exception as exc:  # the database away: say so rather than fail the scrape
            log.warning("cluster metrics: the database did not answer (%s)", exc)
            up.add_metric([], 1)
            yield up
            return
        up.add_metric([], 1)
        yield up
        pending = GaugeMetricFamily("crisisdesk_bus_pending", "Messages read but not yet acknowledged.",
                                    labels=["topic", "group"])
        lag = GaugeMetricFamily("crisisdesk_bus_lag", "Messages published but not yet read by the group.",
                                labels=["topic", "group"])
        consumers = GaugeMetricFamily(
            "crisisdesk_bus_consumers", "Consumers Redis knows in the group, those of processes gone "
            f"included until they are pruned (idle {STALE_CONSUMER_SECONDS:.0f} s, nothing pending).",
            labels=["topic", "group"])
        active = GaugeMetricFamily(
            "crisisdesk_bus_consumers_active", "Consumers of the group whose process is alive (or that "
            "read within the claim time).", labels=["topic", "group"])
        for g in state["groups"]:
            labels = [g["topic"], g["group"]]
            pending.add_metric(labels, g["pending"])
            consumers.add_metric(labels, g["consumers"])
            active.add_metric(labels, g["active"])
            if g["lag"] is not None:
                lag.add_metric(labels, g["lag"])
        dead = GaugeMetricFamily("crisisdesk_bus_dead_letters", "Messages that failed too often.",
                                 labels=["topic"])
        for topic, n in state["dead_letters"].items():
            dead.add_metric([topic], n)
        processes = GaugeMetricFamily("crisisdesk_processes", "Processes alive (by their heartbeat).",
                                      labels=["role"])
        for role, n in sorted(Counter(p.get("role", "?") for p in state["processes"]).items()):
            processes.add_metric([role], n)
        lease = GaugeMetricFamily("crisisdesk_lease_held", "1 while a worker holds the pipeline lease.")
        lease.add_metric([], 1 if state["lease"] and state["lease"]["valid"] else 0)
        epoch = GaugeMetricFamily("crisisdesk_lease_epoch", "How often the pipeline lease changed hands.")
        epoch.add_metric([], state["lease"]["epoch"] if state["lease"] else 0)
        yield from (pending, lag, consumers, active, dead, processes, lease, epoch)

"""The state of the distributed mode in one document: processes, the lease, the topics' lag,
pending and dead letters. ``crisisdesk status``, ``/metrics`` and the status page read this."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.cluster import lease as leases
from crisisdesk.cluster.prepared import PIPELINE_GROUPS
from crisisdesk.cluster.registry import processes


def cluster_status(bus: RedisBus, engine: Engine) -> dict[str, Any]:
    topics = sorted({t for t, _ in PIPELINE_GROUPS})
    with engine.connect() as conn:
        holder = leases.holder_of(conn)
        now = leases.db_now(conn)
    lease: dict[str, Any] | None = None
    if holder is not None:
        name, epoch, until = holder
        lease = {"holder": name, "epoch": epoch, "expires_at": until.isoformat(), "valid": until > now}
    procs = processes(bus.client, bus.prefix)
    for p in procs:  # the lease row says who holds it now; a heartbeat may be seconds old
        p["owner"] = bool(lease and lease["valid"] and p.get("name") == lease["holder"])
    live = {str(p.get("name")) for p in procs}  # a worker reads under the name it beats with
    return {
        "processes": procs,
        "lease": lease,
        # consumers: what Redis knows; active: those of processes alive (or that read just now)
        "groups": [asdict(s) for t in topics for s in bus.stats(t, alive=live)],
        "dead_letters": {t: bus.dead_count(t) for t in topics},
        "at": now.isoformat(),
    }


def age(record: dict[str, Any], now: datetime) -> float:
    """Seconds since a process started."""
    return max(0.0, now.timestamp() - float(record.get("started", now.timestamp())))

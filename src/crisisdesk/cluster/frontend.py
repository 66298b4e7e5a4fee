"""``crisisdesk serve`` as a front end of the distributed mode.

A front end answers people, the API and the platforms, and keeps nothing of the pipeline's work:
posts sent to the API are validated here (every rejection is answered at once, with its index) and
published to the workers as one raw batch; a webhook delivery is stored and signalled to the lease
holder's delivery processor; a reply or notice queued here is signalled to the senders; who has a
conversation open is shared in Redis (:mod:`.presence`). A person's
change to a situation is made here, in the database, in turn with the lease holder's transactions,
and tells the holder to re-read its situations. Events committed anywhere reach this front end's
live pages through the signals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis

from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.cluster import lease as leases
from crisisdesk.cluster import signals as sig
from crisisdesk.cluster.handoff import HandOff
from crisisdesk.cluster.prepared import ensure_groups
from crisisdesk.cluster.presence import RedisPresenceBoard
from crisisdesk.cluster.registry import Heartbeat
from crisisdesk.cluster.worker import bus_of
from crisisdesk.core.errors import ConfigError
from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.runner import BatchResult
from crisisdesk.runtime import Runtime
from crisisdesk.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class FrontEnd:
    runtime: Runtime
    bus: RedisBus
    signals: sig.Signals
    heartbeat: Heartbeat
    queued: int = 0

    def queue(self, items: list[RawItem]) -> BatchResult:
        """Validate a batch here and hand its valid items to the workers (one message), then wait up
        to ``CRISISDESK_INGEST_WAIT_SECONDS`` for the lease holder to say what it stored: the summary
        is then the embedded mode's. Without an answer in time it counts what was read and rejected
        here; the posts are stored all the same."""
        hand_off = HandOff(self.bus, self.runtime.settings.max_text_chars)
        result = hand_off.send(items, wait=self.runtime.settings.ingest_wait_seconds)
        self.queued += result.summary.read - result.summary.rejected
        return result

    def info(self) -> dict[str, Any]:
        return {"queued": self.queued}

    def close(self) -> None:
        self.heartbeat.stop()
        self.signals.stop()
        self.bus.close()


def attach(runtime: Runtime) -> FrontEnd:
    """Make ``runtime`` a front end of the distributed mode named by its settings."""
    settings = runtime.settings
    if runtime.engine.dialect.name != "postgresql":
        raise ConfigError("environment", "CRISISDESK_DATABASE_URL",
                          "the distributed mode (CRISISDESK_BUS_URL) needs a PostgreSQL database that "
                          "every process shares, e.g. postgresql+psycopg://USER@HOST/DB; "
                          f"this workspace is on {runtime.engine.dialect.name}")
    require_shared_settings(settings)
    bus = bus_of(settings)
    try:
        ensure_groups(bus)
    except redis.RedisError as exc:
        raise ConfigError("environment", "CRISISDESK_BUS_URL",
                          f"Redis does not answer at {safe_url(settings.bus_url)}: {exc}") from exc
    signals = sig.Signals(bus.client, bus.prefix)
    runtime.signals = signals
    runtime.runner.relay = signals.send
    runtime.runner.fence = leases.bump
    front = FrontEnd(runtime, bus, signals, Heartbeat(bus.client, bus.prefix, bus.consumer, "front end"))
    front.heartbeat.info = front.info
    runtime.queue = front.queue
    runtime.presence = RedisPresenceBoard(bus.client, bus.prefix)
    signals.listen({sig.EVENTS: runtime.runner.tell, sig.INBOX: runtime.runner.tell_inbox})
    front.heartbeat.start()
    return front


def require_shared_settings(settings: Settings) -> None:
    """What every process of the distributed mode must share, checked before anything starts."""
    if not settings.secret_key:
        raise ConfigError("environment", "CRISISDESK_SECRET_KEY",
                          "the distributed mode needs the same secret key in every front end and worker "
                          "(it signs the acknowledgement links a worker sends and a front end checks); "
                          "set it to one long random value everywhere, e.g. `python -c 'import secrets; "
                          "print(secrets.token_urlsafe(32))'`")


def safe_url(url: str | None) -> str:
    """The URL without a password."""
    if not url or "@" not in url:
        return str(url)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…@{rest.rpartition('@')[2]}"

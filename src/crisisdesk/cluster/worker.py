"""``crisisdesk worker``: one process of the distributed mode's work.

Every worker prepares raw batches (normalize and analyse, :mod:`.prepared`), as many at a time as
there are workers. One worker at a time also holds the pipeline lease (:mod:`.lease`) and with it
everything that keeps state or must happen once: storing prepared batches (dedupe, match, store,
conversations, inbox rules, detection, crises, escalation, one transaction each), the ticks of
time, the channels' delivery processor, pollers and health, and the senders (notifications, the
outbox, update mails). When it dies, another worker takes the lease once it expires, rebuilds the
detection state from the stored rollups and situations, and goes on where the stream's pending
messages say: a message is acknowledged only after its effects are committed, and a redelivered
one finds its posts already stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import redis

from crisisdesk.bus.base import INGEST_TOPIC, Delivery
from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.cluster import lease as leases
from crisisdesk.cluster import signals as sig
from crisisdesk.cluster.handoff import MAX_PARTS, HandOff
from crisisdesk.cluster.prepared import (
    PIPELINE_GROUPS,
    PREPARE_GROUP,
    PREPARED_TOPIC,
    STORE_GROUP,
    ensure_groups,
    prepare,
    unpack,
)
from crisisdesk.cluster.registry import Heartbeat, alive
from crisisdesk.configuration.service import STORED, latest
from crisisdesk.core.clock import SystemClock
from crisisdesk.escalation.watch import Watch
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.runtime_config import analysis_enricher, open_engine
from crisisdesk.settings import Settings
from crisisdesk.workspace import Workspace, parse_config

log = logging.getLogger(__name__)

_FIRST = object()
#: How often the lease holder trims the pipeline's streams and prunes the consumers of processes gone.
TRIM_SECONDS = 30.0
#: How long the delivery processor waits for its posts to be prepared and stored before it leaves
#: the deliveries pending (to be handed off again: storing is idempotent).
DELIVERY_WAIT_SECONDS = 300.0


@dataclass
class Counters:
    prepared: int = 0
    #: Seconds spent preparing and storing (what one batch costs each step: the scale projection).
    prepare_seconds: float = 0.0
    stored_batches: int = 0
    stored_posts: int = 0
    store_seconds: float = 0.0
    failed: int = 0

    def summary(self) -> str:
        return (f"prepared {self.prepared} batches in {self.prepare_seconds:.2f} s, "
                f"stored {self.stored_posts} posts in {self.stored_batches} batches in "
                f"{self.store_seconds:.2f} s, {self.failed} failures")


def bus_of(settings: Settings, *, consumer: str | None = None) -> RedisBus:
    assert settings.bus_url is not None
    return RedisBus(settings.bus_url, consumer=consumer, prefix=settings.bus_prefix,
                    claim_idle=settings.bus_claim_seconds, max_deliveries=settings.bus_max_deliveries)


class Worker:
    """The loops of one worker process; :meth:`run` until ``stop`` is set."""

    def __init__(self, workspace: Workspace, settings: Settings, *, bus: RedisBus | None = None,
                 prepare: bool = True, own: bool = True) -> None:
        self.workspace = workspace
        self.settings = settings
        self.bus = bus or bus_of(settings)
        self.prepares = prepare
        self.owns = own
        self.name = self.bus.consumer
        self.engine = open_engine(workspace)
        self.lease = leases.Lease(self.engine, leases.PIPELINE, self.name, ttl=settings.lease_seconds)
        self.counters = Counters()
        #: The runtime of the pipeline's stages while this worker holds the lease.
        self.owner: Runtime | None = None
        self._stop = threading.Event()

    # -- the whole process --------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        self._stop = stop
        self._retrying(ensure_groups, self.bus)
        heartbeat = Heartbeat(self.bus.client, self.bus.prefix, self.name, "worker", self._info)
        heartbeat.start()
        threads = []
        if self.prepares:
            threads.append(threading.Thread(target=self._prepare_loop, name="prepare", daemon=True))
        if self.owns:
            threads.append(threading.Thread(target=self._owner_loop, name="owner", daemon=True))
        for t in threads:
            t.start()
        stop.wait()
        for t in threads:
            t.join(30)
        with contextlib.suppress(Exception):  # the owner loop gave it up already, or it expires
            self.lease.release()
        self.leave()
        heartbeat.stop()
        log.info("worker %s: %s", self.name, self.counters.summary())
        self.engine.dispose()

    def leave(self) -> None:
        """A clean stop takes this worker's consumer out of the groups it read from, unless it
        still has pending messages there (kept for another worker to claim)."""
        try:
            left = self.bus.leave()
        except redis.RedisError as exc:  # Redis away: the consumer is pruned later
            log.warning("could not leave the consumer groups (%s)", exc)
            return
        stayed = sorted(self.bus.joined - set(left))
        if stayed:
            log.info("worker %s stays a consumer of %s: messages pending there", self.name,
                     ", ".join(f"{t}/{g}" for t, g in stayed))

    def _info(self) -> dict[str, Any]:
        return {"owner": self.lease.held, "prepares": self.prepares, **dataclasses.asdict(self.counters)}

    def _retrying(self, action: Callable[..., Any], *args: Any) -> Any:
        """Redis away at start (a restart): wait for it instead of dying."""
        while not self._stop.is_set():
            try:
                return action(*args)
            except redis.RedisError as exc:
                log.warning("Redis not reachable (%s); trying again in a second", exc)
                self._stop.wait(1.0)
        return None

    # -- preparing: every worker ----------------------------------------------------------------------

    def _prepare_loop(self) -> None:
        known: object = _FIRST
        enricher: Enricher | None = None
        checked = 0.0
        while not self._stop.is_set():
            if known is _FIRST or time.monotonic() - checked > 5.0:
                try:
                    known, enricher = self._analysis(known, enricher)
                except Exception as exc:  # the database away: keep the analysis in hand, or wait
                    log.warning("reading the configuration in force failed (%s)", exc)
                    if known is _FIRST:
                        self._stop.wait(1.0)
                        continue
                checked = time.monotonic()
            version = cast(int | None, known)
            for d in self._read(INGEST_TOPIC, PREPARE_GROUP):
                try:
                    began = time.perf_counter()
                    out = prepare(d.message, enricher=enricher, max_text_chars=self.settings.max_text_chars,
                                  version=version)
                    self.counters.prepare_seconds += time.perf_counter() - began
                    self.bus.publish(PREPARED_TOPIC, [out])
                    self.bus.ack(INGEST_TOPIC, PREPARE_GROUP, [d.id])
                    self.counters.prepared += 1
                except redis.RedisError as exc:  # left pending: claimed again once Redis is back
                    log.warning("a raw batch stays pending (%s)", exc)
                except Exception as exc:
                    self.counters.failed += 1
                    log.exception("preparing raw batch %s failed", d.id)
                    self._fail(INGEST_TOPIC, PREPARE_GROUP, d.id, exc)

    def _analysis(self, seen: object = _FIRST, current: Enricher | None = None,
                  ) -> tuple[int | None, Enricher | None]:
        """The configuration version in force (None: the workspace file) and its analysis, rebuilt
        only when the ``analysis`` section changed."""
        with self.engine.connect() as conn:
            stored = latest(conn)
        version = stored.version if stored is not None else None
        if seen is not _FIRST and version == seen:
            return version, current
        config = parse_config(stored.text, path=STORED) if stored is not None else self.workspace.config
        rebuild = seen is _FIRST or config.analysis != self.workspace.config.analysis
        self.workspace = dataclasses.replace(self.workspace, config=config)
        return version, analysis_enricher(self.workspace) if rebuild else current

    def _read(self, topic: str, group: str) -> list[Delivery]:
        """The next message of the group (waiting up to half a second); none while Redis is away,
        after a second's pause (its pending messages wait for the next read)."""
        try:
            return self.bus.read(topic, group, max_count=1, block=0.5)
        except redis.RedisError as exc:
            log.warning("reading %s failed (%s); trying again in a second", topic, exc)
            self._stop.wait(1.0)
            return []

    def _fail(self, topic: str, group: str, message_id: str, exc: BaseException) -> None:
        with contextlib.suppress(redis.RedisError):
            self.bus.fail(topic, group, message_id, f"{type(exc).__name__}: {exc}")

    # -- owning: the lease holder ---------------------------------------------------------------------

    def _owner_loop(self) -> None:
        while not self._stop.is_set():
            try:
                took = self.lease.acquire()
            except Exception as exc:  # the database away for a moment
                log.warning("could not ask for the pipeline lease (%s)", exc)
                took = False
            if not took:
                self._stop.wait(max(0.2, self.lease.ttl / 3))
                continue
            try:
                self._own()
            except Exception:
                log.exception("the pipeline owner stopped on an error; it gives the lease up")
            finally:
                try:
                    self.lease.release()
                except Exception as exc:  # the database away: the lease runs out by itself
                    log.warning("could not give the pipeline lease up (%s); it expires", exc)

    def _own(self) -> None:
        runtime = build_runtime(self.workspace, self.settings, clock=SystemClock(), deliver=True)
        runtime.runner.fence = self.lease.fence
        signals = sig.Signals(self.bus.client, self.bus.prefix)
        runtime.signals = signals
        runtime.runner.relay = signals.send
        hand_off = HandOff(self.bus, self.settings.max_text_chars)
        runtime.hand_off = lambda items: hand_off.send(
            items, wait=DELIVERY_WAIT_SECONDS, parts=MAX_PARTS, required=True,
            alive=lambda: not self._stop.is_set() and self.lease.held)
        runtime.start_notifications(recover=False)
        runtime.start_ticker()
        runtime.start_channels()
        signals.listen({
            sig.DELIVERIES: lambda _p: runtime.delivery_stored(),
            sig.OUTBOX: lambda _p: runtime.outbox_queued(),
            sig.NOTICES: lambda _p: runtime.notices_queued(),
            sig.MAILS: lambda _p: runtime.update_mails_queued(),
            sig.EVENTS: runtime.runner.tell,
            sig.INBOX: runtime.runner.tell_inbox,
        })
        self.owner = runtime
        keeper = threading.Thread(target=self._keep_lease, name="lease", daemon=True)
        keeper.start()
        with self.engine.connect() as conn:
            generation = leases.generation(conn)
        try:
            while not self._stop.is_set() and self.lease.held:
                try:
                    generation = self._follow(runtime, generation)
                except Exception as exc:  # the database away: the next batch's fence decides
                    log.warning("reading the situations' generation failed (%s)", exc)
                    self._stop.wait(1.0)
                    continue
                for d in self._read(PREPARED_TOPIC, STORE_GROUP):
                    if not self._store(runtime, d.id, d.message):
                        break
        finally:
            self.owner = None
            signals.stop()
            runtime.close()
            keeper.join(5)

    def _store(self, runtime: Runtime, message_id: str, message: dict[str, Any]) -> bool:
        """One prepared batch into the database; False when this worker lost the lease meanwhile."""
        began = time.perf_counter()
        try:
            read, normalized, version, enriched = unpack(message)
            result = runtime.runner.store(read, normalized, enriched=enriched and version == runtime.version)
        except leases.LeaseLost:
            log.warning("lost the pipeline lease; batch %s stays pending for the next owner", message_id)
            return False
        except Exception as exc:
            self.counters.failed += 1
            log.exception("storing prepared batch %s failed", message_id)
            self._fail(PREPARED_TOPIC, STORE_GROUP, message_id, exc)
            return True
        try:
            self.bus.ack(PREPARED_TOPIC, STORE_GROUP, [message_id])
        except redis.RedisError as exc:  # committed: a redelivery finds every post stored already
            log.warning("batch %s is stored but its acknowledgement failed (%s)", message_id, exc)
        self.counters.store_seconds += time.perf_counter() - began
        reply = message.get("reply")
        if isinstance(reply, str):  # the front end that queued it waits for what was stored
            with contextlib.suppress(redis.RedisError):
                pipe = self.bus.client.pipeline(transaction=True)
                pipe.lpush(reply, result.summary.model_dump_json())
                pipe.expire(reply, 60)
                pipe.execute()
        self.counters.stored_batches += 1
        self.counters.stored_posts += result.summary.imported + result.summary.updated
        return True

    def _follow(self, runtime: Runtime, seen: int) -> int:
        """Re-read the situations when a person changed one on another process."""
        with self.engine.connect() as conn:
            now = leases.generation(conn)
            if now != seen:
                with runtime.runner.turn():
                    detector = runtime.runner.detector
                    if isinstance(detector, Watch):
                        detector.detection.follow_situations(conn, runtime.runner.clock.now())
        return now

    def _keep_lease(self) -> None:
        """Renew the lease every third of its time; and, as the one holder, trim the pipeline's
        streams of what every group has acknowledged (streams never forget by themselves) and
        prune the consumers that processes killed without a word left behind (nor do groups)."""
        trimmed = time.monotonic()
        while not self._stop.wait(self.lease.ttl / 3) and self.lease.held:
            try:
                self.lease.renew()
            except Exception as exc:  # the database away: try again; the lease may run out
                log.warning("renewing the pipeline lease failed (%s)", exc)
            if time.monotonic() - trimmed >= TRIM_SECONDS:
                trimmed = time.monotonic()
                self.trim()
                self.prune()

    def trim(self) -> int:
        """Drop the entries of the pipeline's topics that every group is done with."""
        dropped = 0
        for topic, _group in PIPELINE_GROUPS:
            try:
                dropped += self.bus.trim(topic)
            except redis.RedisError as exc:
                log.warning("trimming %s failed (%s)", topic, exc)
        return dropped

    def prune(self) -> list[str]:
        """Delete the pipeline groups' consumers that no live process reads under, that have no
        pending message and that have been idle the bus's ``stale_after``; returns their names."""
        try:
            live = alive(self.bus.client, self.bus.prefix)
        except redis.RedisError as exc:  # without the heartbeats, nobody is known to be gone
            log.warning("reading the processes alive failed (%s); no consumer pruned", exc)
            return []
        removed = []
        for topic, group in PIPELINE_GROUPS:
            try:
                gone = self.bus.prune(topic, group, keep=live)
            except redis.RedisError as exc:
                log.warning("pruning the consumers of %s failed (%s)", topic, exc)
                continue
            if gone:
                log.info("pruned %d idle consumers of %s/%s: %s", len(gone), topic, group, ", ".join(gone))
            removed += gone
        return removed

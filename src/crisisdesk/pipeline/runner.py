"""The runner: owns the I/O around the pure stages (bus, database, clock, batching).

Sources publish raw items to the ingest topic; the runner reads them in batches, runs
normalize → dedupe → enrich → match → store → emit, and publishes the emitted events. With the
in-process bus the caller drives it (:meth:`PipelineRunner.drain`); a worker process will loop
over the same method against Redis Streams.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Connection, Engine

from crisisdesk.bus.base import EVENTS_TOPIC, INGEST_TOPIC, Bus, Message
from crisisdesk.core.clock import Clock, StreamClock
from crisisdesk.inbox import threads as conversations
from crisisdesk.pipeline import stages
from crisisdesk.pipeline.enrich import Enricher, NoEnrichment
from crisisdesk.pipeline.events import PostKey, RawItem, Rejection, StoredPost
from crisisdesk.pipeline.parallel import PrepareWorkers, decode
from crisisdesk.posts import service as post_store
from crisisdesk.posts.schemas import IngestSummary
from crisisdesk.reports import rollup as channel_rollup
from crisisdesk.sources.matcher import MonitorSet

PIPELINE_GROUP = "pipeline"

#: (connection, the batch's new messages of conversations, post id → conversation id) → outbox items queued.
InboxRules = Callable[[Connection, list[StoredPost], Mapping[int, int]], int]


class Detector(Protocol):
    """What runs after the store stage, in the batch's transaction (see crisisdesk.detection)."""

    def process(self, conn: Connection, stored: Sequence[StoredPost],
                new_authors: set[PostKey] | frozenset[PostKey] = ...) -> list[Message]: ...

    def tick(self, conn: Connection, now: datetime) -> list[Message]: ...


@dataclass
class BatchResult:
    summary: IngestSummary = field(default_factory=IngestSummary)
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.summary.add(other.summary)
        self.rejections.extend(other.rejections)


class PipelineRunner:
    """Runs batches of raw items through the stages and into the database."""

    def __init__(
        self,
        *,
        engine: Engine,
        bus: Bus,
        monitors: MonitorSet,
        monitor_ids: Mapping[str, int],
        clock: Clock,
        enricher: Enricher | None = None,
        max_text_chars: int = 20_000,
        workers: PrepareWorkers | None = None,
        detector: Detector | None = None,
    ) -> None:
        self.engine = engine
        self.bus = bus
        self.monitors = monitors
        self.monitor_ids = dict(monitor_ids)
        self.clock = clock
        self.enricher: Enricher = enricher or NoEnrichment()
        self.max_text_chars = max_text_chars
        self.authors = post_store.AuthorCache()
        self.workers = workers
        self.detector = detector
        #: Batches and ticks take turns: detection state is not shared between threads otherwise.
        self._lock = threading.RLock()
        #: Called after each commit that produced situation events, whoever made them (detection,
        #: escalation, a person): the dispatcher's wake-up, the web app's live hub, the demo board.
        self.listeners: list[Callable[[list[Message]], None]] = []
        self._inflight: deque[tuple[list[RawItem], Future[bytes]]] = deque()
        #: The inbox's rules, run in the batch's transaction on new messages of conversations; they
        #: return how many outbound calls they queued, and ``outbox_queued`` is told after the commit.
        self.inbox_rules: InboxRules | None = None
        self.outbox_queued: Callable[[], None] | None = None
        #: Told, in the batch's transaction, of the conversations our own new posts answered
        #: (``{post id: conversation id}``): the ticket SLAs' due times follow.
        self.inbox_answered: Callable[[Connection, Mapping[int, int]], None] | None = None
        #: Told after each commit that brought conversations new messages: ``{"event":
        #: "inbox.updated", "conversations": [ids], "upto": the batch's highest post id}`` (the web
        #: app's live hub, so that open inbox pages refresh).
        self.inbox_listeners: list[Callable[[Message], None]] = []
        #: Groups the situation events of a transaction into crises inside it, and returns the
        #: crisis events to publish with them (:class:`crisisdesk.crises.tracker.CrisisTracker`).
        self._crises: Callable[[Connection, list[Message]], list[Message]] | None = None
        #: Called first in every transaction the runner commits; raises to keep it from committing.
        #: In the distributed mode the lease holder's check that it still holds the lease
        #: (:meth:`crisisdesk.cluster.lease.Lease.fence`), and on a front end the turn a person's
        #: change takes with the holder (:func:`crisisdesk.cluster.lease.bump`).
        self.fence: Callable[[Connection], None] | None = None
        #: In the distributed mode, committed events go to every process (``relay(kind, payload)``,
        #: kind ``events`` or ``inbox``), whose receivers call :meth:`tell` and :meth:`tell_inbox`;
        #: None: straight to this process's listeners.
        self.relay: Callable[[str, object], None] | None = None
        bus.subscribe(INGEST_TOPIC, PIPELINE_GROUP)

    def handle(self, items: Sequence[RawItem]) -> BatchResult:
        """One batch through every stage; commits once, then publishes (side effects after commit)."""
        return self.store(len(items), stages.normalize(items, max_text_chars=self.max_text_chars))

    def store(self, read: int, normalized: stages.NormalizeResult, *, matched: bool = False,
              enriched: bool = False) -> BatchResult:
        with self._lock:
            return self._store(read, normalized, matched=matched, enriched=enriched)

    def _store(self, read: int, normalized: stages.NormalizeResult, *, matched: bool,
               enriched: bool) -> BatchResult:
        """The stages after normalize: dedupe, enrich, match, store (one transaction), emit.

        ``matched`` and ``enriched`` say a worker already ran those stages (see :mod:`.parallel`).
        """
        result = BatchResult(
            IngestSummary(read=read, rejected=len(normalized.rejections)),
            normalized.rejections,
        )
        posts = normalized.posts
        if not posts:
            return result
        if isinstance(self.clock, StreamClock):
            self.clock.advance(max(p.created_at for p in posts))
        with self.engine.begin() as conn:
            self._fenced(conn)
            known = post_store.known_hashes(conn, [p.key for p in posts])
            deduped = stages.dedupe(posts, known)
            fresh = [*deduped.new, *deduped.changed]
            if not enriched:
                stages.enrich(fresh, self.enricher)
            if not matched:
                stages.match(fresh, self.monitors)
            written = post_store.write_posts(
                conn, deduped.new, deduped.changed, self.monitor_ids, self.clock.now(), self.authors
            )
            channel_rollup.record(conn, written.stored, written.previous, self.clock.now())
            # our own accounts' posts open no conversation and meet no rule or alert; a reply of
            # ours (also one typed in the platform's app) answers the conversation it belongs to
            theirs = [s for s in written.stored if not s.post.own]
            threaded = conversations.attach(conn, theirs, written.authors, self.clock.now())
            queued = 0
            if threaded and self.inbox_rules is not None:
                messages = [s for s in theirs if s.post_id in threaded]
                queued = self.inbox_rules(conn, messages, threaded)
            answered = conversations.answered_elsewhere(
                conn, [s for s in written.stored if s.post.own], self.clock.now())
            if answered and self.inbox_answered is not None:
                self.inbox_answered(conn, answered)
            alerts = (self.detector.process(conn, theirs, written.new_authors)
                      if self.detector is not None else [])
            alerts = self._with_crises(conn, alerts)
        self.authors.remember(written.authors)  # committed: safe to reuse in later batches
        stored = theirs
        result.summary.imported = len(deduped.new)
        result.summary.updated = len(deduped.changed) + deduped.superseded
        result.summary.duplicates = deduped.duplicates
        if stored and self.bus.has_subscribers(EVENTS_TOPIC):
            self.bus.publish(EVENTS_TOPIC, stages.emit(stored, self.clock.now()))
        self.publish(alerts)
        if queued and self.outbox_queued is not None:
            self.outbox_queued()
        if threaded or answered:
            moved = {**threaded, **answered}
            self._tell_inbox({"event": "inbox.updated", "conversations": sorted(set(moved.values())),
                              "upto": max(moved)})
        return result

    def announce_inbox(self, update: Message) -> None:
        """Tell every process's inbox listeners of a committed change (:mod:`crisisdesk.inbox.live`)."""
        self._tell_inbox(update)

    def _tell_inbox(self, update: Message) -> None:
        if self.relay is not None:
            self.relay("inbox", update)
        else:
            self.tell_inbox(update)

    def tell_inbox(self, update: Message) -> None:
        """Hand an inbox update to this process's inbox listeners."""
        for listener in self.inbox_listeners:
            listener(update)

    def tick(self) -> list[Message]:
        """Let detection see time pass without posts (resolutions, escalation timers)."""
        if self.detector is None:
            return []
        with self._lock:
            with self.engine.begin() as conn:
                self._fenced(conn)
                alerts = self._with_crises(conn, self.detector.tick(conn, self.clock.now()))
            self.publish(alerts)
        return alerts

    def with_detector(self, action: Callable[[Connection, Detector | None], list[Message]]) -> list[Message]:
        """Run a change to situations (a person acknowledging, raising, resolving) in its own
        transaction, in turn with batches and ticks, and publish its events after the commit."""
        with self._lock:
            with self.engine.begin() as conn:
                self._fenced(conn)
                events = self._with_crises(conn, action(conn, self.detector))
            self.publish(events)
        return events

    def _fenced(self, conn: Connection) -> None:
        if self.fence is not None:
            self.fence(conn)

    @property
    def crises(self) -> Callable[[Connection, list[Message]], list[Message]] | None:
        return self._crises

    @crises.setter
    def crises(self, group: Callable[[Connection, list[Message]], list[Message]] | None) -> None:
        self._crises = group
        self._hand_crises()

    def _hand_crises(self) -> None:
        """A detector that escalates groups itself, before escalation (which runs per crisis)."""
        if self.detector is not None and hasattr(self.detector, "group"):
            self.detector.group = self._crises

    def _with_crises(self, conn: Connection, alerts: list[Message]) -> list[Message]:
        if not alerts or self._crises is None or hasattr(self.detector, "group"):
            return alerts
        return [*alerts, *self._crises(conn, alerts)]

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the runner's turn: batches, ticks and people's changes wait until the block ends
        (a configuration change reads the detection state and swaps it in one turn)."""
        with self._lock:
            yield

    def reconfigure(self, *, monitors: MonitorSet, monitor_ids: Mapping[str, int],
                    detector: Detector | None, enricher: Enricher | None = None) -> None:
        """Match with new monitors and detect with a new detector from the next batch on; a
        batch in progress finishes with the old ones. ``enricher`` None keeps the current one."""
        with self._lock:
            self.monitors = monitors
            self.monitor_ids = dict(monitor_ids)
            self.detector = detector
            self._hand_crises()
            if enricher is not None:
                self.enricher = enricher

    def publish(self, alerts: list[Message]) -> None:
        """Hand committed situation events to the events topic and every listener, once.

        The one way events leave the runner: batches and ticks call it, and so does
        :meth:`with_detector` for what people do in the browser or over the API.
        """
        if not alerts:
            return
        with self._lock:  # listeners never run two at a time (the lock is the runner's turn)
            if self.bus.has_subscribers(EVENTS_TOPIC):
                self.bus.publish(EVENTS_TOPIC, alerts)
            if self.relay is not None:
                self.relay("events", alerts)
            else:
                self.tell(alerts)

    def tell(self, alerts: list[Message]) -> None:
        """Hand committed events to this process's listeners (in the distributed mode, every
        process's signal receiver calls this with the events any process published)."""
        with self._lock:
            for listener in self.listeners:
                listener(alerts)

    def drain(self, on_batch: Callable[[BatchResult], None] | None = None, *,
              wait: bool = True) -> BatchResult:
        """Process the batches waiting on the ingest topic, one transaction each, in order.

        With workers, batches are prepared (normalize, match) in other processes while earlier
        ones are stored here; ``wait=False`` then leaves up to a few batches in flight, whose
        results come with a later call or with :meth:`flush`. ``on_batch`` sees each result once
        it is committed.
        """
        total = BatchResult()
        while deliveries := self.bus.read(INGEST_TOPIC, PIPELINE_GROUP, max_count=1):
            for d in deliveries:
                items = RawItem.batch_from_message(d.message)
                if self.workers is None:
                    self._done(total, on_batch, self.handle(items))
                    continue
                self._inflight.append((items, self.workers.submit(items)))
                while len(self._inflight) > self.workers.processes + 1:
                    self._store_oldest(total, on_batch)
            self.bus.ack(INGEST_TOPIC, PIPELINE_GROUP, [d.id for d in deliveries])
        if wait:
            total.add(self.flush(on_batch))
        return total

    def flush(self, on_batch: Callable[[BatchResult], None] | None = None) -> BatchResult:
        """Store every batch still in flight."""
        total = BatchResult()
        while self._inflight:
            self._store_oldest(total, on_batch)
        return total

    def _store_oldest(self, total: BatchResult, on_batch: Callable[[BatchResult], None] | None) -> None:
        items, future = self._inflight.popleft()
        enriched = self.workers is not None and self.workers.enriches
        self._done(total, on_batch, self.store(len(items), decode(future.result(), items), matched=True,
                                               enriched=enriched))

    @staticmethod
    def _done(
        total: BatchResult, on_batch: Callable[[BatchResult], None] | None, result: BatchResult
    ) -> None:
        total.add(result)
        if on_batch is not None:
            on_batch(result)

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()


def batched(items: Iterable[RawItem], size: int) -> Iterable[list[RawItem]]:
    batch: list[RawItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_items(
    runner: PipelineRunner,
    items: Iterable[RawItem],
    *,
    batch_size: int,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Feed items through the bus and the runner, a batch at a time (memory stays flat)."""
    total = BatchResult()
    for batch in batched(items, batch_size):
        runner.bus.publish(INGEST_TOPIC, [RawItem.batch_to_message(batch)])
        total.add(runner.drain(on_batch, wait=False))
    total.add(runner.flush(on_batch))
    return total

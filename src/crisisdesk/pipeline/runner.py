"""The runner: owns the I/O around the pure stages (bus, database, clock, batching).

Sources publish raw items to the ingest topic; the runner reads them in batches, runs
normalize → dedupe → enrich → match → store → emit, and publishes the emitted events. With the
in-process bus the caller drives it (:meth:`PipelineRunner.drain`); a worker process will loop
over the same method against Redis Streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from crisisdesk.bus.base import EVENTS_TOPIC, INGEST_TOPIC, Bus
from crisisdesk.core.clock import Clock, StreamClock
from crisisdesk.pipeline import stages
from crisisdesk.pipeline.enrich import Enricher, NoEnrichment
from crisisdesk.pipeline.events import RawItem, Rejection
from crisisdesk.posts import service as post_store
from crisisdesk.posts.schemas import IngestSummary
from crisisdesk.sources.matcher import MonitorSet

PIPELINE_GROUP = "pipeline"


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
    ) -> None:
        self.engine = engine
        self.bus = bus
        self.monitors = monitors
        self.monitor_ids = dict(monitor_ids)
        self.clock = clock
        self.enricher: Enricher = enricher or NoEnrichment()
        self.max_text_chars = max_text_chars
        self.authors = post_store.AuthorCache()
        bus.subscribe(INGEST_TOPIC, PIPELINE_GROUP)

    def handle(self, items: Sequence[RawItem]) -> BatchResult:
        """One batch through every stage; commits once, then publishes (side effects after commit)."""
        normalized = stages.normalize(items, max_text_chars=self.max_text_chars)
        result = BatchResult(
            IngestSummary(read=len(items), rejected=len(normalized.rejections)),
            normalized.rejections,
        )
        posts = normalized.posts
        if not posts:
            return result
        if isinstance(self.clock, StreamClock):
            self.clock.advance(max(p.created_at for p in posts))
        with self.engine.begin() as conn:
            known = post_store.known_hashes(conn, [p.key for p in posts])
            deduped = stages.dedupe(posts, known)
            fresh = stages.enrich([*deduped.new, *deduped.changed], self.enricher)
            stages.match(fresh, self.monitors)
            written = post_store.write_posts(
                conn, deduped.new, deduped.changed, self.monitor_ids, self.clock.now(), self.authors
            )
        self.authors.remember(written.authors)  # committed: safe to reuse in later batches
        stored = written.stored
        result.summary.imported = len(deduped.new)
        result.summary.updated = len(deduped.changed) + deduped.superseded
        result.summary.duplicates = deduped.duplicates
        if stored and self.bus.has_subscribers(EVENTS_TOPIC):
            self.bus.publish(EVENTS_TOPIC, stages.emit(stored, self.clock.now()))
        return result

    def drain(self) -> BatchResult:
        """Process every batch waiting on the ingest topic, one transaction each."""
        total = BatchResult()
        while True:
            deliveries = self.bus.read(INGEST_TOPIC, PIPELINE_GROUP, max_count=1)
            if not deliveries:
                return total
            for d in deliveries:
                total.add(self.handle(RawItem.batch_from_message(d.message)))
            self.bus.ack(INGEST_TOPIC, PIPELINE_GROUP, [d.id for d in deliveries])


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
        result = runner.drain()
        total.add(result)
        if on_batch is not None:
            on_batch(result)
    return total

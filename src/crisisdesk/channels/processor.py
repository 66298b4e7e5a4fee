"""Turning stored deliveries into posts, after the platform already has its ``200``.

Every post goes through the same pipeline as an imported one (normalize, dedupe, analysis, match,
store, detection); a post the pipeline refuses is kept as unparsed with its reason. Processing is
idempotent: a delivery processed twice (a crash between storing its posts and marking it done)
stores nothing new, since posts are deduplicated by platform and id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.channels import service
from crisisdesk.channels.base import Connector, Delivery, PayloadError, Unparsed
from crisisdesk.channels.outbox import apply_statuses
from crisisdesk.core.clock import Clock
from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.runner import PipelineRunner

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    deliveries: int = 0
    posts: int = 0
    unparsed: int = 0
    failed: int = 0
    #: Items of our outbox whose delivery state moved (delivered, read, failed).
    statuses: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def process_pending(engine: Engine, connectors: Mapping[str, Connector], runner: PipelineRunner, *,
                    clock: Clock, limit: int = 200) -> ProcessReport:
    """Process up to ``limit`` pending deliveries of the configured channels, oldest first.

    All their posts go through the pipeline as one batch (one transaction, one analysis pass: at
    hundreds of deliveries a second, a transaction per delivery would fall behind), then the
    deliveries are marked done together.
    """
    report = ProcessReport()
    batch = service.pending(engine, channels=sorted(connectors), limit=limit)
    if not batch:
        return report
    items: list[RawItem] = []
    reports: list[tuple[str, Delivery]] = []
    outcomes: list[tuple[service.PendingDelivery, dict[str, int], list[Unparsed], str | None]] = []
    for delivery in batch:
        report.deliveries += 1
        try:
            parsed = connectors[delivery.channel].parse(delivery.body)
        except PayloadError as exc:
            outcomes.append((delivery, {}, [], str(exc)))
            report.failed += 1
            continue
        if parsed.statuses or parsed.watermarks:
            reports.append((delivery.channel, parsed))
        theirs = [p for p in parsed.posts if not p.own]
        items.extend(RawItem(f"channel:{delivery.channel}", delivery.id, p.post) for p in theirs)
        counts = {"posts": len(theirs), "own": len(parsed.posts) - len(theirs),
                  "statuses": len(parsed.statuses) + len(parsed.watermarks),
                  "deletions": len(parsed.deletions), "unparsed": len(parsed.unparsed)}
        outcomes.append((delivery, counts, list(parsed.unparsed), None))
        report.posts += len(theirs)
        report.by_channel[delivery.channel] = report.by_channel.get(delivery.channel, 0) + len(theirs)
    if items:
        refused: dict[int | None, list[Unparsed]] = {}
        for r in runner.handle(items).rejections:
            refused.setdefault(r.position, []).append(Unparsed(f"post refused: {r.reason}", r.data))
        for delivery, counts, unparsed, _ in outcomes:
            extra = refused.get(delivery.id, [])
            unparsed.extend(extra)
            if counts:
                counts["unparsed"] += len(extra)
    if reports:
        with Session(engine) as session, session.begin():
            for channel, parsed in reports:
                report.statuses += apply_statuses(session, channel, parsed.statuses, parsed.watermarks)
    service.finish_many(engine, [(d, counts, unparsed, error) for d, counts, unparsed, error in outcomes],
                        now=clock.now())
    report.unparsed += sum(len(u) for _, _, u, _ in outcomes)
    return report


class DeliveryProcessor:
    """A thread that processes deliveries as soon as one is stored (and every second regardless,
    which also picks up what a crash left pending)."""

    def __init__(self, work: Callable[[], ProcessReport], *, interval: float = 1.0) -> None:
        self._work = work
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="channel-deliveries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                while self._work().deliveries and not self._stop.is_set():
                    pass
            except Exception:  # a bug must not end the thread: deliveries stay pending, logged
                log.exception("processing channel deliveries failed; they stay pending")

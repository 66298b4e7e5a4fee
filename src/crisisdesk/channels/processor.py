"""Turning stored deliveries into posts, after the platform already has its ``200``.

Every post goes through the same pipeline as an imported one (normalize, dedupe, analysis, match,
store, detection); a post the pipeline refuses is kept as unparsed with its reason. Processing is
idempotent: a delivery processed twice (a crash between storing its posts and marking it done)
stores nothing new, since posts are deduplicated by platform and id.

What the inbox needs beyond a canonical post travels in it: whether the item is public or private
and its attachments (canonical fields, validated like an imported post's), and the delivery that
carried it (``RawItem.delivery_id``, set here only: the stored raw bytes are the platform's own
payload). An edit is a new version of the post (the pipeline updates a known post whose content
changed, and analyses it again); a deletion marks the stored post, which keeps its text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.channels import service
from crisisdesk.channels.base import (
    Attachment,
    Connector,
    Delivery,
    InboundPost,
    Lookup,
    PayloadError,
    Unparsed,
)
from crisisdesk.channels.lookups import record as record_lookups
from crisisdesk.channels.outbox import apply_statuses
from crisisdesk.core.clock import Clock
from crisisdesk.pipeline.events import PostKey, RawItem
from crisisdesk.pipeline.runner import BatchResult
from crisisdesk.pipeline.stages import describe_validation_error
from crisisdesk.posts import service as post_store
from crisisdesk.posts.schemas import MAX_ATTACHMENTS, AttachmentIn, Visibility

log = logging.getLogger(__name__)

_ATTACHMENT: TypeAdapter[AttachmentIn] = TypeAdapter(AttachmentIn)


class Deferred(RuntimeError):
    """The handler of a batch could not finish now (in the distributed mode: its parts were not
    stored in time); the deliveries stay pending and are processed again later."""


@dataclass
class ProcessReport:
    deliveries: int = 0
    posts: int = 0
    unparsed: int = 0
    failed: int = 0
    #: Items of our outbox whose delivery state moved (delivered, read, failed).
    statuses: int = 0
    #: Deletions the platforms reported, and how many of them named a stored post.
    deletions: int = 0
    deleted: int = 0
    #: Items the deliveries only named, recorded to be fetched (``channels.lookups``), and the
    #: platform's answers for due ones stored as deliveries after the batch.
    lookups: int = 0
    looked_up: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """Deliveries were processed or stored: there may be more at once."""
        return bool(self.deliveries or self.looked_up)


def process_pending(engine: Engine, connectors: Mapping[str, Connector],
                    handle: Callable[[list[RawItem]], BatchResult], *, clock: Clock,
                    limit: int = 200) -> ProcessReport:
    """Process up to ``limit`` pending deliveries of the configured channels, oldest first.

    All their posts go to ``handle`` as one batch: the pipeline (``PipelineRunner.handle``: one
    transaction, one analysis pass; at hundreds of deliveries a second, a transaction per delivery
    would fall behind), or in the distributed mode the workers (``cluster.handoff``), which
    returns once every part is stored. Then the
    deletions are applied (after the posts, so an item created and deleted within the batch ends
    deleted), then the deliveries are marked done together.
    """
    report = ProcessReport()
    batch = service.pending(engine, channels=sorted(connectors), limit=limit)
    if not batch:
        return report
    now = clock.now()
    items: list[RawItem] = []
    reports: list[tuple[str, Delivery]] = []
    deletions: list[tuple[PostKey, datetime]] = []
    named: list[tuple[service.PendingDelivery, list[Lookup]]] = []
    outcomes: list[tuple[service.PendingDelivery, dict[str, int], list[Unparsed], str | None]] = []
    for delivery in batch:
        report.deliveries += 1
        try:
            parsed = connectors[delivery.channel].parse(delivery.body)
        except PayloadError as exc:
            outcomes.append((delivery, {}, [], str(exc)))
            report.failed += 1
            continue
        except Exception as exc:  # a connector's bug on an odd payload: this delivery alone fails
            log.exception("channel %s: delivery %s could not be parsed", delivery.channel, delivery.id)
            outcomes.append((delivery, {}, [], f"could not be read ({type(exc).__name__}: {exc})"))
            report.failed += 1
            continue
        if parsed.statuses or parsed.watermarks:
            reports.append((delivery.channel, parsed))
        unparsed = list(parsed.unparsed)
        theirs: list[InboundPost] = []
        ours: list[InboundPost] = []
        gone = [((d.platform, d.external_id), d.at) for d in parsed.deletions]
        for p in parsed.posts:
            if p.deleted:  # the item as it was removed: the time is when we heard of it
                key = _key(p.post)
                if key is None:
                    unparsed.append(Unparsed("deleted item without platform and id", p.post))
                else:
                    gone.append((key, now))
            elif not p.own:
                theirs.append(p)
            else:
                ours.append(p)
        source = f"channel:{delivery.channel}"
        items.extend(RawItem(source, delivery.id, _canonical(p, unparsed), delivery_id=delivery.id)
                     for p in theirs)
        # our account's items are stored marked as ours: they match no monitor and open no
        # conversation. Public ones (the page's posts, our replies in public) count in the channel's
        # analytics; replies, also private ones typed in the platform's own app (echoes), show in the
        # person's conversation as our answers and answer it (inbox.threads.answered_elsewhere)
        items.extend(RawItem(source, delivery.id, {**_canonical(p, unparsed), "own": True},
                             delivery_id=delivery.id) for p in ours)
        deletions.extend(gone)
        if parsed.lookups:
            named.append((delivery, parsed.lookups))
            report.lookups += len(parsed.lookups)
        counts = {"posts": len(theirs), "own": sum(p.own and not p.deleted for p in parsed.posts),
                  "statuses": len(parsed.statuses) + len(parsed.watermarks),
                  "deletions": len(gone), "unparsed": len(unparsed),
                  **({"lookups": len(parsed.lookups)} if parsed.lookups else {})}
        outcomes.append((delivery, counts, unparsed, None))
        report.posts += len(theirs)
        report.deletions += len(gone)
        report.by_channel[delivery.channel] = report.by_channel.get(delivery.channel, 0) + len(theirs)
    if items:
        refused: dict[int | None, list[Unparsed]] = {}
        for r in handle(items).rejections:
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
    if deletions:
        with engine.begin() as conn:
            report.deleted = post_store.mark_deleted(conn, deletions, now)
    if named:  # before the deliveries are done: a crash in between names them again, harmlessly
        with engine.begin() as conn:
            for delivery, lookups in named:
                record_lookups(conn, channel=delivery.channel, delivery_id=delivery.id, lookups=lookups,
                               now=now)
    service.finish_many(engine, [(d, counts, unparsed, error) for d, counts, unparsed, error in outcomes],
                        now=now)
    report.unparsed += sum(len(u) for _, _, u, _ in outcomes)
    return report


def _key(post: Mapping[str, Any]) -> PostKey | None:
    platform, external_id = post.get("platform"), post.get("id")
    if not isinstance(platform, str) or not isinstance(external_id, str | int) or external_id == "":
        return None
    return (platform, str(external_id))


def _canonical(inbound: InboundPost, unparsed: list[Unparsed]) -> dict[str, Any]:
    """The canonical post with what the connector said besides it: its thread, public or private,
    and the attachments. An attachment that is not valid (a link beyond the length limit) or one beyond
    :data:`MAX_ATTACHMENTS` is left out and kept as unparsed with the reason, so that it never
    costs the post."""
    post = {**inbound.post,
            "visibility": (Visibility.PUBLIC if inbound.public else Visibility.PRIVATE).value}
    if inbound.thread:
        # The connector's thread is the conversation: unique across platforms and channels, and the
        # form its own sending reads back (a page's comment thread, a chat, a mail thread).
        post["conversation_id"] = inbound.thread[:255]
    attachments: list[dict[str, Any]] = []
    for i, attachment in enumerate(inbound.attachments):
        data = _attachment(attachment)
        where = f"attachment {i} of {inbound.post.get('platform')}:{inbound.post.get('id')}"
        if len(attachments) == MAX_ATTACHMENTS:
            unparsed.append(Unparsed(f"{where}: more than {MAX_ATTACHMENTS} attachments", data))
            continue
        try:
            _ATTACHMENT.validate_python(data)
        except ValidationError as exc:
            unparsed.append(Unparsed(f"{where}: {describe_validation_error(exc)}", data))
            continue
        attachments.append(data)
    if attachments:
        post["attachments"] = attachments
    return post


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {k: v for k, v in asdict(attachment).items() if v is not None}


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
                while self._work().busy and not self._stop.is_set():
                    pass
            except Deferred as exc:
                log.warning("channel deliveries stay pending for now: %s", exc)
            except Exception:  # a bug must not end the thread: deliveries stay pending, logged
                log.exception("processing channel deliveries failed; they stay pending")

"""Handing raw items to the workers and waiting for the lease holder to say what it stored.

Two callers: a front end's ``POST /api/v1/posts`` (one batch, an answer awaited for a few seconds;
without one the posts are stored all the same) and the lease holder's delivery processor, whose
webhook and polled items must go through the prepare step like the API's (analysis is the
expensive part: done inline, the one holder would be the ceiling of every channel's traffic). The
processor waits until every part is stored, since only then may it apply the deliveries'
deletions and mark them processed; a part that does not come back in time leaves the deliveries
pending, to be handed off again (storing is idempotent).

A large batch is cut into parts that different workers prepare at once. Items of one conversation
(or, without one, of one post) stay in one part and in their order, so that an edit is never stored
before the version it replaces.
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.channels.processor import Deferred
from crisisdesk.pipeline import stages
from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.runner import BatchResult
from crisisdesk.posts.schemas import IngestSummary

#: Items per part of a delivery batch: small enough that two or more workers share a burst, large
#: enough that a part's fixed costs (a message each way, a transaction) stay small.
PART_SIZE = 50
MAX_PARTS = 8


class HandOffTimeout(Deferred):
    """Not every part was stored in time (no worker preparing, a backlog, the lease lost)."""


@dataclass(frozen=True)
class HandOff:
    """What a caller needs to hand items to the workers."""

    bus: RedisBus
    max_text_chars: int

    def send(self, items: Sequence[RawItem], *, wait: float, parts: int = 1,
             required: bool = False, alive: Callable[[], bool] = lambda: True) -> BatchResult:
        """Validate ``items`` here (every rejection is known at once, with its position), publish
        the valid ones in up to ``parts`` messages and wait up to ``wait`` seconds for the holder's
        answers. Without every answer: the counts of what was read and rejected here, or
        :class:`HandOffTimeout` when ``required``. ``alive`` false ends the wait early."""
        normalized = stages.normalize(items, max_text_chars=self.max_text_chars)
        # by the item itself: a delivery's items share its position (the delivery's id)
        refused = {id(r.data) for r in normalized.rejections}
        valid = [i for i in items if id(i.data) not in refused]
        summary = IngestSummary(read=len(items), rejected=len(normalized.rejections))
        if not valid:
            return BatchResult(summary, normalized.rejections)
        keys = []
        for part in split(valid, parts):
            message = RawItem.batch_to_message(part)
            if wait > 0:
                message["reply"] = f"{self.bus.prefix}:reply:{uuid.uuid4().hex}"
                keys.append(message["reply"])
            self.bus.publish(INGEST_TOPIC, [message])
        answers = self._answers(keys, wait, alive)
        if len(answers) < len(keys):
            if required:
                raise HandOffTimeout(f"{len(keys) - len(answers)} of {len(keys)} parts not stored "
                                     f"within {wait:.0f} s")
            return BatchResult(summary, normalized.rejections)
        for stored in answers:
            summary.imported += stored.imported
            summary.updated += stored.updated
            summary.duplicates += stored.duplicates
        return BatchResult(summary, normalized.rejections)

    def _answers(self, keys: list[str], wait: float, alive: Callable[[], bool]) -> list[IngestSummary]:
        answers: list[IngestSummary] = []
        deadline = time.monotonic() + wait
        waiting = list(keys)
        while waiting and alive():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # a second at a time at most, so that ``alive`` is asked again
            answer = self.bus.client.blpop(waiting, timeout=min(left, 1.0))
            if answer is None:
                continue
            key, body = answer
            waiting.remove(key.decode() if isinstance(key, bytes) else key)
            answers.append(IngestSummary.model_validate_json(body))
        return answers


def split(items: Sequence[RawItem], parts: int) -> list[list[RawItem]]:
    """``items`` in up to ``parts`` lists, each conversation (or post) whole and in order."""
    count = max(1, min(parts, MAX_PARTS, -(-len(items) // PART_SIZE)))
    if count == 1:
        return [list(items)]
    out: list[list[RawItem]] = [[] for _ in range(count)]
    for item in items:
        out[zlib.crc32(_key(item).encode()) % count].append(item)
    return [part for part in out if part]


def _key(item: RawItem) -> str:
    data = item.data if isinstance(item.data, dict) else {}
    thread = data.get("conversation_id")
    if thread:
        return f"thread:{thread}"
    return f"post:{data.get('platform')}:{data.get('id')}"

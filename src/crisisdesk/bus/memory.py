"""In-process bus for the embedded mode and for tests.

Each topic is a queue; each consumer group keeps a cursor into it. Messages every group has read
are dropped at once, so a long import holds one batch in memory, not the whole file. There is no
redelivery: in one process, a crash loses the queue and the process alike, and the import that
fed it is simply run again (imports are idempotent).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from crisisdesk.bus.base import Delivery, Message


@dataclass
class _Topic:
    messages: deque[Message] = field(default_factory=deque)
    base: int = 0  # sequence number of messages[0]
    cursors: dict[str, int] = field(default_factory=dict)

    def end(self) -> int:
        return self.base + len(self.messages)

    def trim(self) -> None:
        if not self.cursors:
            return
        low = min(self.cursors.values())
        while self.base < low and self.messages:
            self.messages.popleft()
            self.base += 1


class MemoryBus:
    """A :class:`~crisisdesk.bus.base.Bus` inside one process."""

    def __init__(self) -> None:
        self._topics: dict[str, _Topic] = {}

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic()
        return topic

    def subscribe(self, topic: str, group: str) -> None:
        t = self._topic(topic)
        t.cursors.setdefault(group, t.end())

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        t = self._topic(topic)
        if not t.cursors:
            return  # nobody listens: like a stream with no group, nothing would ever read these
        t.messages.extend(messages)

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._topic(topic).cursors)

    def read(self, topic: str, group: str, *, max_count: int = 1000) -> list[Delivery]:
        t = self._topic(topic)
        if group not in t.cursors:
            raise KeyError(f"group {group!r} has not subscribed to {topic!r}")
        start = t.cursors[group]
        stop = min(t.end(), start + max_count)
        out = [Delivery(str(seq), t.messages[seq - t.base]) for seq in range(start, stop)]
        t.cursors[group] = stop
        t.trim()
        return out

    def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        # Cursors already moved on read; nothing is redelivered in one process.
        return None

    def pending(self, topic: str) -> int:
        """Messages still held for the slowest group (for tests and progress displays)."""
        return len(self._topic(topic).messages)

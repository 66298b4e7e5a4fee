"""Storing webhook deliveries in groups on SQLite: one writer, one transaction for all that wait.

SQLite lets one connection write at a time. When a storm of webhooks arrives, the web server's
threads each try to insert their delivery at once; all but one find the database locked and
SQLite's busy handler puts them to sleep in growing steps (up to 100 ms a nap), so an answer that
takes a millisecond of work waited most of a second at the 99th percentile
(``bench/bench_webhooks.py``, docs/benchmarks.md). Here the deliveries queue instead: the first
thread to get the writer's turn stores everything queued so far in one transaction and wakes the
others with their results (leader and followers, no thread of its own). Each delivery is still
committed before its request is answered, and a failure reaches every request of its group.

PostgreSQL locks rows, not the database, and is left to store each delivery on its own.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from crisisdesk.channels.service import Stored, add_delivery, store_delivery


@dataclass(slots=True)
class _Waiting:
    channel: str
    body: bytes
    now: datetime
    done: bool = False
    result: Stored | None = None
    error: BaseException | None = None


@dataclass(slots=True)
class GroupStore:
    """The queue and the writer's turn of one engine."""

    engine: Engine
    _queue: list[_Waiting] = field(default_factory=list)
    _queued: threading.Lock = field(default_factory=threading.Lock)
    _turn: threading.Lock = field(default_factory=threading.Lock)

    def store(self, *, channel: str, body: bytes, now: datetime) -> Stored:
        """Store the delivery (committed on return), with whatever else waits."""
        me = _Waiting(channel, body, now)
        with self._queued:
            self._queue.append(me)
        with self._turn:
            if not me.done:  # nobody took it along: store the whole queue
                with self._queued:
                    group, self._queue = self._queue, []
                self._write(group)
        if me.error is not None:
            raise me.error
        assert me.result is not None
        return me.result

    def _write(self, group: list[_Waiting]) -> None:
        try:
            with self.engine.begin() as conn:
                for waiting in group:
                    waiting.result = add_delivery(conn, channel=waiting.channel, body=waiting.body,
                                                  now=waiting.now)
        except BaseException as exc:  # the database is away or full: every request of the group hears it
            for waiting in group:
                waiting.result, waiting.error = None, exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for waiting in group:
                waiting.done = True


_STORES: weakref.WeakKeyDictionary[Engine, GroupStore] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def store_webhook_delivery(engine: Engine, *, channel: str, body: bytes, now: datetime) -> Stored:
    """Keep a webhook's raw body (committed on return): grouped on SQLite, alone elsewhere."""
    if engine.dialect.name != "sqlite":
        return store_delivery(engine, channel=channel, body=body, now=now)
    with _STORES_LOCK:
        group = _STORES.get(engine)
        if group is None:
            group = _STORES[engine] = GroupStore(engine)
    return group.store(channel=channel, body=body, now=now)

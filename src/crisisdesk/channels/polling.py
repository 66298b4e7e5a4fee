"""Polling channels on their own schedules: one thread per channel, so a slow feed or a mailbox
that blocks never holds up another.

Each poll runs the connector's ``fetch`` from the stored cursor, then stores the bodies and the new
cursor in one transaction (a crash before that repeats the poll; after it, nothing is fetched
twice) and wakes the processor. A refused or failed poll is recorded on the channel (its error,
the failures in a row, since when the platform holds us back for asking too often, and its word
that the credentials are dead: for ``channels list`` and channel health) and retried after the
platform's ``Retry-After``, or after a backoff that doubles up to ``MAX_BACKOFF``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import cast

from sqlalchemy.engine import Engine

from crisisdesk.channels import service
from crisisdesk.channels.base import Capability, Connector, PlatformError, PollingConnector
from crisisdesk.core.clock import Clock

log = logging.getLogger(__name__)

#: The longest wait after failures in a row (seconds).
MAX_BACKOFF = 900.0


def backoff(failures: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return max(1.0, retry_after)
    return float(min(MAX_BACKOFF, 5.0 * 2 ** max(0, failures - 1)))


def poll_once(connector: PollingConnector, *, engine: Engine, clock: Clock) -> float:
    """One poll of one channel; returns the seconds to wait before the next."""
    cursor = service.load_cursor(engine, connector.key)
    try:
        fetched = connector.fetch(cursor)
    except PlatformError as exc:
        failures = service.record_failure(engine, channel=connector.key, error=str(exc), now=clock.now(),
                                          rate_limited=exc.rate_limited, reauthorize=exc.reauthorize)
        wait = backoff(failures, exc.retry_after)
        log.warning("channel %s: poll failed (%d in a row), next try in %.0f s: %s", connector.key,
                    failures, wait, exc)
        return wait
    new = service.store_fetched(engine, channel=connector.key, bodies=fetched.bodies, cursor=fetched.cursor,
                                now=clock.now())
    log.debug("channel %s: %d new of %d fetched", connector.key, new, len(fetched.bodies))
    return max(0.0, fetched.wait)


class Pollers:
    """One thread per enabled polling channel; :meth:`sync` starts new ones and stops removed or
    changed ones (a changed configuration gives a new connector object)."""

    def __init__(self, connectors: Callable[[], Mapping[str, Connector]], *, engine: Callable[[], Engine],
                 clock: Clock, stored: Callable[[], None]) -> None:
        self._connectors = connectors
        self._engine = engine
        self._clock = clock
        self._stored = stored
        self._threads: dict[str, tuple[Connector, threading.Event, threading.Thread]] = {}

    def sync(self) -> None:
        wanted = {k: c for k, c in self._connectors().items() if Capability.POLL in c.capabilities}
        for key, (connector, stop, thread) in list(self._threads.items()):
            if wanted.get(key) is not connector:
                stop.set()
                thread.join(timeout=5)
                del self._threads[key]
        for key, connector in wanted.items():
            if key not in self._threads:
                stop = threading.Event()
                thread = threading.Thread(target=self._run, args=(connector, stop), name=f"poll-{key}",
                                          daemon=True)
                self._threads[key] = (connector, stop, thread)
                thread.start()

    def stop(self) -> None:
        for _, stop, _ in self._threads.values():
            stop.set()
        for _, _, thread in self._threads.values():
            thread.join(timeout=5)
        self._threads.clear()

    @property
    def running(self) -> list[str]:
        return sorted(self._threads)

    def _run(self, connector: Connector, stop: threading.Event) -> None:
        poller = cast(PollingConnector, connector)  # Capability.POLL promises fetch()
        while not stop.is_set():
            try:
                wait = poll_once(poller, engine=self._engine(), clock=self._clock)
                self._stored()
            except Exception:  # a bug or the database away: keep the thread, try again later
                log.exception("channel %s: poll failed unexpectedly", connector.key)
                wait = 60.0
            stop.wait(wait)

"""One background thread that runs a round, then sleeps until its next round is due or someone
wakes it: the shape the outbox sender and the health monitor share."""

from __future__ import annotations

import threading


class RoundLoop:
    """Subclasses say what a round is (:meth:`_round`, returning how long to sleep after it, None:
    the usual interval); :meth:`kick` cuts the sleep short, :meth:`stop` ends the thread."""

    thread_name = "crisisdesk-loop"

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            pause = self._round()
            self._wake.wait(self._interval if pause is None else pause)
            self._wake.clear()

    def _round(self) -> float | None:
        raise NotImplementedError

"""Which processes of the distributed mode are alive, and what they do (``crisisdesk status``).

Each process keeps a key of its own in Redis with a short expiry, rewritten every few seconds: a
process killed without a word disappears from the list within three beats."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
import redis

#: How often a process says it is alive; it counts as gone after three missed beats.
BEAT_SECONDS = 5.0


class Heartbeat:
    def __init__(self, client: redis.Redis, prefix: str, name: str, role: str,
                 info: Callable[[], dict[str, Any]] | None = None, *, every: float = BEAT_SECONDS) -> None:
        self.client = client
        self.key = f"{prefix}:process:{name}"
        self.name = name
        self.role = role
        self.info = info or dict
        self.every = every
        self.started = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        record = {"name": self.name, "role": self.role, "host": socket.gethostname(), "pid": os.getpid(),
                  "started": self.started, "seen": time.time(), **self.info()}
        with contextlib.suppress(redis.RedisError):  # Redis away: the next beat tells again
            self.client.set(self.key, orjson.dumps(record), px=int(self.every * 3000))

    def start(self) -> None:
        def run() -> None:
            while True:
                self.beat()
                if self._stop.wait(self.every):
                    return

        self._thread = threading.Thread(target=run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """A clean stop leaves the list at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with contextlib.suppress(redis.RedisError):
            self.client.delete(self.key)


def processes(client: redis.Redis, prefix: str) -> list[dict[str, Any]]:
    """The processes alive now, front ends first, each with what its last beat said."""
    out = []
    for key in client.scan_iter(f"{prefix}:process:*", count=1000):
        raw = client.get(key)
        if raw is not None:
            out.append(orjson.loads(raw))
    return sorted(out, key=lambda p: (p.get("role") != "front end", str(p.get("host")), int(p.get("pid", 0))))


def alive(client: redis.Redis, prefix: str) -> set[str]:
    """The names of the processes whose heartbeat is current: a worker reads the bus under its name."""
    return {str(p.get("name")) for p in processes(client, prefix)}

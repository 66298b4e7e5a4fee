"""Wake-ups and live events between the processes of the distributed mode (Redis pub/sub).

A signal is a hint, never the record: what it announces is committed in the database first, and
every receiver also looks on its own from time to time (the delivery processor every second, the
senders at their next poll). A signal lost while Redis restarts costs at most that delay. Live
events (situation changes, new inbox messages, presence) reach every front end's open pages this
way, wherever they were made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import redis

from crisisdesk.bus.redis_streams import decode, encode

log = logging.getLogger(__name__)

#: A stored webhook delivery is waiting to be processed.
DELIVERIES = "deliveries"
#: A reply or moderation action was queued in the outbox.
OUTBOX = "outbox"
#: A notification was queued.
NOTICES = "notices"
#: Update mails or subscription confirmations were queued.
MAILS = "mails"
#: Committed situation and crisis events, for live pages and the notification dispatcher.
EVENTS = "events"
#: New messages in conversations, for open inbox pages.
INBOX = "inbox"
#: A new configuration was stored.
CONFIG = "config"


class Signals:
    def __init__(self, client: redis.Redis, prefix: str = "crisisdesk") -> None:
        self.client = client
        self.prefix = prefix
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def channel(self, kind: str) -> str:
        return f"{self.prefix}:signal:{kind}"

    def send(self, kind: str, payload: Any = None) -> None:
        """Publish a signal; a Redis that is away costs the signal, never the caller's work."""
        try:
            self.client.publish(self.channel(kind), encode({"p": payload}))
        except redis.RedisError as exc:
            log.warning("signal %s not sent (%s); its receivers find the work at their next look", kind, exc)

    def listen(self, handlers: Mapping[str, Callable[[Any], None]]) -> None:
        """Call ``handlers[kind](payload)`` for every signal of those kinds, from a thread of its own,
        until :meth:`stop`; reconnects after Redis went away."""
        by_channel = {self.channel(k).encode(): h for k, h in handlers.items()}
        self._thread = threading.Thread(target=self._run, args=(by_channel,), name="cluster-signals",
                                        daemon=True)
        self._thread.start()

    def _run(self, handlers: dict[bytes, Callable[[Any], None]]) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(*handlers)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is None or message.get("type") != "message":
                        continue
                    handler = handlers.get(message["channel"])
                    if handler is None:
                        continue
                    try:
                        handler(decode(message["data"]).get("p"))
                    except Exception:
                        log.exception("handling the signal on %s failed", message["channel"])
                pubsub.close()
            except redis.RedisError as exc:
                log.warning("listening for signals failed (%s); trying again in a second", exc)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

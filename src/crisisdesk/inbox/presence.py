"""Who has a conversation open and who is typing an answer: collision detection for the inbox.

Each open conversation view reports a heartbeat (every few seconds, with "typing" and the draft)
and learns who else is there. Kept in this process's memory: presence is worth seconds, so it is
never written to the database; the front ends of the distributed mode share it in Redis
(:mod:`crisisdesk.cluster.presence`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

#: A view that has not reported for this long has left.
TTL_SECONDS = 30.0
MAX_DRAFT = 2000


@dataclass(frozen=True, slots=True)
class Presence:
    user_id: int
    name: str
    typing: bool
    draft: str | None
    seen: float


class Board(Protocol):
    def beat(self, conversation_id: int, user_id: int, name: str, *, typing: bool = False,
             draft: str | None = None) -> list[Presence]: ...

    def leave(self, conversation_id: int, user_id: int) -> None: ...

    def others(self, conversation_id: int, user_id: int | None) -> list[Presence]: ...


class PresenceBoard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_conversation: dict[int, dict[int, Presence]] = {}

    def beat(self, conversation_id: int, user_id: int, name: str, *, typing: bool = False,
             draft: str | None = None) -> list[Presence]:
        """Note that ``user_id`` has the conversation open; returns the others who have it too."""
        now = self._clock()
        with self._lock:
            here = self._by_conversation.setdefault(conversation_id, {})
            here[user_id] = Presence(user_id, name, typing, (draft or None) and draft[:MAX_DRAFT], now)
            return self._others(here, user_id, now)

    def leave(self, conversation_id: int, user_id: int) -> None:
        with self._lock:
            self._by_conversation.get(conversation_id, {}).pop(user_id, None)

    def others(self, conversation_id: int, user_id: int | None) -> list[Presence]:
        with self._lock:
            return self._others(self._by_conversation.get(conversation_id, {}), user_id, self._clock())

    def _others(self, here: dict[int, Presence], user_id: int | None, now: float) -> list[Presence]:
        for uid in [u for u, p in here.items() if now - p.seen > TTL_SECONDS]:
            del here[uid]
        return sorted((p for u, p in here.items() if u != user_id), key=lambda p: p.name)

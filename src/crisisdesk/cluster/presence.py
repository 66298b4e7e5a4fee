"""Who has a conversation open, shared by every front end of the distributed mode (a Redis hash
per conversation, each viewer's entry with its own time; the hash expires with the last viewer).

Presence is worth seconds: when Redis does not answer, a front end answers "nobody else" rather
than fail the conversation view."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

import orjson
import redis

from crisisdesk.inbox.presence import MAX_DRAFT, TTL_SECONDS, Presence

log = logging.getLogger(__name__)


class RedisPresenceBoard:
    """:class:`crisisdesk.inbox.presence.PresenceBoard`'s interface over Redis."""

    def __init__(self, client: redis.Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.prefix = prefix
        self._clock = clock  # wall time: the front ends' clocks, not each process's own monotonic one

    def _key(self, conversation_id: int) -> str:
        return f"{self.prefix}:presence:{conversation_id}"

    def beat(self, conversation_id: int, user_id: int, name: str, *, typing: bool = False,
             draft: str | None = None) -> list[Presence]:
        entry = {"name": name, "typing": typing, "draft": (draft or None) and draft[:MAX_DRAFT],
                 "seen": self._clock()}
        key = self._key(conversation_id)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(key, str(user_id), orjson.dumps(entry))
            pipe.expire(key, int(TTL_SECONDS) + 1)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("presence not shared (%s)", exc)
            return []
        return self.others(conversation_id, user_id)

    def leave(self, conversation_id: int, user_id: int) -> None:
        try:
            self.client.hdel(self._key(conversation_id), str(user_id))
        except redis.RedisError as exc:
            log.warning("presence not shared (%s)", exc)

    def others(self, conversation_id: int, user_id: int | None) -> list[Presence]:
        key = self._key(conversation_id)
        try:
            entries = self.client.hgetall(key)
        except redis.RedisError as exc:
            log.warning("presence not read (%s)", exc)
            return []
        now = self._clock()
        out, stale = [], []
        for uid_raw, raw in entries.items():
            uid = int(uid_raw)
            data = orjson.loads(raw)
            if now - float(data["seen"]) > TTL_SECONDS:
                stale.append(uid_raw)
            elif uid != user_id:
                out.append(Presence(uid, str(data["name"]), bool(data["typing"]), data.get("draft"),
                                    float(data["seen"])))
        if stale:
            with contextlib.suppress(redis.RedisError):
                self.client.hdel(key, *stale)
        return sorted(out, key=lambda p: p.name)

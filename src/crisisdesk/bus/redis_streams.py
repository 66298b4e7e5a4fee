"""The bus of the distributed mode: Redis Streams with consumer groups.

Each topic is a stream (``{prefix}:{topic}``); each consumer group reads it once between all its
consumers, and a message stays *pending* for the consumer that read it until that consumer acks it
after its effects are committed. A consumer that dies leaves its pending messages behind: any
other consumer of the group claims them once they have been idle ``claim_idle`` seconds
(``XAUTOCLAIM``), which counts one more delivery. A message delivered ``max_deliveries`` times
without an ack is a poison message: it goes to the topic's dead-letter stream
(``{prefix}:{topic}:dead``) with the group, the number of deliveries and the last error, and the
rest of the topic flows on. ``crisisdesk bus dead`` lists them and ``crisisdesk bus replay`` puts
them back.

Redis never forgets a consumer by itself, and every process reads under a name of its own: a
process that stops cleanly leaves the groups it read from (:meth:`RedisBus.leave`), and the consumers
of processes killed without a word are pruned (:meth:`RedisBus.prune`) once they have been idle
:data:`STALE_CONSUMER_SECONDS`. Neither ever deletes a consumer that still has pending messages
(``XGROUP DELCONSUMER`` would drop them): those stay until another consumer claims its messages.

Messages are orjson documents in one field, so whatever the in-process bus carries, this carries.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from crisisdesk.bus.base import Delivery, Message

#: The one field of a stream entry: the message as an orjson document.
FIELD = b"m"

#: A consumer with no pending message, idle this long (seconds) and not named by a live process's
#: heartbeat, is pruned by the lease holder's housekeeping. Deleting a consumer without pending
#: messages loses nothing (the check and the delete are one script, and a process still reading
#: under that name simply re-creates it), so the bound is not what keeps messages safe; it is a
#: guard against guessing wrong: a consumer whose heartbeat is missing for a while (Redis failing
#: over, a process that reads without one) but that still reads is never touched. An hour is 120
#: times the default claim time and far beyond any pause of a live consumer, yet short enough that
#: even a process restarting every minute leaves no more than some 60 dead names per group. The
#: count that says who is alive does not wait for it (``GroupStats.active``).
STALE_CONSUMER_SECONDS = 3600.0

# Deletes, in one step, the consumers of a group that have no pending message and have been idle at
# least ARGV[2] ms: with ARGV[3] = "only" those named in ARGV[4..], with "except" all others. Returns
# the names deleted. One script, so that no message can be delivered to a consumer between the check
# and the delete (XGROUP DELCONSUMER drops the consumer's pending entries).
_DELETE_IDLE_CONSUMERS = """
local named = {}
for i = 4, #ARGV do named[ARGV[i]] = true end
local only = ARGV[3] == 'only'
local removed = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #consumer, 2 do f[consumer[i]] = consumer[i + 1] end
  local chosen = (named[f['name']] ~= nil) == only
  if chosen and tonumber(f['pending']) == 0 and tonumber(f['idle']) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    removed[#removed + 1] = f['name']
  end
end
return removed
"""


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One consumer group of one topic, as ``crisisdesk status`` and ``/metrics`` show it."""

    topic: str
    group: str
    #: Consumers Redis knows in the group: the live ones and those of processes gone that were not
    #: pruned yet (idle less than :data:`STALE_CONSUMER_SECONDS`, or with pending messages).
    consumers: int
    #: Of those, the live ones: a process with a heartbeat reads under that name, or the consumer
    #: touched the group within the claim time.
    active: int
    #: Read but not acknowledged (in flight, or left by a consumer that died).
    pending: int
    #: Published but not yet read by the group (None when Redis cannot tell: a trimmed stream).
    lag: int | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str  # the id in the dead-letter stream
    topic: str
    group: str
    original_id: str
    deliveries: int
    error: str
    message: Message

    @property
    def items(self) -> int:
        """How many items (raw items or prepared posts) the message carries; 0 when it is malformed."""
        message = self.message if isinstance(self.message, dict) else {}
        carried = message.get("items", message.get("posts"))
        return len(carried) if isinstance(carried, list) else 0


def consumer_name() -> str:
    """A name no other process uses: host, process id and a random part (a restarted process with
    the same pid must not inherit the pending messages of its dead predecessor by name)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RedisBus:
    """A :class:`~crisisdesk.bus.base.Bus` on Redis Streams, shared by any number of processes."""

    def __init__(self, url: str, *, consumer: str | None = None, prefix: str = "crisisdesk",
                 claim_idle: float = 30.0, max_deliveries: int = 5,
                 stale_after: float = STALE_CONSUMER_SECONDS) -> None:
        self.client: redis.Redis = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5,
                                                        health_check_interval=30)
        self.url = url
        self.consumer = consumer or consumer_name()
        self.prefix = prefix
        self.claim_idle = claim_idle
        self.max_deliveries = max_deliveries
        #: Seconds a consumer without pending messages must have been idle before :meth:`prune`.
        self.stale_after = stale_after
        #: The (topic, group) pairs this consumer read from: what :meth:`leave` leaves.
        self.joined: set[tuple[str, str]] = set()
        self._delete_idle = self.client.register_script(_DELETE_IDLE_CONSUMERS)

    # -- keys -------------------------------------------------------------------------------------

    def key(self, topic: str) -> str:
        return f"{self.prefix}:{topic}"

    def dead_key(self, topic: str) -> str:
        return f"{self.prefix}:{topic}:dead"

    def _errors_key(self, topic: str, group: str) -> str:
        return f"{self.prefix}:{topic}:errors:{group}"

    # -- the Bus protocol -------------------------------------------------------------------------

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        if not messages:
            return
        pipe = self.client.pipeline(transaction=False)
        for message in messages:
            pipe.xadd(self.key(topic), {FIELD: encode(message)})
        pipe.execute()

    def subscribe(self, topic: str, group: str, *, from_start: bool = False) -> None:
        """Create the group if it does not exist (the stream too). ``from_start``: the group also
        sees what the stream holds already, which a pipeline stage wants (a front end may publish
        before the first worker ever started); a live listener wants only what comes next."""
        try:
            self.client.xgroup_create(self.key(topic), group, id="0" if from_start else "$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def has_subscribers(self, topic: str) -> bool:
        try:
            return bool(self.client.xinfo_groups(self.key(topic)))
        except redis.ResponseError:  # no such stream
            return False

    def read(self, topic: str, group: str, *, max_count: int = 1000, block: float = 0.0) -> list[Delivery]:
        """Messages left by dead consumers first (idle ``claim_idle`` s), then new ones, waiting up
        to ``block`` seconds for one. Poison messages are moved to the dead-letter stream here."""
        self.joined.add((topic, group))
        claimed = self._claim(topic, group, max_count)
        if claimed:
            return claimed
        reply: Any = self.client.xreadgroup(group, self.consumer, {self.key(topic): ">"}, count=max_count,
                                            block=int(block * 1000) if block > 0 else None)
        return [d for _stream, entries in reply or [] for d in self._deliveries(entries)]

    def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.xack(self.key(topic), group, *ids)
        pipe.hdel(self._errors_key(topic, group), *ids)
        pipe.execute()

    # -- beyond the protocol: failures, dead letters, statistics ---------------------------------

    def fail(self, topic: str, group: str, message_id: str, error: str) -> None:
        """Keep why handling a message failed; it stays pending and is claimed again after
        ``claim_idle`` (by this consumer or another), until ``max_deliveries`` is reached."""
        self.client.hset(self._errors_key(topic, group), message_id, error[:2000])

    def _claim(self, topic: str, group: str, max_count: int) -> list[Delivery]:
        key = self.key(topic)
        try:
            reply = self.client.xautoclaim(key, group, self.consumer, int(self.claim_idle * 1000),
                                           start_id="0-0", count=max_count)
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                raise KeyError(f"group {group!r} has not subscribed to {topic!r}") from exc
            raise
        entries = [(i, f) for i, f in reply[1] if f is not None]
        if not entries:
            return []
        pipe = self.client.pipeline(transaction=False)
        for message_id, _fields in entries:
            pipe.xpending_range(key, group, min=message_id, max=message_id, count=1)
        counts = {_text(p[0]["message_id"]): int(p[0]["times_delivered"])
                  for p in pipe.execute() if p}
        keep: list[tuple[Any, Any]] = []
        dead: list[tuple[Any, Any]] = []
        for entry in entries:
            (dead if counts.get(_text(entry[0]), 1) > self.max_deliveries else keep).append(entry)
        if dead:
            self._bury(topic, group, dead, counts)
        return self._deliveries(keep)

    def _bury(self, topic: str, group: str, entries: list[tuple[Any, Any]], counts: dict[str, int]) -> None:
        errors_key = self._errors_key(topic, group)
        ids = [_text(i) for i, _ in entries]
        errors = self.client.hmget(errors_key, ids)
        pipe = self.client.pipeline(transaction=True)
        for (message_id, fields), error in zip(entries, errors, strict=True):
            mid = _text(message_id)
            pipe.xadd(self.dead_key(topic), {
                b"topic": topic, b"group": group, b"id": mid, b"deliveries": str(counts.get(mid, 0) - 1),
                b"error": error or b"(no error was recorded: the consumer died while handling it)",
                FIELD: fields.get(FIELD, b"null")})
        pipe.xack(self.key(topic), group, *ids)
        pipe.hdel(errors_key, *ids)
        pipe.execute()

    @staticmethod
    def _deliveries(entries: Sequence[tuple[Any, Any]]) -> list[Delivery]:
        return [Delivery(_text(i), decode(f.get(FIELD, b"null")) or {}) for i, f in entries if f]

    def dead_letters(self, topic: str, *, limit: int = 100) -> list[DeadLetter]:
        out = []
        entries: Any = self.client.xrange(self.dead_key(topic), count=limit)
        for entry_id, f in entries or []:
            out.append(DeadLetter(
                id=_text(entry_id), topic=_text(f.get(b"topic", b"")), group=_text(f.get(b"group", b"")),
                original_id=_text(f.get(b"id", b"")), deliveries=int(f.get(b"deliveries", b"0")),
                error=_text(f.get(b"error", b"")), message=decode(f.get(FIELD, b"null")) or {}))
        return out

    def dead_count(self, topic: str) -> int:
        return int(self.client.xlen(self.dead_key(topic)))

    def replay_dead(self, topic: str, ids: Sequence[str] | None = None) -> int:
        """Put dead letters back on their topic (all of them, or those named): every group sees
        them again as new messages. Returns how many went back."""
        letters = self.dead_letters(topic, limit=1_000_000)
        chosen = [d for d in letters if ids is None or d.id in ids]
        if not chosen:
            return 0
        pipe = self.client.pipeline(transaction=True)
        for letter in chosen:
            pipe.xadd(self.key(topic), {FIELD: encode(letter.message)})
        pipe.xdel(self.dead_key(topic), *[d.id for d in chosen])
        pipe.execute()
        return len(chosen)

    def stats(self, topic: str, *, alive: Collection[str] = ()) -> list[GroupStats]:
        """Each group of the topic. ``alive``: the names of the processes known to be alive (by
        their heartbeats); their consumers count as active however long they have waited for a
        message (Redis before 7.2 does not refresh a consumer's idle time when it reads nothing)."""
        key = self.key(topic)
        try:
            groups = self.client.xinfo_groups(key)
        except redis.ResponseError:
            return []
        if not groups:
            return []
        pipe = self.client.pipeline(transaction=False)
        for g in groups:
            pipe.xinfo_consumers(key, _text(g["name"]))
        members: list[Any] = pipe.execute(raise_on_error=False)
        recent = self.claim_idle * 1000
        out = []
        for g, consumers in zip(groups, members, strict=True):
            known = consumers if isinstance(consumers, list) else []  # the group went meanwhile
            active = sum(1 for c in known if _text(c["name"]) in alive or int(c["idle"]) < recent)
            out.append(GroupStats(topic=topic, group=_text(g["name"]), consumers=int(g["consumers"]),
                                  active=active, pending=int(g["pending"]),
                                  lag=None if g.get("lag") is None else int(g["lag"])))
        return out

    def consumers(self, topic: str, group: str) -> dict[str, tuple[int, float]]:
        """The group's consumers by name: (pending messages, seconds idle); empty without the group."""
        try:
            reply = self.client.xinfo_consumers(self.key(topic), group)
        except redis.ResponseError:
            return {}
        return {_text(c["name"]): (int(c["pending"]), int(c["idle"]) / 1000) for c in reply}

    def leave(self) -> list[tuple[str, str]]:
        """Delete this process's own consumer from every group it read from, where it has no
        pending message (one that has keeps its consumer, so that another claims the messages).
        For a process that stops cleanly; returns the (topic, group) pairs left."""
        left = []
        for topic, group in sorted(self.joined):
            if self._delete(topic, group, 0, "only", [self.consumer]):
                left.append((topic, group))
        return left

    def prune(self, topic: str, group: str, *, keep: Collection[str] = (),
              idle: float | None = None) -> list[str]:
        """Delete the group's consumers that have no pending message and have been idle ``idle``
        seconds (default :attr:`stale_after`), except this one and those named in ``keep`` (the
        processes alive). Returns the names deleted."""
        bound = self.stale_after if idle is None else idle
        return self._delete(topic, group, int(bound * 1000), "except", [self.consumer, *keep])

    def _delete(self, topic: str, group: str, idle_ms: int, mode: str, names: Sequence[str]) -> list[str]:
        try:
            removed: Any = self._delete_idle(keys=[self.key(topic)], args=[group, idle_ms, mode, *names])
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc) or "no such key" in str(exc):
                return []
            raise
        return [_text(name) for name in removed or []]

    def trim(self, topic: str) -> int:
        """Drop entries every group has read and acknowledged (streams do not forget by
        themselves); returns how many went. Safe at any time: the cut is below every group's
        oldest pending message and last read position."""
        key = self.key(topic)
        try:
            groups = self.client.xinfo_groups(key)
        except redis.ResponseError:
            return 0
        if not groups:
            return 0
        floor: list[tuple[int, int]] = []
        for g in groups:
            floor.append(_stream_id(_text(g["last-delivered-id"])))
            if int(g["pending"]):
                summary = self.client.xpending(key, _text(g["name"]))
                floor.append(_stream_id(_text(summary["min"])))
        low = min(floor)
        if low == (0, 0):
            return 0
        return int(self.client.xtrim(key, minid=f"{low[0]}-{low[1]}", approximate=False))

    def ping(self) -> bool:
        return bool(self.client.ping())

    def close(self) -> None:
        self.client.close()


def encode(message: Message) -> bytes:
    """orjson, or the standard library where orjson refuses (an integer beyond 64 bits, half a
    surrogate pair in a text a platform sent): what one process accepted, the next must read."""
    try:
        return orjson.dumps(message)
    except TypeError:
        return json.dumps(message).encode()


def decode(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stream_id(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)

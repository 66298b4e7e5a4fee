"""The Redis Streams bus against the machine's real Redis: groups, acknowledgement, claiming what a
dead consumer left, dead letters, replay, trimming and statistics."""

from __future__ import annotations

import time
from typing import Any

import pytest

from crisisdesk.bus.redis_streams import RedisBus


def bus(url: str, prefix: str, name: str, **kw: float) -> RedisBus:
    return RedisBus(url, prefix=prefix, consumer=name, **kw)  # type: ignore[arg-type]


def test_each_group_sees_each_message_once_across_consumers(redis_url: str, bus_prefix: str) -> None:
    a, b = bus(redis_url, bus_prefix, "a"), bus(redis_url, bus_prefix, "b")
    a.subscribe("t", "g", from_start=True)
    a.subscribe("t", "other", from_start=True)
    a.publish("t", [{"n": i} for i in range(10)])
    got_a = a.read("t", "g", max_count=4)
    got_b = b.read("t", "g", max_count=100)
    assert sorted(d.message["n"] for d in [*got_a, *got_b]) == list(range(10))
    assert {d.message["n"] for d in got_a}.isdisjoint({d.message["n"] for d in got_b})
    # the other group reads all ten on its own
    assert [d.message["n"] for d in a.read("t", "other")] == list(range(10))
    assert a.read("t", "g") == []


def test_a_group_created_from_start_sees_what_was_published_before(redis_url: str, bus_prefix: str) -> None:
    a = bus(redis_url, bus_prefix, "a")
    a.subscribe("t", "early", from_start=True)  # a front end makes sure the stage's group exists
    a.publish("t", [{"n": 1}])
    a.subscribe("t", "live")  # a live listener: only what comes next
    a.publish("t", [{"n": 2}])
    assert [d.message["n"] for d in a.read("t", "early")] == [1, 2]
    assert [d.message["n"] for d in a.read("t", "live")] == [2]


def test_unacknowledged_messages_of_a_dead_consumer_are_claimed_after_the_idle_time(
        redis_url: str, bus_prefix: str) -> None:
    dead = bus(redis_url, bus_prefix, "dead", claim_idle=0.3)
    alive = bus(redis_url, bus_prefix, "alive", claim_idle=0.3)
    dead.subscribe("t", "g", from_start=True)
    dead.publish("t", [{"n": 1}, {"n": 2}])
    taken = dead.read("t", "g")
    dead.ack("t", "g", [taken[0].id])  # the second was in the middle of its batch when it died
    assert alive.read("t", "g") == []  # not idle long enough yet: its owner may still be working
    time.sleep(0.4)
    again = alive.read("t", "g")
    assert [(d.id, d.message) for d in again] == [(taken[1].id, {"n": 2})]
    alive.ack("t", "g", [again[0].id])
    time.sleep(0.4)
    assert alive.read("t", "g") == []
    assert alive.stats("t")[0].pending == 0


def test_a_poison_message_goes_to_the_dead_letters_and_the_rest_flows(redis_url: str,
                                                                    bus_prefix: str) -> None:
    b = bus(redis_url, bus_prefix, "w", claim_idle=0.05, max_deliveries=3)
    b.subscribe("t", "g", from_start=True)
    b.publish("t", [{"n": "poison"}, {"n": 1}])
    handled, attempts = [], 0
    for _ in range(40):
        for d in b.read("t", "g", block=0.05):
            if d.message["n"] == "poison":
                attempts += 1
                b.fail("t", "g", d.id, f"ValueError: cannot handle attempt {attempts}")
            else:
                handled.append(d.message["n"])
                b.ack("t", "g", [d.id])
        time.sleep(0.06)
    assert handled == [1]
    assert attempts == 3
    letters = b.dead_letters("t")
    assert len(letters) == 1
    letter = letters[0]
    assert (letter.group, letter.deliveries, letter.message) == ("g", 3, {"n": "poison"})
    assert letter.error == "ValueError: cannot handle attempt 3"
    assert b.stats("t")[0].pending == 0
    # replayed, it is a new message for every group
    assert b.replay_dead("t") == 1
    assert b.dead_count("t") == 0
    assert [d.message for d in b.read("t", "g")] == [{"n": "poison"}]


def test_a_consumer_that_dies_each_time_still_ends_in_the_dead_letters(redis_url: str,
                                                                      bus_prefix: str) -> None:
    b = bus(redis_url, bus_prefix, "w", claim_idle=0.05, max_deliveries=2)
    b.subscribe("t", "g", from_start=True)
    b.publish("t", [{"n": 1}])
    for _ in range(3):  # read, never acked, never failed: like a process killed by the message
        b.read("t", "g")
        time.sleep(0.06)
    b.read("t", "g")
    [letter] = b.dead_letters("t")
    assert letter.deliveries == 2 and "died" in letter.error


def test_trim_drops_only_what_every_group_is_done_with(redis_url: str, bus_prefix: str) -> None:
    b = bus(redis_url, bus_prefix, "w")
    b.subscribe("t", "fast", from_start=True)
    b.subscribe("t", "slow", from_start=True)
    b.publish("t", [{"n": i} for i in range(6)])
    b.ack("t", "fast", [d.id for d in b.read("t", "fast")])
    slow = b.read("t", "slow", max_count=3)
    b.ack("t", "slow", [slow[0].id])  # 1 and 2 still pending: kept
    b.trim("t")
    assert b.client.xlen(b.key("t")) == 5
    b.ack("t", "slow", [d.id for d in slow[1:]])
    b.ack("t", "slow", [d.id for d in b.read("t", "slow")])
    b.trim("t")
    assert b.client.xlen(b.key("t")) <= 1  # the last read entry may stay as the groups' position


def test_stats_say_lag_and_pending(redis_url: str, bus_prefix: str) -> None:
    b = bus(redis_url, bus_prefix, "w")
    b.subscribe("t", "g", from_start=True)
    b.publish("t", [{"n": i} for i in range(5)])
    b.read("t", "g", max_count=2)
    [s] = b.stats("t")
    assert (s.group, s.pending, s.lag, s.consumers) == ("g", 2, 3, 1)
    assert b.has_subscribers("t") and not b.has_subscribers("nothing")


def test_reading_a_group_that_was_never_created_is_a_clear_error(redis_url: str, bus_prefix: str) -> None:
    b = bus(redis_url, bus_prefix, "w")
    b.publish("t", [{"n": 1}])
    with pytest.raises(KeyError, match="has not subscribed"):
        b.read("t", "nobody")


# -- consumers: leaving, pruning, counting the live ones ---------------------------------------------


def names(b: RedisBus, group: str = "g") -> dict[str, int]:
    """The group's consumers and their pending messages, as Redis says."""
    return {n: pending for n, (pending, _idle) in b.consumers("t", group).items()}


def test_a_consumer_with_pending_messages_is_never_deleted(redis_url: str, bus_prefix: str) -> None:
    busy = bus(redis_url, bus_prefix, "busy", stale_after=0.1)
    other = bus(redis_url, bus_prefix, "other", stale_after=0.1)
    busy.subscribe("t", "g", from_start=True)
    busy.publish("t", [{"n": 1}, {"n": 2}])
    [taken] = busy.read("t", "g", max_count=1)  # read, never acknowledged: it died, or hangs
    time.sleep(0.2)
    assert other.prune("t", "g") == []  # idle beyond the bound, but its message would be lost
    assert other.prune("t", "g", idle=0) == []
    assert busy.leave() == []  # a clean stop keeps it too, for another to claim its message
    assert names(other) == {"busy": 1}
    assert other.stats("t")[0].pending == 1
    # once it is acknowledged, nothing holds the consumer any more
    busy.ack("t", "g", [taken.id])
    assert other.prune("t", "g") == ["busy"]
    assert names(other) == {}


def test_an_idle_consumer_without_pending_messages_is_pruned(redis_url: str, bus_prefix: str) -> None:
    pruner = bus(redis_url, bus_prefix, "pruner", stale_after=0.3)
    pruner.subscribe("t", "g", from_start=True)
    pruner.publish("t", [{"n": i} for i in range(4)])
    for name in ("dead", "alive-elsewhere", "pruner"):  # each reads and finishes one message
        b = bus(redis_url, bus_prefix, name)
        b.ack("t", "g", [d.id for d in b.read("t", "g", max_count=1)])
    time.sleep(0.4)
    recent = bus(redis_url, bus_prefix, "recent")
    recent.ack("t", "g", [d.id for d in recent.read("t", "g", max_count=1)])
    assert set(names(pruner)) == {"dead", "alive-elsewhere", "pruner", "recent"}
    # the pruner itself, a name a live process beats with, and a consumer not idle long are kept
    assert pruner.prune("t", "g", keep={"alive-elsewhere"}) == ["dead"]
    assert set(names(pruner)) == {"alive-elsewhere", "pruner", "recent"}
    # a consumer deleted while its process still reads is simply made again: nothing is lost
    pruner.publish("t", [{"n": 9}])
    again = bus(redis_url, bus_prefix, "dead")
    assert [d.message for d in again.read("t", "g")] == [{"n": 9}]
    assert names(pruner)["dead"] == 1
    assert pruner.prune("t", "nobody") == [] and pruner.prune("nothing", "g") == []


def test_a_clean_stop_removes_its_own_consumer_from_every_group_it_read(redis_url: str,
                                                                      bus_prefix: str) -> None:
    leaving = bus(redis_url, bus_prefix, "leaving")
    staying = bus(redis_url, bus_prefix, "staying")
    for group in ("g", "h"):
        leaving.subscribe("t", group, from_start=True)
    leaving.publish("t", [{"n": 1}, {"n": 2}])
    for group in ("g", "h"):
        leaving.ack("t", group, [d.id for d in leaving.read("t", group, max_count=1)])
        staying.ack("t", group, [d.id for d in staying.read("t", group, max_count=1)])
    assert leaving.leave() == [("t", "g"), ("t", "h")]
    assert names(staying, "g") == {"staying": 0} and names(staying, "h") == {"staying": 0}
    assert [(s.group, s.consumers) for s in staying.stats("t")] == [("g", 1), ("h", 1)]


def test_stats_count_the_live_consumers_apart_from_those_redis_remembers(redis_url: str,
                                                                         bus_prefix: str) -> None:
    live = bus(redis_url, bus_prefix, "live", claim_idle=0.3)
    live.subscribe("t", "g", from_start=True)
    live.publish("t", [{"n": 1}, {"n": 2}, {"n": 3}])
    # a process killed long ago: it read under its own name, then was gone without a word
    reply: Any = live.client.xreadgroup("g", "host:4242:dead01", {live.key("t"): ">"}, count=1)
    live.client.xack(live.key("t"), "g", reply[0][1][0][0])
    live.ack("t", "g", [d.id for d in live.read("t", "g", max_count=1)])
    time.sleep(0.4)
    [s] = live.stats("t", alive={"live"})  # it beats: alive, however long it waited for a message
    assert (s.consumers, s.active) == (2, 1)
    live.ack("t", "g", [d.id for d in live.read("t", "g", max_count=1)])
    [s] = live.stats("t")  # without heartbeats: active when it read within the claim time
    assert (s.consumers, s.active) == (2, 1)
    assert live.prune("t", "g", idle=0.3) == ["host:4242:dead01"]
    [s] = live.stats("t", alive={"live"})
    assert (s.consumers, s.active) == (1, 1)

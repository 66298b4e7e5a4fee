"""The in-process bus: groups, ordering, bounded memory."""

from __future__ import annotations

import pytest

from crisisdesk.bus.memory import MemoryBus


def test_each_group_sees_every_message_once_in_order() -> None:
    bus = MemoryBus()
    bus.subscribe("t", "a")
    bus.subscribe("t", "b")
    bus.publish("t", [{"n": i} for i in range(5)])
    first = bus.read("t", "a", max_count=3)
    assert [d.message["n"] for d in first] == [0, 1, 2]
    assert [d.message["n"] for d in bus.read("t", "a")] == [3, 4]
    assert bus.read("t", "a") == []
    assert [d.message["n"] for d in bus.read("t", "b")] == [0, 1, 2, 3, 4]


def test_messages_read_by_all_groups_are_dropped() -> None:
    bus = MemoryBus()
    bus.subscribe("t", "a")
    bus.subscribe("t", "b")
    bus.publish("t", [{"n": i} for i in range(10)])
    bus.read("t", "a")
    assert bus.pending("t") == 10  # b has not read yet
    bus.read("t", "b", max_count=4)
    assert bus.pending("t") == 6
    bus.read("t", "b")
    assert bus.pending("t") == 0


def test_publish_without_subscribers_keeps_nothing_and_unknown_group_fails() -> None:
    bus = MemoryBus()
    assert not bus.has_subscribers("t")
    bus.publish("t", [{"n": 1}])
    assert bus.pending("t") == 0
    with pytest.raises(KeyError, match="has not subscribed"):
        bus.read("t", "ghost")
    bus.subscribe("t", "late")
    assert bus.has_subscribers("t")
    assert bus.read("t", "late") == []

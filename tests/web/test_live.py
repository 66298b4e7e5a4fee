"""The live hub: pipeline threads hand situation events to every open page, never blocking."""

from __future__ import annotations

import asyncio
import json
import threading

from crisisdesk.web.live import QUEUE_SIZE, LiveHub


def test_events_from_another_thread_reach_every_page_and_a_slow_page_loses_only_old_ones() -> None:
    async def scenario() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        hub = LiveHub()
        fast, slow = hub.attach(), hub.attach()
        events = [{"event": "alert.opened", "situation": i, "monitor": "brand", "severity": 2,
                   "signals": {"posts": 99}} for i in range(QUEUE_SIZE + 5)]
        worker = threading.Thread(target=hub.publish_threadsafe, args=(events,))
        worker.start()
        worker.join()
        await asyncio.sleep(0.05)  # let the loop run the hand-over
        got_fast = [json.loads(fast.get_nowait().split("data: ", 1)[1]) for _ in range(fast.qsize())]
        got_slow = [json.loads(slow.get_nowait().split("data: ", 1)[1]) for _ in range(slow.qsize())]
        hub.detach(fast)
        hub.detach(slow)
        hub.publish_threadsafe(events[:1])  # nobody listens: nothing happens, nothing raises
        return got_fast, got_slow

    fast, slow = asyncio.run(scenario())
    assert len(fast) == QUEUE_SIZE and fast[-1]["situation"] == QUEUE_SIZE + 4  # the newest are kept
    assert fast == slow
    assert "signals" not in fast[0] and fast[0]["monitor"] == "brand"  # only what a page needs


def test_publishing_before_any_page_connected_is_harmless() -> None:
    LiveHub().publish_threadsafe([{"event": "alert.opened"}])

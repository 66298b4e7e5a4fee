"""What people do to a situation (acknowledge, change the severity, resolve) on the web page, over
the API or through the signed link reaches the runner's listeners once: the live pages and the
demo's timeline see it like a detector's event."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import insert

from crisisdesk.accounts.roles import Role
from crisisdesk.bus.base import Message
from crisisdesk.demo.dashboard_alerts import AlertFeed, SituationBoard, timeline_line
from crisisdesk.escalation.links import make_token
from crisisdesk.escalation.models import Escalation
from crisisdesk.web.live import LiveHub
from crisisdesk.workspace import secret_key
from tests.accounts.fixtures import PASSWORD, World, email_of
from tests.modes import eventually


def browser(world: World, role: Role) -> tuple[TestClient, str]:
    c = TestClient(world.client.app, base_url="http://localhost")
    assert c.post("/login", data={"email": email_of(role), "password": PASSWORD},
                  follow_redirects=False).status_code == 303
    match = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/").text)
    assert match
    return c, match.group(1)


class Seen:
    """A runner listener that keeps everything, and the demo's board fed like the demo feeds it."""

    def __init__(self, world: World) -> None:
        self.events: list[Message] = []
        self.feed = AlertFeed()
        self.board = SituationBoard()
        world.runtime.runner.listeners += [self.events.extend, self.feed]

    def timeline(self) -> list[str]:
        self.feed.pump(lambda event: self.board.observe(event, None))
        console = Console(width=300, color_system=None)
        lines = []
        for entry in self.board.drain_log():
            with console.capture() as cap:
                console.print(timeline_line(entry, width=300))
            lines.append(cap.get().strip())
        return lines


@pytest.fixture
def seen(world: World) -> Seen:
    return Seen(world)


def test_an_acknowledgement_on_the_web_page_reaches_the_listeners_and_the_demo_timeline(
        world: World, seen: Seen) -> None:
    c, csrf = browser(world, Role.CRISIS_LEAD)
    assert c.post(f"/situations/{world.situation_id}/ack", data={"csrf_token": csrf},
                  follow_redirects=False).status_code == 303
    eventually(lambda: len(seen.events) >= 1)
    [event] = seen.events
    assert event["event"] == "alert.acknowledged" and event["situation"] == world.situation_id
    assert event["by"] == "Crisis_Lead" and event["via"] == "web"
    [line] = seen.timeline()
    sid = world.situation_id
    assert re.search(rf"acknowledged +#{sid} bahn by Crisis_Lead \(web\): nothing left to stop$", line), line


def test_an_acknowledgement_over_the_api_and_the_signed_link_reach_the_listeners(world: World,
                                                                                 seen: Seen) -> None:
    sid = world.situation_id
    r = world.client.post(f"/api/v1/situations/{sid}/ack", headers=world.bearer(Role.AGENT))
    assert r.status_code == 200 and r.json()["via"] == "api"
    now = world.runtime.runner.clock.now()
    with world.engine.begin() as conn:  # an escalation that ran out: the link still acknowledges
        eid = conn.execute(insert(Escalation).values(
            situation_id=sid, severity=2, status="exhausted", chain="{}", next_step=1, next_at=None,
            started_at=now, updated_at=now).returning(Escalation.id)).scalar_one()
    token = make_token(secret_key(world.runtime.workspace, world.runtime.settings), sid, escalation_id=eid,
                       step=0, recipient="Lena", now=now)
    assert world.client.post(f"/ack/{sid}", data={"t": token}).status_code == 200
    eventually(lambda: len(seen.events) >= 2)
    assert [(e["event"], e["by"], e["via"]) for e in seen.events] == [
        ("alert.acknowledged", "Agent", "api"), ("alert.acknowledged", "Lena", "link")]
    assert [line.split(" by ", 1)[1] for line in seen.timeline()] == [
        "Agent (API): nothing left to stop", "Lena (signed link): nothing left to stop"]
    # nothing is published for a situation that does not exist
    missing = world.client.post("/api/v1/situations/999/ack", headers=world.bearer(Role.AGENT))
    assert missing.status_code == 404
    assert len(seen.events) == 2


def test_severity_changes_and_resolutions_by_hand_reach_the_listeners(world: World, seen: Seen) -> None:
    c, csrf = browser(world, Role.CRISIS_LEAD)
    sid = world.situation_id
    c.post(f"/situations/{sid}/severity", data={"csrf_token": csrf, "severity": "1", "reason": "quiet now"})
    c.post(f"/situations/{sid}/severity", data={"csrf_token": csrf, "severity": "3", "reason": "press"})
    c.post(f"/situations/{sid}/resolve", data={"csrf_token": csrf, "reason": "done"})
    eventually(lambda: sum(e["event"].startswith("alert.") for e in seen.events) >= 3
               and sum(e["event"].startswith("crisis.") for e in seen.events) >= 2)
    alerts = [e for e in seen.events if e["event"].startswith("alert.")]
    assert [(e["event"], e["severity"], e["via"]) for e in alerts] == [
        ("alert.updated", 1, "web"), ("alert.updated", 3, "web"), ("alert.resolved", 3, "web")]
    # Raised to 3 by hand, it opened a crisis of its own; resolved, the crisis ended with it.
    crises = [(e["event"], e["situations"]) for e in seen.events if e["event"].startswith("crisis.")]
    assert crises == [("crisis.opened", [sid]), ("crisis.resolved", [sid])]
    lowered, raised, resolved = seen.timeline()
    who = r"by Crisis_Lead \(web\)"
    assert re.search(rf"lowered +#{sid} bahn \(spike\) severity 2 → 1 \S+ {who}: quiet now$", lowered)
    assert re.search(rf"raised +#{sid} bahn \(spike\) severity 1 → 3 \S+ {who}: press$", raised)
    assert re.search(rf"resolved +#{sid} bahn \(spike\) resolved, peak level 3 \S+ {who}: done$", resolved)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop in a thread, standing in for the server's (the live hub hands over to it)."""
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(5)
    running.close()


def test_the_live_hub_gets_a_person_s_event_once(world: World, loop: asyncio.AbstractEventLoop) -> None:
    hub: LiveHub = world.client.app.state.live  # type: ignore[attr-defined]

    async def attach() -> asyncio.Queue[str]:
        return hub.attach()

    async def drain(queue: asyncio.Queue[str]) -> list[str]:
        await asyncio.sleep(0.05)  # let the hand-over run
        return [queue.get_nowait() for _ in range(queue.qsize())]

    queue = asyncio.run_coroutine_threadsafe(attach(), loop).result(5)
    world.client.post(f"/api/v1/situations/{world.situation_id}/ack", headers=world.bearer(Role.AGENT))
    c, csrf = browser(world, Role.CRISIS_LEAD)
    c.post(f"/situations/{world.situation_id}/ack", data={"csrf_token": csrf})
    frames = asyncio.run_coroutine_threadsafe(drain(queue), loop).result(5)
    assert all(f.startswith("event: alert\ndata: ") for f in frames), frames
    got = [json.loads(f.split("data: ", 1)[1]) for f in frames]
    assert [(e["event"], e["via"]) for e in got] == [("alert.acknowledged", "api"),
                                                     ("alert.acknowledged", "web")]

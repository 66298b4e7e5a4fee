"""A reply from the inbox reaches the platform exactly once, through a storm of rate limits and
across a restart between queueing and sending, on both databases: the agent answers over
``POST /api/v1/conversations/{id}/messages``, the loopback Bot API (tests/fakes/telegram_bot.py)
answers ``429 Too Many Requests`` with ``retry_after`` several times, the sender that ``serve``
runs waits each time as told and sends once the platform takes it; a process that queued a reply
and stopped leaves it to the next one, which sends it once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.core.clock import SystemClock
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.accounts.fixtures import FakeClock
from tests.channels.test_outbox_flow import runtime_of, token
from tests.fakes.http_sink import HttpSink, Recorded, Reply
from tests.fakes.telegram_bot import TelegramBotApi, flood
from tests.inbox.test_conversations import LENA, message

__all__ = ["bot", "client", "workspace"]
from tests.channels.test_outbox_flow import bot, client, workspace

TEXT = "Das tut uns leid, Lena. Bitte laden Sie den Akku nicht mehr; wir rufen Sie heute bis 18 Uhr an."


@pytest.fixture
def sends(bot: tuple[HttpSink, TelegramBotApi]) -> list[int]:
    """The status the platform answered each sendMessage call with, in order."""
    sink, api = bot
    answered: list[int] = []

    def responder(rec: Recorded) -> Reply:
        reply = api(rec)
        if rec.path.endswith("/sendMessage"):
            answered.append(reply.status)
        return reply

    sink.responder = responder
    return answered


def conversation_of(client: TestClient, agent: dict[str, str]) -> int:
    items = client.get("/api/v1/conversations", headers=agent).json()["items"]
    assert len(items) == 1
    return int(items[0]["id"])


def last_message(client: TestClient, conversation: int, agent: dict[str, str]) -> dict[str, object]:
    detail = client.get(f"/api/v1/conversations/{conversation}", headers=agent).json()
    out: dict[str, object] = detail["messages"][-1]
    return out


def test_a_reply_goes_out_once_through_a_storm_of_rate_limits(
        client: TestClient, bot: tuple[HttpSink, TelegramBotApi], sends: list[int]) -> None:
    _, api = bot
    api.message(LENA, 50)
    message(client, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    agent = token(client, Role.AGENT)
    conversation = conversation_of(client, agent)
    api.fail_next(*[flood(30)] * 5)
    queued = client.post(f"/api/v1/conversations/{conversation}/messages", json={"text": TEXT}, headers=agent)
    assert queued.status_code == 202, queued.text
    runtime = runtime_of(client)
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    sender = runtime.new_outbox_sender(clock)
    for storm in range(5):
        sender.run_once()
        assert sends == [429] * (storm + 1)
        waiting = last_message(client, conversation, agent)
        assert waiting["status"] == "queued" and "retry after 30" in str(waiting["error"])
        sender.run_once()  # the platform said 30 s: nothing is tried before
        clock.advance(seconds=29)
        sender.run_once()
        assert len(sends) == storm + 1
        clock.advance(seconds=2 + 30 * 2 ** storm)  # past the wait and the backoff with its jitter
    sender.run_once()
    assert sends == [429] * 5 + [200]
    sent = last_message(client, conversation, agent)
    assert sent["status"] == "sent" and str(sent["external_id"]).startswith(f"{LENA}:")
    clock.advance(hours=1)
    sender.run_once()
    assert sends == [429] * 5 + [200]  # never twice


def test_a_reply_queued_before_a_restart_is_sent_once_by_the_next_process(
        workspace: Path, bot: tuple[HttpSink, TelegramBotApi], sends: list[int]) -> None:
    _, api = bot
    api.message(LENA, 50)
    first = build_runtime(load_workspace(workspace, Settings()), Settings(), clock=SystemClock())
    with TestClient(create_app(first, api_token="t")) as c:
        message(c, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
        agent = token(c, Role.AGENT)
        conversation = conversation_of(c, agent)
        queued = c.post(f"/api/v1/conversations/{conversation}/messages", json={"text": TEXT}, headers=agent)
        assert queued.status_code == 202, queued.text
    first.close()  # the process stops before its sender ran
    assert sends == []

    second = build_runtime(load_workspace(workspace, Settings()), Settings(), clock=SystemClock())
    try:
        with TestClient(create_app(second, api_token="t")) as c:
            # serve's sender runs in the background of the app; give it the round it needs
            for _ in range(3):
                second.new_outbox_sender(SystemClock()).run_once()
            assert sends == [200]
            out = last_message(c, conversation, agent)
            assert out["status"] == "sent" and out["text"] == TEXT
    finally:
        second.close()
    assert sends == [200]

"""What colleagues change reaches open pages once it is committed, on both databases: an assignment,
a note, a reply queued, the reply sent and refused, each announced to the runtime's inbox
listeners (the live hub) with the conversation or its thread and who did it; a refused change
announces nothing; the conversation page carries what its script compares (thread, reader)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from crisisdesk.core.clock import SystemClock
from tests.channels.test_outbox_flow import runtime_of, token
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi, error
from tests.inbox.test_conversations import LENA, message

__all__ = ["bot", "client", "workspace"]
from tests.channels.test_outbox_flow import bot, client, workspace

AGENT = "agent@example.org"


def changes(heard: list[dict[str, Any]]) -> list[tuple[list[int], list[str], list[str]]]:
    """The ``inbox.changed`` announcements heard so far (conversations, threads, by), then forgets them."""
    out = [(h["conversations"], h["threads"], h["by"]) for h in heard if h["event"] == "inbox.changed"]
    heard.clear()
    return out


def test_changes_are_announced_after_commit_with_who_made_them(
        client: TestClient, bot: tuple[HttpSink, TelegramBotApi]) -> None:
    _, api = bot
    api.message(LENA, 50)
    message(client, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    runtime = runtime_of(client)
    heard: list[dict[str, Any]] = []
    runtime.runner.inbox_listeners.append(heard.append)
    agent = token(client, Role.AGENT)
    item = client.get("/api/v1/conversations", headers=agent).json()["items"][0]
    cid = item["id"]
    thread = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()["thread"]
    me = client.get("/api/v1/me", headers=agent).json()["user"]["id"]

    assert client.patch(f"/api/v1/conversations/{cid}", headers=agent,
                        json={"assignee_user_id": me, "priority": "urgent"}).status_code == 200
    assert changes(heard) == [([cid], [], [AGENT])]
    refused = client.patch(f"/api/v1/conversations/{cid}", json={"assignee_user_id": 99999}, headers=agent)
    assert refused.status_code == 422 and changes(heard) == []  # nothing committed, nothing told
    assert client.post(f"/api/v1/conversations/{cid}/notes", json={"text": "Bitte anrufen"},
                       headers=agent).status_code == 201
    assert changes(heard) == [([cid], [], [AGENT])]

    reply = {"text": "Das tut uns leid, Lena. Wir rufen Sie heute bis 18 Uhr an."}
    assert client.post(f"/api/v1/conversations/{cid}/messages", json=reply, headers=agent).status_code == 202
    assert changes(heard) == [([], [thread], [AGENT])]
    runtime.new_outbox_sender(SystemClock()).run_once()
    assert changes(heard) == [([], [thread], ["system"])]  # sent: its status on the page moves

    api.fail_next(error(403, "Forbidden: bot was blocked by the user"))
    assert client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "Hallo Lena?"},
                       headers=agent).status_code == 202
    changes(heard)
    runtime.new_outbox_sender(SystemClock()).run_once()
    assert changes(heard) == [([], [thread], ["system"])]  # refused for good: the page shows why

    page = client.get(f"/inbox/{cid}", headers=agent)
    assert page.status_code == 200
    assert f'data-thread="{thread}"' in page.text and f'data-me="{AGENT}"' in page.text
    assert 'id="conversation-changed"' in page.text

"""Saved replies: listed, filled in for a conversation in the person's language with their first
name and the agent's name, and sent by name; an unknown name or placeholder is visible, not lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.inbox.service import answered
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, tg_update
from tests.channels.test_outbox_flow import bot, runtime_of, token  # noqa: F401 (fixture)
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi

LENA = 987654321


@pytest.fixture
def client(workspace_file: Path, bot: tuple[HttpSink, TelegramBotApi]) -> Iterator[TestClient]:  # noqa: F811
    workspace_file.write_text(
        f"""
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot[0].url}
inbox:
  saved_replies:
    - name: sorry
      title: Entschuldigung / apology
      text:
        de: "Hallo {{{{contact.first_name}}}}, das tut uns leid. Ich kümmere mich darum. {{{{agent.name}}}}"
        en: "Hi {{{{contact.first_name}}}}, we're sorry. I'm on it. {{{{agent.name}}}}"
    - name: typo
      text: {{de: "Hallo {{{{kontakt.name}}}}"}}
""",
        encoding="utf-8",
    )
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    with TestClient(create_app(runtime, api_token="t")) as c:
        yield c
    runtime.close()


def test_a_saved_reply_is_filled_in_and_sent(
    client: TestClient,
    bot: tuple[HttpSink, TelegramBotApi],  # noqa: F811
) -> None:
    sink, api = bot
    api.message(LENA, 42)
    body = json.dumps(tg_update(1, text="Mein Akku ist kaputt, was nun?")).encode()
    client.post(
        "/webhooks/voltaro-tg",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"},
    )
    runtime_of(client).process_deliveries()
    agent = token(client, Role.AGENT)
    cid = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]

    listed = client.get("/api/v1/inbox/saved-replies", params={"conversation_id": cid}, headers=agent).json()
    by_name = {r["name"]: r for r in listed}
    assert by_name["sorry"]["filled"] == "Hallo Lena, das tut uns leid. Ich kümmere mich darum. agent"
    assert by_name["typo"]["filled"] == "Hallo {{kontakt.name}}"  # a typo shows instead of vanishing
    assert (
        client.get("/api/v1/inbox/saved-replies", params={"conversation_id": 999}, headers=agent).status_code
        == 404
    )

    refused = client.post(
        f"/api/v1/conversations/{cid}/messages", json={"saved_reply": "nope"}, headers=agent
    )
    assert refused.status_code == 422 and "no saved reply 'nope'" in refused.json()["detail"]
    both = client.post(
        f"/api/v1/conversations/{cid}/messages", json={"saved_reply": "sorry", "text": "x"}, headers=agent
    )
    assert both.status_code == 422
    sent = client.post(f"/api/v1/conversations/{cid}/messages", json={"saved_reply": "sorry"}, headers=agent)
    assert sent.status_code == 202 and sent.json()["text"].startswith("Hallo Lena, das tut uns leid.")
    runtime = runtime_of(client)
    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered).run_once()
    (call,) = [r.json() for r in sink.requests if r.path.endswith("/sendMessage")]
    assert call["text"] == "Hallo Lena, das tut uns leid. Ich kümmere mich darum. agent"

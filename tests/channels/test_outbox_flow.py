"""The whole way out, on the real app and a loopback Telegram Bot API: a message arrives by webhook
and becomes a post, an agent answers it over ``POST /api/v1/outbox``, the sender makes the
documented call, and the item shows the platform's id; an analyst may not answer; the CLI sends
and lists the same way; a platform's refusal ends as a failed item with its words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.accounts import actions
from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.cli.main import app as cli
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.accounts.fixtures import FAST_HASHER
from tests.channels.payloads import (
    BOT_TOKEN,
    PNID,
    TG_SECRET,
    WABA_ID,
    meta_body,
    meta_signature,
    tg_update,
    wa_channel_yaml,
    wa_text,
    wa_value,
)
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.fakes.telegram_bot import TelegramBotApi, error

PERSON = 987654321  # the chat of tg_update's private message


@pytest.fixture
def bot() -> Iterator[tuple[HttpSink, TelegramBotApi]]:
    api = TelegramBotApi(BOT_TOKEN)
    api.message(PERSON, 42)
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def workspace(workspace_file: Path, bot: tuple[HttpSink, TelegramBotApi]) -> Path:
    workspace_file.write_text(f"""
monitors:
  - name: akku
    query: 'akku'
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot[0].url}
""", encoding="utf-8")
    return workspace_file


@pytest.fixture
def client(workspace: Path) -> Iterator[TestClient]:
    runtime = build_runtime(load_workspace(workspace, Settings()), Settings(), clock=SystemClock())
    with TestClient(create_app(runtime, api_token="t")) as c:
        yield c
    runtime.close()


def runtime_of(client: TestClient) -> Runtime:
    return cast(Runtime, cast(Any, client.app).state.runtime)


def token(client: TestClient, role: Role) -> dict[str, str]:
    runtime = runtime_of(client)
    with Session(runtime.engine) as s, s.begin():
        user = actions.create_user(s, email=f"{role.value}@example.org", name=role.value, role=role,
                                   password="a long enough password", actor=Actor.system(),
                                   clock=SystemClock(), hasher=FAST_HASHER)
        created = actions.create_token(s, user, "test", actor=Actor.system(), clock=SystemClock())
        return {"Authorization": f"Bearer {created.secret}"}


def receive(client: TestClient) -> int:
    body = json.dumps(tg_update(1001, text="Mein Akku ist heute geplatzt, was nun?")).encode()
    r = client.post("/webhooks/voltaro-tg", content=body,
                    headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET,
                             "Content-Type": "application/json"})
    assert r.status_code == 200
    assert runtime_of(client).process_deliveries().posts == 1
    with runtime_of(client).engine.connect() as conn:
        return int(conn.execute(select(Post.id)).scalar_one())


def send_due(client: TestClient) -> None:
    runtime = runtime_of(client)
    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock()).run_once()


def test_an_agent_answers_a_telegram_message_through_the_outbox(
        client: TestClient, bot: tuple[HttpSink, TelegramBotApi]) -> None:
    sink, _ = bot
    post_id = receive(client)
    agent, analyst = token(client, Role.AGENT), token(client, Role.ANALYST)
    ask = {"channel": "voltaro-tg", "action": "reply_private", "post_id": post_id,
           "text": "Das tut uns leid, Lena. Bitte laden Sie den Akku nicht mehr; wir melden uns heute.",
           "idempotency_key": "reply-1-abcdef"}
    assert client.post("/api/v1/outbox", json=ask, headers=analyst).status_code == 403
    first = client.post("/api/v1/outbox", json=ask, headers=agent)
    assert first.status_code == 202, first.text
    item = first.json()
    assert (item["status"], item["target"], item["recipient"]) == ("queued", f"{PERSON}:42", str(PERSON))
    again = client.post("/api/v1/outbox", json=ask, headers=agent)
    assert again.status_code == 200 and again.json()["id"] == item["id"]  # asked twice, one request
    hide = client.post("/api/v1/outbox", json={**ask, "action": "hide", "idempotency_key": "hide-1-abcdef"},
                       headers=agent)
    assert hide.status_code == 422 and "cannot hide" in hide.json()["detail"]

    send_due(client)
    sent = [r for r in sink.requests if r.path.endswith("/sendMessage")]
    assert len(sent) == 1
    assert sent[0].json()["chat_id"] == PERSON
    assert sent[0].json()["text"].startswith("Das tut uns leid, Lena.")
    done = client.get(f"/api/v1/outbox/{item['id']}", headers=analyst).json()
    assert done["status"] == "sent" and done["external_id"].startswith(f"{PERSON}:")
    listed = client.get("/api/v1/outbox", params={"post_id": post_id}, headers=analyst).json()
    assert [i["id"] for i in listed] == [item["id"]]
    send_due(client)
    assert len([r for r in sink.requests if r.path.endswith("/sendMessage")]) == 1  # never twice
    with runtime_of(client).engine.connect() as conn:
        audit = conn.execute(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)
                             .where(AuditEntry.action.like("outbound.%"))).all()
    assert [tuple(a) for a in audit] == [("outbound.queued", "agent@example.org"),
                                         ("outbound.sent", "system")]


def test_the_platforms_refusal_ends_as_a_failed_item_with_its_words(
        client: TestClient, bot: tuple[HttpSink, TelegramBotApi]) -> None:
    _, api = bot
    post_id = receive(client)
    agent = token(client, Role.AGENT)
    api.fail_next(error(403, "Forbidden: bot was blocked by the user"))
    item = client.post("/api/v1/outbox", json={"channel": "voltaro-tg", "action": "reply_private",
                                               "post_id": post_id, "text": "Hallo Lena",
                                               "idempotency_key": "reply-2-abcdef"}, headers=agent).json()
    send_due(client)
    failed = client.get(f"/api/v1/outbox/{item['id']}", headers=agent).json()
    assert failed["status"] == "failed" and "blocked by the user" in failed["last_error"]
    assert failed["error_code"] == "403"
    retried = client.post(f"/api/v1/outbox/{item['id']}/retry", headers=agent)
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    send_due(client)
    assert client.get(f"/api/v1/outbox/{item['id']}", headers=agent).json()["status"] == "sent"


def test_moderation_of_a_post_goes_to_its_channel(
        client: TestClient, bot: tuple[HttpSink, TelegramBotApi]) -> None:
    sink, _ = bot
    receive(client)
    agent, analyst = token(client, Role.AGENT), token(client, Role.ANALYST)
    url = f"/api/v1/posts/telegram/{PERSON}:42/moderation"
    assert client.post(url, json={"action": "delete"}, headers=analyst).status_code == 403
    hide = client.post(url, json={"action": "hide"}, headers=agent)
    assert hide.status_code == 422 and "cannot hide" in hide.json()["detail"]  # Telegram has no hiding
    assert client.post("/api/v1/posts/telegram/1:1/moderation", json={"action": "delete"},
                       headers=agent).status_code == 404
    deleted = client.post(url, json={"action": "delete", "idempotency_key": "del-42-abcdef"}, headers=agent)
    assert deleted.status_code == 202 and deleted.json()["action"] == "delete"
    send_due(client)
    (call,) = [r for r in sink.requests if r.path.endswith("/deleteMessage")]
    assert call.json() == {"chat_id": PERSON, "message_id": 42}
    assert client.get(f"/api/v1/outbox/{deleted.json()['id']}", headers=agent).json()["status"] == "sent"


def test_cli_send_and_outbox(workspace: Path, bot: tuple[HttpSink, TelegramBotApi]) -> None:
    sink, _ = bot
    runner = CliRunner()
    args = ["channels", "send", "voltaro-tg", "reply_private", "--target", f"{PERSON}:42", "--recipient",
            str(PERSON), "--thread", f"telegram:{BOT_TOKEN.split(':')[0]}:{PERSON}",
            "--text", "Wir melden uns.", "--key", "cli-key-0001", "-c", str(workspace)]
    sent = runner.invoke(cli, args)
    assert sent.exit_code == 0, sent.output
    assert "sent" in sent.output and len(sink.requests) == 1
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "asked before" in again.output and len(sink.requests) == 1
    refused = runner.invoke(cli, ["channels", "send", "voltaro-tg", "hide", "--target", "1:2",
                                  "-c", str(workspace)])
    assert refused.exit_code != 0 and "cannot hide" in refused.output
    listing = runner.invoke(cli, ["channels", "outbox", "-c", str(workspace)])
    assert listing.exit_code == 0 and "reply_private" in listing.output and "sent" in listing.output


def test_whatsapp_reply_then_its_status_webhooks_move_it_to_read(workspace_file: Path) -> None:
    api = GraphSend("wa-token", numbers=(PNID,))
    with HttpSink(responder=api) as sink:
        workspace_file.write_text(wa_channel_yaml(sink.url), encoding="utf-8")
        runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
        with TestClient(create_app(runtime, api_token="t")) as client:
            def deliver(value: dict[str, Any]) -> None:
                body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [value]}])
                r = client.post("/webhooks/voltaro-wa", content=body,
                                headers={"X-Hub-Signature-256": meta_signature(body),
                                         "Content-Type": "application/json"})
                assert r.status_code == 200
                runtime.process_deliveries()

            deliver(wa_value(messages=[wa_text("wamid.IN1", "Mein Roller qualmt. Was soll ich tun?")]))
            with runtime.engine.connect() as conn:
                post_id = int(conn.execute(select(Post.id)).scalar_one())
            agent = token(client, Role.AGENT)
            item = client.post("/api/v1/outbox", headers=agent, json={
                "channel": "voltaro-wa", "action": "reply_private", "post_id": post_id,
                "text": "Bitte laden Sie den Roller nicht mehr. Wir rufen Sie heute an.",
                "idempotency_key": "wa-reply-000001"}).json()
            send_due(client)
            (sent,) = [r for r in sink.requests if r.path.endswith(f"/{PNID}/messages")]
            assert sent.json()["to"] == "4915112345678"
            assert sent.json()["context"] == {"message_id": "wamid.IN1"}
            wamid = client.get(f"/api/v1/outbox/{item['id']}", headers=agent).json()["external_id"]
            assert wamid in api.created

            def status(state: str, ts: str) -> dict[str, Any]:
                return {"id": wamid, "status": state, "timestamp": ts, "recipient_id": "4915112345678"}

            deliver(wa_value(statuses=[status("read", "1764846300")]))
            deliver(wa_value(statuses=[status("delivered", "1764846200")]))  # late: changes nothing
            done = client.get(f"/api/v1/outbox/{item['id']}", headers=agent).json()
            assert done["delivery_state"] == "read"
            assert done["delivery_state_at"].startswith("2025-12-04T11:05:00")
        runtime.close()

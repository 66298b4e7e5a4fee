"""Attachments the whole way, on both databases and the real app: an agent uploads a file
(``POST /api/v1/attachments``), answers a Telegram conversation naming it, and the loopback Bot
API receives the bytes exactly once, also when the sender that sends it is a new one (a restart).
Uploads are checked (size, type, empty), a channel that cannot send files refuses at enqueue time,
an upload goes with one reply only, the thread shows it, and unused uploads go after a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.channels.models import OutboxAttachment
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, VIBER_TOKEN
from tests.channels.test_outbox_flow import bot, receive, runtime_of, token
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi

__all__ = ["bot"]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PERSON = 987654321
LIMIT = 8192


@pytest.fixture
def client(
    workspace_file: Path, bot: tuple[HttpSink, TelegramBotApi], tmp_path: Path
) -> Iterator[TestClient]:
    workspace_file.write_text(
        f"""
monitors:
  - name: akku
    query: 'akku'
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot[0].url}
  - key: voltaro-viber
    platform: viber
    auth_token: {VIBER_TOKEN}
""",
        encoding="utf-8",
    )
    settings = Settings(max_attachment_bytes=LIMIT, max_body_bytes=4096, attachments_dir=tmp_path / "files")
    runtime = build_runtime(load_workspace(workspace_file, settings), settings, clock=SystemClock())
    with TestClient(create_app(runtime, api_token="t")) as c:
        yield c
    runtime.close()


def send_due(client: TestClient) -> None:
    """A new sender each time, as after a restart: it finds the files through the store."""
    runtime = runtime_of(client)
    OutboxSender(
        lambda: runtime.engine,
        runtime.connectors,
        clock=SystemClock(),
        attachments=runtime.attachment_store(),
    ).run_once()


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes = PNG,
    name: str = "Aufkleber.png",
    kind: str = "image/png",
) -> dict[str, object]:
    r = client.post("/api/v1/attachments", files={"file": (name, data, kind)}, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_upload_reply_and_exactly_once(
    client: TestClient, bot: tuple[HttpSink, TelegramBotApi], tmp_path: Path
) -> None:
    sink, api = bot
    post_id = receive(client)
    agent, analyst = token(client, Role.AGENT), token(client, Role.ANALYST)
    assert (
        client.post(
            "/api/v1/attachments", files={"file": ("a.png", PNG, "image/png")}, headers=analyst
        ).status_code
        == 403
    )
    # larger than the body limit (4096) but within the attachment limit: the upload route's own ceiling
    file = upload(client, agent)
    assert (file["filename"], file["content_type"], file["size"]) == ("Aufkleber.png", "image/png", len(PNG))
    assert list((tmp_path / "files").rglob(str(file["sha256"])))  # in the store, not the database
    assert client.get(f"/api/v1/attachments/{file['id']}", headers=analyst).json()["outbox_item_id"] is None
    assert client.get(str(file["download"]), headers=analyst).content == PNG

    conversation = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]
    ask = {
        "text": "So sieht der Aufkleber aus.",
        "attachments": [file["id"]],
        "idempotency_key": "reply-att-1",
    }
    first = client.post(f"/api/v1/conversations/{conversation}/messages", json=ask, headers=agent)
    assert first.status_code == 202, first.text
    assert [a["filename"] for a in first.json()["attachments"]] == ["Aufkleber.png"]
    again = client.post(f"/api/v1/conversations/{conversation}/messages", json=ask, headers=agent)
    assert again.json()["outbox_id"] == first.json()["outbox_id"]  # the same request: the same item
    other = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={**ask, "idempotency_key": "reply-att-2"},
        headers=agent,
    )
    assert other.status_code == 409 and "goes with outbox item" in other.json()["detail"]
    changed = client.post(
        f"/api/v1/conversations/{conversation}/messages", json={**ask, "attachments": []}, headers=agent
    )
    assert changed.status_code == 409  # the key was used for a request with the file

    send_due(client)
    send_due(client)
    photos = [r for r in sink.requests if r.path.endswith("/sendPhoto")]
    assert len(photos) == 1 and [m["photo"].data for m in api.messages] == [PNG]
    assert api.messages[0]["caption"] == "So sieht der Aufkleber aus."
    thread = client.get(f"/api/v1/conversations/{conversation}", headers=analyst).json()["messages"]
    (ours,) = [m for m in thread if m["direction"] == "out"]
    assert ours["status"] == "sent" and ours["attachments"][0]["size"] == len(PNG)
    assert post_id


def test_uploads_are_checked(client: TestClient) -> None:
    agent = token(client, Role.AGENT)
    big = client.post(
        "/api/v1/attachments", files={"file": ("big.png", PNG + b"\0" * LIMIT, "image/png")}, headers=agent
    )
    assert big.status_code == 413 and "CRISISDESK_MAX_ATTACHMENT_BYTES" in big.json()["detail"]
    exe = client.post(
        "/api/v1/attachments",
        files={"file": ("tool.exe", b"MZ\x90\x00" * 10, "application/x-msdownload")},
        headers=agent,
    )
    assert exe.status_code == 415 and "not accepted" in exe.json()["detail"]
    liar = client.post(
        "/api/v1/attachments", files={"file": ("photo.png", b"%PDF-1.4\n...", "image/png")}, headers=agent
    )
    assert liar.status_code == 415 and "application/pdf" in liar.json()["detail"]
    empty = client.post("/api/v1/attachments", files={"file": ("a.txt", b"", "text/plain")}, headers=agent)
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    assert client.get("/api/v1/attachments/999999", headers=agent).status_code == 404


def test_a_channel_without_files_refuses_before_queueing(client: TestClient) -> None:
    agent = token(client, Role.AGENT)
    file = upload(client, agent)
    r = client.post(
        "/api/v1/outbox",
        json={
            "channel": "voltaro-viber",
            "action": "reply_private",
            "recipient": "01234567890A=",
            "text": "Hallo",
            "idempotency_key": "viber-att-1",
            "attachments": [file["id"]],
        },
        headers=agent,
    )
    assert r.status_code == 422 and r.json()["detail"] == "channel voltaro-viber cannot send attachments"
    hide = client.post(
        "/api/v1/outbox",
        json={
            "channel": "voltaro-tg",
            "action": "delete",
            "target": "1:2",
            "idempotency_key": "del-att-1",
            "attachments": [file["id"]],
        },
        headers=agent,
    )
    assert hide.status_code == 422 and "only replies" in hide.json()["detail"]
    missing = client.post(
        "/api/v1/outbox",
        json={
            "channel": "voltaro-tg",
            "action": "reply_private",
            "target": f"{PERSON}:42",
            "recipient": str(PERSON),
            "text": "Hallo",
            "idempotency_key": "tg-att-9",
            "attachments": [424242],
        },
        headers=agent,
    )
    assert missing.status_code == 404
    runtime = runtime_of(client)
    with runtime.engine.connect() as conn:  # nothing was queued, the upload is still free
        assert conn.execute(select(OutboxAttachment.outbox_item_id)).scalars().all() == [None]


def test_unused_uploads_go_after_a_day(client: TestClient, tmp_path: Path) -> None:
    agent = token(client, Role.AGENT)
    file = upload(client, agent)
    runtime = runtime_of(client)
    now = runtime.runner.clock.now()
    assert runtime.remove_unused_attachments(now + timedelta(hours=23)) == 0
    assert runtime.remove_unused_attachments(now + timedelta(hours=25)) == 1
    assert client.get(f"/api/v1/attachments/{file['id']}", headers=agent).status_code == 404
    assert not list((tmp_path / "files").rglob(str(file["sha256"])))


def test_cli_send_with_attach(
    workspace_file: Path, bot: tuple[HttpSink, TelegramBotApi], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from crisisdesk.cli.main import app as cli

    sink, api = bot
    workspace_file.write_text(
        f"""
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {sink.url}
""",
        encoding="utf-8",
    )
    picture = tmp_path / "Aufkleber.png"
    picture.write_bytes(PNG)
    args = [
        "channels",
        "send",
        "voltaro-tg",
        "reply_private",
        "--target",
        f"{PERSON}:42",
        "--recipient",
        str(PERSON),
        "--thread",
        f"telegram:{BOT_TOKEN.split(':')[0]}:{PERSON}",
        "--text",
        "Anbei.",
        "--attach",
        str(picture),
        "--key",
        "cli-att-0001",
        "-c",
        str(workspace_file),
    ]
    runner = CliRunner()
    sent = runner.invoke(cli, args)
    assert sent.exit_code == 0, sent.output
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "asked before" in again.output, again.output
    assert [m["photo"].data for m in api.messages] == [PNG]  # once

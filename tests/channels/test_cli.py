"""`crisisdesk channels check` against loopback servers that speak each platform's API, and
`crisisdesk channels list` with what arrived."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisisdesk.channels.service import store_delivery
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.db import make_engine, migrate
from tests.channels.payloads import APP_SECRET, BOT_TOKEN, PAGE_ID, PNID, TG_SECRET, VERIFY_TOKEN, VIBER_TOKEN
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_graph import GraphApi, graph_error
from tests.fakes.telegram_bot import TelegramBotApi
from tests.fakes.viber_api import ViberApi

runner = CliRunner()


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphApi]]:
    api = GraphApi("page-token", {
        PAGE_ID: {"id": PAGE_ID, "name": "Voltaro"},
        PNID: {"id": PNID, "display_phone_number": "+49 30 1234567", "verified_name": "Voltaro",
               "quality_rating": "GREEN"},
    })
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def telegram() -> Iterator[tuple[HttpSink, TelegramBotApi]]:
    api = TelegramBotApi(BOT_TOKEN)
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def viber() -> Iterator[HttpSink]:
    with HttpSink(responder=ViberApi(VIBER_TOKEN)) as sink:
        yield sink


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def write(ws: Path, *, graph: str, telegram: str, viber: str, token: str = "page-token",
          viber_token: str = VIBER_TOKEN) -> None:
    meta = f"    access_token: {token}\n    app_secret: {APP_SECRET}\n    verify_token: {VERIFY_TOKEN}\n"
    ws.write_text(
        "channels:\n"
        f"  - key: fb\n    platform: facebook\n    page_id: '{PAGE_ID}'\n    api_base: {graph}\n{meta}"
        f"  - key: wa\n    platform: whatsapp\n    phone_number_id: '{PNID}'\n    api_base: {graph}\n{meta}"
        f"  - key: tg\n    platform: telegram\n    bot_token: '{BOT_TOKEN}'\n    secret_token: {TG_SECRET}\n"
        f"    api_base: {telegram}\n"
        f"  - key: vb\n    platform: viber\n    auth_token: {viber_token}\n    api_base: {viber}\n",
        encoding="utf-8")


def check(ws: Path, key: str) -> tuple[int, str]:
    result = runner.invoke(app, ["channels", "check", key, "--config", str(ws)])
    return result.exit_code, result.output


def test_check_names_the_account_of_each_platform(workspace_file: Path, graph: tuple[HttpSink, GraphApi],
                                                   telegram: tuple[HttpSink, TelegramBotApi],
                                                   viber: HttpSink) -> None:
    telegram[1].webhook_info = {"url": "https://crisis.example/webhooks/tg", "pending_update_count": 3,
                                "last_error_message": "Wrong response from the webhook: 403 Forbidden"}
    write(workspace_file, graph=graph[0].url, telegram=telegram[0].url, viber=viber.url)
    code, output = check(workspace_file, "fb")
    assert code == 0 and f"Voltaro ({PAGE_ID})" in output, output
    code, output = check(workspace_file, "wa")
    assert code == 0 and "+49 30 1234567" in output and "GREEN" in output, output
    code, output = check(workspace_file, "tg")
    assert code == 0 and "@voltaro_bot" in output and "403 Forbidden" in output
    assert "pending_updates: 3" in output
    code, output = check(workspace_file, "vb")
    assert code == 0 and "Voltaro Service" in output and "subscribers_count: 12" in output
    graph_requests = graph[0].requests
    assert graph_requests[0].path.startswith(f"/v25.0/{PAGE_ID}?fields=")
    assert all(r.headers["authorization"] == "Bearer page-token" for r in graph_requests)


def test_check_says_what_the_platform_refused(workspace_file: Path, graph: tuple[HttpSink, GraphApi],
                                              telegram: tuple[HttpSink, TelegramBotApi],
                                              viber: HttpSink) -> None:
    write(workspace_file, graph=graph[0].url, telegram=telegram[0].url, viber=viber.url, token="old-token",
          viber_token="wrong")
    code, output = check(workspace_file, "fb")
    assert code == 1 and "(190)" in output and "expired or was revoked" in output
    code, output = check(workspace_file, "vb")
    assert code == 1 and "invalidAuthToken" in output
    graph[1].fail_with(graph_error(32, "Page request limit reached"))
    write(workspace_file, graph=graph[0].url, telegram=closed_port(), viber=viber.url)
    code, output = check(workspace_file, "wa")
    assert code == 1 and "(32) Page request limit reached: rate limited" in output
    code, output = check(workspace_file, "tg")
    assert code == 1 and "cannot be reached" in output
    code, output = check(workspace_file, "nope")
    assert code == 2 and "channels: fb, wa, tg, vb" in output


def test_list_shows_what_arrived(workspace_file: Path, database_url: str) -> None:
    write(workspace_file, graph="http://127.0.0.1:9", telegram="http://127.0.0.1:9", viber="http://127.0.0.1:9")
    empty = runner.invoke(app, ["channels", "list", "--config", str(workspace_file)])
    assert empty.exit_code == 0, empty.output
    engine = make_engine(database_url)
    migrate(engine)
    now = SystemClock().now()
    store_delivery(engine, channel="tg", body=b'{"update_id": 1}', now=now)
    store_delivery(engine, channel="tg", body=b'{"update_id": 2}', now=now)
    engine.dispose()
    listed = runner.invoke(app, ["channels", "list", "--config", str(workspace_file)], terminal_width=200)
    line = next(row for row in listed.output.splitlines() if " tg " in row)
    assert "telegram" in line and " 2 " in line and now.strftime("%Y-%m-%d") in line, listed.output

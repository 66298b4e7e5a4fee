"""Settings → Channels over HTTP: every role that may view sees each channel's state in German and
English; only ``manage_channels`` sees and may use the check and edit links. A Telegram bot whose
token the (loopback) Bot API stops accepting while the outbox sends shows as "credentials dead"
with its alert, which is a situation like any other (page, acknowledgement); the page's check
after the token is fixed ends the alert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from crisisdesk.channels.base import Capability, Unparsed
from crisisdesk.channels.health import Problem, State
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.channels.service import PendingDelivery, finish_many, store_delivery
from crisisdesk.web.i18n import MESSAGES
from tests.accounts.fixtures import PASSWORD, FakeClock, World, email_of, make_world
from tests.channels.payloads import BOT_TOKEN, TG_SECRET
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi
from tests.modes import BY_HAND

PERSON = 987654321


@pytest.fixture
def bot() -> Iterator[tuple[TelegramBotApi, str]]:
    api = TelegramBotApi(BOT_TOKEN)
    api.message(PERSON, 42)
    with HttpSink(responder=api) as sink:
        yield api, sink.url


@pytest.fixture
def world(workspace_file: Path, bot: tuple[TelegramBotApi, str]) -> Iterator[World]:
    workspace_file.write_text(f"""
monitors:
  - {{name: bahn, query: bahn}}
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot[1]}
    health: {{check_hours: 0}}
  - key: news
    platform: rss
    url: http://127.0.0.1:9/feed.xml
    enabled: false
""", encoding="utf-8")
    yield from make_world(workspace_file)


def browser(world: World, role: Role, lang: str) -> tuple[TestClient, str]:
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    r = c.post("/login", data={"email": email_of(role), "password": PASSWORD, "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    match = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/").text)
    assert match
    return c, match.group(1)


def card(page: str, key: str) -> str:
    """The section of the page about one channel."""
    start = page.index(f'id="channel-{key}"')
    end = page.find('<section class="card" id="channel-', start + 1)
    return page[start:end if end > 0 else len(page)]


def arrive(world: World) -> None:
    """Two deliveries with a post each, and one with a part no mapping understood."""
    engine, now = world.engine, world.runtime.runner.clock.now()
    outcomes = []
    for n in range(3):
        stored = store_delivery(engine, channel="voltaro-tg", body=f'{{"update_id": {n}}}'.encode(), now=now)
        assert stored.id is not None
        unparsed = [Unparsed("message type sticker", {"sticker": {"emoji": "🔥"}})] if n == 2 else []
        counts = {"posts": int(n < 2), "unparsed": len(unparsed)}
        outcomes.append((PendingDelivery(stored.id, "voltaro-tg", b""), counts, unparsed, None))
    finish_many(engine, outcomes, now=now)


@pytest.mark.parametrize(("lang", "words"), [
    ("de", ["Kanäle", "Plattform", "empfängt", "ausgeschaltet", "Beiträge heute", "Zuletzt unverarbeitet",
            "message type sticker", "Noch nichts gesendet."]),
    ("en", ["Channels", "Platform", "receiving", "switched off", "Items today", "Latest kept unparsed",
            "message type sticker", "Nothing sent yet."]),
])
def test_every_viewer_sees_the_channels_in_their_language(world: World, lang: str, words: list[str]) -> None:
    arrive(world)
    analyst, _ = browser(world, Role.ANALYST, lang)
    page = analyst.get("/settings/channels")
    assert page.status_code == 200, page.text
    for word in words:
        assert word in page.text, word
    tg = card(page.text, "voltaro-tg")
    can = {"de": ("privat antworten", "Webhook empfangen"), "en": ("reply privately", "receive webhooks")}
    assert "telegram" in tg and all(c in tg for c in can[lang])  # what it can do
    assert re.search(r'<span class="label">[^<]+</span><span class="value">2</span>', tg)  # items today
    assert "/settings/channels/voltaro-tg/check" not in page.text and "/settings/document" not in page.text
    nav = analyst.get("/").text
    assert 'href="/settings/channels"' in nav and 'href="/settings"' not in nav  # no settings hub for them
    assert "/settings/monitors" not in page.text  # the hub's other sections are not offered either

    admin, _ = browser(world, Role.ADMIN, lang)
    admin_page = admin.get("/settings/channels").text
    assert "/settings/channels/voltaro-tg/check" in admin_page and 'href="/settings/document"' in admin_page
    assert "/settings/monitors" in admin_page


def test_only_manage_channels_may_check(world: World) -> None:
    anonymous = TestClient(world.client.app, base_url="http://localhost")
    r = anonymous.get("/settings/channels", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/settings/channels"
    for role in (Role.ANALYST, Role.AGENT, Role.CRISIS_LEAD):
        c, csrf = browser(world, role, "en")
        assert c.get("/settings/channels").status_code == 200
        assert c.post("/settings/channels/voltaro-tg/check", data={"csrf_token": csrf}).status_code == 403
    admin, csrf = browser(world, Role.ADMIN, "en")
    assert admin.post("/settings/channels/nope/check", data={"csrf_token": csrf}).status_code == 404


@BY_HAND
def test_dead_credentials_show_with_their_alert_and_a_check_ends_it(world: World,
                                                                    bot: tuple[TelegramBotApi, str]) -> None:
    agent = world.bearer(Role.AGENT)
    asked = world.client.post("/api/v1/outbox", headers=agent, json={
        "channel": "voltaro-tg", "action": "reply_private", "target": f"{PERSON}:42",
        "recipient": str(PERSON),
        "thread": f"telegram:{BOT_TOKEN.split(':')[0]}:{PERSON}", "text": "Wir melden uns.",
        "idempotency_key": "reply-health-1"})
    assert asked.status_code == 202, asked.text
    bot[0].token = "123456789:revoked"  # BotFather revoked the token
    runtime = world.runtime
    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=runtime.runner.clock,
                 on_reauthorize=runtime.credentials_refused).run_once()
    [opened] = [e for e in runtime.health_monitor().run_once() if e["event"] == "alert.opened"]
    assert (opened["monitor"], opened["cause"]) == ("channel:voltaro-tg", "credentials")

    for lang, state, cause in (("de", "Zugangsdaten ungültig", "Zugangsdaten ungültig"),
                               ("en", "credentials dead", "Credentials dead")):
        lead, csrf = browser(world, Role.CRISIS_LEAD, lang)
        tg = card(lead.get("/settings/channels").text, "voltaro-tg")
        assert state in tg and "Unauthorized" in tg
        assert f'href="/situations/{opened["situation"]}"' in tg
        assert "401" in tg and ("fehlgeschlagen" if lang == "de" else "failed") in tg  # the outbox item
        overview = lead.get("/").text  # among the open situations, though no monitor's
        assert f'href="/situations/{opened["situation"]}"><strong>channel:voltaro-tg</strong>' in overview
        situations = lead.get("/situations").text
        assert "channel:voltaro-tg" in situations and cause in situations
        page = lead.get(f"/situations/{opened['situation']}").text
        assert 'id="channel-link"' in page and ("die Zugangsdaten sind ungültig" if lang == "de"
                                                else "the credentials are dead") in page
    acked = lead.post(f"/situations/{opened['situation']}/ack", data={"csrf_token": csrf},
                      follow_redirects=False)
    assert acked.status_code == 303
    assert "Crisis_Lead" in lead.get(f"/situations/{opened['situation']}").text

    admin, csrf = browser(world, Role.ADMIN, "en")
    refused = admin.post("/settings/channels/voltaro-tg/check", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert refused.status_code == 303 and "error=" in refused.headers["location"]
    assert runtime.health_monitor().run_once() == []  # still dead: still the one alert
    bot[0].token = BOT_TOKEN  # a new token was entered (here: the old one accepted again)
    cast(FakeClock, runtime.runner.clock).advance(minutes=3)
    checked = admin.post("/settings/channels/voltaro-tg/check", data={"csrf_token": csrf})
    assert checked.status_code == 200 and "the platform accepts the credentials" in checked.text
    assert [e["event"] for e in runtime.health_monitor().run_once()] == ["alert.resolved"]
    assert "receiving" in card(admin.get("/settings/channels").text, "voltaro-tg")
    assert "channel:voltaro-tg" not in admin.get("/").text


def test_every_problem_and_state_has_its_words() -> None:
    for problem in Problem:
        assert f"cause.{problem.value}" in MESSAGES, problem
    for state in State:
        assert f"channels.state.{state.value}" in MESSAGES, state
    for capability in Capability:
        assert f"channels.capability.{capability.value}" in MESSAGES, capability

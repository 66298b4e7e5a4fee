"""Before the conversation page's reply form sends, it says what the API's reply asks and refuses:
a colleague's reply that went out after the page was opened holds the reply back (nothing reaches
the platform) with that reply shown and a button that sends anyway, once; and where the platform
limits free-form private messages (Meta's 24 hours), the form says until when it is open, or that
it closed and what is needed now, in German and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from crisisdesk.channels.models import OutboxItem
from crisisdesk.inbox.models import Conversation
from tests.accounts.fixtures import PASSWORD, T0, World, make_world, rows
from tests.channels.payloads import (
    APP_SECRET,
    PNID,
    VERIFY_TOKEN,
    WABA_ID,
    meta_body,
    meta_signature,
    wa_text,
    wa_value,
)
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi
from tests.modes import BY_HAND
from tests.modes import send_due as send_outbox
from tests.web.test_inbox_pages import bot, chats, text_of, world
from tests.web.test_pages import browser
from tests.web.test_ux_pages import english_left

__all__ = ["bot", "chats", "world"]

BEA = "bea@example.org"


def sign_in(world: World, email: str, *, lang: str) -> tuple[TestClient, str]:
    """A browser signed in through the form as ``email``; returns it and the page's CSRF token."""
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    r = c.post("/login", data={"email": email, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    match = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/").text)
    assert match
    return c, match.group(1)


def field(html: str, form: str, name: str) -> str:
    """The value of a hidden field of the form with id ``form``."""
    body = re.search(rf'<form [^>]*id="{form}".*?</form>', html, flags=re.S)
    assert body, form
    found = re.search(rf'name="{name}" value="([^"]*)"', body.group(0))
    assert found, (form, name)
    return unescape(found.group(1))


def reply_form(html: str, csrf: str, text: str) -> dict[str, str]:
    """What the page's reply form posts when ``text`` is typed into it."""
    return {"csrf_token": csrf, "text": text, "key": field(html, "reply-form", "key"),
            "seen": field(html, "reply-form", "seen")}


def sent_texts(sink: HttpSink) -> list[str]:
    return [r.json()["text"] for r in sink.requests if r.path.endswith("/sendMessage")]


@BY_HAND
def test_a_reply_after_a_colleagues_newer_reply_asks_first_then_sends_once(
    world: World, chats: dict[str, int], bot: tuple[HttpSink, TelegramBotApi]
) -> None:
    sink, _ = bot
    world.add_user(BEA, Role.AGENT, name="Bea")
    lena = f"/inbox/{chats['lena']}"
    agent, csrf = browser(world, Role.AGENT, lang="de")
    bea, bea_csrf = sign_in(world, BEA, lang="en")
    mine = agent.get(lena).text  # both have the conversation open, the same messages on screen
    hers = bea.get(lena).text
    assert field(mine, "reply-form", "seen") == field(hers, "reply-form", "seen")

    first = bea.post(f"{lena}/reply", data=reply_form(hers, bea_csrf, "Wir tauschen den Akku kostenlos."),
                     follow_redirects=False)
    assert first.status_code == 303, first.text
    send_outbox(world.runtime)
    assert sent_texts(sink) == ["Wir tauschen den Akku kostenlos."]
    hers = bea.get(f"{lena}?done=reply").text  # back on the page after sending: her reply is on screen

    # The agent's form still carries what the agent saw: nothing is sent, the colleague's reply is shown.
    typed = "Das tut uns leid, Lena. Schicken Sie uns Ihre Adresse?"
    held = agent.post(f"{lena}/reply", data=reply_form(mine, csrf, typed), follow_redirects=False)
    assert held.status_code == 409, held.text
    page = held.text
    words = text_of(page)
    assert "Inzwischen hat jemand aus dem Team geantwortet." in words
    assert f"{BEA} hat am " in words and "Ihre Antwort wurde nicht gesendet." in words
    assert re.search(r'id="collision-reply">Wir tauschen den Akku kostenlos.<', page)
    assert "Trotzdem senden" in words and english_left(page) == []
    area = re.search(r'id="reply-text"[^>]*>([^<]*)<', page)
    assert area and unescape(area.group(1)) == typed  # what was typed is still in the form
    send_outbox(world.runtime)
    assert len(rows(world, OutboxItem)) == 1 and sent_texts(sink) == ["Wir tauschen den Akku kostenlos."]

    # "Send anyway": the same reply, with force; a double click sends it once.
    confirm = {name: field(page, "collision-form", name) for name in ("key", "text", "visibility", "force")}
    assert confirm["text"] == typed and confirm["force"] == "1"
    assert confirm["key"] == field(mine, "reply-form", "key") == field(page, "reply-form", "key")
    for _ in range(2):
        r = agent.post(f"{lena}/reply", data={"csrf_token": csrf, **confirm}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"{lena}?done=reply#thread"
    send_outbox(world.runtime)
    assert sent_texts(sink) == ["Wir tauschen den Akku kostenlos.", typed]
    assert sorted(i.created_by for i in rows(world, OutboxItem)) == ["agent@example.org", BEA]

    # Bea's page is older than the agent's reply now: her next reply asks first too, in English.
    again = bea.post(f"{lena}/reply", data=reply_form(hers, bea_csrf, "Any news?"), follow_redirects=False)
    assert again.status_code == 409
    words = text_of(again.text)
    assert "A colleague answered meanwhile." in words and "agent@example.org answered at " in words
    assert "Your reply was not sent." in words and "Send anyway" in words and typed in words
    # A page opened now has seen both replies: its form sends without asking.
    fresh = bea.get(lena).text
    r = bea.post(f"{lena}/reply", data=reply_form(fresh, bea_csrf, "Any news?"), follow_redirects=False)
    assert r.status_code == 303
    send_outbox(world.runtime)
    assert len(sent_texts(sink)) == 3 and len(rows(world, OutboxItem)) == 3


@pytest.fixture
def wa_world(workspace_file: Path) -> Iterator[World]:
    """A WhatsApp number (Meta's 24-hour window for free-form messages); nothing is sent in these tests."""
    workspace_file.write_text(
        f"""\
version: 1
monitors:
  - name: bahn
    query: '"deutsche bahn"'
channels:
  - key: voltaro-wa
    platform: whatsapp
    phone_number_id: "{PNID}"
    access_token: wa-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: http://127.0.0.1:9
""",
        encoding="utf-8",
    )
    yield from make_world(workspace_file)


def whatsapp(world: World, message: dict[str, Any]) -> None:
    entry = {"id": WABA_ID, "changes": [wa_value(messages=[message])]}
    body = meta_body("whatsapp_business_account", [entry])
    headers = {"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"}
    r = world.client.post("/webhooks/voltaro-wa", content=body, headers=headers)
    assert r.status_code == 200, r.text
    world.runtime.process_deliveries()


def test_the_private_window_is_shown_open_with_its_time_and_closed_with_what_is_needed(
    wa_world: World,
) -> None:
    world = wa_world
    assert world.runtime.runner.clock.now() == T0  # 2026-12-01 09:00 UTC; the workspace shows Europe/Berlin
    hour_ago = str(int((T0 - timedelta(hours=1)).timestamp()))
    long_ago = str(int((T0 - timedelta(hours=30)).timestamp()))
    whatsapp(world, wa_text("wamid.OPEN", "Wo bleibt mein Ersatzakku?", sender="4915111111111", ts=hour_ago))
    whatsapp(world, wa_text("wamid.SHUT", "Hallo, ist da wer?", sender="4915122222222", ts=long_ago))
    found = {c.subject: c.id for c in rows(world, Conversation)}
    open_url = f"/inbox/{found['Wo bleibt mein Ersatzakku?']}"
    shut_url = f"/inbox/{found['Hallo, ist da wer?']}"

    de, csrf = browser(world, Role.AGENT, lang="de")
    en, _ = browser(world, Role.AGENT, lang="en")
    page = de.get(open_url).text
    words = text_of(page)
    # Next to the private answer (a chat: private only), closing 24 hours after 08:00 UTC, in Berlin time.
    assert words.index("Chats und Direktnachrichten werden privat beantwortet.") < words.index(
        "Private Antworten möglich bis 02.12.2026, 09:00 (24-Stunden-Fenster der Plattform).")
    assert 'id="private-window"' in page and "geschlossen" not in words and english_left(page) == []
    assert "Private answers possible until 2 Dec 2026, 09:00 (24-hour window of the platform)." in text_of(
        en.get(open_url).text)

    page = de.get(shut_url).text
    words = text_of(page)
    assert ("Das 24-Stunden-Fenster der Plattform für private Nachrichten ist seit 01.12.2026, 04:00 "
            "geschlossen: eine frei geschriebene private Antwort wird jetzt abgelehnt. Die Person muss "
            "zuerst wieder schreiben; bei WhatsApp erreicht sie bis dahin nur eine freigegebene "
            "Vorlagen-Nachricht") in words
    assert "Private Antworten möglich" not in words and english_left(page) == []
    words = text_of(en.get(shut_url).text)
    assert ("The platform's 24-hour window for private messages closed at 1 Dec 2026, 04:00: a free-form "
            "private answer is refused now. The person has to write first; on WhatsApp only an approved "
            "template message reaches them until then") in words

    # What the page said is what happens: the service refuses the send, nothing is queued.
    refused = de.post(f"{shut_url}/reply", data=reply_form(page, csrf, "Entschuldigung!"))
    assert refused.status_code == 422 and "window for private messages closed" in refused.text
    assert rows(world, OutboxItem) == []
    sent = de.post(f"{open_url}/reply", data=reply_form(de.get(open_url).text, csrf, "Ist unterwegs."),
                   follow_redirects=False)
    assert sent.status_code == 303 and [i.text for i in rows(world, OutboxItem)] == ["Ist unterwegs."]

    # The person writes again: the window is open again, until 24 hours after that.
    whatsapp(world, wa_text("wamid.BACK", "Noch da?", sender="4915122222222", ts=str(int(T0.timestamp()))))
    words = text_of(de.get(shut_url).text)
    assert "Private Antworten möglich bis 02.12.2026, 10:00" in words and "geschlossen" not in words

"""The inbox in the browser, on both databases: Telegram messages arrive by webhook (a loopback Bot
API answers the calls) and are listed by view with counts, in German and English; an agent opens a
conversation, answers it through the form (queued in the outbox, then sent: the page says so),
assigns, snoozes, resolves, tags and notes it (the timeline shows each); moderation goes through the
same code as the API and is refused where Telegram cannot do it; analysts read and may not post;
a form without the CSRF token is refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crisisdesk.accounts.roles import Role
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.inbox.models import Conversation, ConversationEvent
from crisisdesk.inbox.service import answered
from tests.accounts.fixtures import SERVICE_TOKEN, World, make_world, rows
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, tg_update
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi
from tests.modes import BY_HAND
from tests.modes import send_due as send_outbox
from tests.web.test_pages import browser
from tests.web.test_ux_pages import english_left

LENA, JONAS = 987654321, 555666777


@pytest.fixture
def bot() -> Iterator[tuple[HttpSink, TelegramBotApi]]:
    api = TelegramBotApi(BOT_TOKEN)
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def world(workspace_file: Path, bot: tuple[HttpSink, TelegramBotApi]) -> Iterator[World]:
    workspace_file.write_text(
        f"""\
version: 1
monitors:
  - name: bahn
    query: '"deutsche bahn"'
  - name: akku
    query: 'akku'
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot[0].url}
""",
        encoding="utf-8",
    )
    yield from make_world(workspace_file)


def message(
    world: World,
    update_id: int,
    chat: int,
    text: str,
    *,
    message_id: int,
    date: int = 1764846000,
    name: str = "Lena",
) -> None:
    update = tg_update(
        update_id,
        text=text,
        message_id=message_id,
        date=date,
        chat={"id": chat, "type": "private", "first_name": name},
    )
    update["message"]["from"] = {"id": chat, "is_bot": False, "first_name": name, "language_code": "de"}
    r = world.client.post(
        "/webhooks/voltaro-tg",
        content=json.dumps(update).encode(),
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    world.runtime.process_deliveries()


@pytest.fixture
def chats(world: World, bot: tuple[HttpSink, TelegramBotApi]) -> dict[str, int]:
    """Lena wrote twice (about her battery), Jonas once (about his delivery); their conversation ids."""
    _, api = bot
    api.message(LENA, 50)
    api.message(LENA, 51)
    message(world, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    message(world, 2, LENA, "Hallo?? Niemand da?", message_id=51, date=1764846600)
    message(world, 3, JONAS, "Wann kommt meine Lieferung?", message_id=60, date=1764846300, name="Jonas")
    found = {c.subject: c.id for c in rows(world, Conversation)}
    return {"lena": found["Mein Akku ist geplatzt!"], "jonas": found["Wann kommt meine Lieferung?"]}


def send_due(world: World) -> None:
    send_outbox(world.runtime)


def count(html: str, view: str) -> int:
    match = re.search(rf'id="view-{view}".*?data-count="(\d+)"', html, flags=re.S)
    assert match, view
    return int(match.group(1))


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def outbox(world: World) -> list[OutboxItem]:
    return rows(world, OutboxItem, OutboxItem.id > 0)


def test_the_list_by_view_with_counts_in_german_and_english(world: World, chats: dict[str, int]) -> None:
    de, _ = browser(world, Role.ANALYST, lang="de")
    assert re.search(r'<a href="/inbox"\s*>Posteingang</a>', de.get("/").text)  # in the navigation
    page = de.get("/inbox")
    assert page.status_code == 200 and 'lang="de"' in page.text
    html = page.text
    assert (
        count(html, "all"),
        count(html, "waiting"),
        count(html, "unassigned"),
        count(html, "mine"),
        count(html, "insults"),
    ) == (2, 2, 2, 0, 0)
    assert html.index("Mein Akku ist geplatzt!") < html.index("Wann kommt meine Lieferung?")  # newest first
    words = text_of(html)
    assert "Lena" in words and "Jonas" in words and "voltaro-tg (telegram)" in words
    assert "privat" in words and "Wartet auf uns" in words
    waited = 'title="Wartet auf unsere Antwort seit 04.12.2025, 12:05">12 Monate<'  # the relative time
    assert f'class="waiting" {waited}' in html
    assert english_left(html) == []

    en, _ = browser(world, Role.ANALYST, lang="en")
    html = en.get("/inbox").text
    words = text_of(html)
    assert "Inbox" in words and "Waiting for us" in words and "private" in words
    waited = 'title="Waiting for our answer since 4 Dec 2025, 12:05">12 months<'
    assert f'class="waiting" {waited}' in html
    assert count(html, "all") == 2

    found = en.get("/inbox", params={"q": "LIEFERUNG"}).text
    assert "Wann kommt meine Lieferung?" in found and "Mein Akku" not in found
    assert "Mein Akku ist geplatzt!" in en.get("/inbox", params={"monitor": "akku"}).text
    assert "Wann kommt" not in en.get("/inbox", params={"monitor": "akku"}).text
    assert 'id="empty"' in en.get("/inbox", params={"status": "resolved"}).text
    assert 'id="empty"' in en.get("/inbox", params={"view": "mine"}).text
    bad = en.get("/inbox", params={"view": "everything", "status": "closed"})
    assert bad.status_code == 400
    assert "Unknown view “everything”" in bad.text and "Unknown status “closed”" in bad.text
    assert "Wann kommt meine Lieferung?" in bad.text  # the default list, not an error page
    assert "not valid" in en.get("/inbox", params={"after": "nonsense"}).text


def test_older_conversations_page_by_keyset(world: World) -> None:
    threads = [
        {
            "platform": "facebook",
            "id": f"c{i}",
            "created_at": f"2026-11-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
            "text": f"Frage Nummer {i}",
            "kind": "comment",
            "conversation_id": f"post-{i}",
            "author": {"id": f"u{i}", "name": f"Fan {i}"},
        }
        for i in range(52)
    ]
    r = world.client.post("/api/v1/posts", json=threads, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status_code == 200, r.text
    c, _ = browser(world, Role.ANALYST, lang="en")
    first = c.get("/inbox").text
    assert count(first, "all") == 52
    assert (
        first.count('class="row-link"') == 50 and "Frage Nummer 51<" in first and 'id="newest"' not in first
    )
    older = re.search(r'href="([^"]+)" id="older"', first)
    assert older, first
    second = c.get(unescape(older.group(1))).text
    assert second.count('class="row-link"') == 2
    assert "Frage Nummer 1<" in second and "Frage Nummer 0<" in second and 'id="older"' not in second
    assert 'id="newest"' in second


@BY_HAND
def test_the_conversation_shows_messages_in_and_out_and_a_reply_is_sent(
    world: World, chats: dict[str, int], bot: tuple[HttpSink, TelegramBotApi]
) -> None:
    sink, _ = bot
    c, csrf = browser(world, Role.AGENT, lang="de")
    lena = f"/inbox/{chats['lena']}"
    page = c.get(lena).text
    assert page.index("Mein Akku ist geplatzt!") < page.index("Hallo?? Niemand da?")
    assert "<strong>Lena</strong>" in page and 'id="reply-form"' in page
    assert "Chats und Direktnachrichten werden privat beantwortet." in page
    assert 'name="visibility" value="public"' not in page  # a chat has no public answer to choose
    assert "Jonas" not in page and 'id="no-others"' in page  # Lena's only conversation
    assert english_left(page) == []
    key = re.search(r'name="key" value="(web-reply-[0-9a-f]+)"', page)
    assert key
    # Collision detection: the page reports itself (with the CSRF token) and shows who else is here.
    assert f'data-conversation="{chats["lena"]}"' in page and 'name="csrf-token"' in page
    assert 'data-here="Ebenfalls geöffnet von:"' in page
    lead, lead_csrf = browser(world, Role.CRISIS_LEAD, lang="de")
    beat = {"typing": True, "draft": "Hallo"}
    assert lead.put(f"/api/v1/conversations/{chats['lena']}/presence", json=beat,
                    headers={"X-CSRF-Token": lead_csrf}).status_code == 200
    others = c.put(f"/api/v1/conversations/{chats['lena']}/presence", json={}, headers={"X-CSRF-Token": csrf})
    assert [(p["typing"], p["draft"]) for p in others.json()] == [(True, "Hallo")]

    form = {"csrf_token": csrf, "text": "Das tut uns leid, Lena. Wir rufen heute an.", "key": key.group(1)}
    r = c.post(f"{lena}/reply", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{lena}?done=reply#thread"
    assert c.post(f"{lena}/reply", data=form, follow_redirects=False).status_code == 303  # a double click
    [item] = outbox(world)
    assert (item.action, item.status, item.created_by) == ("reply_private", "queued", "agent@example.org")
    en, _ = browser(world, Role.AGENT, lang="en")
    queued = en.get(f"{lena}?done=reply").text
    assert "Reply queued" in queued
    assert re.search(rf'id="out-status-{item.id}">queued<', queued)

    send_due(world)
    calls = [r.json() for r in sink.requests if r.path.endswith("/sendMessage")]
    assert (
        len(calls) == 1 and calls[0]["chat_id"] == LENA and calls[0]["reply_parameters"] == {"message_id": 51}
    )
    page = en.get(lena).text
    assert re.search(rf'id="out-status-{item.id}">sent<', page)
    assert page.index("Hallo?? Niemand da?") < page.index("Das tut uns leid, Lena.")
    assert "agent@example.org" in page
    assert re.search(rf'id="out-status-{item.id}">gesendet<', c.get(lena).text)
    listed = en.get("/inbox").text
    assert count(listed, "waiting") == 1  # Lena got her answer; Jonas still waits

    refused = c.post(f"{lena}/reply", data={"csrf_token": csrf, "text": "   "})
    assert refused.status_code == 422 and "Bitte eine Antwort schreiben." in refused.text
    assert len(outbox(world)) == 1


def test_assignment_status_priority_tags_and_notes_make_the_timeline(
    world: World, chats: dict[str, int]
) -> None:
    c, csrf = browser(world, Role.AGENT, lang="en")
    lena = f"/inbox/{chats['lena']}"
    page = c.get(lena).text
    assert 'id="assign-form"' in page and "Nothing happened yet." in page

    def post(path: str, **data: str) -> str:
        r = c.post(f"{lena}/{path}", data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert r.status_code == 303, r.text
        return r.headers["location"]

    assert post("assign", assignee="me") == f"{lena}?done=assigned#manage"
    assert count(c.get("/inbox").text, "mine") == 1
    assert post("priority", priority="urgent").endswith("done=priority#manage")
    post("tags", tags="akku, safety, akku")
    assert 'id="ticket-form"' in c.get(lena).text
    assert post("ticket").endswith("done=ticket#manage")
    assert post("ticket").endswith("done=ticket#manage")  # a ticket stays one, with its number
    assert 'id="ticket-form"' not in c.get(lena).text
    post("notes", text="Kundin ist verunsichert,\nbitte anrufen")

    no_time = c.post(f"{lena}/status", data={"csrf_token": csrf, "status": "snoozed"})
    assert no_time.status_code == 422 and "Snoozing needs a date and time." in no_time.text
    past = c.post(
        f"{lena}/status", data={"csrf_token": csrf, "status": "snoozed", "snoozed_until": "2026-11-30T10:00"}
    )
    assert past.status_code == 422 and "Snoozing needs a time in the future." in past.text
    assert 'value="2026-11-30T10:00"' in past.text  # what was typed stays in the form
    assert '<option value="snoozed" selected>' in past.text
    post("status", status="snoozed", snoozed_until="2026-12-02T10:00")  # Europe/Berlin: 09:00 UTC
    [conversation] = rows(world, Conversation, Conversation.id == chats["lena"])
    assert conversation.status == "snoozed"
    assert conversation.snoozed_until == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert (conversation.priority, conversation.tags) == ("urgent", ["akku", "safety"])
    assert conversation.ticket is not None and conversation.ticket.endswith("-0001")
    post("status", status="resolved")
    post("assign", assignee="")

    page = c.get(lena).text
    kinds = [
        e.kind for e in rows(world, ConversationEvent, ConversationEvent.conversation_id == chats["lena"])
    ]
    assert kinds == ["assigned", "priority", "tags", "ticket", "note", "status", "status", "assigned"]
    timeline = text_of(page[page.index('id="timeline"') :])
    assert "Assignee changed · agent@example.org: nobody → Agent" in timeline
    assert "Priority changed · agent@example.org: normal → urgent" in timeline
    assert "Tags changed · agent@example.org: – → akku, safety" in timeline
    assert "Status changed · agent@example.org: open → snoozed" in timeline
    assert "Status changed · agent@example.org: snoozed → resolved" in timeline
    assert "Assignee changed · agent@example.org: Agent → nobody" in timeline
    assert "Internal note · agent@example.org Kundin ist verunsichert, bitte anrufen" in timeline

    de, csrf_de = browser(world, Role.AGENT, lang="de")
    german = de.get(lena).text
    assert "Status geändert" in german and "offen → zurückgestellt" in text_of(german)
    assert english_left(german) == []
    empty = de.post(f"{lena}/notes", data={"csrf_token": csrf_de, "text": " "})
    assert empty.status_code == 422 and "Bitte einen Text für die Notiz schreiben." in empty.text
    long = de.post(f"{lena}/tags", data={"csrf_token": csrf_de, "tags": "x" * 80})
    assert long.status_code == 422 and "ist zu lang (höchstens 64 Zeichen)" in long.text
    assert 'value="' + "x" * 80 + '"' in long.text
    nobody = de.post(f"{lena}/assign", data={"csrf_token": csrf_de, "assignee": "99999"})
    assert nobody.status_code == 422 and "Nur aktive Benutzer können zuständig sein." in nobody.text
    assert de.get("/inbox/4242").status_code == 404
    assert "Unterhaltung 4242 gibt es nicht." in de.get("/inbox/4242").text


def test_analysts_read_everything_and_may_not_post(world: World, chats: dict[str, int]) -> None:
    c, csrf = browser(world, Role.ANALYST, lang="en")
    lena = f"/inbox/{chats['lena']}"
    page = c.get(lena).text
    assert "Mein Akku ist geplatzt!" in page and 'id="read-only"' in page
    for form in ('id="reply-form"', 'id="note-form"', 'id="assign-form"', "/moderate"):
        assert form not in page
    posts = {
        "reply": {"text": "Hallo"},
        "assign": {"assignee": "me"},
        "status": {"status": "resolved"},
        "priority": {"priority": "high"},
        "tags": {"tags": "x"},
        "notes": {"text": "x"},
        "moderate": {"external_id": f"{LENA}:50", "action": "delete"},
    }
    for path, data in posts.items():
        r = c.post(f"{lena}/{path}", data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert r.status_code == 403, path
    assert outbox(world) == []
    assert rows(world, ConversationEvent, ConversationEvent.id > 0) == []


def test_forms_without_the_csrf_token_are_refused(world: World, chats: dict[str, int]) -> None:
    c, csrf = browser(world, Role.AGENT, lang="en")
    lena = f"/inbox/{chats['lena']}"
    for data in ({"text": "Hallo"}, {"text": "Hallo", "csrf_token": csrf[::-1]}):
        assert c.post(f"{lena}/reply", data=data, follow_redirects=False).status_code == 403
        assert c.post(f"{lena}/notes", data=data, follow_redirects=False).status_code == 403
    assert (
        c.post(
            f"{lena}/moderate", data={"external_id": f"{LENA}:50", "action": "delete"}, follow_redirects=False
        ).status_code
        == 403
    )
    assert outbox(world) == []
    assert rows(world, ConversationEvent, ConversationEvent.id > 0) == []


def test_moderation_goes_through_the_outbox_and_is_refused_where_the_platform_cannot(
    world: World, chats: dict[str, int], bot: tuple[HttpSink, TelegramBotApi]
) -> None:
    _, api = bot
    c, csrf = browser(world, Role.AGENT, lang="en")
    lena = f"/inbox/{chats['lena']}"
    page = c.get(lena).text
    assert "Not possible on this platform: Hide, Unhide." in page  # Telegram bots cannot hide
    assert re.search(
        r'<button type="submit" class="secondary" disabled title="Not possible on this platform"\s*>'
        r"Hide</button>",
        page,
    )

    form = {"csrf_token": csrf, "external_id": f"{LENA}:50"}
    hide = c.post(f"{lena}/moderate", data={**form, "action": "hide"})
    assert hide.status_code == 422 and "Hide: not possible on this platform." in hide.text
    de, csrf_de = browser(world, Role.AGENT, lang="de")
    german = de.post(
        f"{lena}/moderate", data={"csrf_token": csrf_de, "external_id": f"{LENA}:50", "action": "hide"}
    )
    assert german.status_code == 422 and "Ausblenden: auf dieser Plattform nicht möglich." in german.text
    api_hide = world.client.post(
        f"/api/v1/posts/telegram/{LENA}:50/moderation",
        json={"action": "hide"},
        headers=world.bearer(Role.AGENT),
    )
    assert api_hide.status_code == 422 and "cannot hide" in api_hide.json()["detail"]  # the same refusal
    assert outbox(world) == []

    elsewhere = c.post(f"{lena}/moderate", data={**form, "external_id": f"{JONAS}:60", "action": "delete"})
    assert elsewhere.status_code == 422 and "does not belong to this conversation" in elsewhere.text
    assert outbox(world) == []

    r = c.post(f"{lena}/moderate", data={**form, "action": "delete"}, follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(rf"{lena}\?done=moderation#in-\d+", r.headers["location"])
    [item] = outbox(world)
    assert (item.action, item.target, item.created_by) == ("delete", f"{LENA}:50", "agent@example.org")
    assert "Delete, asked by agent@example.org" in c.get(lena).text
    send_due(world)
    assert api.deleted == [(LENA, 50)]
    done = c.get(lena).text
    assert re.search(
        r"Delete, asked by agent@example.org at [^:]+:\d\d:\s*<span class=\"tag out-sent\">sent", done
    ), done
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OutboxItem)).scalar_one() == 1


def test_imported_conversations_say_where_to_answer(world: World) -> None:
    post = {
        "platform": "facebook",
        "id": "c1",
        "created_at": "2026-11-30T10:00:00Z",
        "text": "Was ist mit dem Akku?",
        "kind": "comment",
        "conversation_id": "post-1",
        "author": {"id": "u1", "name": "Fan"},
    }
    r = world.client.post("/api/v1/posts", json=[post], headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status_code == 200, r.text
    [conversation] = rows(world, Conversation, Conversation.id > 0)
    c, csrf = browser(world, Role.AGENT, lang="en")
    page = c.get(f"/inbox/{conversation.id}").text
    assert 'id="not-connected"' in page and 'id="reply-form"' not in page and "/moderate" not in page
    refused = c.post(f"/inbox/{conversation.id}/reply", data={"csrf_token": csrf, "text": "Hallo"})
    assert refused.status_code == 422 and "did not come through a connected channel" in refused.text
    assert outbox(world) == []


def test_new_messages_reach_open_inbox_pages_live(world: World) -> None:
    """A committed batch with new conversation messages is one ``inbox`` event on the live hub
    (naming the conversations and the batch's highest post id); the list part the page then
    re-fetches (``X-Partial``) holds the new conversation and the views' counts, without the page
    around it; an open conversation has the notice the event reveals."""
    import asyncio
    import threading

    from crisisdesk.posts.models import Post
    from crisisdesk.web.live import LiveHub

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        hub: LiveHub = world.client.app.state.live  # type: ignore[attr-defined]

        async def attach() -> asyncio.Queue[str]:
            return hub.attach()

        async def drain(queue: asyncio.Queue[str]) -> list[str]:
            await asyncio.sleep(0.05)
            return [queue.get_nowait() for _ in range(queue.qsize())]

        queue = asyncio.run_coroutine_threadsafe(attach(), loop).result(5)
        message(world, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
        frames = asyncio.run_coroutine_threadsafe(drain(queue), loop).result(5)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    (conversation,) = rows(world, Conversation)
    (post,) = rows(world, Post)
    assert len(frames) == 1 and frames[0].startswith("event: inbox\ndata: "), frames
    assert json.loads(frames[0].split("data: ", 1)[1]) == {
        "event": "inbox.updated", "conversations": [conversation.id], "upto": post.id}

    c, _ = browser(world, Role.AGENT)
    page = c.get("/inbox")
    assert 'data-inbox-live="/inbox?view=all&amp;status=open"' in page.text
    part = c.get("/inbox?view=all&status=open", headers={"X-Partial": "1"})
    assert part.status_code == 200
    assert f'id="c-{conversation.id}"' in part.text and 'id="inbox-views-fresh"' in part.text
    assert "<html" not in part.text and "<form" not in part.text
    one = c.get(f"/inbox/{conversation.id}")
    notice = (f'id="new-messages" role="status" aria-live="polite" hidden '
              f'data-conversation="{conversation.id}"')
    assert notice in one.text


@BY_HAND
def test_a_failed_reply_shows_the_platforms_reason_and_is_sent_again_from_the_page(
    world: World, chats: dict[str, int], bot: tuple[HttpSink, TelegramBotApi]
) -> None:
    from tests.fakes.telegram_bot import error

    sink, api = bot
    c, csrf = browser(world, Role.AGENT)
    lena = f"/inbox/{chats['lena']}"
    key = re.search(r'name="key" value="(web-reply-[0-9a-f]+)"', c.get(lena).text)
    assert key
    form = {"csrf_token": csrf, "text": "Sorry, Lena.", "key": key.group(1)}
    assert c.post(f"{lena}/reply", data=form, follow_redirects=False).status_code == 303
    api.fail_next(error(403, "Forbidden: bot was blocked by the user"))
    send_due(world)
    [item] = outbox(world)
    assert item.status == "failed"
    page = c.get(lena).text
    assert "bot was blocked by the user" in page and f'id="retry-{item.id}"' in page
    analyst, analyst_csrf = browser(world, Role.ANALYST)
    assert analyst.post(f"{lena}/retry/{item.id}", data={"csrf_token": analyst_csrf}).status_code == 403
    assert c.post(f"/inbox/{chats['jonas']}/retry/{item.id}", data={"csrf_token": csrf}).status_code == 422
    again = c.post(f"{lena}/retry/{item.id}", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"{lena}?done=retried#out-{item.id}"
    send_due(world)
    [item] = outbox(world)
    assert item.status == "sent"
    assert len([r for r in sink.requests if r.path.endswith("/sendMessage")]) == 2
    assert f'id="retry-{item.id}"' not in c.get(lena).text
    refused = c.post(f"{lena}/retry/{item.id}", data={"csrf_token": csrf})  # sent: nothing to retry
    assert refused.status_code == 422 and "only failed or uncertain" in refused.text


def test_a_contacts_page_tells_their_whole_story_and_merges_with_undo(
    world: World, chats: dict[str, int]
) -> None:
    from crisisdesk.audit.models import AuditEntry

    by_id = {c.id: c for c in rows(world, Conversation)}
    lena, jonas = by_id[chats["lena"]].contact_id, by_id[chats["jonas"]].contact_id
    assert lena is not None and jonas is not None and lena != jonas
    analyst, analyst_csrf = browser(world, Role.ANALYST)
    page = analyst.get(f"/inbox/contacts/{lena}").text
    assert page.index("Mein Akku ist geplatzt!") < page.index("Hallo?? Niemand da?")
    assert "Wann kommt meine Lieferung?" not in page and 'id="merge"' not in page  # analysts read only
    assert analyst.post(f"/inbox/contacts/{lena}/merge",
                        data={"csrf_token": analyst_csrf, "other": str(jonas)}).status_code == 403
    assert f'href="/inbox/contacts/{lena}"' in analyst.get(f"/inbox/{chats['lena']}").text

    c, csrf = browser(world, Role.AGENT, lang="de")
    found = c.get(f"/inbox/contacts/{lena}", params={"find": "jon"}).text
    assert f'id="merge-{jonas}"' in found and "Zusammenführen" in found
    assert english_left(found) == []
    done = c.post(f"/inbox/contacts/{lena}/merge", data={"csrf_token": csrf, "other": str(jonas)},
                  follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/inbox/contacts/{lena}?done=merged"
    merged = c.get(f"/inbox/contacts/{lena}").text
    # One timeline across both conversations, in the order it happened (Jonas wrote in between).
    assert (merged.index("Mein Akku ist geplatzt!") < merged.index("Wann kommt meine Lieferung?")
            < merged.index("Hallo?? Niemand da?"))
    assert f'id="unmerge-{jonas}"' in merged
    twice = c.post(f"/inbox/contacts/{lena}/merge", data={"csrf_token": csrf, "other": str(jonas)})
    assert twice.status_code == 409 and "merged already" in twice.text
    bad = c.post(f"/inbox/contacts/{lena}/merge", data={"csrf_token": csrf, "other": "x1"})
    assert bad.status_code == 422
    undone = c.post(f"/inbox/contacts/{lena}/unmerge", data={"csrf_token": csrf, "other": str(jonas)},
                    follow_redirects=False)
    assert undone.status_code == 303
    assert "Wann kommt meine Lieferung?" not in c.get(f"/inbox/contacts/{lena}").text
    assert {e.action for e in rows(world, AuditEntry)} >= {"contacts.merged", "contacts.unmerged"}
    assert c.get("/inbox/contacts/99999").status_code == 404


def test_a_reply_with_a_file_from_the_form(
    world: World, chats: dict[str, int], bot: tuple[HttpSink, TelegramBotApi]
) -> None:
    """The form takes files where the channel can send them; the thread lists them after sending."""
    _, api = bot
    c, csrf = browser(world, Role.AGENT, lang="de")
    lena = f"/inbox/{chats['lena']}"
    page = c.get(lena).text
    assert 'enctype="multipart/form-data"' in page and 'name="files"' in page and "Dateien anhängen" in page
    key = re.search(r'name="key" value="(web-reply-[0-9a-f]+)"', page)
    assert key
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
    form = {"csrf_token": csrf, "text": "So sieht der Aufkleber aus.", "key": key.group(1)}
    files = {"files": ("Aufkleber.png", png, "image/png")}
    r = c.post(f"{lena}/reply", data=form, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert c.post(f"{lena}/reply", data=form, files=files, follow_redirects=False).status_code == 303  # twice
    bad = c.post(f"{lena}/reply", data={**form, "key": "web-reply-other-1"},
                 files={"files": ("tool.exe", b"MZ\x90\x00", "application/x-msdownload")})
    assert bad.status_code == 422 and "Der Anhang tool.exe wurde nicht angenommen" in unescape(bad.text)
    assert len(outbox(world)) == 1
    runtime = world.runtime
    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered,
                 attachments=runtime.attachment_store()).run_once()
    assert [m["photo"].data for m in api.messages] == [png]
    thread = c.get(lena).text
    assert "Aufkleber.png" in thread and "/api/v1/attachments/" in thread

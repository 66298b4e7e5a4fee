"""The inbox in a real browser, on ``crisisdesk demo`` after its crisis: what docs/inbox.md ("Try it
in the demo") promises a new user.

The crisis lead opens the inbox, opens an angry WhatsApp conversation with its whole history and
answers it privately with a saved reply (the answer appears with its delivery status, then "sent");
a colleague opening the same conversation sees the lead there; the lead hands a conversation to a
colleague with a note and looks at a complaint a rule moved to a private chat with a ticket. An
agent working in German answers a Facebook comment publicly and hides an insulting one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Demo, running_demo
from tests.browser.test_web_app import DESKTOP, LEAD, Watched, sign_in
from tests.conftest import postgres_schema

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

MIA = "mia@crisisdesk.example"  # agent, German
SAM = "sam@crisisdesk.example"  # agent, English


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Demo]:
    """The demo on each database: the inbox's browser tests run on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        with running_demo() as started:
            yield started
        return
    with postgres_schema() as url, running_demo(url) as started:
        yield started


@pytest.fixture(scope="module")
def replayed(demo: Demo) -> Demo:
    """The demo once its replay is over: the crisis's conversations are all there."""
    demo.wait_replay_over()
    return demo


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    yield ctx
    ctx.close()


def conversations(page: Page, demo: Demo, **params: str) -> list[dict[str, Any]]:
    """Conversations of the API's list (newest activity first), as the signed-in user sees them."""
    query = "&".join(f"{k}={v}" for k, v in {"limit": "200", **params}.items())
    response = page.request.get(f"{demo.url}/api/v1/conversations?{query}")
    assert response.ok, response.text()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def conversation(page: Page, demo: Demo, cid: int) -> dict[str, Any]:
    response = page.request.get(f"{demo.url}/api/v1/conversations/{cid}")
    assert response.ok, response.text()
    found: dict[str, Any] = response.json()
    return found


def wait_sent(page: Page, selector: str, sent: str, timeout: float = 15.0) -> None:
    """Reload until the outbound item at ``selector`` says ``sent`` (the outbox sends in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        status = page.locator(selector).inner_text()
        if status == sent:
            return
        assert time.monotonic() < deadline, f"still {status!r}, not {sent!r}"
        time.sleep(0.3)
        page.reload()


def open_from_list(page: Page, demo: Demo, cid: int, channel: str) -> None:
    page.goto(f"{demo.url}/inbox?channel={channel}")
    with page.expect_navigation():
        page.click(f"#c-{cid} a.row-link")
    assert page.url.endswith(f"/inbox/{cid}")


def test_lead_answers_an_angry_chat_privately_with_a_saved_reply(context: BrowserContext,
                                                                  replayed: Demo) -> None:
    watched = Watched(context)
    page = watched.page
    sign_in(page, replayed, LEAD)
    page.goto(f"{replayed.url}/inbox")
    assert page.locator("tr.conversation").count() > 0
    assert page.locator("tr.conversation .marker-negative").count() > 0  # the crisis's anger shows
    # an angry WhatsApp chat with history, that nobody has taken yet (newest first: inside the
    # 24-hour window in which WhatsApp takes a free-form answer)
    chat = next(c for c in conversations(page, replayed, channel="voltaro-wa")
                if c["messages"] >= 2 and c["negative"] and c["assignee_user_id"] is None)
    open_from_list(page, replayed, chat["id"], "voltaro-wa")
    assert page.locator("article.message.in").count() == chat["messages"]  # the whole history
    assert page.locator("#private-only").is_visible()
    page.select_option("#saved-reply", "recall-apology")
    text = page.input_value("#reply-text")
    assert "Demo Crisis Lead" in text and "{{" not in text  # filled in, signed by the reader
    assert re.match(r"^(Hi|Hallo) ", text)
    with page.expect_navigation():
        page.click("#reply-form button[type=submit]")
    assert page.locator("#done").is_visible()
    mine = page.locator("article.message.out", has_text="Demo Crisis Lead")
    assert mine.count() == 1
    assert "private" in mine.inner_text()
    outbox_id = mine.get_attribute("id").removeprefix("out-")  # type: ignore[union-attr]
    wait_sent(page, f"#out-status-{outbox_id}", "sent")
    detail = conversation(page, replayed, chat["id"])
    assert detail["first_response_at"] is not None and detail["waiting_since"] is None
    assert watched.errors == []


def test_a_colleague_sees_who_has_the_conversation_open(browser: Browser, replayed: Demo) -> None:
    lead_ctx = browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    sam_ctx = browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        lead, sam = Watched(lead_ctx).page, Watched(sam_ctx).page
        sign_in(lead, replayed, LEAD)
        sign_in(sam, replayed, SAM)
        cid = conversations(lead, replayed, channel="voltaro-fb")[0]["id"]
        lead.goto(f"{replayed.url}/inbox/{cid}")
        lead.wait_for_load_state("networkidle")  # its first heartbeat has been counted
        sam.goto(f"{replayed.url}/inbox/{cid}")
        presence = sam.locator("#presence")
        presence.wait_for(state="visible", timeout=5000)
        assert "Also open for:" in presence.inner_text() and "Demo Crisis Lead" in presence.inner_text()
        # Sam's note reaches the lead's open page live; Sam's own page is not told of it
        changed = lead.locator("#conversation-changed")
        assert changed.is_hidden()
        sam.fill("#note-text", "Calling her back at 15:00.")
        with sam.expect_navigation():
            sam.click("#note-form button[type=submit]")
        changed.wait_for(state="visible", timeout=10000)
        assert "changed meanwhile" in changed.inner_text()
        sam.wait_for_timeout(1500)
        assert sam.locator("#conversation-changed").is_hidden()
        with lead.expect_navigation():
            changed.locator("a").click()
        assert "Calling her back at 15:00." in lead.content()
    finally:
        lead_ctx.close()
        sam_ctx.close()


def test_lead_hands_a_conversation_to_a_colleague_with_a_note(context: BrowserContext,
                                                              replayed: Demo) -> None:
    page = Watched(context).page
    sign_in(page, replayed, LEAD)
    target = next(c for c in conversations(page, replayed, channel="voltaro-fb")
                  if c["negative"] and c["assignee_user_id"] is None)
    page.goto(f"{replayed.url}/inbox/{target['id']}")
    page.select_option("#assignee", label="Mia Schulz")
    with page.expect_navigation():
        page.click("#assign-form button[type=submit]")
    assert "Assignee: Mia Schulz" in " ".join(page.locator(".conversation-meta").inner_text().split())
    page.fill("#note-text", "Mia, bitte übernehmen: Kunde fragt nach dem Rückruf.")
    with page.expect_navigation():
        page.click("#note-form button[type=submit]")
    timeline = page.locator("#timeline")
    assert timeline.locator("li.event-assigned", has_text="Mia Schulz").count() == 1
    assert timeline.locator("li.event-note blockquote").last.inner_text() == \
        "Mia, bitte übernehmen: Kunde fragt nach dem Rückruf."
    # Mia finds it in her own view
    assert conversation(page, replayed, target["id"])["assignee_user_id"] is not None


def test_a_rule_moved_a_complaint_to_a_private_chat_with_a_ticket(context: BrowserContext,
                                                                  replayed: Demo) -> None:
    page = Watched(context).page
    sign_in(page, replayed, LEAD)
    moved = next(c for c in conversations(page, replayed, channel="voltaro-fb")
                 if "moved-to-private" in c["tags"])
    page.goto(f"{replayed.url}/inbox/{moved['id']}")
    answers = page.locator("article.message.out", has_text="rule:complaints-to-private")
    assert answers.count() == 2
    assert "public" in answers.nth(0).inner_text() or "public" in answers.nth(1).inner_text()
    assert page.locator("article.message.out .tag.out-sent").count() >= 2
    ticket = page.locator("#timeline li.event-ticket").inner_text()
    number = re.search(r"\d{4}-\d{4}", ticket)
    assert number is not None
    # the private answer names the ticket
    assert number.group(0) in answers.filter(has_text=number.group(0)).inner_text()
    assert page.locator(".conversation-meta .tag", has_text="complaint").count() == 1


def test_agent_answers_publicly_and_hides_an_insult_in_german(browser: Browser, replayed: Demo) -> None:
    ctx = browser.new_context(locale="de-DE", viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        watched = Watched(ctx)
        page = watched.page
        sign_in(page, replayed, MIA)
        page.goto(f"{replayed.url}/inbox?channel=voltaro-fb")
        assert page.locator("h1").inner_text() == "Posteingang"
        assert page.locator("tr.conversation").count() > 0
        comments = conversations(page, replayed, channel="voltaro-fb")
        angry = next(c for c in comments if c["negative"] and c["assignee_user_id"] is None
                     and not c["insults"] and "moved-to-private" not in c["tags"])
        page.goto(f"{replayed.url}/inbox/{angry['id']}")
        assert page.locator("#reply-form button[type=submit]").inner_text() == "Senden"
        page.check("input[name=visibility][value=public]")
        page.select_option("#saved-reply", "come-private")
        assert "Mia Schulz" in page.input_value("#reply-text")
        with page.expect_navigation():
            page.click("#reply-form button[type=submit]")
        mine = page.locator("article.message.out", has_text=MIA)
        assert mine.count() == 1 and "öffentlich" in mine.inner_text()
        outbox_id = mine.get_attribute("id").removeprefix("out-")  # type: ignore[union-attr]
        wait_sent(page, f"#out-status-{outbox_id}", "gesendet")

        # an insulting comment the rule left up (below its threshold, or not yet hidden): hide it
        insulting = next(c for c in conversations(page, replayed, channel="voltaro-fb")
                         if c["insults"] and "insult" not in c["tags"])
        page.goto(f"{replayed.url}/inbox/{insulting['id']}")
        message = page.locator("article.message.in", has=page.locator(".marker-insult")).first
        with page.expect_navigation():
            message.locator("form.inline", has=page.locator("input[name=action][value=hide]"))\
                .locator("button").click()
        assert page.locator("#done").is_visible()
        request = page.locator("article.message.in .moderation-request").first
        assert "Ausblenden" in request.inner_text()
        deadline = time.monotonic() + 15
        while "gesendet" not in page.locator("article.message.in .moderation-request").first.inner_text():
            assert time.monotonic() < deadline, page.locator(".moderation-request").first.inner_text()
            time.sleep(0.3)
            page.reload()
        assert watched.errors == []
    finally:
        ctx.close()


def test_the_keyboard_walks_the_list_opens_a_conversation_and_jumps_to_reply_and_note(
        context: BrowserContext, replayed: Demo) -> None:
    """j/k move through the conversations, Enter opens the focused one, r and n put the cursor in
    the reply and the note, j/k then walk the messages, u goes back; keys typed into a field stay
    text."""
    watched = Watched(context)
    page = watched.page
    sign_in(page, replayed, LEAD)
    page.goto(f"{replayed.url}/inbox")
    rows = page.locator("a.row-link")
    assert rows.count() >= 3

    def focused(attribute: str) -> str | None:
        script = f"() => document.activeElement && document.activeElement.getAttribute('{attribute}')"
        found: str | None = page.evaluate(script)
        return found

    page.keyboard.press("j")
    first = focused("href")
    assert first == rows.nth(0).get_attribute("href")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused("href") == rows.nth(2).get_attribute("href")
    page.keyboard.press("k")
    second = focused("href")
    assert second == rows.nth(1).get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(str(second))
    page.keyboard.press("r")
    assert focused("id") == "reply-text"
    page.keyboard.type("jkun")  # typed into the reply, not taken as commands
    assert page.input_value("#reply-text").endswith("jkun") and page.url.endswith(str(second))
    page.locator("#reply-text").evaluate("el => el.blur()")
    page.keyboard.press("n")
    assert focused("id") == "note-text"
    page.locator("#note-text").evaluate("el => el.blur()")
    page.keyboard.press("j")
    assert page.evaluate("() => document.activeElement.tagName") == "ARTICLE"
    with page.expect_navigation():
        page.keyboard.press("u")
    assert page.url.rstrip("/").endswith("/inbox")
    assert watched.errors == []

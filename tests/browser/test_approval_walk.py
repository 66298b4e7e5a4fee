"""The approval walk of issue 14's "done means", in a real browser, on ``crisisdesk demo``.

While the replay runs, the crisis lead takes charge of the fire crisis (confirms its type), so it
stays open after the talk calms down. Then an agent who is not a spokesperson drafts a public reply
on one of its conversations: the reply check, shown while typing, flags an excuse; the agent fixes
it, the check is clean, and sending holds the reply for approval. The spokesperson (Oliver Grant)
approves it in the queue, and the reply goes out through the platform's API — in English and in
German.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Demo
from tests.browser.test_inbox import MIA, SAM, conversations, wait_sent
from tests.browser.test_web_app import DESKTOP, LEAD, Watched, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SPOKESPERSON = "oliver@crisisdesk.example"


@dataclass(frozen=True)
class Walk:
    """One language's walk: who drafts, what the page says, the reply with and without an excuse."""

    lang: str
    locale: str
    agent: str
    excuse: str
    flagged: str  # the span the check marks
    sent: str  # the delivery status as the page says it
    step: str  # words of the next step, as the approver reads them

    def reply(self, name: str, excuse: bool) -> str:
        """A reply to a fire report: apology, empathy, name, next step, time frame; an excuse or not."""
        if self.lang == "de":
            parts = (f"Hallo {name}, es tut uns" if name else "Es tut uns",
                     "sehr leid, dass Ihr Roller angefangen hat zu qualmen – das muss beängstigend "
                     "gewesen sein.",
                     self.excuse if excuse else "",
                     "Bitte nutzen Sie ihn nicht mehr; unser Sicherheitsteam ruft Sie innerhalb von "
                     "24 Stunden an und holt ihn kostenlos ab.")
        else:
            parts = (f"Hi {name}, we" if name else "We",
                     "are very sorry that your scooter started to smoke - that must have been frightening.",
                     self.excuse if excuse else "",
                     "Please stop using it; our safety team will call you within 24 hours to arrange a free "
                     "pickup.")
        return " ".join(p for p in parts if p)


WALKS = [
    Walk("en", "en-US", SAM, "Unfortunately this was caused by circumstances beyond our control.",
         "beyond our control", "sent", "within 24 hours"),
    Walk("de", "de-DE", MIA, "Leider lag das an Umständen, die wir nicht beeinflussen konnten.",
         "nicht beeinflussen", "gesendet", "innerhalb von 24 Stunden"),
]


@pytest.fixture(scope="module")
def crisis(browser: Browser, demo: Demo) -> dict[str, Any]:
    """The fire crisis, taken in charge by the lead during the replay (it then stays open)."""
    ctx = browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        page = Watched(ctx).page
        sign_in(page, demo, LEAD)
        deadline = time.monotonic() + 120
        found: dict[str, Any] | None = None
        while found is None:
            response = page.request.get(f"{demo.url}/api/v1/crises")
            assert response.ok, response.text()
            found = next((c for c in response.json()
                          if c["status"] == "open" and c["severity"] >= 3 and c["type"]), None)
            if found is None:
                assert not demo.replay_over.is_set(), "the replay ended before a crisis was open"
                assert time.monotonic() < deadline, demo.output()
                time.sleep(0.3)
        page.goto(f"{demo.url}/crises/{found['id']}")
        with page.expect_navigation():
            page.click("form[action$='/type'] button[type=submit]")
        assert "confirmed by" in page.locator("#crisis-type").inner_text()
        demo.wait_replay_over()
        response = page.request.get(f"{demo.url}/api/v1/crises/{found['id']}")
        assert response.ok, response.text()
        detail: dict[str, Any] = response.json()
        assert detail["status"] == "open", "a crisis someone took charge of stays open"
        return detail
    finally:
        ctx.close()


def gated_conversation(page: Page, demo: Demo, crisis_id: int, lang: str) -> int:
    """A public comment in ``lang`` on the brand's page that the crisis's approval gate covers, and
    that nobody has answered yet."""
    for c in conversations(page, demo, channel="voltaro-fb"):
        if not c["public"] or "moved-to-private" in c["tags"] or c["insults"] or c["last_outbound_at"]:
            continue
        page.goto(f"{demo.url}/inbox/{c['id']}")
        warning = page.locator("#approval-warning")
        if warning.count() and f"#{crisis_id}" in warning.inner_text() \
                and page.get_attribute("#reply-check", "data-lang") == lang:
            return int(c["id"])
    raise AssertionError(f"no comment in {lang} under the crisis's approval gate")


@pytest.mark.parametrize("walk", WALKS, ids=[w.lang for w in WALKS])
def test_an_agent_fixes_an_excuse_and_the_spokesperson_approves(browser: Browser, demo: Demo,
                                                                 crisis: dict[str, Any], walk: Walk) -> None:
    sam_ctx = browser.new_context(locale=walk.locale, viewport=DESKTOP)  # type: ignore[arg-type]
    oliver_ctx = browser.new_context(locale=walk.locale, viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        sam_watched, oliver_watched = Watched(sam_ctx), Watched(oliver_ctx)
        sam, oliver = sam_watched.page, oliver_watched.page
        sign_in(sam, demo, walk.agent)
        cid = gated_conversation(sam, demo, crisis["id"], walk.lang)
        sam.check("input[name=visibility][value=public]")
        name = (sam.get_attribute("#reply-check", "data-name") or "").split(" ")[0]

        # drafting: the check flags the excuse while the agent types, with the span and a suggestion
        sam.fill("#reply-text", walk.reply(name, excuse=True))
        flagged = sam.locator("#reply-findings li.finding-excuse")
        flagged.wait_for(state="visible", timeout=10_000)
        assert walk.flagged in flagged.inner_text()
        assert sam.locator("#reply-findings li").count() == 1, sam.locator("#reply-findings").inner_text()

        # fixed: nothing left to flag
        sam.fill("#reply-text", walk.reply(name, excuse=False))
        sam.locator("#reply-check-clean").wait_for(state="visible", timeout=10_000)
        assert sam.locator("#reply-findings li").count() == 0

        # sent: held for the spokesperson, not published
        with sam.expect_navigation():
            sam.click("#reply-form button[type=submit]")
        mine = sam.locator("article.message.out", has_text=walk.agent).last
        outbox_id = (mine.get_attribute("id") or "").removeprefix("out-")
        assert outbox_id, mine.inner_html()
        assert sam.locator(f"#held-{outbox_id}").is_visible()
        assert f"#{crisis['id']}" in sam.locator(f"#held-{outbox_id}").inner_text()

        # the spokesperson approves it in the queue
        sign_in(oliver, demo, SPOKESPERSON)
        oliver.goto(f"{demo.url}/approvals")
        card = oliver.locator(f"#approval-{outbox_id}")
        assert card.is_visible()
        assert walk.step in card.inner_text()
        with oliver.expect_navigation():
            oliver.click(f"#approve-{outbox_id}")
        assert oliver.locator("#done").is_visible()
        assert oliver.locator(f"#approval-{outbox_id}").count() == 0

        # and it leaves through the platform's API
        sam.goto(f"{demo.url}/inbox/{cid}")
        wait_sent(sam, f"#out-status-{outbox_id}", walk.sent)
        assert sam_watched.errors == [] and oliver_watched.errors == []
    finally:
        sam_ctx.close()
        oliver_ctx.close()

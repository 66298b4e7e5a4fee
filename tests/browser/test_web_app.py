"""The web app in a real browser, on ``crisisdesk demo`` while its crisis unfolds.

A crisis lead signs in, sees a situation appear on the overview without reloading, opens it,
acknowledges it, corrects a post's label and switches to German; an admin sees the users; an
analyst is refused the admin pages. With ``CRISISDESK_SCREENSHOTS=1`` the main pages are saved to
``docs/screenshots/`` on the way (see docs/web.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import REPLAY_SECONDS, SCREENSHOTS, Demo, screenshots_wanted

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

LEAD = "demo@crisisdesk.example"
ADMIN = "admin@crisisdesk.example"
ANALYST = "analyst@crisisdesk.example"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Form controls and buttons without an accessible name (hidden inputs do not count).
_UNLABELLED_JS = """() => {
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return true;
    if (el.tagName === 'BUTTON') return el.textContent.trim() !== '';
    if (el.closest('label')) return true;
    return !!(el.id && document.querySelector('label[for="' + el.id + '"]'));
  };
  return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 120));
}"""


class Watched:
    """A page and the JavaScript errors it reported."""

    def __init__(self, context: BrowserContext) -> None:
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                     if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    yield ctx
    ctx.close()


def shot(page: Page, name: str) -> None:
    if screenshots_wanted():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, demo: Demo, email: str) -> None:
    page.goto(f"{demo.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in page.url, page.content()[:2000]


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.click("form[action='/logout'] button[type=submit]")


def assert_labelled(page: Page) -> None:
    assert page.evaluate(_UNLABELLED_JS) == [], page.url


def assert_fits(page: Page, width: int) -> None:
    """Nothing sticks out sideways (the page does not scroll horizontally)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide in a {width} px window"


def test_crisis_lead_follows_and_works_the_crisis(context: BrowserContext, demo: Demo) -> None:
    w = Watched(context)
    page = w.page
    page.goto(f"{demo.url}/login")
    assert_labelled(page)
    shot(page, "login")
    sign_in(page, demo, LEAD)
    assert page.url == f"{demo.url}/"
    assert page.locator("h1").inner_text() == "Overview"
    assert_labelled(page)
    assert_fits(page, DESKTOP["width"])

    # live: the situation appears while the page stays where it is
    page.evaluate("window.__stayed = true")
    situation = page.locator("#overview li[data-situation] a").first
    situation.wait_for(timeout=REPLAY_SECONDS * 2 * 1000)
    assert page.evaluate("window.__stayed === true"), "the overview reloaded instead of updating in place"
    status = page.locator("#live-status").inner_text().strip()
    labels = "Situation opened|Situation updated|Escalated|Acknowledged|Resolved"
    assert re.search(rf": ({labels})$", status), status  # translated, not the raw event name
    shot(page, "overview-en")

    href = situation.get_attribute("href") or ""
    assert re.fullmatch(r"/situations/\d+", href), href
    try:
        with page.expect_navigation(timeout=5000):
            situation.click(timeout=2000)
    except Exception:  # resolved (and gone from the list) between seeing and clicking
        page.goto(demo.url + href)
    assert page.url == demo.url + href

    # acknowledge it
    assert "Not acknowledged" in page.inner_text("main") or page.locator("#ack").count() == 1
    assert_labelled(page)
    with page.expect_navigation():
        page.click("#ack")
    assert page.url == demo.url + href
    assert "Acknowledged by Demo Crisis Lead" in page.inner_text("main")
    assert_fits(page, DESKTOP["width"])
    assert page.locator("#ack").count() == 0

    # after the replay (so no new post pushes ours off the list): correct a post's label
    demo.wait_replay_over()
    # the gravest situation of the scenario, with its escalation steps and deliveries
    listed = page.request.get(f"{demo.url}/api/v1/situations").json()
    gravest = max(listed, key=lambda s: (s["severity"], -s["id"]))
    page.goto(f"{demo.url}/situations/{gravest['id']}")
    assert "Step 1" in page.locator("#escalation").inner_text()
    assert page.locator("#notifications table").count() == 1
    assert_fits(page, DESKTOP["width"])
    shot(page, "situation")
    page.goto(f"{demo.url}/")
    with page.expect_navigation():
        page.locator("#overview article h3 a").first.click()
    assert re.search(r"/monitors/\d+$", page.url), page.url
    assert_labelled(page)
    assert_fits(page, DESKTOP["width"])
    shot(page, "monitor")
    post = page.locator("#posts article.post").first
    post_id = post.get_attribute("id")
    post.locator("details summary").click()
    sentiment = post.locator("select[name=sentiment]")
    new = "positive" if sentiment.input_value() != "positive" else "negative"
    sentiment.select_option(new)
    with page.expect_navigation():
        post.locator("button[type=submit]").click()
    fixed = page.locator(f"#{post_id}")
    assert new in fixed.locator(".meta").inner_text()
    assert fixed.locator("select[name=sentiment]").input_value() == new

    # German
    with page.expect_navigation():
        page.select_option("select[name=lang]", "de")
    page.goto(f"{demo.url}/")
    assert page.locator("h1").inner_text() == "Übersicht"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("link", name="Übersicht").count() == 1
    assert_fits(page, DESKTOP["width"])
    shot(page, "overview-de")
    page.select_option("select[name=lang]", "en")  # back to English for the pages that follow
    page.wait_for_load_state()
    sign_out(page)
    assert "/login" in page.url

    # an admin sees the users
    sign_in(page, demo, ADMIN)
    response = page.goto(f"{demo.url}/admin/users")
    assert response is not None and response.status == 200
    assert LEAD in page.inner_text("main")
    assert_labelled(page)
    shot(page, "admin-users")
    sign_out(page)

    # an analyst does not
    sign_in(page, demo, ANALYST)
    assert page.get_by_role("link", name="Users").count() == 0
    response = page.goto(f"{demo.url}/admin/users")
    assert response is not None and response.status == 403
    assert "You are not allowed to do that." in page.inner_text("main")
    assert w.errors == []


def test_skip_link_comes_first(context: BrowserContext, demo: Demo) -> None:
    w = Watched(context)
    sign_in(w.page, demo, ANALYST)
    w.page.keyboard.press("Tab")
    assert w.page.evaluate("document.activeElement.className") == "skip"
    assert w.page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("document.activeElement.id") == "main"
    assert w.errors == []


def test_phone_width_does_not_scroll_sideways(browser: Browser, demo: Demo) -> None:
    ctx = browser.new_context(locale="en-US", viewport=PHONE, is_mobile=True)  # type: ignore[arg-type]
    try:
        w = Watched(ctx)
        sign_in(w.page, demo, LEAD)
        for path in ("/", "/situations", "/situations/1", "/monitors/1"):
            w.page.goto(demo.url + path)
            assert_fits(w.page, PHONE["width"])
        w.page.goto(f"{demo.url}/")
        shot(w.page, "overview-phone")
        assert w.errors == []
    finally:
        ctx.close()


def test_lead_adds_a_monitor_checked_as_typed_and_a_target(context: BrowserContext, demo: Demo) -> None:
    """Settings in forms: the query is checked while typed (error and its position, then ✓), the
    monitor saved as a new version; a target form shows only the chosen kind's fields."""
    w = Watched(context)
    page = w.page
    sign_in(page, demo, LEAD)
    with page.expect_navigation():
        page.get_by_role("link", name="Settings").click()
    assert page.url.endswith("/settings/monitors"), page.url
    assert_labelled(page)

    page.fill("#f-name", "rival")
    page.locator("#f-query").press_sequentially("rival AND (", delay=20)
    result = page.locator("#f-query-result")
    page.wait_for_function("document.getElementById('f-query').getAttribute('aria-invalid') === 'true'")
    assert "^" in result.inner_text()  # points at the place of the error
    shot(page, "settings-monitors")
    page.fill("#f-query", "")
    page.locator("#f-query").press_sequentially("rival OR #rival", delay=20)
    page.wait_for_function("document.getElementById('f-query').getAttribute('aria-invalid') === 'false'")
    with page.expect_navigation():
        page.locator("form:has(#f-query) button[type=submit]").click()
    assert "Saved as version" in page.inner_text("main")
    assert page.locator("td", has_text=re.compile(r"^rival$")).count() == 1

    page.goto(f"{demo.url}/settings/targets")
    assert page.locator("#fs-webhook").is_hidden() or page.locator("#f-kind").input_value() == "webhook"
    page.select_option("#f-kind", "webhook")
    assert page.locator("#fs-webhook").is_visible() and page.locator("#fs-email").is_hidden()
    page.select_option("#f-kind", "email")
    assert page.locator("#fs-email").is_visible() and page.locator("#fs-webhook").is_hidden()
    assert_labelled(page)
    assert_fits(page, DESKTOP["width"])
    page.goto(f"{demo.url}/settings/policies")
    assert_labelled(page)
    shot(page, "settings-policies")
    assert w.errors == []

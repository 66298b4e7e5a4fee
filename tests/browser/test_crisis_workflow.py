"""The crisis workflow in a real browser, on ``crisisdesk demo``: the crisis lead opens the one
crisis — its type (suggested from the fire reports), its severity and why, its spokesperson, its
holding statement — confirms the type so that the checklist becomes tasks, and ticks one off.

(The approval walk — a reply the check flags, fixed, held, approved by the spokesperson — is in
tests/browser/test_approval_walk.py: there the lead takes charge during the replay, so that the
crisis is still open when the agent answers.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Demo
from tests.browser.test_web_app import DESKTOP, LEAD, Watched, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

@pytest.fixture(scope="module")
def replayed(demo: Demo) -> Demo:
    demo.wait_replay_over()
    return demo


def open_crisis(page: Page, demo: Demo) -> dict[str, Any]:
    response = page.request.get(f"{demo.url}/api/v1/crises")
    assert response.ok, response.text()
    crises: list[dict[str, Any]] = response.json()
    assert crises, "the demo has no crisis"
    return crises[0]


def test_the_lead_runs_the_crisis_by_its_playbook(browser: Browser, replayed: Demo) -> None:
    ctx = browser.new_context(locale="en-US", viewport=DESKTOP)  # type: ignore[arg-type]
    try:
        watched = Watched(ctx)
        page = watched.page
        sign_in(page, replayed, LEAD)
        crisis = open_crisis(page, replayed)
        page.goto(f"{replayed.url}/crises")
        page.click(f"[data-crisis='{crisis['id']}'] a")
        assert page.url.endswith(f"/crises/{crisis['id']}")
        assert "Safety incident" in page.locator("#crisis-type").inner_text()
        assert page.locator("#severity-reasons li").count() >= 2
        assert "Oliver Grant" in page.locator("#spokespersons").inner_text()
        assert page.locator("#holding-statement").inner_text().strip()
        with page.expect_navigation():
            page.click("form[action$='/type'] button[type=submit]")
        assert "confirmed by" in page.locator("#crisis-type").inner_text()
        tasks = page.locator("ul.tasks li")
        assert tasks.count() >= 3
        first = tasks.first.get_attribute("data-task")
        with page.expect_navigation():
            tasks.first.locator("button").click()
        done = page.locator(f"ul.tasks li[data-task='{first}']")
        assert "done by" in done.inner_text()
        assert page.locator("#timeline li.action[data-kind='task.done']").count() == 1
        assert watched.errors == []
    finally:
        ctx.close()

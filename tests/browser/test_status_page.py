"""The public status page in a real browser, as a visitor without an account sees it: two
updates of one incident, newest first, the language switch, and the subscription form."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from tests.accounts.fixtures import World
from tests.fakes.smtp import free_port
from tests.updates.fixtures import SLUG, add_crisis, clock_of, make_updates_world, publish

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, World]]:
    """The app on a free port (uvicorn in a thread), on SQLite, with two published updates."""
    path = tmp_path / "ws" / "crisisdesk.yaml"
    path.parent.mkdir()
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'crisisdesk.db'}")
    monkeypatch.delenv("CRISISDESK_CONFIG", raising=False)
    for world in make_updates_world(path):
        now = clock_of(world).now()
        crisis = add_crisis(world, title="INTERNAL: charger batch 7")
        publish(world, crisis, title="Charging problems with some scooters", phase="investigating",
                body="Some scooters do not charge. We are looking into it.", at=now - timedelta(hours=2))
        publish(world, crisis, title="Cause found: a faulty charger batch", phase="identified",
                body="Chargers of one batch are faulty.\nWe will send replacements this week.", at=now)
        port = free_port()
        config = uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", world
        finally:
            server.should_exit = True
            thread.join(10)


def test_a_visitor_reads_the_incident_and_switches_language(browser: Browser,
                                                            site: tuple[str, World]) -> None:
    url, _ = site
    ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/status/{SLUG}")
        assert page.title() == "Incidents at Example"
        incident = page.locator("article.incident")
        assert incident.count() == 1
        assert incident.locator("h3").inner_text() == "Charging problems with some scooters"
        updates = incident.locator("ol.updates > li")
        assert updates.count() == 2
        assert "Cause found: a faulty charger batch" in updates.nth(0).inner_text()
        assert "Identified" in updates.nth(0).inner_text()
        assert "We will send replacements this week." in updates.nth(0).inner_text()
        assert "Investigating" in updates.nth(1).inner_text()
        text = page.inner_text("body")
        assert "INTERNAL" not in text and "Sign in" not in text
        box = page.locator("input[name=website]").bounding_box()  # the honeypot: off the screen
        assert box is not None and box["x"] + box["width"] <= 0
        assert page.get_by_label("E-mail address").is_visible()
        page.click("nav.langs a[hreflang=de]")
        page.wait_for_url("**lang=de")
        assert page.title() == "Störungen bei Beispiel"
        assert "Ursache erkannt" in page.locator("ol.updates > li").nth(0).inner_text()
        assert page.get_by_role("button", name="Abonnieren").is_visible()
        assert errors == []
    finally:
        ctx.close()

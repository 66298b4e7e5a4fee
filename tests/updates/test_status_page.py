"""The public status page and its feed show what was published to ``status_page`` and nothing
else: no drafts, no updates that went only elsewhere, nothing internal about the crisis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest

from crisisdesk.updates.models import UpdateStatus
from tests.accounts.fixtures import World
from tests.updates.fixtures import (
    BASE_URL,
    SLUG,
    UPDATES_YAML,
    add_crisis,
    clock_of,
    make_updates_world,
    publish,
)

PAGE = f"/status/{SLUG}"
INTERNAL = "INTERNAL: scooter batteries"


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_updates_world(workspace_file)


@pytest.fixture
def published(world: World) -> dict[str, int]:
    """An open crisis with two public updates, a draft and an update to the press only; a
    resolved crisis of last week; one resolved 40 days ago."""
    clock = clock_of(world)
    now = clock.now()
    old = add_crisis(world, title="INTERNAL: old outage", status="resolved", at=now - timedelta(days=40))
    publish(world, old, title="Login outage over", phase="resolved", at=now - timedelta(days=40))
    past = add_crisis(world, title="INTERNAL: app crash", status="resolved", at=now - timedelta(days=7))
    publish(world, past, title="App crashes on start", body="Some of you cannot open the app.",
            at=now - timedelta(days=7, hours=2))
    publish(world, past, title="App fixed", body="Version 4.2 fixes the crash.", phase="resolved",
            at=now - timedelta(days=7))
    crisis = add_crisis(world, title=INTERNAL)
    first = publish(world, crisis, title="Scooter batteries: we are checking", lang="en",
                    body="Some scooters of the 2025 series get hot.\nPlease stop charging them.",
                    at=now - timedelta(hours=3))
    second = publish(world, crisis, title="Akkus: Ursache gefunden", lang="de", phase="identified",
                     body="Ein Ladegerät einer Charge ist fehlerhaft.", at=now - timedelta(hours=1))
    publish(world, crisis, title="Draft that must not show", status=UpdateStatus.AWAITING_APPROVAL)
    publish(world, crisis, title="Press only: background", channels=("email:press",),
            at=now - timedelta(minutes=30))
    return {"first": first.update_id, "second": second.update_id}


def test_the_page_shows_what_was_published_to_it(world: World, published: dict[str, int]) -> None:
    r = world.client.get(PAGE, headers={"accept-language": "en-GB,en;q=0.9"})
    assert r.status_code == 200, r.text
    html = r.text
    assert '<html lang="en">' in html
    for seen in ("Incidents at Example", "Current", "Scooter batteries: we are checking",
                 "Akkus: Ursache gefunden", "Identified", "Investigating", "Please stop charging them.",
                 "Past updates (last 30 days)",
                 "App crashes on start", "App fixed", "Resolved", "This update is written in German.",
                 "Get updates by e-mail", 'name="website"'):
        assert seen in html, seen
    for hidden in ("Draft that must not show", "Press only", "Login outage over", "INTERNAL", "severity",
                   "/static/", "/login", "csrf", "<script"):
        assert hidden not in html, hidden
    # The incident's title is its first update's; the newest update comes first.
    current = html[html.index('id="h-current"'):html.index('id="h-past"')]
    assert current.index("Akkus: Ursache gefunden") < current.index("Please stop charging them.")
    assert f'id="update-{published["second"]}"' in current
    assert f'id="incident-{published["first"]}"' in current
    assert '<h3>Scooter batteries: we are checking</h3>' in current
    assert f'<link rel="alternate" type="application/atom+xml" title="Incidents at Example (Atom feed)" ' \
           f'href="{PAGE}/feed.atom">' in html
    assert f'href="{PAGE}?lang=de"' in html  # switch to German
    assert "set-cookie" not in r.headers


def test_the_page_speaks_german_when_asked(world: World, published: dict[str, int]) -> None:
    for r in (world.client.get(f"{PAGE}?lang=de", headers={"accept-language": "en"}),
              world.client.get(PAGE, headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"}),
              world.client.get(PAGE, headers={"accept-language": "fr"})):  # the workspace's default
        assert r.status_code == 200
        for seen in ("Störungen bei Beispiel", "Aktuell", "Ursache erkannt", "Wir prüfen",
                     "Vergangene Meldungen (letzte 30 Tage)", "Diese Meldung ist auf Englisch verfasst.",
                     "Per E-Mail informiert werden", "Scooter batteries: we are checking"):
            assert seen in r.text, seen
        assert "status." not in r.text.replace("/status/", "")  # no untranslated key


def test_all_quiet(world: World) -> None:
    r = world.client.get(f"{PAGE}?lang=en")
    assert "There is nothing to report at the moment." in r.text
    assert "No updates in the last 30 days." in r.text


def test_a_resolved_update_makes_the_incident_past(world: World) -> None:
    crisis = add_crisis(world)
    publish(world, crisis, title="Trouble", at=clock_of(world).now() - timedelta(hours=1))
    publish(world, crisis, title="All good again", phase="resolved")
    html = world.client.get(f"{PAGE}?lang=en").text
    assert "There is nothing to report at the moment." in html
    past = html[html.index('id="h-past"'):]
    assert "<h3>Trouble</h3>" in past


def test_the_feed_is_atom_with_the_public_updates(world: World, published: dict[str, int]) -> None:
    r = world.client.get(f"{PAGE}/feed.atom?lang=en")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "Incidents at Example"
    assert feed.feed.id == f"{BASE_URL}/status/{SLUG}/feed.atom"
    assert any(link.rel == "self" and link.href == feed.feed.id for link in feed.feed.links)
    titles = [e.title for e in feed.entries]
    assert titles == ["Akkus: Ursache gefunden", "Scooter batteries: we are checking", "App fixed",
                      "App crashes on start", "Login outage over"]
    newest = feed.entries[0]
    assert newest.id == f"tag:crisis.example.org,2026-12-01:status/{SLUG}/update/{published['second']}"
    assert newest.link == f"{BASE_URL}/status/{SLUG}?lang=de#update-{published['second']}"
    assert newest.content[0].value == "Ein Ladegerät einer Charge ist fehlerhaft."
    assert newest.content[0].type == "text/plain"
    assert newest.published_parsed[:5] == (2026, 12, 1, 8, 0)
    assert b"INTERNAL" not in r.content and b"Draft" not in r.content and b"Press only" not in r.content
    german = feedparser.parse(world.client.get(f"{PAGE}/feed.atom?lang=de").content)
    assert german.feed.title == "Störungen bei Beispiel"


def test_a_wrong_slug_is_404(world: World) -> None:
    for path in ("/status/other", "/status/other/feed.atom"):
        r = world.client.get(path, headers={"accept-language": "en"})
        assert r.status_code == 404
        assert "This page does not exist." in r.text
        assert "Incidents at Example" not in r.text
    r = world.client.post("/status/other/subscribe", data={"email": "a@example.org"})
    assert r.status_code == 404


def test_a_page_switched_off_is_404_but_its_links_still_unsubscribe(workspace_file: Path) -> None:
    yaml = UPDATES_YAML.replace(f"    slug: {SLUG}\n", f"    slug: {SLUG}\n    enabled: false\n")
    for world in make_updates_world(workspace_file, yaml):
        assert world.client.get(PAGE).status_code == 404
        assert world.client.get(f"{PAGE}/feed.atom").status_code == 404
        assert world.client.post(f"{PAGE}/subscribe", data={"email": "a@example.org"}).status_code == 404
        assert world.client.get(f"{PAGE}/unsubscribe/unknown").status_code == 404
        r = world.client.get(f"{PAGE}/unsubscribe/unknown", headers={"accept-language": "en"})
        assert "We do not know this unsubscribe link." in r.text


def test_no_subscription_form_when_subscriptions_are_off(workspace_file: Path) -> None:
    yaml = UPDATES_YAML.replace(f"    slug: {SLUG}\n", f"    slug: {SLUG}\n    subscriptions: false\n")
    for world in make_updates_world(workspace_file, yaml):
        r = world.client.get(f"{PAGE}?lang=en")
        assert r.status_code == 200 and "Get updates by e-mail" not in r.text
        assert world.client.post(f"{PAGE}/subscribe", data={"email": "a@example.org"}).status_code == 404

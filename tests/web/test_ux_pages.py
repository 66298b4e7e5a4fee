"""What a new user stumbled over in the browser: times in their own zone and named, British English
dates, German pages without English left in them, an empty overview that says where the posts are."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.escalation.actions import acknowledge
from crisisdesk.models import Post
from tests.accounts.fixtures import SERVICE_TOKEN, T0, World, email_of, rows
from tests.factories import post
from tests.web.test_pages import browser

#: Words and keys that must not be left in English on a German page (as whole words).
ENGLISH = ["When", "Actor", "Action", "Target", "Before", "After", "lang", "negative", "positive",
           "Sentiment", "Insults?", "Channel", "Times in", "stream time", "wall time", "no data", "values",
           "lowest", "latest", "set by", "delivery_delay", "product_defect", "Load more", "hours", "days",
           "custom", "German", "English", "profanity", "abuse", "Posts", "Language"]


def english_left(html: str) -> list[str]:
    """English words in what a person reads: the text between tags and the attributes that are read
    out (title, aria-label, placeholder), not markup, URLs or form values that are sent, nor the
    stored data the audit log shows as it is (in ``<code>``: keys, before/after JSON)."""
    html = re.sub(r"<(script|style|code)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<option value="(en|de)"[^>]*>(English|Deutsch)</option>', " ", html)  # language picker
    visible = re.findall(r">([^<]+)<", html) + re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', html)
    text = " ".join(visible)
    return [w for w in ENGLISH if re.search(rf"\b{w}\b", text)]


def ingest(world: World, *posts: dict[str, object]) -> None:
    r = world.client.post("/api/v1/posts", json=list(posts),
                          headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status_code in (200, 201, 202), r.text


def label(world: World, external_id: str, **labels: object) -> None:
    r = world.client.post(f"/api/v1/posts/x/{external_id}/labels", json=labels,
                          headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status_code == 200, r.text


def monitor_id(world: World) -> int:
    from crisisdesk.models import Monitor

    with world.engine.connect() as conn:
        return int(conn.execute(select(Monitor.id).where(Monitor.name == "bahn")).scalar_one())


def test_german_pages_have_no_english_left(world: World) -> None:
    ingest(world, post(1), post(2, lang="en", text="Deutsche Bahn late again"))
    label(world, "p1", sentiment="negative", insult="offense", complaint_types=["delivery_delay"])
    label(world, "p2", sentiment="positive", complaint_types=["product_defect"])
    with world.engine.begin() as conn:
        acknowledge(conn, world.situation_id, by="Lena", at=T0, via="web")
    c, _ = browser(world, Role.ADMIN, lang="de")
    mid = monitor_id(world)
    pages = ["/", "/situations", f"/situations/{world.situation_id}",
             f"/monitors/{mid}?range=custom&start=2026-10-30&end=2026-11-03", f"/monitors/{mid}",
             "/admin/audit", "/admin/users", "/preferences"]
    for path in pages:
        page = c.get(path)
        assert page.status_code == 200, path
        assert 'lang="de"' in page.text
        assert english_left(page.text) == [], path
    monitor = c.get(f"/monitors/{mid}?range=custom&start=2026-10-30&end=2026-11-03").text
    # the keys and codes are shown by their German names
    assert "Lieferung/Verspätung" in monitor and "Produktmangel" in monitor
    assert "Deutsch" in monitor and "Englisch" in monitor and "negativ" in monitor and "positiv" in monitor
    assert "<label>Sprache<select name=\"lang\">" in monitor
    audit = c.get("/admin/audit").text
    assert "<th>Wer</th>" in audit and "<th>Aktion</th>" in audit and "Analyse korrigiert" in audit
    # the same pages in English are still English (the check above can tell the two apart)
    en, _ = browser(world, Role.ADMIN, lang="en")
    assert "Action" in english_left(en.get("/admin/audit").text)


def test_times_are_in_the_users_zone_and_the_zone_is_named(world: World) -> None:
    c, csrf = browser(world, Role.ANALYST, lang="en")
    page = c.get("/situations").text
    # the workspace's zone (Europe/Berlin by default), British English, 24-hour
    assert "<td>1 Dec 2026, 10:00</td>" in page and "Times in Europe/Berlin (CET)" in page
    assert "12/1/26" not in page and " AM" not in page

    r = c.post("/preferences", data={"csrf_token": csrf, "lang": "", "time_zone": "America/New_York"})
    assert r.status_code == 200
    page = c.get("/situations").text
    assert "<td>1 Dec 2026, 04:00</td>" in page and "Times in America/New_York (EST)" in page
    [entry] = rows(world, AuditEntry, AuditEntry.action == "user.updated",
                   AuditEntry.target_id == str(world.user_ids[Role.ANALYST]))
    assert entry.after == {"time_zone": "America/New_York"}

    r = c.post("/preferences", data={"csrf_token": csrf, "lang": "", "time_zone": "Mars/Olympus"})
    assert "Unknown time zone: Mars/Olympus" in unquote(str(r.url)) + r.text
    assert "America/New_York (EST)" in c.get("/").text  # unchanged

    c.post("/preferences", data={"csrf_token": csrf, "lang": "", "time_zone": ""})
    assert "Times in Europe/Berlin" in c.get("/").text  # empty: the workspace's zone again


def test_admins_set_a_users_zone_on_the_users_page(world: World) -> None:
    admin, csrf = browser(world, Role.ADMIN, lang="de")
    agent = world.user_ids[Role.AGENT]
    r = admin.post(f"/admin/users/{agent}", data={"csrf_token": csrf, "role": "agent", "active": "yes",
                                                  "time_zone": "Asia/Tokyo"})
    assert r.status_code == 200
    assert "Asia/Tokyo" in admin.get("/admin/users").text
    c, _ = browser(world, Role.AGENT, lang="de")
    assert "<td>01.12.2026, 18:00</td>" in c.get("/situations").text
    assert "Zeiten in Asia/Tokyo" in c.get("/").text
    r = admin.post(f"/admin/users/{agent}", data={"csrf_token": csrf, "role": "agent", "active": "yes",
                                                  "time_zone": "Nowhere/Land"})
    assert "Unbekannte Zeitzone: Nowhere/Land" in r.text
    assert "Zeiten in Asia/Tokyo" in c.get("/").text


@pytest.mark.parametrize(("zone", "status"), [("Europe/Lisbon", 200), ("Atlantis/Capital", 422)])
def test_the_api_sets_my_zone(world: World, zone: str, status: int) -> None:
    r = world.client.patch("/api/v1/me", json={"time_zone": zone}, headers=world.bearer(Role.AGENT))
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["time_zone"] == zone


def test_a_replayed_clock_is_told_apart_from_wall_time(world: World) -> None:
    """The world's service runs on a set clock, as the demo runs on stream time."""
    c, _ = browser(world, Role.ANALYST, lang="en")
    page = c.get(f"/situations/{world.situation_id}").text
    assert "stream time (the replayed clock, now 1 Dec 2026, 10:00)" in page and "wall time (now" in page
    assert "Time (stream time)" in page


def test_an_overview_without_recent_posts_says_where_they_are(world: World) -> None:
    c, _ = browser(world, Role.ANALYST, lang="en")
    assert 'id="quiet-hint"' not in c.get("/").text  # nothing imported: nothing to point at
    ingest(world, post(1), post(2))  # early November; the service's clock says 1 December
    page = c.get("/").text
    match = re.search(r'id="quiet-hint"[^>]*>(.*?)<a href="([^"]+)"', page, flags=re.S)
    assert match, page
    assert "The newest post is from 2 Nov 2026, 08:02." in match.group(1)
    around = c.get(match.group(2).replace("&amp;", "&"))
    assert around.status_code == 200
    assert "Die Deutsche Bahn hat wieder Verspätung #2" in around.text
    with world.engine.connect() as conn:
        assert conn.execute(select(Post.id)).all()


def test_preferences_need_a_session(world: World) -> None:
    anonymous = TestClient(world.client.app, base_url="http://localhost")
    r = anonymous.get("/preferences", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    service = world.client.get("/preferences", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                               follow_redirects=False)
    assert service.status_code == 403  # the shared token is nobody: refused, never a 500
    assert email_of(Role.ADMIN)  # the world has its users

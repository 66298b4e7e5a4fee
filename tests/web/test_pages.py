"""The web pages over HTTP: sign-in, the pages each role may see, the forms and their CSRF guard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.detection.models import Situation
from crisisdesk.web.i18n import LANGS, MESSAGES, choose_lang
from tests.accounts.fixtures import PASSWORD, World, email_of, rows


def situation_audit(world: World) -> list[AuditEntry]:
    return rows(world, AuditEntry, AuditEntry.target_type == "situation",
                AuditEntry.target_id == str(world.situation_id))


def browser(world: World, role: Role, *, lang: str = "en") -> tuple[TestClient, str]:
    """A browser signed in through the form; returns it and the page's CSRF token."""
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    r = c.post("/login", data={"email": email_of(role), "password": PASSWORD, "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get("/")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match
    return c, match.group(1)


def test_every_message_exists_in_both_languages() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == set(LANGS), key
        assert all(entry[lang].strip() for lang in LANGS), key


@pytest.mark.parametrize(("user", "header", "expected"), [
    (None, "de-DE,de;q=0.9,en;q=0.8", "de"), (None, "en-US,en;q=0.9", "en"), (None, "fr-FR, de;q=0.5", "de"),
    (None, "", "en"), ("de", "en", "de"), (None, "de;q=0, en", "en"),
])
def test_the_language_follows_the_user_then_the_browser(user: str | None, header: str, expected: str) -> None:
    assert choose_lang(user, header) == expected


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    c = TestClient(world.client.app, base_url="http://localhost")
    r = c.get(f"/situations/{world.situation_id}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/situations/{world.situation_id}"
    assert c.get("/api/v1/situations").status_code == 401  # the API keeps its JSON answer


def test_wrong_password_shows_the_error_in_the_browsers_language(world: World) -> None:
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": "de"})
    r = c.post("/login", data={"email": email_of(Role.ANALYST), "password": "nope"})
    assert r.status_code == 401 and "E-Mail oder Passwort ist falsch." in r.text


def test_the_throttled_sign_in_form_says_when_to_retry(world: World) -> None:
    c = TestClient(world.client.app, base_url="http://localhost")
    creds = {"email": email_of(Role.ANALYST), "password": "nope"}
    for _ in range(5):
        assert c.post("/login", data=creds).status_code == 401
    world.clock.advance(minutes=5)
    r = c.post("/login", data={**creds, "password": PASSWORD})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "600" and "600" in r.text


def test_sign_in_redirects_only_within_the_site(world: World) -> None:
    c = TestClient(world.client.app, base_url="http://localhost")
    r = c.post("/login", data={"email": email_of(Role.ANALYST), "password": PASSWORD,
                               "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


@pytest.mark.parametrize("role", list(Role))
def test_pages_each_role_may_see(world: World, role: Role) -> None:
    c, _ = browser(world, role)
    assert c.get("/").status_code == 200
    assert c.get(f"/situations/{world.situation_id}").status_code == 200
    assert c.get("/situations").status_code == 200
    admin = c.get("/admin/users")
    assert admin.status_code == (200 if role is Role.ADMIN else 403)
    assert c.get("/admin/audit").status_code == (200 if role is Role.ADMIN else 403)


def test_an_analyst_sees_no_buttons_and_may_not_post(world: World) -> None:
    c, csrf = browser(world, Role.ANALYST)
    page = c.get(f"/situations/{world.situation_id}").text
    assert 'id="ack"' not in page
    r = c.post(f"/situations/{world.situation_id}/ack", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 403


def test_acknowledge_from_the_page_needs_the_csrf_token(world: World) -> None:
    c, csrf = browser(world, Role.CRISIS_LEAD)
    assert 'id="ack"' in c.get(f"/situations/{world.situation_id}").text
    assert c.post(f"/situations/{world.situation_id}/ack", data={}, follow_redirects=False).status_code == 403
    r = c.post(f"/situations/{world.situation_id}/ack", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    with world.engine.connect() as conn:
        by = conn.execute(select(Situation.acknowledged_by)
                          .where(Situation.id == world.situation_id)).scalar_one()
    assert by == "Crisis_Lead"
    assert [e.action for e in situation_audit(world)] \
        == ["situation.acknowledged"]
    assert "Acknowledged by Crisis_Lead" in c.get(f"/situations/{world.situation_id}").text


def test_severity_and_resolution_from_the_page(world: World) -> None:
    c, csrf = browser(world, Role.CRISIS_LEAD, lang="de")
    r = c.post(f"/situations/{world.situation_id}/severity",
               data={"csrf_token": csrf, "severity": "4", "reason": ""}, follow_redirects=True)
    assert "Bitte eine Begründung" in r.text  # refused, and said so on the page, in German
    c.post(f"/situations/{world.situation_id}/severity",
           data={"csrf_token": csrf, "severity": "4", "reason": "Presseanfrage"})
    c.post(f"/situations/{world.situation_id}/resolve", data={"csrf_token": csrf, "reason": "erledigt"})
    with world.engine.connect() as conn:
        row = conn.execute(select(Situation.severity, Situation.status)
                           .where(Situation.id == world.situation_id)).one()
    assert tuple(row) == (4, "resolved")
    actions = [e.action for e in situation_audit(world)]
    assert actions == ["situation.severity_changed", "situation.resolved"]
    page = c.get(f"/situations/{world.situation_id}").text
    assert "gesetzt von Crisis_Lead: Presseanfrage" in page and "beendet" in page
    assert "01.12.2026, 10:00" in page  # the timeline in the German date format, Berlin time


def test_switching_the_language_is_remembered(world: World) -> None:
    c, csrf = browser(world, Role.AGENT)
    assert "Overview" in c.get("/").text
    r = c.post("/language", data={"lang": "de", "csrf_token": csrf, "back": "/situations"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/situations"
    assert "Übersicht" in c.get("/").text
    fresh, _ = browser(world, Role.AGENT, lang="en")  # the account keeps the choice
    assert "Übersicht" in fresh.get("/").text


def test_an_admin_adds_a_user_and_changes_a_role(world: World) -> None:
    c, csrf = browser(world, Role.ADMIN)
    r = c.post("/admin/users", data={"csrf_token": csrf, "email": "new@example.org", "name": "Neu",
                                     "role": "agent", "password": PASSWORD})
    assert r.status_code == 200 and "new@example.org" in r.text
    new_id = world.add_user("second@example.org", Role.AGENT)
    c.post(f"/admin/users/{new_id}", data={"csrf_token": csrf, "role": "analyst", "active": "no"})
    page = c.get("/admin/users").text
    assert "second@example.org" in page
    audit = c.get("/admin/audit").text
    assert "user.created" in audit and "user.updated" in audit


def test_the_monitor_page_lists_filters_and_corrects_posts(world: World) -> None:
    from tests.accounts.fixtures import SERVICE_TOKEN, T0

    posts = [{"platform": "x", "id": f"p{i}", "created_at": (T0 - timedelta(minutes=i)).isoformat(),
              "lang": "de", "text": text,
              "author": {"id": f"a{i}", "handle": f"user{i}", "followers": 100 * i}}
             for i, text in enumerate(["Die Deutsche Bahn ist wieder zu spät, 100% Ärger",
                                       "Deutsche Bahn: danke für die schnelle Hilfe!",
                                       "deutsche bahn <script>alert(1)</script>"], start=1)]
    r = world.client.post("/api/v1/posts", json=posts, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status_code == 200, r.text
    c, csrf = browser(world, Role.AGENT)
    with world.engine.connect() as conn:
        from crisisdesk.sources.models import Monitor

        mid = conn.execute(select(Monitor.id).where(Monitor.name == "bahn")).scalar_one()
    page = c.get(f"/monitors/{mid}", params={"range": "custom", "start": "2026-12-01", "end": "2026-12-01"})
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and page.text.count('class="post"') == 3
    assert "<script>alert(1)</script>" not in page.text  # escaped
    found = c.get(f"/monitors/{mid}", params={"range": "custom", "start": "2026-12-01", "q": "100%"})
    assert found.text.count('class="post"') == 1 and "Ärger" in found.text
    partial = c.get(f"/monitors/{mid}", params={"range": "custom", "start": "2026-12-01"},
                    headers={"X-Partial": "1"})
    assert partial.text.count('class="post"') == 3 and "<html" not in partial.text
    r = c.post("/posts/x/p2/labels", data={"csrf_token": csrf, "sentiment": "positive", "insult": "none",
                                           "complaints_given": "1", "back": f"/monitors/{mid}"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/monitors/{mid}"
    from crisisdesk.analysis.models import LabelCorrection
    from crisisdesk.posts.models import Post

    with world.engine.connect() as conn:
        assert conn.execute(select(Post.sentiment).where(Post.external_id == "p2")).scalar_one() == "positive"
        assert conn.execute(select(LabelCorrection.task)).scalars().all()
    assert [e.action for e in rows(world, AuditEntry, AuditEntry.target_type == "post")] == ["post.labelled"]
    analyst, analyst_csrf = browser(world, Role.ANALYST)
    assert analyst.post("/posts/x/p2/labels", data={"csrf_token": analyst_csrf, "sentiment": "negative"},
                        follow_redirects=False).status_code == 403


def test_the_post_list_shows_private_deleted_and_attachments_in_both_languages(world: World) -> None:
    from crisisdesk.posts.service import mark_deleted
    from crisisdesk.sources.models import Monitor
    from tests.accounts.fixtures import SERVICE_TOKEN, T0

    at = (T0 - timedelta(minutes=5)).isoformat()  # before "now" (T0), where the range ends
    posts = [
        {"platform": "whatsapp", "id": "dm1", "created_at": at, "text": "Deutsche Bahn: mein Ticket",
         "visibility": "private", "channel": "bahn-wa",
         "attachments": [{"type": "image", "url": "https://cdn.example.org/ticket.jpg", "size": 2_048},
                         {"type": "location", "url": "geo:52.52,13.40"},
                         {"type": "document", "media_id": "77", "name": "Rechnung.pdf"},
                         {"type": "file", "url": "javascript:alert(1)"}]},
        {"platform": "facebook", "id": "c1", "created_at": at, "text": "Deutsche Bahn, nie wieder",
         "visibility": "public", "url": "javascript:alert(2)"},
    ]
    r = world.client.post("/api/v1/posts", json=posts, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.json()["summary"]["imported"] == 2, r.text
    with world.engine.begin() as conn:
        assert mark_deleted(conn, [(("facebook", "c1"), T0 + timedelta(hours=1))], T0) == 1
        mid = conn.execute(select(Monitor.id).where(Monitor.name == "bahn")).scalar_one()
    params = {"range": "custom", "start": "2026-12-01", "end": "2026-12-01"}
    for lang, private, deleted, image, place in (("en", "private", "deleted", "Image", "Location"),
                                                 ("de", "privat", "gelöscht", "Bild", "Standort")):
        c, _ = browser(world, Role.ANALYST, lang=lang)
        page = c.get(f"/monitors/{mid}", params=params).text
        dm = page[page.index('id="post-whatsapp-dm1"'):]
        dm = dm[:dm.index("</article>")]
        comment = page[page.index('class="post deleted" id="post-facebook-c1"'):]
        comment = comment[:comment.index("</article>")]
        assert '<span class="tag"' in dm and f">{private}</span>" in dm and f">{deleted}</span>" not in dm
        assert f">{deleted}</span>" in comment and f">{private}</span>" not in comment
        assert "Deutsche Bahn, nie wieder" in comment  # the text is kept
        assert f'{image} (2 kB) · <a href="https://cdn.example.org/ticket.jpg"' in dm
        assert f"{place} · geo:52.52,13.40" in dm and "Rechnung.pdf" in dm and "77" in dm
        assert 'href="javascript:' not in page  # links from posts are http(s) only


def test_load_more_keeps_the_filters() -> None:
    from starlette.requests import Request

    from crisisdesk.web.monitor_pages import _more_url

    request = Request({"type": "http", "query_string": b"range=7d&q=bahn&cursor=abc&sentiment=negative",
                       "headers": [], "method": "GET", "path": "/monitors/1"})
    assert _more_url(request) == "?range=7d&q=bahn&sentiment=negative&"
    empty = Request({"type": "http", "query_string": b"", "headers": [], "method": "GET", "path": "/"})
    assert _more_url(empty) == "?"

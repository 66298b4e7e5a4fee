"""The reply form carries what the reply check needs (the person's name, the reply's language,
whether an apology is called for) and the texts to show findings in the reader's language; the
check itself is the API route the page's script asks, with the page's session and CSRF token.
Findings never block sending."""

from __future__ import annotations

import re
from html import unescape

from crisisdesk.accounts.roles import Role
from crisisdesk.channels.models import OutboxItem
from tests.accounts.fixtures import World, rows
from tests.web.test_inbox_pages import bot, chats, world
from tests.web.test_pages import browser
from tests.web.test_ux_pages import english_left

__all__ = ["bot", "chats", "world"]


def attr(page: str, name: str) -> str:
    match = re.search(rf'id="reply-check"[^>]*?{name}="([^"]*)"', page, flags=re.S)
    assert match, name
    return unescape(match.group(1))


def test_the_reply_form_is_checked_as_typed_and_findings_do_not_block_sending(
    world: World, chats: dict[str, int]
) -> None:
    c, csrf = browser(world, Role.AGENT, lang="de")
    page = c.get(f"/inbox/{chats['lena']}").text
    assert attr(page, "data-name") == "Lena"
    assert attr(page, "data-apology") == "true"  # nothing analysed as praise: an apology may be due
    assert "Hinweise zur Antwort" in page and 'data-code-label="no_timeline"' in page
    assert "Kein Zeitrahmen" in page and english_left(page) == []
    english = browser(world, Role.AGENT, lang="en")[0].get(f"/inbox/{chats['lena']}").text
    assert "Reply check" in english and "No time frame" in english

    draft = "Hallo, das liegt am Paketdienst."
    r = c.post("/api/v1/replies/check", json={"text": draft, "name": "Lena"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    found = {f["code"]: draft[f["start"] : f["end"]] for f in r.json()["findings"]}
    assert found["blame"] == "liegt am Paketdienst" and found["no_name"] == "Hallo"
    assert r.json()["lang"] == "de"
    assert c.post("/api/v1/replies/check", json={"text": draft}).status_code == 403  # no CSRF token

    key = re.search(r'name="key" value="(web-reply-[0-9a-f]+)"', page)
    assert key
    sent = c.post(
        f"/inbox/{chats['lena']}/reply",
        data={"csrf_token": csrf, "key": key.group(1), "text": draft, "visibility": "private"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert [o.text for o in rows(world, OutboxItem, OutboxItem.id > 0)] == [draft]

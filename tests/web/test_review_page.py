"""The moderation review queue page: what a rule hid, confirmed or restored by a person through the
browser (CSRF-checked form, permission ``moderate`` on the server), with the audit entry and the
unhide reaching the loopback Graph API; analysts are refused; a second decision is refused with
the reason, not a 500."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.inbox.models import ModerationReview
from tests.accounts.fixtures import World, make_world, rows
from tests.channels.payloads import APP_SECRET, PAGE_ID, VERIFY_TOKEN, fb_comment, meta_body, meta_signature
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.modes import send_due
from tests.web.test_pages import browser


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def world(workspace_file: Path, graph: tuple[HttpSink, GraphSend]) -> Iterator[World]:
    workspace_file.write_text(
        f"""
monitors:
  - {{name: bahn, query: bahn}}
channels:
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: page-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {graph[0].url}
inbox:
  rules:
    - name: hide-insults
      when: {{query: 'betrüger OR idioten'}}
      then: [{{hide: true}}]
""",
        encoding="utf-8",
    )
    yield from make_world(workspace_file)


def comment(world: World, cid: str, text: str, author: str) -> None:
    body = meta_body(
        "page",
        [
            {
                "id": PAGE_ID,
                "time": int(time.time()),
                "changes": [fb_comment(cid, text, author=author, name="Max")],
            }
        ],
    )
    r = world.client.post(
        "/webhooks/voltaro-fb",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    world.runtime.process_deliveries()


def send(world: World) -> None:
    send_due(world.runtime)


def test_a_person_restores_and_confirms_what_a_rule_hid_from_the_page(
    world: World, graph: tuple[HttpSink, GraphSend]
) -> None:
    _, api = graph
    api.add_comment("900_2", "facebook", author="5550002")
    api.add_comment("900_4", "facebook", author="5550004")
    comment(world, "2", "Ihr Betrüger!", "5550002")
    comment(world, "4", "Idioten, alle miteinander", "5550004")
    send(world)
    assert api.comments["900_2"].hidden is True and api.comments["900_4"].hidden is True
    by_text = {r.post_id: r.id for r in rows(world, ModerationReview)}
    assert len(by_text) == 2

    analyst, _ = browser(world, Role.ANALYST)
    assert analyst.get("/inbox/reviews").status_code == 403
    agent, csrf = browser(world, Role.AGENT, lang="de")
    page = agent.get("/inbox/reviews")
    assert page.status_code == 200 and "Moderation prüfen" in page.text
    ids = [int(i) for i in re.findall(r'id="review-(\d+)"', page.text)]
    assert sorted(ids) == sorted(by_text.values())
    assert "Ihr Betrüger!" in page.text and "hide-insults" in page.text
    assert 'id="reviews-link"' in agent.get("/inbox").text

    first, second = sorted(ids)
    assert agent.post(f"/inbox/reviews/{first}", data={"decision": "restore"}).status_code == 403  # no CSRF
    done = agent.post(
        f"/inbox/reviews/{first}", data={"decision": "restore", "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/inbox/reviews?done=restore"
    kept = agent.post(
        f"/inbox/reviews/{second}", data={"decision": "confirm", "csrf_token": csrf}, follow_redirects=False
    )
    assert kept.status_code == 303
    again = agent.post(f"/inbox/reviews/{first}", data={"decision": "confirm", "csrf_token": csrf})
    assert again.status_code == 409 and "decided already" in again.text
    bad = agent.post(f"/inbox/reviews/{second}", data={"decision": "maybe", "csrf_token": csrf})
    assert bad.status_code == 400 and "maybe" in bad.text
    send(world)
    restored = {r.id: r for r in rows(world, ModerationReview)}
    assert restored[first].status == "restored" and restored[second].status == "confirmed"
    assert {api.comments["900_2"].hidden, api.comments["900_4"].hidden} == {False, True}
    decided = [e for e in rows(world, AuditEntry) if e.action == "moderation.decided"]
    assert sorted(e.after["decision"] for e in decided) == ["confirm", "restore"]
    assert 'id="review-' in agent.get("/inbox/reviews?state=restored").text
    assert agent.get("/inbox/reviews?state=pending").text.count('id="review-') == 0

"""The approval gate in the browser: the reply form warns that public replies need approval, an
agent's public reply from the form is held (never sent) and says so in the thread; the
spokesperson finds it in the queue (linked in the nav with its count) with the reply check's
findings, edits and approves it (then it reaches the platform) or rejects another with a comment
that its author sees; forms need the CSRF token, and only the crisis's spokespersons decide."""

from __future__ import annotations

import re

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World
from tests.crises.approval_world import comment, crisis, graph, send, world
from tests.crises.test_approval_api import public_calls
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.web.test_pages import browser

__all__ = ["crisis", "graph", "world"]

EXCUSE = "Aufgrund des hohen Aufkommens dauert es leider länger."
FIXED = "Es tut uns leid, Frau Krause. Wir tauschen Ihren Akku aus und melden uns heute bis 18 Uhr."


def test_a_reply_from_the_form_waits_for_the_spokesperson_who_approves_it_edited(
        world: World, graph: tuple[HttpSink, GraphSend], crisis: int) -> None:
    sink, api = graph
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")
    agent, agent_csrf = browser(world, Role.AGENT, lang="de")
    page = agent.get(f"/inbox/{conversation}").text
    assert 'id="approval-warning"' in page and f"Krise #{crisis} (Stufe 3)" in page
    assert 'href="/approvals"' not in page  # not in the agent's nav
    assert agent.get("/approvals").status_code == 403

    r = agent.post(f"/inbox/{conversation}/reply", data={"csrf_token": agent_csrf, "text": EXCUSE,
                                                          "visibility": "public", "key": "web-reply-held-1"},
                   follow_redirects=False)
    assert r.status_code == 303 and "done=held" in r.headers["location"]
    page = agent.get(r.headers["location"]).text
    assert "Ihre öffentliche Antwort wartet auf Freigabe" in page
    assert "Wartet auf Freigabe durch eine Sprecherin / einen Sprecher" in page
    assert send(world) == [] and public_calls(sink) == []

    speaker, csrf = browser(world, Role.SPOKESPERSON, lang="en")
    own = speaker.get(f"/inbox/{conversation}").text
    assert 'id="approval-warning"' not in own  # the spokesperson speaks directly
    nav = re.search(r'<a href="/approvals" id="nav-approvals"[^>]*>(.*?)</a>', own, re.S)
    assert nav is not None and "Approvals" in nav.group(1) and ">1</span>" in nav.group(1)
    queue = speaker.get("/approvals").text
    (item_id,) = [int(i) for i in re.findall(r'id="approval-(\d+)"', queue)]
    assert EXCUSE in queue and 'data-code="excuse"' in queue and "Excuse" in queue
    assert "spokesperson@example.org" in queue  # who may approve

    lead, lead_csrf = browser(world, Role.CRISIS_LEAD, lang="en")
    seen = lead.get("/approvals").text
    assert "approve this reply, not you" in seen
    assert f'id="approve-{item_id}"' not in seen  # not theirs to decide
    assert lead.post(f"/approvals/{item_id}/approve", data={"csrf_token": lead_csrf}).status_code == 403
    assert speaker.post(f"/approvals/{item_id}/approve", data={"text": FIXED}).status_code == 403  # no CSRF
    assert public_calls(sink) == []

    done = speaker.post(f"/approvals/{item_id}/approve", data={"csrf_token": csrf, "text": FIXED},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/approvals?done=approved"
    assert "No reply is awaiting approval." in speaker.get(done.headers["location"]).text
    assert send(world) == ["sent"] and public_calls(sink) == [FIXED]
    twice = speaker.post(f"/approvals/{item_id}/approve", data={"csrf_token": csrf})
    assert twice.status_code == 409 and "decided on already" in twice.text


def test_a_rejected_reply_shows_its_comment_in_the_conversation(
        world: World, graph: tuple[HttpSink, GraphSend], crisis: int) -> None:
    sink, api = graph
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")
    agent, agent_csrf = browser(world, Role.AGENT, lang="en")
    agent.post(f"/inbox/{conversation}/reply", data={"csrf_token": agent_csrf, "text": EXCUSE,
                                                      "visibility": "public", "key": "web-reply-held-2"})
    speaker, csrf = browser(world, Role.SPOKESPERSON, lang="de")
    (item_id,) = [int(i) for i in re.findall(r'id="approval-(\d+)"', speaker.get("/approvals").text)]
    empty = speaker.post(f"/approvals/{item_id}/reject", data={"csrf_token": csrf, "comment": " "})
    assert empty.status_code == 422 and "Eine Ablehnung braucht eine Begründung." in empty.text
    r = speaker.post(f"/approvals/{item_id}/reject",
                     data={"csrf_token": csrf, "comment": "Bitte ohne Ausrede."}, follow_redirects=False)
    assert r.status_code == 303
    assert "Abgelehnt; die Antwort wird nicht gesendet." in speaker.get(r.headers["location"]).text
    page = agent.get(f"/inbox/{conversation}").text
    assert f'id="rejected-{item_id}"' in page
    assert "Rejected by spokesperson@example.org: Bitte ohne Ausrede." in page
    assert send(world) == [] and public_calls(sink) == []


def test_a_private_reply_from_the_form_is_not_held(
        world: World, graph: tuple[HttpSink, GraphSend], crisis: int) -> None:
    sink, api = graph
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")
    agent, csrf = browser(world, Role.AGENT)
    r = agent.post(f"/inbox/{conversation}/reply",
                   data={"csrf_token": csrf, "text": "Bitte schreiben Sie uns.", "visibility": "private",
                         "key": "web-reply-private"}, follow_redirects=False)
    assert r.status_code == 303 and "done=reply" in r.headers["location"]
    assert send(world) == ["sent"] and public_calls(sink) == []
    assert any(req.path.endswith("/messages") for req in sink.requests)

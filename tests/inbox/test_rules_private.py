"""Automatic answers from saved replies, and the move to private opening a linked conversation, on
the real app and a loopback Graph API (a Facebook page's comments and Messenger chats).

* ``reply``/``reply_private``/``move_to_private`` may name a saved reply (``{saved: name}``): the
  message's language picks its version and it is filled exactly as the inbox offers it for the
  conversation; a name no saved reply has is refused when the workspace is loaded, with its place.
* A move to private links the public conversation and the person's private one both ways (their
  timelines, ``moved_to_private``/``moved_from_public`` of the API, the conversation page): at once
  where the person already writes to us privately, or when they answer the private reply, under
  the id Meta reported for it; a stranger's chat is never linked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.core.errors import ConfigError
from crisisdesk.inbox.models import Conversation, RuleRun
from crisisdesk.workspace import parse_config
from tests.accounts.fixtures import World, make_world
from tests.channels.payloads import (
    APP_SECRET,
    PAGE_ID,
    VERIFY_TOKEN,
    fb_comment,
    messenger_event,
    meta_body,
    meta_signature,
)
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.modes import send_due
from tests.web.test_pages import browser

INBOX = """
inbox:
  saved_replies:
    - name: moving
      text: {de: "Das tut uns leid, {{contact.first_name}}. Wir schreiben Ihnen privat.",
             en: "Sorry, {{contact.first_name}}. We'll message you privately."}
    - name: order-number
      text: {de: "Hallo {{contact.name}}, bitte nennen Sie uns Ihre Bestellnummer.",
             en: "Hi {{contact.name}}, please send us your order number."}
    - name: german-only
      text: {de: "Danke, {{contact.first_name}}! Wir melden uns."}
  rules:
    - name: refund-to-private
      when: {public: true, query: '"geld zurück" OR "money back"'}
      then:
        - move_to_private:
            public: {saved: moving}
            private: {saved: order-number}
    - name: thanks
      when: {public: true, query: 'danke OR thanks'}
      then:
        - reply: {saved: german-only}
"""


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def world(workspace_file: Path, graph: tuple[HttpSink, GraphSend]) -> Iterator[World]:
    workspace_file.write_text(
        f"""
version: 1
monitors:
  - name: bahn
    query: '"deutsche bahn"'
channels:
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: page-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {graph[0].url}
{INBOX}""",
        encoding="utf-8",
    )
    yield from make_world(workspace_file)


def webhook(world: World, entry: dict[str, Any]) -> None:
    body = meta_body("page", [{"id": PAGE_ID, "time": int(time.time()), **entry}])
    r = world.client.post(
        "/webhooks/voltaro-fb",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    world.runtime.process_deliveries()


def comment(world: World, number: str, text: str, *, author: str, name: str) -> None:
    webhook(world, {"changes": [fb_comment(number, text, author=author, name=name)]})


def chat(world: World, mid: str, text: str, *, sender: str) -> None:
    webhook(world, {"messaging": [messenger_event(sender, PAGE_ID, message={"mid": mid, "text": text})]})


def send(world: World) -> None:
    """What the rules queued, sent: here by one round of a sender, in the distributed mode by the
    lease holder's (waited for)."""
    send_due(world.runtime)


def conversation_of(world: World, thread_part: str) -> int:
    with Session(world.runtime.engine) as session:
        where = Conversation.thread.contains(thread_part)
        found = session.scalars(select(Conversation.id).where(where)).all()
    assert len(found) == 1, (thread_part, found)
    return int(found[0])


def agent(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[Role.AGENT]}"}


def detail(world: World, conversation_id: int) -> dict[str, Any]:
    r = world.client.get(f"/api/v1/conversations/{conversation_id}", headers=agent(world))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    ("text", "name", "public", "private"),
    [
        (
            "Ich will mein Geld zurück! Der Akku ist kaputt.",
            "Lena Krause",
            "Das tut uns leid, Lena. Wir schreiben Ihnen privat.",
            "Hallo Lena Krause, bitte nennen Sie uns Ihre Bestellnummer.",
        ),
        (
            "I want my money back, the battery died after two days.",
            "Sam Taylor",
            "Sorry, Sam. We'll message you privately.",
            "Hi Sam Taylor, please send us your order number.",
        ),
        (  # the German version is the fallback of a saved reply without an English one
            "Thanks a lot, the new charger works perfectly now!",
            "Sam Taylor",
            "Danke, Sam! Wir melden uns.",
            None,
        ),
    ],
)
def test_automatic_answers_from_saved_replies_in_the_persons_language(
    world: World, graph: tuple[HttpSink, GraphSend], text: str, name: str, public: str, private: str | None
) -> None:
    _, api = graph
    api.add_comment("900_71", "facebook", author="5550001")
    comment(world, "71", text, author="5550001", name=name)
    send(world)
    said = [v["message"] for v in api.created.values() if isinstance(v.get("message"), str)]
    privately = [v["message"]["text"] for v in api.created.values() if isinstance(v.get("message"), dict)]
    assert said == [public]
    assert privately == ([private] if private else [])
    # Filled exactly as the inbox offers the saved replies for this conversation (texts.py).
    offered = world.client.get(
        "/api/v1/inbox/saved-replies",
        params={"conversation_id": conversation_of(world, "900")},
        headers=agent(world),
    ).json()
    assert isinstance(offered, list), offered
    filled = {r["name"]: r["filled"] for r in offered}
    assert public in filled.values() and (private is None or private == filled["order-number"])


@pytest.mark.parametrize(
    ("action", "place"),
    [
        ("{reply: {saved: nope}}", "rules[0].then[1].reply.saved"),
        ("{reply_private: {saved: nope}}", "rules[0].then[1].reply_private.saved"),
        ("{move_to_private: {public: {saved: nope}, private: {saved: sorry}}}",
         "rules[0].then[1].move_to_private.public.saved"),
        ("{move_to_private: {public: {de: Hallo}, private: {saved: nope}}}",
         "rules[0].then[1].move_to_private.private.saved"),
    ],
)
def test_a_saved_reply_no_saved_reply_has_is_refused_with_its_place(action: str, place: str) -> None:
    config = (
        "inbox:\n  saved_replies: [{name: sorry, text: {de: Entschuldigung}}]\n"
        f"  rules:\n    - {{name: r, then: [{{tag: a}}, {action}]}}\n"
    )
    with pytest.raises(ConfigError) as refused:
        parse_config(config, path="crisisdesk.yaml")
    said = str(refused.value)
    assert f"{place}: no saved reply 'nope' (inbox.saved_replies has sorry)" in said and "inbox" in said


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("{saved: sorry, de: Hallo}", "either saved"),
        ("{saved: ''}", "at least 1 character"),
        ("{}", "give the text in de, en or both, or saved"),
    ],
)
def test_an_answer_is_its_texts_or_a_saved_reply_not_both(answer: str, words: str) -> None:
    config = (
        "inbox:\n  saved_replies: [{name: sorry, text: {de: Entschuldigung}}]\n"
        f"  rules:\n    - {{name: r, then: [{{reply: {answer}}}]}}\n"
    )
    with pytest.raises(ConfigError) as refused:
        parse_config(config, path="crisisdesk.yaml")
    assert words in str(refused.value) and "inbox.rules" in str(refused.value)


# Who answers privately, and whether that chat is the one the public complaint moved to.
#   before: the person's chat that exists before the move (sender id), or None
#   platform_id: the id Meta answers the private reply with (its recipient_id: the person in chats)
#   after: who writes privately after the private reply went out, or None
#   linked: which chat the move is linked to ("before", "after" or None)
MOVES = [
    pytest.param("5550001", "5550001", None, "before", id="already-writing-privately"),
    pytest.param(None, "psid-77", "psid-77", "after", id="answers-under-the-reported-id"),
    pytest.param(None, "5550001", "5550001", "after", id="answers-as-the-same-person"),
    pytest.param(None, "psid-77", "psid-99", None, id="a-stranger-writes-privately"),
]


@pytest.mark.parametrize(("before", "platform_id", "after", "linked"), MOVES)
def test_the_move_to_private_links_the_persons_private_conversation_both_ways(
    world: World,
    graph: tuple[HttpSink, GraphSend],
    before: str | None,
    platform_id: str,
    after: str | None,
    linked: str | None,
) -> None:
    _, api = graph
    api.add_comment("900_71", "facebook", author=platform_id)  # Meta names them so when replying
    if before is not None:
        chat(world, "m_before", "Hallo, ich habe eine Frage zu meiner Bestellung.", sender=before)
    comment(world, "71", "Ich will mein Geld zurück!", author="5550001", name="Lena Krause")
    public = conversation_of(world, "900")
    with Session(world.runtime.engine) as session:
        run = session.scalars(select(RuleRun).where(RuleRun.rule == "refund-to-private")).one()
    move = next(a for a in run.actions if a["action"] == "move_to_private")
    assert move["ok"] is True
    send(world)
    if after is not None:
        chat(world, "m_after", "Meine Bestellnummer ist 4711.", sender=after)
    chats = {who: conversation_of(world, f":{who}") for who in {before, after} - {None}}
    expected = {"before": chats.get(before or ""), "after": chats.get(after or ""), None: None}[linked]
    assert move["private_conversation"] == (expected if linked == "before" else None)

    moved = detail(world, public)
    assert (moved["moved"], moved["moved_to_private"], moved["moved_from_public"]) == (True, expected, None)
    # in the order written (by id): in the distributed mode the link may be made by the front end,
    # whose test clock is not the worker's, so the times need not follow that order
    written = sorted(moved["events"], key=lambda e: e["id"])
    assert [e["body"]["conversation_id"] for e in written if e["kind"] == "moved_to_private"] == (
        [expected] if linked == "before" else [None, expected] if linked else [None]
    )
    for conversation_id in chats.values():
        came = detail(world, conversation_id)
        assert came["moved_from_public"] == (public if conversation_id == expected else None)
        assert came["moved_to_private"] is None
        froms = [e for e in came["events"] if e["kind"] == "moved_from_public"]
        assert [(e["body"]["conversation_id"], e["actor"]) for e in froms] == (
            [(public, "rule:refund-to-private")] if conversation_id == expected else []
        )

    # The conversation pages say it and link each other, in German and English.
    for lang, to_words, from_words in [
        ("de", "Privat weitergeführt in", "Verlegt aus dem öffentlichen Gespräch"),
        ("en", "Continued privately in", "Moved here from the public conversation"),
    ]:
        page, _ = browser(world, Role.AGENT, lang=lang)
        shown = page.get(f"/inbox/{public}").text
        assert to_words in shown
        if expected is None:
            assert ("noch keine private Antwort" if lang == "de" else "has not answered privately") in shown
        else:
            assert f'<a href="/inbox/{expected}">#{expected}</a>' in shown
            there = page.get(f"/inbox/{expected}").text
            assert from_words in there and f'<a href="/inbox/{public}">#{public}</a>' in there


def test_a_second_private_answer_links_nothing_again(world: World, graph: tuple[HttpSink, GraphSend]) -> None:
    _, api = graph
    api.add_comment("900_71", "facebook", author="psid-77")
    comment(world, "71", "Ich will mein Geld zurück!", author="5550001", name="Lena Krause")
    send(world)
    chat(world, "m_1", "Bestellnummer 4711.", sender="psid-77")
    chat(world, "m_2", "Haben Sie meine Nachricht bekommen?", sender="psid-77")
    private = conversation_of(world, ":psid-77")
    came = detail(world, private)
    assert came["moved_from_public"] == conversation_of(world, "900")
    assert [e["kind"] for e in came["events"]].count("moved_from_public") == 1

"""Inbox rules on the real app and a loopback Graph API: a public complaint on the Facebook page is
moved to a private conversation (a public answer and Meta's private reply, in the person's
language, with their first name), tagged and made a ticket; an insult is hidden; each run is
recorded; a redelivered comment triggers nothing twice; broken rules are refused with their place."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.inbox.models import Conversation, RuleRun
from crisisdesk.inbox.service import answered
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.channels.payloads import APP_SECRET, PAGE_ID, VERIFY_TOKEN, fb_comment, meta_body, meta_signature
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend

RULES = """
inbox:
  rules:
    - name: refund-to-private
      when: {public: true, query: '"geld zurück" OR erstattung OR refund'}
      then:
        - tag: refund
        - move_to_private:
            public: {de: "Das tut uns leid, {{contact.first_name}}. Wir schreiben Ihnen privat.",
                     en: "Sorry, {{contact.first_name}}. We'll message you privately."}
            private: {de: "Hallo {{contact.first_name}}, Ihr Fall {{ticket}}: bitte nennen Sie uns die
                           Bestellnummer.",
                      en: "Hi {{contact.first_name}}, case {{ticket}}: please send us your order number."}
        - ticket: true
        - priority: high
    - name: hide-insults
      when: {query: 'betrüger OR idioten'}
      then:
        - hide: true
"""


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def runtime(workspace_file: Path, graph: tuple[HttpSink, GraphSend]) -> Iterator[Runtime]:
    workspace_file.write_text(
        f"""
channels:
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: page-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {graph[0].url}
{RULES}""",
        encoding="utf-8",
    )
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    yield runtime
    runtime.close()


def deliver(client: TestClient, runtime: Runtime, comment: str, text: str, *, author: str, name: str) -> None:
    body = meta_body(
        "page",
        [
            {
                "id": PAGE_ID,
                "time": int(time.time()),
                "changes": [fb_comment(comment, text, author=author, name=name)],
            }
        ],
    )
    r = client.post(
        "/webhooks/voltaro-fb",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    runtime.process_deliveries()


def test_a_public_refund_complaint_moves_to_private_and_an_insult_is_hidden(
    runtime: Runtime, graph: tuple[HttpSink, GraphSend]
) -> None:
    _, api = graph
    api.add_comment("900_1", "facebook", author="5550001")
    api.add_comment("900_2", "facebook", author="5550002")
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        deliver(
            client,
            runtime,
            "1",
            "Ich will mein Geld zurück! Der Akku ist kaputt.",
            author="5550001",
            name="Lena Krause",
        )
        deliver(
            client,
            runtime,
            "1",
            "Ich will mein Geld zurück! Der Akku ist kaputt.",
            author="5550001",
            name="Lena Krause",
        )  # the platform's retry
        deliver(client, runtime, "2", "Ihr Betrüger!", author="5550002", name="Max")
        OutboxSender(
            lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered
        ).run_once()

    with Session(runtime.engine) as session:
        items = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        assert [(i.action, i.target, i.status, i.created_by) for i in items] == [
            ("reply_public", "900_1", "sent", "rule:refund-to-private"),
            ("reply_private", "900_1", "sent", "rule:refund-to-private"),
            ("hide", "900_2", "sent", "rule:hide-insults"),
        ]
        conversation = session.scalars(select(Conversation).order_by(Conversation.id)).first()
        assert conversation is not None
        assert conversation.tags == ["moved-to-private", "refund"] and conversation.priority == "high"
        assert conversation.ticket is not None and conversation.ticket.endswith("-0001")
        assert conversation.waiting_since is None  # the automatic answer went out
        runs = session.scalars(select(RuleRun).order_by(RuleRun.id)).all()
        assert [
            (r.rule, [a["action"] for a in r.actions], all(a["ok"] for a in r.actions)) for r in runs
        ] == [
            ("refund-to-private", ["tag", "move_to_private", "ticket", "priority"], True),
            ("hide-insults", ["hide"], True),
        ]
    public = api.created[
        next(k for k, v in api.created.items() if "message" in v and isinstance(v["message"], str))
    ]
    assert public["message"] == "Das tut uns leid, Lena. Wir schreiben Ihnen privat."
    private = [v for v in api.created.values() if isinstance(v.get("message"), dict)]
    assert private[0]["recipient"] == {"comment_id": "900_1"}
    # The ticket is opened after the move in the rule's order: the private text was rendered before it.
    assert private[0]["message"]["text"].startswith("Hallo Lena, Ihr Fall")
    assert api.comments["900_2"].hidden is True


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("{name: r, then: [{tag: a, priority: high}]}", "one action per entry"),
        ("{name: r, when: {query: 'akku AND ('}, then: [{tag: a}]}", "query does not compile"),
        ("{name: r, then: []}", "at least 1 item"),
        ("{name: r, then: [{reply: {}}]}", "give the text in de, en or both"),
        ("{name: r, when: {sentiment: angry}, then: [{tag: a}]}", "sentiment"),
    ],
)
def test_broken_rules_are_refused_with_their_place(rule: str, words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f"inbox:\n  rules:\n    - {rule}\n", path="crisisdesk.yaml")
    assert words in str(refused.value) and "inbox.rules" in str(refused.value)


def test_rules_api_shows_runs_and_tries_a_rule_without_acting(
    runtime: Runtime, graph: tuple[HttpSink, GraphSend]
) -> None:
    from crisisdesk.accounts.roles import Role
    from crisisdesk.api.app import create_app
    from tests.channels.test_outbox_flow import token

    _, api = graph
    api.add_comment("900_1", "facebook", author="5550001")
    with TestClient(create_app(runtime, api_token="t")) as client:
        deliver(client, runtime, "1", "Ich will mein Geld zurück!", author="5550001", name="Lena Krause")
        deliver(client, runtime, "3", "Wann kommt der Rückruf für den Akku?", author="5550003", name="Ute")
        lead, analyst = token(client, Role.CRISIS_LEAD), token(client, Role.ANALYST)
        assert client.get("/api/v1/inbox/rules", headers=analyst).status_code == 403
        listed = {r["name"]: r for r in client.get("/api/v1/inbox/rules", headers=lead).json()}
        assert listed["refund-to-private"]["runs_7d"] == 1 and listed["hide-insults"]["runs_7d"] == 0
        queued_before = len(api.created)
        tried = client.post(
            "/api/v1/inbox/rules/dry-run",
            headers=lead,
            json={"rule": {"name": "recall", "when": {"query": "rückruf"}, "then": [{"tag": "recall"}]}},
        )
        assert tried.status_code == 200, tried.text
        assert tried.json()["tried"] == 2
        assert [m["text"] for m in tried.json()["matched"]] == ["Wann kommt der Rückruf für den Akku?"]
        by_name = client.post(
            "/api/v1/inbox/rules/dry-run", headers=lead, json={"name": "refund-to-private"}
        ).json()
        assert [m["would"] for m in by_name["matched"]] == [["tag", "move_to_private", "ticket", "priority"]]
        bad = client.post(
            "/api/v1/inbox/rules/dry-run",
            headers=lead,
            json={"rule": {"name": "x", "then": [{"tag": "a", "hide": True}]}},
        )
        assert bad.status_code == 422 and "one action per entry" in bad.json()["detail"]
        assert (
            client.post("/api/v1/inbox/rules/dry-run", headers=lead, json={"name": "nope"}).status_code == 404
        )
        with Session(runtime.engine) as session:  # trying changed nothing
            assert session.scalar(select(func.count()).select_from(RuleRun)) == 1
        assert len(api.created) == queued_before


def test_what_a_rule_hid_waits_for_a_person_who_can_restore_it(
    runtime: Runtime, graph: tuple[HttpSink, GraphSend]
) -> None:
    from crisisdesk.accounts.roles import Role
    from crisisdesk.analysis.models import LabelCorrection
    from crisisdesk.api.app import create_app
    from crisisdesk.audit.models import AuditEntry
    from tests.channels.test_outbox_flow import token

    _, api = graph
    api.add_comment("900_2", "facebook", author="5550002")
    api.add_comment("900_4", "facebook", author="5550004")
    with TestClient(create_app(runtime, api_token="t")) as client:
        deliver(client, runtime, "2", "Ihr Betrüger!", author="5550002", name="Max")
        deliver(client, runtime, "4", "Idioten, alle miteinander", author="5550004", name="Eva")

        def send() -> None:
            OutboxSender(
                lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered
            ).run_once()

        send()
        assert api.comments["900_2"].hidden is True and api.comments["900_4"].hidden is True
        agent, analyst = token(client, Role.AGENT), token(client, Role.ANALYST)
        assert client.get("/api/v1/moderation/reviews", headers=analyst).status_code == 403
        pending = client.get("/api/v1/moderation/reviews", headers=agent).json()
        assert [(r["external_id"], r["rule"], r["hidden"]) for r in pending] == [
            ("900_4", "hide-insults", "sent"),
            ("900_2", "hide-insults", "sent"),
        ]
        assert all(r["score"] is not None for r in pending)
        by_id = {r["external_id"]: r["id"] for r in pending}
        restored = client.post(
            f"/api/v1/moderation/reviews/{by_id['900_2']}", json={"decision": "restore"}, headers=agent
        )
        assert restored.status_code == 200 and restored.json()["status"] == "restored", restored.text
        confirmed = client.post(
            f"/api/v1/moderation/reviews/{by_id['900_4']}", json={"decision": "confirm"}, headers=agent
        )
        assert (
            confirmed.json()["status"] == "confirmed"
            and confirmed.json()["decided_by"] == "agent@example.org"
        )
        again = client.post(
            f"/api/v1/moderation/reviews/{by_id['900_4']}", json={"decision": "restore"}, headers=agent
        )
        assert again.status_code == 409
        send()
        assert api.comments["900_2"].hidden is False and api.comments["900_4"].hidden is True
        assert client.get("/api/v1/moderation/reviews", headers=agent).json() == []
    with Session(runtime.engine) as session:
        labels = session.execute(
            select(LabelCorrection.task, LabelCorrection.label, LabelCorrection.source).order_by(
                LabelCorrection.id
            )
        ).all()
        assert [tuple(x) for x in labels] == [
            ("insult", "none", "moderation"),
            ("insult", "offense", "moderation"),
        ]
        decided = session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "moderation.decided")
        ).all()
        assert [(a["decision"], a["rule"]) for a in decided] == [
            ("restore", "hide-insults"),
            ("confirm", "hide-insults"),
        ]

"""Rules tried on a person's change (``trigger: change``), on the real app and a loopback Graph API: a
person tags a conversation "legal" → the rule raises its priority and answers privately, once per
change; changes the rule did not ask about trigger nothing; changes made by rules never trigger
rules (no loops); ``when.changed`` without ``trigger: change`` is refused with its place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.inbox.models import Conversation, RuleRun
from crisisdesk.inbox.service import answered
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.channels.payloads import APP_SECRET, PAGE_ID, VERIFY_TOKEN
from tests.channels.test_outbox_flow import token
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.inbox.test_rules import deliver, graph

__all__ = ["graph"]  # the fixture, shared with test_rules

RULES = """
inbox:
  rules:
    - name: lawyer-tags-itself
      when: {query: anwalt}
      then: [{tag: legal}]
    - name: legal-escalates
      trigger: change
      when: {changed: [tags], tags: [legal], status: [open]}
      then:
        - priority: urgent
        - reply_private: {de: "Hallo {{contact.first_name}}, unsere Rechtsabteilung meldet sich bis morgen.",
                          en: "Hi {{contact.first_name}}, our legal team will get back to you by tomorrow."}
    - name: resolved-thanks
      trigger: [change]
      when: {changed: [status], status: [resolved], public: false}
      then: [{tag: closed-by-agent}]
"""


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


def private_replies(api: GraphSend) -> list[str]:
    return [v["message"]["text"] for v in api.created.values() if isinstance(v.get("message"), dict)]


def test_a_persons_change_triggers_the_change_rules_once_and_rule_changes_trigger_none(
    runtime: Runtime, graph: tuple[HttpSink, GraphSend]
) -> None:
    from crisisdesk.api.app import create_app

    _, api = graph
    api.add_comment("900_1", "facebook", author="5550001")
    api.add_comment("900_2", "facebook", author="5550002")

    def send() -> None:
        OutboxSender(
            lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered
        ).run_once()

    with TestClient(create_app(runtime, api_token="t")) as client:
        deliver(
            client, runtime, "1", "Der Akku ist schon wieder kaputt.", author="5550001", name="Lena Krause"
        )
        # A rule tags this one "legal": a rule's change, which triggers no rule.
        deliver(client, runtime, "2", "Mein Anwalt meldet sich bei Ihnen.", author="5550002", name="Max Roth")
        with Session(runtime.engine) as session:
            ids = {c.subject[:3]: c.id for c in session.scalars(select(Conversation))}
            lawyer = session.get(Conversation, ids["Mei"])
            assert lawyer is not None and lawyer.tags == ["legal"] and lawyer.priority == "normal"
        agent = token(client, Role.AGENT)
        first = ids["Der"]

        # A person's change the rule does not ask about: nothing.
        r = client.patch(f"/api/v1/conversations/{first}", json={"status": "pending"}, headers=agent)
        assert r.status_code == 200, r.text
        assert r.json()["priority"] == "normal"
        r = client.patch(f"/api/v1/conversations/{first}", json={"status": "open"}, headers=agent)
        # The person tags it "legal": the rule acts, and says so in its answer.
        r = client.patch(f"/api/v1/conversations/{first}", json={"tags": ["legal"]}, headers=agent)
        assert r.status_code == 200, r.text
        assert r.json()["priority"] == "urgent"
        # The same request again changes nothing, so nothing is tried again.
        r = client.patch(f"/api/v1/conversations/{first}", json={"tags": ["legal"]}, headers=agent)
        assert r.status_code == 200
        send()
        assert private_replies(api) == ["Hallo Lena, unsere Rechtsabteilung meldet sich bis morgen."]

    with Session(runtime.engine) as session:
        runs = session.scalars(select(RuleRun).order_by(RuleRun.id)).all()
        assert [(r.rule, r.conversation_id) for r in runs] == [
            ("lawyer-tags-itself", ids["Mei"]),
            ("legal-escalates", first),
        ]
        *actions, trigger = runs[1].actions
        assert trigger == {"action": "trigger", "trigger": "change", "changed": ["tags"], "ok": True}
        assert [(a["action"], a["ok"]) for a in actions] == [("priority", True), ("reply_private", True)]
        sent = session.scalars(select(OutboxItem)).all()
        assert [(i.action, i.created_by, i.status) for i in sent] == [
            ("reply_private", "rule:legal-escalates", "sent")
        ]
        lawyer = session.get(Conversation, ids["Mei"])
        assert lawyer is not None and lawyer.priority == "normal"  # the rule's own tag triggered nothing


@pytest.mark.parametrize(
    ("when", "conversation", "changed", "holds"),
    [
        ({"tags": ["vip"]}, {"tags": ["vip", "x"]}, set(), True),
        ({"tags": ["vip"]}, {"tags": ["x"]}, set(), False),
        ({"assigned": False}, {"assignee_user_id": None}, set(), True),
        ({"assigned": False}, {"assignee_user_id": 3}, set(), False),
        ({"ticket": True}, {"ticket": "2026-0001"}, set(), True),
        ({"ticket": True}, {"ticket": None}, set(), False),
        ({"status": ["open", "pending"]}, {"status": "pending"}, set(), True),
        ({"priority": ["urgent"]}, {"priority": "high"}, set(), False),
        ({"changed": ["assignee"]}, {}, {"assignee"}, True),
        ({"changed": ["assignee"]}, {}, {"tags"}, False),
        ({"changed": ["assignee"]}, {}, set(), False),  # a new message changed nothing
    ],
)
def test_conditions_on_the_conversation(
    when: dict[str, object], conversation: dict[str, object], changed: set[str], holds: bool
) -> None:
    from crisisdesk.inbox.rule_conditions import conversation_checks
    from crisisdesk.inbox.rules_config import When

    c = Conversation(
        **{
            "status": "open",
            "priority": "normal",
            "tags": [],
            "assignee_user_id": None,
            "ticket": None,
            **conversation,
        }
    )
    checks = conversation_checks(When.model_validate(when))
    assert checks and all(check(c, frozenset(changed)) for check in checks) is holds


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            "{name: r, when: {changed: [tags]}, then: [{tag: a}]}",
            "when.changed only holds for trigger: change",
        ),
        ("{name: r, trigger: edit, then: [{tag: a}]}", "trigger[0]: Input should be 'message' or 'change'"),
        ("{name: r, on: change, then: [{tag: a}]}", "write trigger: change"),
        ("{name: r, trigger: change, when: {changed: [colour]}, then: [{tag: a}]}", "changed"),
        ("{name: r, when: {status: [gone]}, then: [{tag: a}]}", "status"),
    ],
)
def test_broken_change_rules_are_refused_with_their_place(rule: str, words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f"inbox:\n  rules:\n    - {rule}\n", path="crisisdesk.yaml")
    assert words in str(refused.value) and "inbox.rules" in str(refused.value)


@pytest.mark.parametrize(
    ("lang", "when", "trigger"),
    [
        (
            "de",
            ["geändert wurde: Schlagwörter", "Status: offen", "Schlagwort: legal", "niemandem zugewiesen"],
            "wenn jemand das Gespräch ändert",
        ),
        (
            "en",
            ["what changed: tags", "status: open", "tag: legal", "assigned to nobody"],
            "when someone changes the conversation",
        ),
    ],
)
def test_a_change_rule_in_words(lang: str, when: list[str], trigger: str) -> None:
    from crisisdesk.inbox.rules_config import RuleConfig
    from crisisdesk.web import rule_words

    rule = RuleConfig.model_validate(
        {
            "name": "r",
            "trigger": "change",
            "then": [{"tag": "x"}],
            "when": {"changed": "tags", "status": "open", "tags": "legal", "assigned": False},
        }
    )
    assert rule_words.conditions(rule.when, lang) == when  # type: ignore[arg-type]
    assert rule_words.trigger(rule, lang) == trigger  # type: ignore[arg-type]
    ran = {"action": "trigger", "trigger": "change", "changed": ["tags"], "ok": True}
    assert rule_words.done(ran, rule, 1, lang).endswith(when[0].split(": ")[1])  # type: ignore[arg-type]

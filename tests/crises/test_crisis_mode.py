"""Crisis mode over the API, end to end on a Facebook page served by a loopback Graph API: switched
on by a crisis lead (an agent is refused), it raises the priority of the crisis's conversations,
answers them with the crisis type's holding statement in the person's language, silences the
marketing rule and holds our own posts back; switched off, the held post goes out and marketing
answers again. Every switch is on the crisis timeline and in the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.channels.models import OutboxItem
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.models import CrisisAction
from crisisdesk.inbox.models import RuleRun
from crisisdesk.runtime import Runtime
from tests.channels.test_outbox_flow import token
from tests.crises.mode_world import (
    ANSWER,
    MARKETING,
    conversation_of,
    deliver,
    graph_sink,
    make_runtime,
    replies_to,
    seed_crisis,
    send,
)
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend

SAFETY = next(t for t in DEFAULT_TYPES if t.key == "safety_incident")


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    yield from graph_sink()


@pytest.fixture
def runtime(workspace_file: Path, graph: tuple[HttpSink, GraphSend]) -> Iterator[Runtime]:
    runtime = make_runtime(workspace_file, graph[0].url)
    yield runtime
    runtime.close()


def holding(lang: str) -> re.Pattern[str]:
    """The safety incident's holding statement with a concrete time where ``{time}`` stands."""
    assert SAFETY.holding_statement is not None
    before, after = SAFETY.holding_statement.get(lang).split("{time}")
    when = r"(morgen, )?\d\d:\d\d Uhr" if lang == "de" else r"(tomorrow, )?\d{1,2}:\d\d (am|pm)"
    return re.compile(re.escape(before) + when + re.escape(after))


def test_switching_on_and_off_over_the_api_changes_what_leaves(
    runtime: Runtime, graph: tuple[HttpSink, GraphSend]
) -> None:
    _, api = graph
    crisis_id, _ = seed_crisis(runtime, severity=3)
    api.add_comment("ann_1", "facebook", author=PAGE_AUTHOR)
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        lead, agent, analyst = (token(client, r) for r in (Role.CRISIS_LEAD, Role.AGENT, Role.ANALYST))
        before = deliver(client, runtime, api, "Mein Akku ist seit gestern komplett leer.")
        send(runtime)
        assert replies_to(api, before) == [ANSWER["de"]]  # no mode yet: the rule's own answer
        assert conversation_of(runtime, before).priority == "normal"

        path = f"/api/v1/crises/{crisis_id}/mode"
        for who in (agent, analyst):
            assert client.post(path, json={"on": True}, headers=who).status_code == 403
        assert client.post("/api/v1/crisis-mode", json={"on": True}, headers=agent).status_code == 403
        assert client.post("/api/v1/crises/999999/mode", json={"on": True}, headers=lead).status_code == 404
        assert client.post(path, json={"on": False}, headers=lead).status_code == 409  # not on

        on = client.post(path, json={"on": True, "reason": "Brandmeldungen"}, headers=lead)
        assert on.status_code == 200, on.text
        body = on.json()
        assert body["on"] and body["switched_on"] and [m["crisis_id"] for m in body["modes"]] == [crisis_id]
        # The conversation already under the crisis is raised (level 3: high), as a system change.
        assert body["raised"] == [conversation_of(runtime, before).id]
        assert conversation_of(runtime, before).priority == "high"
        assert client.post(path, json={"on": True}, headers=lead).status_code == 409  # on already

        state = client.get("/api/v1/crisis-mode", headers=analyst)
        assert state.status_code == 200 and state.json()["on"] is True
        assert state.json()["modes"][0]["reason"] == "Brandmeldungen"

        # New conversations under the crisis: the holding statement, in the person's language.
        de = deliver(client, runtime, api, "Mein Akku ist heute Nacht heiß geworden!")
        en = deliver(client, runtime, api, "My battery got really hot last night, what now?", name="Sam Lee")
        # Marketing rests; an announcement of ours (no post answered) is held.
        thanks = deliver(client, runtime, api, "Danke für den schnellen Versand!")
        announced = client.post("/api/v1/outbox", headers=lead, json={
            "channel": "voltaro-fb", "action": "reply_public", "idempotency_key": "summer-sale-1",
            "target": "ann_1", "text": "Sommerschlussverkauf: 30 % auf alles!"})
        assert announced.status_code == 202, announced.text
        send(runtime)
        [said_de], [said_en] = replies_to(api, de), replies_to(api, en)
        assert holding("de").fullmatch(said_de), said_de
        assert holding("en").fullmatch(said_en), said_en
        assert conversation_of(runtime, de).priority == "high"
        assert replies_to(api, thanks) == [] and replies_to(api, "ann_1") == []
        assert client.get("/api/v1/crisis-mode", headers=analyst).json()["held_outbox"] == 1
        with Session(runtime.engine) as s:
            offers = select(func.count()).select_from(RuleRun).where(RuleRun.rule == "summer-offer")
            assert s.scalar(offers) == 0
            item = s.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == "summer-sale-1"))
            assert item is not None and item.status == "queued"  # held, not lost

        off = client.post(path, json={"on": False}, headers=lead)
        assert off.status_code == 200 and off.json()["on"] is False and not off.json()["switched_on"]
        send(runtime)  # what was held leaves in the first round after the mode
        assert replies_to(api, "ann_1") == ["Sommerschlussverkauf: 30 % auf alles!"]
        again = deliver(client, runtime, api, "Danke, alles bestens!")
        normal = deliver(client, runtime, api, "Wie lade ich den Akku richtig?")
        send(runtime)
        assert replies_to(api, again) == [MARKETING["de"]]
        assert replies_to(api, normal) == [ANSWER["de"]]
        assert client.get("/api/v1/crisis-mode", headers=analyst).json() == {
            "on": False, "modes": [], "held_outbox": 0, "suggested": [{"crisis": crisis_id, "severity": 3,
                                                                        "type": "safety_incident",
                                                                        "from_level": 3}]}

    with Session(runtime.engine) as s:
        kinds = s.scalars(select(CrisisAction.kind).where(CrisisAction.crisis_id == crisis_id)
                          .order_by(CrisisAction.id)).all()
        assert kinds == ["mode.on", "mode.off"]
        audit = s.execute(select(AuditEntry.actor, AuditEntry.after).where(
            AuditEntry.action == "crisis.mode_changed").order_by(AuditEntry.id)).all()
        assert [(a, after["on"]) for a, after in audit] == [("crisis_lead@example.org", True),
                                                            ("crisis_lead@example.org", False)]
        runs = s.scalars(select(RuleRun).where(RuleRun.rule == "auto-answer").order_by(RuleRun.id)).all()
        replaced = [r.actions[0].get("holding_statement") for r in runs]
        assert replaced == [None, crisis_id, crisis_id, None]


PAGE_AUTHOR = "1122334455"


def test_the_mode_ends_with_its_crisis(runtime: Runtime, graph: tuple[HttpSink, GraphSend]) -> None:
    """Resolving the crisis's last situation (as a person does over the API) resolves the crisis;
    its mode stops at that moment — the held post leaves, marketing answers — and the sweep writes
    the end on the timeline, by crisisdesk."""
    _, api = graph
    crisis_id, situation_id = seed_crisis(runtime, severity=4)
    api.add_comment("ann_2", "facebook", author=PAGE_AUTHOR)
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        lead = token(client, Role.CRISIS_LEAD)
        switched = client.post(f"/api/v1/crises/{crisis_id}/mode", json={"on": True}, headers=lead)
        assert switched.status_code == 200
        hot = deliver(client, runtime, api, "Akku raucht!")
        assert conversation_of(runtime, hot).priority == "urgent"  # level 4
        client.post("/api/v1/outbox", headers=lead, json={
            "channel": "voltaro-fb", "action": "reply_public", "idempotency_key": "newsletter-1",
            "target": "ann_2", "text": "Unser Newsletter ist da."})
        send(runtime)
        assert replies_to(api, "ann_2") == []

        resolved = client.post(f"/api/v1/situations/{situation_id}/resolve", json={"reason": "gelöscht"},
                               headers=lead)
        assert resolved.status_code == 200, resolved.text
        crisis = client.get(f"/api/v1/crises/{crisis_id}", headers=lead).json()
        assert crisis["status"] == "resolved"
        assert client.get("/api/v1/crisis-mode", headers=lead).json()["on"] is False  # at once
        send(runtime)
        assert replies_to(api, "ann_2") == ["Unser Newsletter ist da."]
        thanks = deliver(client, runtime, api, "Danke euch!")
        send(runtime)
        assert replies_to(api, thanks) == [MARKETING["de"]]
        # A resolved crisis cannot be put in crisis mode (it would end at once).
        assert client.post(f"/api/v1/crises/{crisis_id}/mode", json={"on": True},
                           headers=lead).status_code == 409

    assert runtime.end_crisis_modes() == 1
    assert runtime.end_crisis_modes() == 0  # written down once
    with Session(runtime.engine) as s:
        ends = s.execute(select(CrisisAction.kind, CrisisAction.actor, CrisisAction.detail)
                         .where(CrisisAction.crisis_id == crisis_id).order_by(CrisisAction.id)).all()
        assert [(k, a) for k, a, _ in ends if k.startswith("mode.")] == [
            ("mode.on", "crisis_lead@example.org"), ("mode.off", "crisisdesk")]
        assert ends[-1][2]["reason"] == "crisis resolved"

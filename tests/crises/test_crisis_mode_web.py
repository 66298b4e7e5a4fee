"""Crisis mode in the browser — the switch on the crisis page (with its confirmation), the
workspace-wide switch on the crises list, the banner on every page in German and English — and
the stricter moderation while it is on; plus the pieces as tables: the promised time, the lowered
thresholds, the marketing flag's validation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.analysis.analyzer import workspace_analyzer
from crisisdesk.core.errors import ConfigError
from crisisdesk.crises.mode_effects import lowered, promised_time
from crisisdesk.inbox.models import RuleRun
from crisisdesk.posts.models import Post
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.channels.test_outbox_flow import token
from tests.crises.mode_world import deliver, graph_sink, make_runtime, seed_crisis, send, workspace_text
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    yield from graph_sink()


def browser(client: TestClient, role: Role, lang: str) -> tuple[TestClient, str]:
    web = TestClient(client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    signed_in = web.post("/login", data={"email": f"{role.value}@example.org",
                                         "password": "a long enough password", "next": "/"},
                         follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    found = re.search(r'name="csrf-token" content="([^"]+)"', web.get("/crises").text)
    assert found
    return web, found.group(1)


CANDIDATES = ["Euer Akku ist Schrott, ihr Versager", "Ihr seid doch alle unfähig mit eurem Akku",
              "Akku kaputt, ihr Dummköpfe", "Was für ein Mist, euer Akku, ihr Idioten",
              "Halt die Klappe mit deinem Akku", "Ihr Betrüger, der Akku ist tot"]


def test_switch_banner_and_stricter_moderation_in_the_browser(
    workspace_file: Path, graph: tuple[HttpSink, GraphSend]
) -> None:
    sink, api = graph
    # A text the insult classifier rates between the crisis threshold and the usual one: the
    # hiding rule's usual threshold sits just above it, so only crisis mode hides it.
    workspace_file.write_text(workspace_text(sink.url), encoding="utf-8")
    analyzer = workspace_analyzer(load_workspace(workspace_file, Settings()))
    scores = {text: a["insult"]["score"] for text, a in zip(CANDIDATES, analyzer.analyze(CANDIDATES),
                                                            strict=True)}
    text, score = next((t, s) for t, s in scores.items() if 0.4 <= s <= 0.85)
    usual = round(score + 0.1, 2)
    assert lowered(usual) <= score < usual
    runtime = make_runtime(workspace_file, sink.url, hide_at=usual)
    crisis_id, _ = seed_crisis(runtime, severity=3)
    from crisisdesk.api.app import create_app

    try:
        with TestClient(create_app(runtime, api_token="t")) as client:
            token(client, Role.CRISIS_LEAD), token(client, Role.AGENT)
            lead, csrf = browser(client, Role.CRISIS_LEAD, "de")
            agent, agent_csrf = browser(client, Role.AGENT, "en")

            first = deliver(client, runtime, api, text)
            send(runtime)
            assert api.comments[first].hidden is False  # below the usual threshold

            page = lead.get(f"/crises/{crisis_id}").text
            assert 'data-mode="off"' in page and "Das Playbook empfiehlt den Krisenmodus" in page
            assert 'id="crisis-banner"' not in page
            # The agent sees no switch, and the server refuses the form anyway.
            assert 'id="mode-switch"' not in agent.get(f"/crises/{crisis_id}").text
            refused = agent.post(f"/crises/{crisis_id}/mode", data={"csrf_token": agent_csrf, "on": "1",
                                                                    "confirm": "yes"}, follow_redirects=False)
            assert refused.status_code == 403
            # Without the tick box nothing happens.
            unconfirmed = lead.post(f"/crises/{crisis_id}/mode", data={"csrf_token": csrf, "on": "1"})
            assert "Bitte bestätigen Sie das Umschalten" in unconfirmed.text
            assert 'data-mode="off"' in unconfirmed.text
            on = lead.post(f"/crises/{crisis_id}/mode", data={"csrf_token": csrf, "on": "1", "confirm": "yes",
                                                              "reason": "Presseanfragen"})
            assert on.status_code == 200 and 'data-mode="on"' in on.text
            assert "Krisenmodus eingeschaltet." in on.text and "Presseanfragen" in on.text

            # The banner on every page, in the reader's language, with a link to the crisis.
            for who, where, words in ((lead, "/inbox", f"Krisenmodus: Krise #{crisis_id} – Akku-Brände"),
                                      (agent, "/", f"Crisis mode: crisis #{crisis_id} — Akku-Brände"),
                                      (agent, "/situations", "Marketing and our own posts paused")):
                shown = who.get(where).text
                assert 'id="crisis-banner"' in shown and words in shown, where
                assert f'href="/crises/{crisis_id}"' in shown

            # A crisis's mode covers only its conversations: a text that is not about it is left.
            unrelated = text.replace("Akku", "Lieferung").replace("akku", "lieferung")
            other = deliver(client, runtime, api, unrelated)
            under = deliver(client, runtime, api, text)
            send(runtime)
            assert api.comments[under].hidden is True
            assert api.comments[other].hidden is False

            # Workspace-wide, from the crises list: now it covers every conversation.
            listing = lead.post("/crisis-mode", data={"csrf_token": csrf, "on": "1", "confirm": "yes"})
            assert "Krisenmodus für den ganzen Arbeitsbereich" in listing.text
            assert 'data-mode="on"' in listing.text
            elsewhere = deliver(client, runtime, api, text.replace("Akku", "Paket").replace("akku", "paket"))
            send(runtime)
            assert api.comments[elsewhere].hidden is True
            off = lead.post("/crisis-mode", data={"csrf_token": csrf, "on": "0", "confirm": "yes"})
            assert "Krisenmodus ausgeschaltet." in off.text
            lead.post(f"/crises/{crisis_id}/mode", data={"csrf_token": csrf, "on": "0", "confirm": "yes"})
            assert 'id="crisis-banner"' not in agent.get("/").text
            assert 'id="mode-history"' in lead.get(f"/crises/{crisis_id}").text
        with Session(runtime.engine) as s:
            scores_seen = {p.external_id: p.insult_score for p in s.scalars(select(Post))}
            assert scores_seen[under] == pytest.approx(score, abs=1e-3)
            runs = s.scalars(select(RuleRun).where(RuleRun.rule == "hide-insults")).all()
            tightened = {"action": "crisis_mode", "insult_score_at_least": [usual, lowered(usual)],
                         "ok": True}
            assert all(r.actions[-1] == tightened for r in runs) and len(runs) == 2
    finally:
        runtime.close()


@pytest.mark.parametrize(("now", "lang", "expected"), [
    (datetime(2026, 12, 5, 10, 7, tzinfo=UTC), "de", "13:15 Uhr"),  # Berlin: 11:07 + 2 h → 13:15
    (datetime(2026, 12, 5, 10, 7, tzinfo=UTC), "en", "1:15 pm"),
    (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), "de", "13:00 Uhr"),  # on the quarter: stays
    (datetime(2026, 7, 5, 20, 50, tzinfo=UTC), "de", "morgen, 01:00 Uhr"),  # 22:50 CEST + 2 h
    (datetime(2026, 7, 5, 21, 1, tzinfo=UTC), "en", "tomorrow, 1:15 am"),
])
def test_the_promised_time_is_concrete_and_local(now: datetime, lang: str, expected: str) -> None:
    assert promised_time(now, lang, "Europe/Berlin") == expected


@pytest.mark.parametrize(("usual", "in_crisis"),
                         [(0.85, 0.7), (0.5, 0.35), (0.45, 0.35), (0.3, 0.3), (1.0, 0.85)])
def test_hiding_thresholds_drop_by_015_but_not_below_035(usual: float, in_crisis: float) -> None:
    assert lowered(usual) == pytest.approx(in_crisis)


@pytest.mark.parametrize(("rule", "words"), [
    ("{name: m, marketing: true, then: [{tag: promo}]}", "marks a rule that answers"),
    ("{name: m, marketing: true, then: [{hide: true}, {reply: {de: Hallo}}]}", "does not hide"),
    ("{name: m, marketing: maybe, then: [{reply: {de: Hallo}}]}", "marketing"),
])
def test_a_marketing_rule_must_answer_and_never_hide(rule: str, words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f"inbox:\n  rules:\n    - {rule}\n", path="crisisdesk.yaml")
    assert words in str(refused.value) and "inbox.rules" in str(refused.value)
    parse_config("inbox:\n  rules:\n    - {name: m, marketing: true, then: [{reply: {de: Hallo}}]}\n",
                 path="crisisdesk.yaml")

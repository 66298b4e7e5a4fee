"""The inbox's admin pages in the browser, on both databases: the rules page says each rule in
words with what it did (Telegram messages arrive by webhook and the rules act on them); a crisis
lead creates, changes, switches off, reorders and deletes a rule through the configuration (each a
new version with its audit entry, the document's comments kept), a bad rule is refused naming the
field with the text kept as typed, and a rule is tried, stored or unsaved, like the API tries it;
analysts and agents read and may do nothing else. The performance page shows the API's numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import insert

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.configuration.service import latest
from crisisdesk.inbox.models import Conversation, ConversationEvent, RuleRun
from crisisdesk.inbox.service import answered
from tests.accounts.fixtures import FakeClock, World, make_world, rows
from tests.channels.payloads import BOT_TOKEN, TG_SECRET
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi
from tests.modes import BY_HAND
from tests.web.test_inbox_pages import JONAS, LENA, message, text_of
from tests.web.test_pages import browser
from tests.web.test_ux_pages import english_left

LEAD = Role.CRISIS_LEAD
RULES = """\
inbox:
  rules:
    # Battery trouble first: it can be dangerous.
    - name: akku
      when: {query: 'akku', lang: de}
      then:
        - tag: akku
        - priority: high
    - name: delivery
      enabled: false   # switched off until the carrier answers
      when: {query: 'lieferung'}
      then:
        - ticket: true
"""


@pytest.fixture
def bot() -> Iterator[tuple[HttpSink, TelegramBotApi]]:
    api = TelegramBotApi(BOT_TOKEN)
    with HttpSink(responder=api) as sink:
        yield sink, api


@pytest.fixture
def world(workspace_file: Path, bot: tuple[HttpSink, TelegramBotApi]) -> Iterator[World]:
    workspace_file.write_text(
        f"""\
version: 1
monitors:
  - name: bahn
    query: '"deutsche bahn"'
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot[0].url}
{RULES}""",
        encoding="utf-8",
    )
    yield from make_world(workspace_file)


@pytest.fixture
def chats(world: World, bot: tuple[HttpSink, TelegramBotApi]) -> dict[str, int]:
    """Lena wrote about her battery (the rule "akku" acts), Jonas about his delivery (its rule is off)."""
    bot[1].message(LENA, 50)
    message(world, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    message(world, 2, JONAS, "Wann kommt meine Lieferung?", message_id=60, date=1764846300, name="Jonas")
    found = {c.subject: c.id for c in rows(world, Conversation)}
    return {"lena": found["Mein Akku ist geplatzt!"], "jonas": found["Wann kommt meine Lieferung?"]}


def post(c: TestClient, csrf: str, path: str, data: dict[str, str] | None = None) -> Any:
    return c.post(path, data={"csrf_token": csrf, **(data or {})}, follow_redirects=False)


def version(world: World) -> int | None:
    with world.engine.connect() as conn:
        stored = latest(conn)
    return stored.version if stored else None


def stored_rules(world: World) -> list[dict[str, Any]]:
    with world.engine.connect() as conn:
        stored = latest(conn)
    assert stored is not None
    rules: list[dict[str, Any]] = yaml.safe_load(stored.text)["inbox"]["rules"]
    return rules


def saved_as(r: Any) -> int:
    assert r.status_code == 303, r.text
    match = re.match(r"/inbox/rules\?saved=(\d+)", r.headers["location"])
    assert match, r.headers["location"]
    return int(match.group(1))


def rule_audit(world: World) -> list[AuditEntry]:
    return rows(world, AuditEntry, AuditEntry.target_type == "config.rules")


def textarea(html: str) -> str:
    match = re.search(r'<textarea id="f-text"[^>]*>\n?(.*?)</textarea>', html, flags=re.S)
    assert match, html
    return unescape(match.group(1))


# --------------------------------------------------------------------------------------------
# The list


def test_the_rules_are_listed_in_words_with_what_they_did(world: World, chats: dict[str, int]) -> None:
    [run] = rows(world, RuleRun)
    assert (run.rule, run.conversation_id) == ("akku", chats["lena"])
    en, _ = browser(world, Role.AGENT, lang="en")
    page = en.get("/inbox/rules")
    assert page.status_code == 200
    html = page.text
    words = text_of(html)
    assert html.index('id="rule-akku"') < html.index('id="rule-delivery"')  # in the order they are tried
    assert "When: language: de; matches the query akku" in words
    assert "Then: tag “akku”; set the priority to high" in words
    assert re.search(r'id="rule-akku"[^>]*data-enabled="true"\s+data-runs-24h="1" data-runs-7d="1"', html)
    assert re.search(r'id="rule-delivery"[^>]*data-enabled="false"\s+data-runs-24h="0"', html)
    assert "Acted: 1 in 24 h, 1 in 7 days" in words and "Never acted yet." in words
    assert f'href="/inbox/{chats["lena"]}">Conversation #{chats["lena"]}</a>' in html
    assert "tag “akku” (done)" in words
    assert 'id="read-only"' in html and "/inbox/rules/akku/edit" not in html and "dry_run=" not in html
    # Linked from the inbox.
    assert 'href="/inbox/rules" id="nav-inbox-rules"' in en.get("/inbox").text

    de, _ = browser(world, Role.ANALYST, lang="de")
    html = de.get("/inbox/rules").text
    words = text_of(html)
    assert "Wenn: Sprache: de; passt auf die Suche akku" in words
    assert "Dann: Schlagwort „akku“ setzen; Priorität auf hoch setzen" in words
    assert "Gewirkt: 1 in 24 Std., 1 in 7 Tagen" in words and "ausgeschaltet" in words
    assert english_left(html) == []


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT])
def test_who_may_not_manage_rules_reads_but_cannot_change_or_try(world: World, role: Role) -> None:
    c, csrf = browser(world, role)
    before = version(world)
    assert c.get("/inbox/rules").status_code == 200
    refused = [
        c.get("/inbox/rules/new"),
        c.get("/inbox/rules/akku/edit"),
        c.get("/inbox/rules", params={"dry_run": "akku"}),
        post(c, csrf, "/inbox/rules", {"name": "mine", "text": "then: [{tag: x}]"}),
        post(c, csrf, "/inbox/rules/akku/edit", {"text": "then: [{tag: x}]", "action": "try"}),
        post(c, csrf, "/inbox/rules/akku/enabled", {"enabled": "false"}),
        post(c, csrf, "/inbox/rules/akku/move", {"to": "down"}),
        post(c, csrf, "/inbox/rules/akku/delete"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert version(world) == before and rule_audit(world) == []
    assert c.post("/api/v1/inbox/rules/dry-run", json={"name": "akku"}).status_code == 403


# --------------------------------------------------------------------------------------------
# The editor


def test_a_rule_is_created_changed_switched_moved_and_deleted_as_configuration(world: World) -> None:
    c, csrf = browser(world, LEAD)
    assert 'id="new-rule"' in c.get("/inbox/rules").text
    form = c.get("/inbox/rules/new").text
    assert "then:" in textarea(form)  # an example to start from

    typed = "when:\n  public: false\n  sentiment: [negative]\nthen:\n  - tag: angry\n  - priority: urgent\n"
    first = saved_as(post(c, csrf, "/inbox/rules", {"name": "angry-chats", "text": typed, "action": "save"}))
    assert f"Saved as version {first} of the configuration." in c.get(f"/inbox/rules?saved={first}").text
    assert [r["name"] for r in stored_rules(world)] == ["akku", "delivery", "angry-chats"]
    assert stored_rules(world)[2]["then"] == [{"tag": "angry"}, {"priority": "urgent"}]
    assert [r.name for r in world.runtime.workspace.config.inbox.rules][-1] == "angry-chats"  # in force
    [created] = rule_audit(world)
    assert (created.target_id, created.actor) == ("angry-chats", "crisis-lead@example.org")
    assert created.after is not None and created.after["version"] == first

    page = c.get("/inbox/rules/angry-chats/edit").text
    assert "sentiment:\n  - negative" in textarea(page) and "name:" not in textarea(page)
    changed = textarea(page).replace("urgent", "high")
    second = saved_as(post(c, csrf, "/inbox/rules/angry-chats/edit", {"text": changed, "action": "save"}))
    assert second == first + 1 and stored_rules(world)[2]["then"][1] == {"priority": "high"}

    third = saved_as(post(c, csrf, "/inbox/rules/angry-chats/move", {"to": "up"}))
    assert [r["name"] for r in stored_rules(world)] == ["akku", "angry-chats", "delivery"]
    fourth = saved_as(post(c, csrf, "/inbox/rules/angry-chats/enabled", {"enabled": "false"}))
    assert stored_rules(world)[1]["enabled"] is False
    assert "Then: tag “angry”; set the priority to high" in text_of(c.get("/inbox/rules").text)
    fifth = saved_as(post(c, csrf, "/inbox/rules/angry-chats/delete"))
    assert [r["name"] for r in stored_rules(world)] == ["akku", "delivery"]
    assert [third, fourth, fifth] == [second + 1, second + 2, second + 3] and version(world) == fifth

    audit = rule_audit(world)
    assert len(audit) == 5 and {a.target_id for a in audit} == {"angry-chats"}
    moved = next(a for a in audit if a.after and a.after.get("value") == {"position": 2})
    assert moved.before is not None and moved.before["value"] == {"position": 3}
    assert audit[-1].after is not None and audit[-1].after["value"] is None  # deleted
    with world.engine.connect() as conn:
        stored = latest(conn)
    assert stored is not None and "# Battery trouble first: it can be dangerous." in stored.text
    assert "# switched off until the carrier answers" in stored.text
    assert post(c, csrf, "/inbox/rules/angry-chats/delete").status_code == 404
    assert post(c, csrf, "/inbox/rules/akku/move", {"to": "sideways"}).status_code == 303
    no_token = c.post("/inbox/rules/akku/delete", follow_redirects=False)
    assert no_token.status_code == 403 and version(world) == fifth  # nothing stored without the CSRF token


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        (
            "then:\n  - tag: a\n    priority: high\n",
            "inbox.rules[name=bad].then[0]: Value error, one action per entry",
        ),
        (
            "when:\n  sentiment: [angry]\nthen: [{tag: a}]\n",
            "inbox.rules[name=bad].when.sentiment[0]: Input should be",
        ),
        ("when: {public: true}\n", "inbox.rules[name=bad].then: Field required"),
        ("then:\n  - tag: a\n - priority: high\n", "not valid YAML (line 3, column 2)"),
        ("- tag: a\n", "Expected fields such as when: and then: (a mapping), not list."),
        ("name: other\nthen: [{tag: a}]\n", "inbox.rules[name=bad]: the name is 'bad' here"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field_with_the_text_kept(
    world: World, typed: str, words: str
) -> None:
    c, csrf = browser(world, LEAD)
    before = version(world)
    for action in ("save", "try"):
        r = post(c, csrf, "/inbox/rules", {"name": "bad", "text": typed, "action": action})
        assert r.status_code == 422, r.text
        assert words in unescape(r.text)
        assert textarea(r.text) == typed  # not a character lost
        assert 'aria-invalid="true"' in r.text and 'value="bad"' in r.text
    assert version(world) == before and rule_audit(world) == []


def test_a_new_rule_does_not_replace_one_and_names_are_checked(world: World) -> None:
    c, csrf = browser(world, LEAD, lang="de")
    r = post(c, csrf, "/inbox/rules", {"name": "akku", "text": "then: [{tag: x}]", "action": "save"})
    assert r.status_code == 422 and "Es gibt schon eine Regel „akku“." in r.text
    assert version(world) is None and textarea(r.text) == "then: [{tag: x}]"  # nothing stored over it
    r = post(c, csrf, "/inbox/rules", {"name": "no/slash", "text": "then: [{tag: x}]", "action": "save"})
    assert r.status_code == 422 and "is not a valid name" in unescape(r.text)
    assert re.search(r'id="f-name-error">[^<]*not a valid name', unescape(r.text))
    assert (
        english_left(re.sub(r"<textarea.*?</textarea>", "", c.get("/inbox/rules/new").text, flags=re.S)) == []
    )


# --------------------------------------------------------------------------------------------
# Dry runs


def test_a_rule_is_tried_stored_or_as_typed_without_acting(world: World, chats: dict[str, int]) -> None:
    c, csrf = browser(world, LEAD)
    before, runs = version(world), len(rows(world, RuleRun))

    page = c.get("/inbox/rules", params={"dry_run": "delivery", "days": "7"})  # switched off: tried anyway
    assert page.status_code == 200
    assert re.search(r'id="trial-summary" data-tried="2" data-matched="1"', page.text)
    assert f'href="/inbox/{chats["jonas"]}"' in page.text and "Wann kommt meine Lieferung?" in page.text
    assert "Would have: open a ticket" in text_of(page.text)
    api = c.post(
        "/api/v1/inbox/rules/dry-run", json={"name": "delivery", "days": 7}, headers={"X-CSRF-Token": csrf}
    ).json()
    assert [m["conversation_id"] for m in api["matched"]] == [chats["jonas"]] and api["tried"] == 2

    typed = "when: {query: 'akku OR lieferung'}\nthen:\n  - reply: {de: 'Danke!', en: 'Thanks!'}\n"
    r = post(c, csrf, "/inbox/rules/akku/edit", {"text": typed, "action": "try", "days": "3"})
    assert r.status_code == 200 and textarea(r.text) == typed
    assert re.search(r'id="trial-summary" data-tried="2" data-matched="2"', r.text)
    assert "Would have: answer automatically: “Thanks!”" in text_of(r.text)
    api = c.post(
        "/api/v1/inbox/rules/dry-run",
        headers={"X-CSRF-Token": csrf},
        json={"rule": {"name": "akku", **yaml.safe_load(typed)}, "days": 3},
    ).json()
    assert len(api["matched"]) == 2

    nothing = c.get("/inbox/rules", params={"dry_run": "akku", "days": "0"})
    assert nothing.status_code == 422 and "Days: a whole number from 1 to 90, not “0”." in nothing.text
    assert c.get("/inbox/rules", params={"dry_run": "nope"}).status_code == 404
    assert version(world) == before and len(rows(world, RuleRun)) == runs  # nothing stored, nothing run


# --------------------------------------------------------------------------------------------
# Performance


@BY_HAND
def test_the_performance_page_shows_the_apis_numbers(
    world: World, chats: dict[str, int], bot: tuple[HttpSink, TelegramBotApi]
) -> None:
    agent, csrf = browser(world, Role.AGENT)
    page = agent.get(f"/inbox/{chats['lena']}").text
    key = re.search(r'name="key" value="(web-reply-[0-9a-f]+)"', page)
    assert key
    form = {"csrf_token": csrf, "text": "Das tut uns leid.", "key": key.group(1)}
    assert agent.post(f"/inbox/{chats['lena']}/reply", data=form, follow_redirects=False).status_code == 303
    clock = world.runtime.runner.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=5)
    OutboxSender(
        lambda: world.runtime.engine, world.runtime.connectors, clock=clock, on_sent=answered
    ).run_once()
    sent_at = clock.now()
    clock.advance(minutes=5)
    header = {"X-CSRF-Token": csrf}
    resolved = agent.patch(
        f"/api/v1/conversations/{chats['lena']}", json={"status": "resolved"}, headers=header
    )
    mine = {"assignee_user_id": world.user_ids[Role.AGENT]}
    assigned = agent.patch(f"/api/v1/conversations/{chats['jonas']}", json=mine, headers=header)
    assert resolved.status_code == 200 and assigned.status_code == 200, (resolved.text, assigned.text)
    resolved_at = clock.now()
    clock.advance(minutes=5)
    lena_wrote = datetime.fromtimestamp(1764846000, UTC)  # her first message, as Telegram dated it

    c, _ = browser(world, Role.ANALYST)
    for period in ("today", "7d", "30d"):
        api = c.get("/api/v1/inbox/performance", params={"period": period}).json()
        html = c.get("/inbox/performance", params={"period": period}).text
        assert f'data-conversations="{api["conversations"]}"' in html
        assert api["conversations"] == 2
        first = api["first_response_seconds"]
        assert first == {
            "n": 1,
            "median": (sent_at - lena_wrote).total_seconds(),
            "p90": (sent_at - lena_wrote).total_seconds(),
        }
        resolution = api["resolution_seconds"]
        assert (resolution["n"], resolution["median"]) == (1, (resolved_at - lena_wrote).total_seconds())
        assert f'id="time-resolution" data-n="1" data-median="{resolution["median"]}"' in html
        assert api["workload"] == [
            {"user_id": world.user_ids[Role.AGENT], "name": "Agent", "email": "agent@example.org", "open": 1}
        ]
        assert re.search(r'id="workload".*?<tr data-count="1"><th scope="row">Agent</th>', html, flags=re.S)
        assert (
            f'id="time-first_response" data-n="1" data-median="{first["median"]}" data-p90="{first["p90"]}"'
            in html
        )
        assert api["replies_by_person"] == [{"by": "agent@example.org", "count": 1}]
        assert api["replies_by_channel"] == [{"channel": "voltaro-tg", "count": 1}]
        assert re.search(
            r'id="replies-person".*?<tr data-count="1"><th scope="row">Agent</th>', html, flags=re.S
        )
        assert re.search(r'id="replies-channel".*?<th scope="row">voltaro-tg</th>', html, flags=re.S)
        assert f'id="unassigned" data-count="{api["unassigned_open"]}"' in html
        assert api["sla_breaches"] == 0 and 'id="sla" data-breaches="0"' in html
        assert "<svg" in html
    assert c.get("/api/v1/inbox/performance", params={"days": 7}).json()["conversations"] == 2
    with world.engine.begin() as conn:  # a breach as the SLA checker records it, twice for one ticket
        for kind in ("first_response", "resolution"):
            conn.execute(insert(ConversationEvent).values(
                conversation_id=chats["lena"], at=world.runtime.runner.clock.now(), kind="sla.breached",
                actor="system", body={"target": kind}))
    assert c.get("/api/v1/inbox/performance", params={"days": 7}).json()["sla_breaches"] == 1
    bad = c.get("/inbox/performance", params={"period": "year"})
    assert bad.status_code == 400 and "Unknown period “year”" in bad.text

    de, _ = browser(world, Role.ANALYST, lang="de")
    html = de.get("/inbox/performance").text
    assert "Team-Leistung" in html and "Antworten je Kanal" in html and "Erste Antwort" in html
    assert english_left(html) == []


def test_a_rule_is_put_together_from_fields_and_tried_or_saved(world: World, chats: dict[str, int]) -> None:
    c, csrf = browser(world, LEAD)
    assert 'id="quick"' in c.get("/inbox/rules/new").text
    typed = "# my draft, not finished\nwhen: {"
    fields = {
        "name": "quick",
        "text": typed,
        "q-public": "false",
        "q-query": "akku OR lieferung",
        "q-insult": "150 %",
        "q-tag": "chat",
        "q-priority": "high",
        "q-ticket": "true",
    }
    refused = post(c, csrf, "/inbox/rules", {**fields, "action": "quick-save"})
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert (
        "inbox.rules[name=quick].when.insult_score_at_least: Input should be less than or equal to 1" in html
    )
    assert textarea(refused.text) == typed  # the text area's draft is not touched by the fields
    assert 'name="q-insult" value="150 %"' in refused.text
    assert 'name="q-ticket" value="true" checked' in refused.text
    assert '<option value="high" selected>' in refused.text and '<details id="quick" open>' in refused.text

    fields["q-insult"] = ""
    tried = post(c, csrf, "/inbox/rules", {**fields, "action": "quick-try"})
    assert tried.status_code == 200
    assert re.search(r'id="trial-summary" data-tried="2" data-matched="2"', tried.text)
    assert "Would have: tag “chat”; set the priority to high; open a ticket" in text_of(tried.text)

    saved_as(post(c, csrf, "/inbox/rules", {**fields, "action": "quick-save"}))
    assert stored_rules(world)[-1] == {
        "name": "quick",
        "enabled": True,
        "when": {"public": False, "query": "akku OR lieferung"},
        "then": [{"tag": "chat"}, {"priority": "high"}, {"ticket": True}],
        "stop": False,
    }

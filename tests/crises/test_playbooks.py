"""Crisis types and playbooks: the type suggested from the posts, its severity bounds, the checklist
becoming tasks when a person confirms it, and every action on the crisis timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crisisdesk.accounts.roles import Role
from crisisdesk.cli.main import app
from crisisdesk.core.errors import ConfigError
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.playbook import bound, people_of, spokesperson_emails, suggest, type_of
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.channels.test_outbox_flow import token
from tests.crises.test_crises_api import stream
from tests.factories import write_jsonl

NOW = datetime(2026, 11, 3, tzinfo=UTC)


def posts(text: str, n: int, kinds: tuple[str, ...] = ()) -> list[tuple[str, list[str]]]:
    return [(text, list(kinds))] * n


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (posts("Mein Akku hat angefangen zu brennen, Feuerwehr war da", 5), "safety_incident"),
        (posts("the scooter battery caught fire", 3) + posts("nice ride", 40), "safety_incident"),
        (posts("Rechnung doppelt abgebucht", 8, ("billing_price",)), "single_complaint"),
        (posts("Datenleck bei euch? Meine Adresse ist im Netz", 6), "data_incident"),
        (posts("App ist down, Störung seit heute früh", 10, ("outage",)), "service_outage"),
        (posts("Das ist rassistisch, ihr diskriminiert Kunden", 4), "discrimination"),
        (posts("That claim is a hoax, fake news", 5), "misinformation"),
        # the danger decides: 10 posts about a fire outweigh 25 about a broken product
        (
            posts("display kaputt, defekt", 25, ("product_defect",))
            + posts("it caught fire", 10, ("safety",)),
            "safety_incident",
        ),
        (
            posts("display kaputt, defekt", 25, ("product_defect",))
            + posts("it caught fire", 1, ("safety",)),
            "product_defect",
        ),
        (posts("nice weather today", 30), None),
        (posts("one fire", 1) + posts("nice weather", 10), None),  # one post is no pattern
    ],
)
def test_the_type_is_suggested_from_the_posts(
    given: list[tuple[str, list[str]]], expected: str | None
) -> None:
    found = suggest(DEFAULT_TYPES, given)
    assert (found.type if found else None) == expected
    if found is not None:
        assert found.posts >= 2 and f"{found.posts} of {len(given)} posts" in found.reason["en"]
        assert f"{found.posts} von {len(given)} Beiträgen" in found.reason["de"]


def test_a_term_ending_in_a_star_matches_endings_and_words_match_whole() -> None:
    assert suggest(DEFAULT_TYPES, posts("Rückrufaktion für das Modell X, defekte Bremsen", 3))  # rückruf*
    assert suggest(DEFAULT_TYPES, posts("the fireworks were nice and bonfire too", 5)) is None  # "fire" whole
    burning = suggest(DEFAULT_TYPES, posts("my charger is burning", 3))  # burn*
    assert burning is not None and burning.type == "safety_incident"
    found = suggest(DEFAULT_TYPES, posts("brandneu und super", 5))  # "brand" is a whole word only
    assert found is None


def test_the_types_bounds_raise_always_and_cap_only_when_confirmed() -> None:
    safety = type_of(DEFAULT_TYPES, "safety_incident")
    single = type_of(DEFAULT_TYPES, "single_complaint")
    assert safety is not None and single is not None
    level, why = bound(safety, 1, confirmed=False)
    assert level == 3 and why is not None and "at least level 3" in why["en"] and "mindestens" in why["de"]
    assert bound(safety, 4, confirmed=True) == (4, None)
    assert bound(single, 3, confirmed=False) == (3, None)  # a suggestion never lowers the danger
    level, why = bound(single, 3, confirmed=True)
    assert level == 2 and why is not None and "at most level 2" in why["en"]


def test_every_default_type_speaks_both_languages_and_has_a_holding_statement() -> None:
    assert len(DEFAULT_TYPES) == 9 and len({t.key for t in DEFAULT_TYPES}) == 9
    for ct in DEFAULT_TYPES:
        assert (ct.name.de and ct.name.en and ct.name.de != ct.name.en) or ct.key == "single_complaint"
        assert (
            ct.holding_statement is not None and "{time}" in ct.holding_statement.de + ct.holding_statement.en
        )
        assert ct.checklist and all(c.title.de != c.title.en for c in ct.checklist)
        assert ct.tasks_at(4) == ct.checklist


def test_spokespersons_resolve_to_accounts_through_roles_and_people() -> None:
    ct = type_of(DEFAULT_TYPES, "product_defect")
    assert ct is not None
    roles = {"spokesperson": ["anna", "ben"]}
    assert people_of(["role:spokesperson", "person:anna", "person:cem"], roles=roles) == [
        "anna",
        "ben",
        "cem",
    ]
    emails = {"anna": "Anna@Example.org", "ben": None}
    assert spokesperson_emails(ct, roles=roles, emails=emails) == frozenset({"anna@example.org"})
    assert spokesperson_emails(ct, roles={}, emails=emails) is None  # nobody: approvers decide


def test_a_bad_crisis_type_is_refused_with_its_place() -> None:
    bad = """
crisis_types:
  - key: recall
    name: {de: Rückruf, en: Recall}
    spokespersons: [person:nobody]
    templates: [missing]
    recognise: {complaint_types: [no_such_type], terms: ["a(b"]}
"""
    with pytest.raises(ConfigError) as exc:
        parse_config(bad, path="w.yaml")
    assert "crisis_types[0].recognise.terms" in str(exc.value)
    refs = bad.replace('"a(b"', "recall*")
    with pytest.raises(ConfigError) as exc:
        parse_config(refs, path="w.yaml")
    text = str(exc.value)
    assert "crisis_types[0].spokespersons[0]: unknown person 'nobody'" in text
    assert "crisis_types[0].templates[0]: no saved reply 'missing'" in text
    assert "crisis_types[0].recognise.complaint_types[0]: unknown complaint type 'no_such_type'" in text
    with pytest.raises(ConfigError, match="min_severity 4 is above max_severity 2"):
        parse_config(
            "crisis_types: [{key: a, name: {de: A, en: A}, min_severity: 4, max_severity: 2}]", path="w.yaml"
        )
    own = parse_config("crisis_types: [{key: recall, name: {de: Rückruf, en: Recall}}]", path="w.yaml")
    assert [t.key for t in own.crisis_types] == ["recall"]  # a list of its own replaces the defaults


def test_a_crisis_gets_its_type_tasks_and_timeline(workspace_file: Path, tmp_path: Path) -> None:
    workspace_file.write_text(
        "monitors:\n  - name: voltaro\n    query: voltaro\n  - name: scooter\n    query: scooter\n"
        "notify:\n  targets:\n    log:\n      kind: webhook\n      url: http://127.0.0.1:9/hook\n"
        "      secret: s3cret-s3cret-s3cret\n"
        "people:\n  anna:\n    name: Anna Berg\n    targets: [log]\n    email: spokesperson@example.org\n"
        "roles:\n  spokesperson: [anna]\n",
        encoding="utf-8",
    )
    src = write_jsonl(tmp_path / "stream.jsonl", stream())
    result = CliRunner().invoke(app, ["replay", str(src), "--config", str(workspace_file), "--speed", "max"])
    assert result.exit_code == 0, result.output
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings())
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        viewer, lead, agent = (token(client, r) for r in (Role.ANALYST, Role.CRISIS_LEAD, Role.AGENT))
        [listed] = client.get("/api/v1/crises", headers=viewer).json()
        cid = listed["id"]
        one = client.get(f"/api/v1/crises/{cid}", headers=viewer).json()
        # fire reports: the type is suggested, and a safety incident is at least level 3
        assert one["type"] == "safety_incident" and one["type_confirmed_by"] is None
        assert one["type_name"] == {"de": "Sicherheitsvorfall", "en": "Safety incident"}
        assert "posts fit “Safety incident”" in one["type_reason"]["en"]
        assert one["severity"] >= 3
        assert one["playbook"]["spokespersons"] == [{"ref": "role:spokesperson", "people": ["Anna Berg"]}]
        assert "{time}" in one["playbook"]["holding_statement"]["de"]
        assert one["tasks"] == [] and one["actions"] == []

        assert (
            client.post(
                f"/api/v1/crises/{cid}/type", json={"type": "product_defect"}, headers=agent
            ).status_code
            == 403
        )
        bad = client.post(f"/api/v1/crises/{cid}/type", json={"type": "nope"}, headers=lead)
        assert bad.status_code == 422 and "safety_incident" in bad.json()["detail"]
        assert (
            client.post(
                "/api/v1/crises/999999/type", json={"type": "product_defect"}, headers=lead
            ).status_code
            == 404
        )
        confirmed = client.post(f"/api/v1/crises/{cid}/type", json={"type": "product_defect"}, headers=lead)
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["events"][0]["type"] == "product_defect"
        one = client.get(f"/api/v1/crises/{cid}", headers=viewer).json()
        assert one["type"] == "product_defect" and one["type_confirmed_by"] == "crisis_lead@example.org"
        checklist = type_of(DEFAULT_TYPES, "product_defect")
        assert checklist is not None
        assert [t["key"] for t in one["tasks"]] == sorted(
            (c.key for c in checklist.tasks_at(one["severity"])),
            key=lambda k: next(c.due_minutes for c in checklist.checklist if c.key == k),
        )
        assert {a["kind"] for a in one["actions"]} == {"type.confirmed", "tasks.added"}

        task = one["tasks"][0]
        assert (
            client.post(
                f"/api/v1/crises/{cid}/tasks/{task['id']}", json={"done": True}, headers=viewer
            ).status_code
            == 403
        )
        assert (
            client.post(f"/api/v1/crises/{cid}/tasks/987654", json={"done": True}, headers=agent).status_code
            == 404
        )
        done = client.post(f"/api/v1/crises/{cid}/tasks/{task['id']}", json={"done": True}, headers=agent)
        assert (
            done.status_code == 200 and done.json()["done"] and done.json()["done_by"] == "agent@example.org"
        )
        one = client.get(f"/api/v1/crises/{cid}", headers=viewer).json()
        assert one["tasks"][0]["done_at"] and not one["tasks"][0]["overdue"]
        assert [a["kind"] for a in one["actions"]][-1] == "task.done"

        web = TestClient(client.app, base_url="http://localhost")
        signed_in = web.post(
            "/login",
            data={"email": "crisis_lead@example.org", "password": "a long enough password", "next": "/"},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        for lang, words in (
            (
                "en",
                (
                    "Product defect",
                    "confirmed by",
                    "Holding statement",
                    "Anna Berg",
                    "done by agent@example.org",
                    "confirmed the crisis type",
                ),
            ),
            (
                "de",
                (
                    "Produktmangel",
                    "bestätigt von",
                    "Holding Statement",
                    "Anna Berg",
                    "erledigt von agent@example.org",
                    "bestätigt den Krisentyp",
                ),
            ),
        ):
            page = web.get(f"/crises/{cid}", headers={"Accept-Language": lang})
            assert page.status_code == 200
            for w in words:
                assert w in page.text, (lang, w)
        match = re.search(r'name="csrf-token" content="([^"]+)"', web.get("/").text)
        assert match is not None
        csrf = match.group(1)
        back = web.post(
            f"/crises/{cid}/type",
            data={"type": "safety_incident", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert back.status_code == 303, back.text
        one = client.get(f"/api/v1/crises/{cid}", headers=viewer).json()
        assert one["type"] == "safety_incident" and one["severity"] >= 3
        assert {"legal_review", "statement"} <= {t["key"] for t in one["tasks"]}  # safety's own checklist
    runtime.close()

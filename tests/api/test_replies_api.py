"""``POST /api/v1/replies/check`` on SQLite: the checker's findings with spans into the text sent,
the language detected when not given, for people who may reply (not analysts, not the ingest
token), and a strict body."""

from __future__ import annotations

import pytest

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import SERVICE_TOKEN, World

URL = "/api/v1/replies/check"


def test_findings_come_with_their_span_message_and_suggestion(world: World) -> None:
    text = "Hallo, das liegt am Paketdienst. Wir werden das prüfen."
    r = world.client.post(
        URL, json={"text": text, "lang": "de", "name": "Anna Berger"}, headers=world.bearer(Role.AGENT)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "de"
    found = {f["code"]: text[f["start"] : f["end"]] for f in body["findings"]}
    assert found["blame"] == "liegt am Paketdienst"
    assert found["no_timeline"] == "Wir werden das prüfen"
    assert found["no_name"] == "Hallo"
    assert {"no_apology", "no_empathy"} <= set(found)
    assert all(f["suggestion"] and f["message"] for f in body["findings"])
    assert [f["start"] for f in body["findings"]] == sorted(f["start"] for f in body["findings"])


def test_the_language_is_detected_and_a_good_reply_is_clean(world: World) -> None:
    text = (
        "Hi Anna, we're so sorry your order is late. Please DM us your order number and we'll refund you "
        "within 2 business days."
    )
    r = world.client.post(URL, json={"text": text, "name": "@anna"}, headers=world.bearer(Role.SPOKESPERSON))
    assert r.status_code == 200, r.text
    assert r.json() == {"lang": "en", "findings": []}


def test_apology_expected_false_asks_for_no_apology(world: World) -> None:
    body = {"text": "Danke für das Lob!", "lang": "de", "apology_expected": False}
    r = world.client.post(URL, json=body, headers=world.bearer(Role.AGENT))
    assert r.status_code == 200 and r.json()["findings"] == []


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 401),
        ({"Authorization": f"Bearer {SERVICE_TOKEN}"}, 403),
        ("analyst", 403),
    ],
)
def test_only_people_who_reply_may_check(world: World, headers: dict[str, str] | str, code: int) -> None:
    sent = world.bearer(Role.ANALYST) if isinstance(headers, str) else headers
    r = world.client.post(URL, json={"text": "Sorry!"}, headers=sent)
    assert r.status_code == code, r.text
    assert str(code) in world.client.get("/openapi.json").json()["paths"][URL]["post"]["responses"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "Sorry", "lang": "fr"},
        {"text": "Sorry", "extra": 1},
        {"lang": "de"},
        {"text": "x" * 10_001},
        {"text": "Sorry", "apology_expected": 0},
    ],
)
def test_bodies_that_do_not_match_are_422(world: World, body: dict[str, object]) -> None:
    r = world.client.post(URL, json=body, headers=world.bearer(Role.AGENT))
    assert r.status_code == 422, r.text

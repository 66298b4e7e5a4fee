"""The situation page shows the escalation step by step and every delivery with its outcome, in
the reader's language, and says so when there is neither."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert

from crisisdesk.accounts.roles import Role
from crisisdesk.escalation.models import Escalation
from crisisdesk.notify.models import Delivery
from tests.accounts.fixtures import PASSWORD, T0, World, email_of

CHAIN = {"policy_severity": 2, "repeat": 0, "steps": [
    {"wait_minutes": 10, "groups": [{"recipient": "role:crisis_lead", "people": []}]},
    {"wait_minutes": 15, "groups": [{"recipient": "target:room", "people": [], "targets": ["room"]}]},
]}


def signed_in(world: World, lang: str) -> TestClient:
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    c.post("/login", data={"email": email_of(Role.ANALYST), "password": PASSWORD})
    return c


def test_empty_escalation_and_notifications_say_so(world: World) -> None:
    page = signed_in(world, "en").get(f"/situations/{world.situation_id}").text
    assert "No escalation: no policy applies at this severity." in page
    assert "No notification sent yet." in page


def test_steps_and_deliveries_with_their_state(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(insert(Escalation).values(
            situation_id=world.situation_id, severity=2, status="active", chain=json.dumps(CHAIN),
            next_step=1, next_at=T0 + timedelta(minutes=10), started_at=T0, updated_at=T0))
        for i, (status, error) in enumerate([("sent", None), ("failed", "HTTP 404 from the hook")]):
            conn.execute(insert(Delivery).values(
                key=f"k{i}", situation_id=world.situation_id, target_name=f"target-{i}", kind="webhook",
                payload={}, status=status, attempts=i + 1, next_attempt_at=T0, last_error=error,
                created_at=T0, sent_at=T0 if status == "sent" else None))
    page = signed_in(world, "en").get(f"/situations/{world.situation_id}").text
    escalation = page.split('id="escalation"')[1].split('id="notifications"')[0]
    assert "running" in escalation
    assert "Step 1</strong>\n        · done" in escalation
    assert "Step 2</strong>\n        · next" in escalation and "target:room" in escalation
    assert "then wait 10 min" in escalation
    notifications = page.split('id="notifications"')[1]
    assert "delivered" in notifications and "failed" in notifications
    assert "HTTP 404 from the hook" in notifications

    german = signed_in(world, "de").get(f"/situations/{world.situation_id}").text
    assert "Schritt 2</strong>\n        · als Nächstes" in german and "zugestellt" in german
    assert "läuft" in german


def test_the_severity_choice_names_the_playbook_levels(world: World) -> None:
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": "de"})
    c.post("/login", data={"email": email_of(Role.CRISIS_LEAD), "password": PASSWORD})
    page = c.get(f"/situations/{world.situation_id}").text
    options = page.split('name="severity"')[1].split("</select>")[0]
    from crisisdesk.detection.config import PlaybookConfig

    names = [PlaybookConfig().name(lv, "de") for lv in (1, 2, 3, 4)]
    assert options.count("<option") == 4 and f'value="2" selected>2 · {names[1]}' in options
    assert all(name in options for name in names)


def test_summary_and_reasons_speak_the_readers_language(world: World) -> None:
    from sqlalchemy import update

    from crisisdesk.detection.models import Situation

    explanation = {
        "summary": "bahn: 90 posts in the last hour", "reasons": ["level 3 (crisis): volume_ratio 6 ≥ 5"],
        "summaries": {"de": "bahn: 90 Beiträge in der letzten Stunde",
                      "en": "bahn: 90 posts in the last hour"},
        "reason_detail": {"severity": 3, "level": 2,
                          "notes": [{"kind": "influencer", "count": 3}],
                          "signals": [["volume_ratio", 3.5, 3], ["negative_share", 0.52, 0.4]]},
    }
    with world.engine.begin() as conn:
        conn.execute(update(Situation).where(Situation.id == world.situation_id)
                     .values(severity=3, explanation=json.dumps(explanation)))
    german = signed_in(world, "de").get(f"/situations/{world.situation_id}").text
    assert "bahn: 90 Beiträge in der letzten Stunde" in german
    assert "Stufe 2" in german and "Anteil negativ 52" in german and "Vielfaches des Üblichen 3,5" in german
    assert "die Stufe bleibt 3" in german  # the severity kept above what the signals meet now
    assert "3 negative Beiträge einflussreicher Accounts" in german  # the detector's note, too
    english = signed_in(world, "en").get(f"/situations/{world.situation_id}").text
    assert "bahn: 90 posts in the last hour" in english and "negative share 52%" in english
    assert "the severity stays at 3" in english
    listed = signed_in(world, "de").get("/situations").text
    assert "bahn: 90 Beiträge in der letzten Stunde" in listed

"""Crises end to end: `crisisdesk replay --events-out` writes the crisis lifecycle beside the
situation events, and the API lists the crisis and shows its situations with why each joined."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crisisdesk.accounts.roles import Role
from crisisdesk.cli.main import app
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.test_outbox_flow import token
from tests.factories import post, write_jsonl

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def stream() -> list[dict[str, object]]:
    """Two calm days on a brand and a product, then an hour of fire reports naming both."""
    rng = random.Random(3)
    rows = []
    t, n = T0, 0
    onset = T0 + timedelta(days=2, hours=14)
    while t < onset:
        t += timedelta(minutes=rng.expovariate(20 / 60))
        n += 1
        rows.append(
            post(
                n,
                created_at=t.isoformat(),
                lang="en",
                text=rng.choice(["voltaro app update", "scooter ride today", "voltaro scooter nice"]),
            )
        )
    for i in range(400):
        n += 1
        at = onset + timedelta(seconds=i * 9)
        rows.append(
            post(
                n,
                created_at=at.isoformat(),
                lang="en",
                text=f"voltaro scooter battery caught fire, smoke everywhere #{i % 5}",
            )
        )
    end = onset + timedelta(hours=5)
    t = onset + timedelta(hours=1)
    while t < end:
        t += timedelta(minutes=rng.expovariate(20 / 60))
        n += 1
        rows.append(post(n, created_at=t.isoformat(), lang="en", text="voltaro scooter ride"))
    return rows


def test_replay_writes_the_crisis_lifecycle_and_the_api_shows_it(
    workspace_file: Path, tmp_path: Path
) -> None:
    workspace_file.write_text(
        "monitors:\n  - name: voltaro\n    query: voltaro\n  - name: scooter\n    query: scooter\n",
        encoding="utf-8",
    )
    src = write_jsonl(tmp_path / "stream.jsonl", stream())
    events_file = tmp_path / "events.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "replay",
            str(src),
            "--config",
            str(workspace_file),
            "--speed",
            "max",
            "--events-out",
            str(events_file),
        ],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    situations = {e["situation"] for e in events if e["event"].startswith("alert.")}
    crisis_events = [e for e in events if e["event"].startswith("crisis.")]
    assert situations and crisis_events, [(e["event"], e.get("severity"), e.get("monitor")) for e in events]
    assert [e["event"] for e in crisis_events].count("crisis.opened") == 1
    last = crisis_events[-1]
    assert last["event"] == "crisis.resolved"
    assert set(last["situations"]) == situations and sorted(last["monitors"]) == ["scooter", "voltaro"]
    assert 1 <= last["severity"] <= 4 and set(last) >= {"crisis", "type", "at", "situations", "monitors"}

    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings())
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        viewer = token(client, Role.ANALYST)
        listed = client.get("/api/v1/crises", headers=viewer)
        assert listed.status_code == 200, listed.text
        [crisis] = listed.json()
        assert crisis["id"] == last["crisis"] and set(crisis["situations"]) == situations
        one = client.get(f"/api/v1/crises/{crisis['id']}", headers=viewer).json()
        whys = [s["why"] for s in one["situations"]]
        assert whys[0].startswith("opened: first situation of severity")
        assert all(w for w in whys[1:]) and any("crisis #" in w for w in whys[1:])
        assert one["timeline"] and {t["situation"] for t in one["timeline"]} == situations
        assert client.get("/api/v1/crises/999999", headers=viewer).status_code == 404
        assert client.get("/api/v1/crises?status=open", headers=viewer).json() == []
        assert client.get("/api/v1/crises").status_code == 401

        # Corrected by hand: split a situation out, move it back, split again and merge.
        lead = token(client, Role.CRISIS_LEAD)
        moved = sorted(situations)[-1]
        assert client.post("/api/v1/crises", json={"situation_id": moved}, headers=viewer).status_code == 403
        split = client.post("/api/v1/crises", json={"situation_id": moved}, headers=lead)
        assert split.status_code == 201, split.text
        new_id = split.json()["events"][0]["crisis"]
        assert new_id != crisis["id"] and split.json()["events"][0]["situations"] == [moved]
        assert moved not in split.json()["events"][1]["situations"]  # gone from the first crisis
        same = client.post(f"/api/v1/crises/{new_id}/situations", json={"situation_id": moved}, headers=lead)
        assert same.status_code == 409
        back = client.post(
            f"/api/v1/crises/{crisis['id']}/situations", json={"situation_id": moved}, headers=lead
        )
        assert back.status_code == 200 and moved in back.json()["events"][0]["situations"]
        reasons = {
            s["id"]: s["why"]
            for s in client.get(f"/api/v1/crises/{crisis['id']}", headers=viewer).json()["situations"]
        }
        assert reasons[moved] == "moved here by crisis_lead@example.org"
        again = client.post("/api/v1/crises", json={"situation_id": moved}, headers=lead).json()
        other = again["events"][0]["crisis"]
        merged = client.post(f"/api/v1/crises/{other}/merge", json={"into": crisis["id"]}, headers=lead)
        assert merged.status_code == 200 and merged.json()["events"][1]["merged_into"] == crisis["id"]
        assert set(client.get(f"/api/v1/crises/{crisis['id']}", headers=viewer).json()["situations"][0]) >= {
            "why"
        }
        assert (
            client.post(f"/api/v1/crises/{other}/merge", json={"into": other}, headers=lead).status_code
            == 409
        )
        assert (
            client.post("/api/v1/crises/424242/merge", json={"into": other}, headers=lead).status_code == 404
        )
        assert client.post("/api/v1/crises", json={"situation_id": 424242}, headers=lead).status_code == 404
        audit = client.get("/api/v1/audit?action=crisis.changed", headers=token(client, Role.ADMIN))
        assert audit.status_code == 200 and len(audit.json()["entries"]) == 4, audit.text

        # The same in the browser: the overview leads with the crisis (resolved: listed on /crises).
        web = TestClient(client.app, base_url="http://localhost")  # a browser: cookies on localhost
        signed_in = web.post(
            "/login",
            data={"email": "analyst@example.org", "password": "a long enough password", "next": "/"},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        for lang, opened, joined, title in (
            (
                "en",
                "opened: first situation of severity",
                ("% of its posts are also in crisis #", "same monitor as crisis #"),
                "Crisis #",
            ),
            (
                "de",
                "eröffnet: erste Lage der Stufe",
                ("seiner Beiträge gehören auch zu Krise #", "gleicher Monitor wie Krise #"),
                "Krise #",
            ),
        ):
            headers = {"Accept-Language": lang}
            listing = web.get("/crises", headers=headers)
            assert listing.status_code == 200 and f'data-crisis="{crisis["id"]}"' in listing.text
            page = web.get(f"/crises/{crisis['id']}", headers=headers).text
            assert f"{title}{crisis['id']}" in page
            assert page.count('class="why"') == len(situations)
            assert opened in page and any(j in page for j in joined)
            assert 'id="severity-reasons"' in page
            assert ("The loudest of its situations" if lang == "en" else "Die lauteste ihrer Lagen") in page
            assert web.get("/crises/999999", headers=headers).status_code == 404
    runtime.close()

"""One page for one event: the escalation runs per crisis. A replay with two monitors watching one
event (and an escalation policy at every level) starts an escalation for the crisis's first
situation only; the others say which crisis covers them; acknowledging one stops them all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.crises.models import CrisisSituation
from crisisdesk.db import make_engine
from crisisdesk.escalation.actions import acknowledge
from crisisdesk.escalation.models import Escalation
from tests.crises.test_crises_api import stream
from tests.factories import write_jsonl
from tests.fakes.http_sink import HttpSink

SECRET = "webhook-secret-0123456789"


def test_one_escalation_per_crisis_and_one_acknowledgement_stops_it(
    tmp_path: Path, database_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    with HttpSink() as sink:
        ws = tmp_path / "crisisdesk.yaml"
        ws.write_text(
            f"""
monitors:
  - {{name: voltaro, query: voltaro}}
  - {{name: scooter, query: scooter}}
notify:
  targets:
    hook: {{kind: webhook, url: "{sink.url}/hook", secret: {SECRET}}}
people:
  lena: {{name: Lena, targets: [hook]}}
roles:
  crisis_lead: [lena]
escalation:
  base_url: http://crisis.example.org
  policies:
    - severity: 1
      steps:
        - {{notify: ["role:crisis_lead"], wait_minutes: 600}}
""",
            encoding="utf-8",
        )
        # Cut before the wave ends: the crisis is still open.
        rows = [r for r in stream() if str(r["created_at"]) < "2026-11-03T14:30"]
        events_path = tmp_path / "events.jsonl"
        result = CliRunner().invoke(
            app,
            [
                "replay",
                str(write_jsonl(tmp_path / "s.jsonl", rows)),
                "--config",
                str(ws),
                "--speed",
                "max",
                "--events-out",
                str(events_path),
            ],
        )
        assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    opened = [e for e in events if e["event"] == "alert.opened"]
    assert len(opened) >= 2
    covered = [e for e in opened if "covered_by_crisis" in e]
    assert covered and all("notified" not in e for e in covered)
    engine = make_engine(database_url)
    with Session(engine) as session:
        links = {x.situation_id: x.crisis_id for x in session.scalars(select(CrisisSituation))}
        assert len(set(links.values())) == 1
        escalations = session.scalars(select(Escalation)).all()
        # One escalation runs for the event; a more severe situation took it over (superseded).
        assert [e.situation_id for e in escalations if e.status == "active"] == [escalations[-1].situation_id]
        assert {e.status for e in escalations[:-1]} <= {"superseded"}
        assert len({e.situation_id for e in escalations}) < len(links)  # not one page per situation
        others = [sid for sid in links if sid != escalations[-1].situation_id]
    # Acknowledging a situation that had no escalation of its own stops the crisis's one.
    with engine.begin() as conn:
        from datetime import UTC, datetime

        body = acknowledge(conn, others[0], by="Lena", at=datetime(2026, 11, 3, 15, tzinfo=UTC), via="api")
        assert body is not None and body["escalations_stopped"] == 1
    with Session(engine) as session:
        statuses = [e.status for e in session.scalars(select(Escalation).order_by(Escalation.id))]
        assert statuses[-1] == "acknowledged" and "active" not in statuses
    engine.dispose()


def test_a_quiet_fire_report_pages_at_the_crisis_level(
    tmp_path: Path, database_url: str, monkeypatch: Any
) -> None:
    """Three fire reports are no volume to speak of (a *watch* at most), but people may be hurt: the
    crisis opens at once at level 3 and the escalation pages the level-3 policy, not level 1's."""
    import random
    from datetime import timedelta

    from tests.crises.test_crises_api import T0
    from tests.factories import post

    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    rng = random.Random(5)
    rows, t, n = [], T0, 0
    while t < T0 + timedelta(days=2):
        t += timedelta(minutes=rng.expovariate(6 / 60))
        n += 1
        rows.append(
            post(
                n,
                created_at=t.isoformat(),
                lang="en",
                text=rng.choice(["voltaro app update", "voltaro scooter nice ride", "new voltaro colours"]),
            )
        )
    for i, text in enumerate(
        [
            "my voltaro battery caught fire last night, fire brigade came",
            "voltaro scooter caught fire in the hallway, kids in hospital for smoke",
            "voltaro battery burst into flames while charging",
        ]
    ):
        n += 1
        rows.append(post(n, created_at=(t + timedelta(minutes=3 * i)).isoformat(), lang="en", text=text))
    with HttpSink() as sink:
        ws = tmp_path / "crisisdesk.yaml"
        ws.write_text(
            f"""
monitors:
  - {{name: voltaro, query: voltaro}}
notify:
  targets:
    hook: {{kind: webhook, url: "{sink.url}/hook", secret: {SECRET}}}
people:
  lena: {{name: Lena, targets: [hook]}}
  max: {{name: Max, targets: [hook]}}
roles:
  social_media_team: [lena]
  crisis_lead: [max]
escalation:
  policies:
    - severity: 1
      steps: [{{notify: ["role:social_media_team"], wait_minutes: 600}}]
    - severity: 3
      steps: [{{notify: ["role:crisis_lead"], wait_minutes: 600}}]
""",
            encoding="utf-8",
        )
        events_path = tmp_path / "events.jsonl"
        result = CliRunner().invoke(
            app,
            [
                "replay",
                str(write_jsonl(tmp_path / "s.jsonl", rows)),
                "--config",
                str(ws),
                "--speed",
                "max",
                "--events-out",
                str(events_path),
            ],
        )
        assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    opened = [e for e in events if e["event"] == "alert.opened"]
    crises = [e for e in events if e["event"] == "crisis.opened"]
    assert opened and crises, [(e["event"], e.get("severity")) for e in events]
    assert all(e["severity"] < 3 for e in opened)  # the situations alone are quiet
    assert crises[0]["severity"] >= 3 and crises[0]["type"] == "safety_incident"
    paged = [e for e in events if e.get("escalation_severity")]
    assert paged and paged[0]["escalation_severity"] >= 3
    engine = make_engine(database_url)
    with Session(engine) as session:
        first = session.scalars(select(Escalation).order_by(Escalation.id)).first()
        assert first is not None and first.severity >= 3
        chain = json.loads(first.chain)
        policy = [g["recipient"] for step in chain["steps"] for g in step["groups"] if not g.get("playbook")]
        assert policy == ["role:crisis_lead"]  # the level-3 policy, not level 1's
        # … and the safety incident's "whom to involve" (its social media team) with the first page
        involved = [g["recipient"] for g in chain["steps"][0]["groups"] if g.get("playbook")]
        assert involved == ["role:social_media_team"]
    engine.dispose()

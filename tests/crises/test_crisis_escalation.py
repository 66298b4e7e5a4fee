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

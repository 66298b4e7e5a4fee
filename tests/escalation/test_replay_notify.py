"""The whole arc through the CLI: replay a stream, a situation opens, escalates over real SMTP
and a signed webhook, is acknowledged through the signed link, and resolves."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.accounts.actions import create_token, create_user
from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor
from crisisdesk.cli.main import app
from crisisdesk.core.clock import StreamClock
from crisisdesk.notify.webhook import verify
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import load_settings
from crisisdesk.workspace import load_workspace
from tests.factories import write_jsonl
from tests.fakes.http_sink import HttpSink
from tests.fakes.smtp import SmtpServer

runner = CliRunner()
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
ONSET = T0 + timedelta(days=2, hours=9)
SECRET = "webhook-secret-0123456789"


def stream(tmp_path: Path) -> Path:
    rng = random.Random(3)
    rows: list[dict[str, Any]] = []
    t = T0
    while t < ONSET + timedelta(hours=5):
        t += timedelta(minutes=rng.expovariate(1 / 6))
        rows.append({"platform": "x", "id": f"c{len(rows)}", "created_at": t.isoformat(), "lang": "en",
                     "text": f"Voltaro scooter {rng.choice(['ride', 'commute', 'park'])} today",
                     "author": {"id": f"a{rng.randrange(3000)}", "followers": 50}})
    for i in range(300):
        at = ONSET + timedelta(seconds=i * 8)
        rows.append({"platform": ("x", "facebook", "instagram")[i % 3], "id": f"w{i}",
                     "created_at": at.isoformat(), "lang": "en",
                     "text": "Voltaro battery caught fire, this is dangerous and terrible, awful scooter",
                     "author": {"id": f"w{i}", "followers": 3000}})
    return write_jsonl(tmp_path / "stream.jsonl", rows)


def workspace(tmp_path: Path, database_url: str, sink: HttpSink, smtp: SmtpServer) -> Path:
    path = tmp_path / "ws" / "crisisdesk.yaml"
    path.parent.mkdir()
    path.write_text(f"""
monitors:
  - {{name: voltaro, query: voltaro}}
detection:
  high_risk_terms: []
notify:
  smtp: {{host: 127.0.0.1, port: {smtp.port}, starttls: false, from: alerts@example.org}}
  targets:
    lead-mail: {{kind: email, to: [lead@example.org]}}
    legal-hook: {{kind: webhook, url: "{sink.url}/hook", secret: {SECRET}}}
people:
  lena: {{name: Lena, targets: [lead-mail]}}
  lars: {{name: Lars, targets: [legal-hook]}}
roles:
  crisis_lead: [lena]
  legal: [lars]
escalation:
  base_url: http://crisis.example.org
  policies:
    - severity: 1
      steps:
        - {{notify: ["role:crisis_lead"], wait_minutes: 10}}
        - {{notify: ["role:legal"], wait_minutes: 10}}
""", encoding="utf-8")
    return path


def test_replay_notifies_escalates_and_the_link_acknowledges(tmp_path: Path, database_url: str,
                                                             monkeypatch: Any) -> None:
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("CRISISDESK_SECRET_KEY", "link-secret")
    with HttpSink() as sink, SmtpServer() as smtp:
        ws = workspace(tmp_path, database_url, sink, smtp)
        events_path = tmp_path / "events.jsonl"
        result = runner.invoke(app, ["replay", str(stream(tmp_path)), "--config", str(ws), "--speed", "max",
                                     "--events-out", str(events_path), "--notify"])
        assert result.exit_code == 0, result.output
        events = [json.loads(line) for line in events_path.read_text().splitlines()]
        kinds = [e["event"] for e in events if e.get("cause") == "spike"]
        assert kinds[0] == "alert.opened" and "alert.escalated" in kinds and kinds[-1] == "alert.resolved"
        opened = events[0]
        assert set(opened) >= {"event", "monitor", "severity", "at", "top_terms", "summary"}
        assert opened["monitor"] == "voltaro" and 1 <= opened["severity"] <= 4
        # the first step: the policy's crisis lead, and legal, whom the fire crisis's type (a safety
        # incident) involves at its level (crises.types.involved) before the policy's second step
        assert opened["notified"] == ["lena", "lars"] and opened["targets"] == ["lead-mail", "legal-hook"]
        assert opened.get("escalation_severity", opened["severity"]) >= 3
        assert ONSET <= datetime.fromisoformat(opened["at"]) <= ONSET + timedelta(minutes=15)
        assert {"battery", "fire"} & {w for term in opened["top_terms"] for w in term.split()}  # in phrases
        # Step 1 mailed the crisis lead over SMTP and legal by the signed webhook.
        assert smtp.received and smtp.received[0].rcpt_tos == ["lead@example.org"]
        mail = smtp.received[0].message
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None and "voltaro" in body.get_content().lower()
        hooks = sink.wait_for(1)
        while True:  # until the outbox has sent everything (nothing new for half a second)
            time.sleep(0.5)
            if len(sink.requests) == len(hooks):
                break
            hooks = list(sink.requests)
        # the newest page's link (an earlier escalation of the situation may have been superseded
        # by a raised severity, and its link no longer acknowledges); the notice of the end links
        # to the page only
        [hook] = [h for h in hooks if h.headers["x-crisisdesk-event"] != "situation.resolved"][-1:]
        assert verify(SECRET, body=hook.body, timestamp=hook.headers["x-crisisdesk-timestamp"],
                      signature=hook.headers["x-crisisdesk-signature"], now=time.time())
        ack_url = hook.json()["notification"]["ack_url"] if "notification" in hook.json() \
            else hook.json()["ack_url"]
        assert ack_url.startswith("http://crisis.example.org/ack/")

    # The signed link acknowledges (a GET only shows the page).
    settings = load_settings()
    later = StreamClock(ONSET + timedelta(hours=6))
    runtime = build_runtime(load_workspace(ws, settings), settings, clock=later)
    try:
        client = TestClient(create_app(runtime, api_token="tok"))
        with Session(runtime.engine) as session, session.begin():
            analyst = create_user(session, email="ana@example.org", name="Ana", role=Role.ANALYST,
                                  password="a long enough passphrase", actor=Actor.system(), clock=later)
            secret = create_token(session, analyst, "test", actor=Actor.system(), clock=later).secret
        auth = {"Authorization": f"Bearer {secret}"}
        path_and_query = ack_url.removeprefix("http://crisis.example.org")
        page = client.get(path_and_query, headers={"accept-language": "de-DE"})
        assert page.status_code == 200 and "Als Lars bestätigen" in page.text
        sid = int(path_and_query.split("/")[2].split("?")[0])
        assert client.get(f"/api/v1/situations/{sid}", headers=auth).json()["acknowledged_at"] is None
        token = path_and_query.split("?t=")[1]
        forged = client.post(f"/ack/{sid + 1}", data={"t": token, "by": "mallory"})
        assert forged.status_code == 403
        done = client.post(f"/ack/{sid}", data={"t": token, "by": "mallory"})
        assert done.status_code == 200
        detail = client.get(f"/api/v1/situations/{sid}", headers=auth).json()
        assert detail["acknowledged_by"] == "Lars"  # the person the link (legal's webhook) was sent to
        assert {d["target"] for d in detail["deliveries"] if d["status"] == "sent"} >= {"lead-mail",
                                                                                      "legal-hook"}
        timeline = [e["event"] for e in detail["timeline"]]
        assert timeline[0] == "alert.opened" and timeline[-1] == "alert.acknowledged"
        assert client.get("/api/v1/situations").status_code == 401
        # The service token feeds posts; reading situations takes a person's token.
        assert client.get("/api/v1/situations", headers={"Authorization": "Bearer tok"}).status_code == 403
        with Session(runtime.engine) as session:
            entry = session.scalars(select(AuditEntry)
                                    .where(AuditEntry.action == "situation.acknowledged")).one()
        assert entry.actor == "link:Lars" and entry.target_id == str(sid)
    finally:
        runtime.close()


def test_every_notification_that_left_is_in_the_audit_log(tmp_path: Path, database_url: str,
                                                          monkeypatch: Any) -> None:
    from sqlalchemy import create_engine, select

    from crisisdesk.audit.models import AuditEntry

    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    with HttpSink() as sink, SmtpServer() as smtp:
        ws = workspace(tmp_path, database_url, sink, smtp)
        result = runner.invoke(app, ["replay", str(stream(tmp_path)), "--config", str(ws), "--notify"])
        assert result.exit_code == 0, result.output
        delivered = len(smtp.received) + len(sink.requests)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            entries = conn.execute(select(AuditEntry.actor, AuditEntry.after)
                                   .where(AuditEntry.action == "notification.sent")).all()
    finally:
        engine.dispose()
    assert delivered >= 2 and len(entries) == delivered
    assert {e.after["target"] for e in entries} == {"lead-mail", "legal-hook"}
    assert {e.actor for e in entries} == {"system"} and {e.after["outcome"] for e in entries} == {"sent"}

"""The escalation engine as a state machine, on SQLite and PostgreSQL.

Situations are inserted directly and driven with the events detection publishes; what the
engine decides is read back from the outbox (``notify_deliveries``) and its events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.engine import Escalator
from crisisdesk.escalation.links import AckLink, check_token, read_token
from crisisdesk.escalation.models import Escalation
from crisisdesk.notify.models import Delivery
from crisisdesk.sources.service import sync_monitors
from crisisdesk.workspace import WorkspaceConfig, parse_config

# Monday 2026-11-02, 10:00 Berlin (09:00 UTC): everybody is at work.
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)

CONFIG = """
notify:
  smtp: {host: 127.0.0.1, port: 2525, starttls: false, from: alerts@example.org}
  targets:
    anna-mail: {kind: email, to: [anna@example.org]}
    lead-hook: {kind: webhook, url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef0123"}
    ben-tg: {kind: telegram, bot_token: "123:abc", chat_id: 42, api_base_url: "http://127.0.0.1:9"}
    carla-mail: {kind: email, to: [carla@example.org]}
    dora-mail: {kind: email, to: [dora@example.org]}
    room: {kind: slack, webhook_url: "http://127.0.0.1:9/slack"}
people:
  anna: {name: Anna, targets: [anna-mail, lead-hook]}
  ben: {name: Ben, targets: [ben-tg], lang: de}
  carla:
    name: Carla
    targets: [carla-mail]
    working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/Berlin}
  dora:
    name: Dora
    targets: [dora-mail]
    working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/Berlin}
roles:
  crisis_lead: [anna]
  legal: [carla, dora]
  management: [ben]
escalation:
  base_url: https://crisis.example.org
  policies:
    - severity: 1
      steps:
        - {notify: ["target:room"], wait_minutes: 30}
    - severity: 3
      repeat: 1
      steps:
        - {notify: ["role:crisis_lead"], wait_minutes: 10}
        - {notify: ["role:legal", "role:management"], wait_minutes: 15}
"""




@pytest.fixture
def config() -> WorkspaceConfig:
    return parse_config(CONFIG, path="test.yaml")


def escalator(config: WorkspaceConfig, *, deliver: bool = True) -> Escalator:
    return Escalator(config=config.escalation, people=config.people, roles=config.roles,
                     targets=config.notify.targets, secret="s3cret", deliver=deliver,
                     playbook=PlaybookConfig())


def situation(engine: Engine, at: datetime = T0, severity: int = 3) -> int:
    ids = sync_monitors(engine, [("brand", "brand")], now=at)
    explanation = {"summary": "brand: 300 posts", "top_terms": ["akku", "brand"], "reasons": ["why"],
                   "top_posts": [{"text": "it burns", "url": None, "author": "x", "followers": 10}],
                   "channels": {"x": {"share": 1.0}}}
    with engine.begin() as conn:
        return int(conn.execute(insert(Situation).values(
            monitor_id=ids["brand"], cause="spike", status="open", severity=severity, opened_at=at,
            updated_at=at, explanation=json.dumps(explanation)).returning(Situation.id)).scalar_one())


def event(kind: str, sid: int, severity: int, at: datetime) -> dict[str, Any]:
    return {"event": kind, "situation": sid, "severity": severity, "at": at.isoformat(),
            "summary": "s", "monitor": "brand"}


class Run:
    def __init__(self, engine: Engine, esc: Escalator) -> None:
        self.engine, self.esc = engine, esc
        self.events: list[dict[str, Any]] = []

    def handle(self, *events: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            self.events += self.esc.handle(conn, list(events))

    def advance(self, at: datetime) -> list[dict[str, Any]]:
        with self.engine.begin() as conn:
            got = self.esc.advance(conn, at)
        self.events += got
        return got

    def ack(self, sid: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            assert self.esc.acknowledge(conn, sid, by="anna", at=at) is not None

    def targets(self, sid: int | None = None) -> list[str]:
        with self.engine.connect() as conn:
            q = select(Delivery.target_name).order_by(Delivery.id)
            if sid is not None:
                q = q.where(Delivery.situation_id == sid)
            return list(conn.execute(q).scalars())


def test_the_chain_runs_step_by_step_repeats_and_ends(engine: Engine, config: WorkspaceConfig) -> None:
    sid = situation(engine)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))
    assert run.targets() == ["anna-mail", "lead-hook"]
    assert run.events == []  # the first step is the alert itself
    assert run.advance(T0 + timedelta(minutes=9)) == []
    got = run.advance(T0 + timedelta(minutes=10))
    assert [(e["step"], e["round"]) for e in got] == [(2, 1)]
    assert got[0]["notified"] == ["carla", "dora", "ben"]
    assert run.targets()[2:] == ["ben-tg", "carla-mail", "dora-mail"]
    # the second round, then the chain is exhausted: nothing more, however long we wait
    got = run.advance(T0 + timedelta(hours=5))
    assert [(e["step"], e["round"]) for e in got] == [(1, 2), (2, 2)]
    assert [datetime.fromisoformat(e["at"]) - T0 for e in got] == [timedelta(minutes=25),
                                                                   timedelta(minutes=35)]
    assert len(run.targets()) == 10
    assert run.advance(T0 + timedelta(days=1)) == []
    with engine.connect() as conn:
        assert conn.execute(select(Escalation.status)).scalar_one() == "exhausted"


@pytest.mark.parametrize(("ack_after", "sent"), [
    (timedelta(minutes=0), 2), (timedelta(minutes=5), 2), (timedelta(minutes=10), 5),
    (timedelta(minutes=24), 5), (timedelta(minutes=30), 7),
])
def test_an_acknowledgement_stops_the_escalation(engine: Engine, config: WorkspaceConfig,
                                                 ack_after: timedelta, sent: int) -> None:
    sid = situation(engine)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))
    run.advance(T0 + ack_after)
    run.ack(sid, T0 + ack_after)
    run.advance(T0 + timedelta(days=1))
    assert len(run.targets()) == sent
    with engine.connect() as conn:
        status = conn.execute(select(Escalation.status)).scalar_one()
        acked = conn.execute(select(Situation.acknowledged_by)).scalar_one()
        timeline = list(conn.execute(select(SituationEvent.event)).scalars())
    assert status == "acknowledged" and acked == "anna" and "alert.acknowledged" in timeline


def test_a_raised_severity_restarts_at_the_new_level(engine: Engine, config: WorkspaceConfig) -> None:
    sid = situation(engine, severity=1)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 1, T0))
    assert run.targets() == ["room"]
    run.handle(event("alert.updated", sid, 1, T0 + timedelta(minutes=2)))  # same level: nothing new
    assert run.targets() == ["room"]
    run.handle(event("alert.updated", sid, 3, T0 + timedelta(minutes=5)))
    assert run.targets() == ["room", "anna-mail", "lead-hook"]
    assert [(e["event"], e["severity"], e["step"]) for e in run.events] == [("alert.escalated", 3, 1)]
    run.advance(T0 + timedelta(minutes=40))  # the level-1 chain's 30-minute wait is void now
    assert "room" not in run.targets()[1:]
    # after an acknowledgement a raised severity restarts the escalation too
    run.ack(sid, T0 + timedelta(minutes=41))
    run.handle(event("alert.updated", sid, 4, T0 + timedelta(minutes=50)))
    assert run.targets()[-2:] == ["anna-mail", "lead-hook"] and run.events[-1]["severity"] == 4


def test_a_restart_during_a_wait_neither_loses_nor_repeats_a_step(engine: Engine,
                                                                   config: WorkspaceConfig) -> None:
    sid = situation(engine)
    first = Run(engine, escalator(config))
    first.handle(event("alert.opened", sid, 3, T0))
    first.advance(T0 + timedelta(minutes=3))
    # the process dies; a new one (new engine objects, same database) takes over
    second = Run(engine, escalator(config))
    got = second.advance(T0 + timedelta(minutes=12))
    assert [e["step"] for e in got] == [2]
    assert second.advance(T0 + timedelta(minutes=12)) == []
    assert first.advance(T0 + timedelta(minutes=12)) == []  # the old one, had it survived
    assert len(second.targets()) == 5


def test_editing_the_workspace_does_not_change_an_escalation_in_flight(engine: Engine,
                                                                       config: WorkspaceConfig) -> None:
    sid = situation(engine)
    Run(engine, escalator(config)).handle(event("alert.opened", sid, 3, T0))
    edited = parse_config(CONFIG.replace("legal: [carla, dora]", "legal: [anna]"), path="x.yaml")
    run = Run(engine, escalator(edited))
    run.advance(T0 + timedelta(minutes=10))
    assert run.targets()[2:] == ["ben-tg", "carla-mail", "dora-mail"]


def test_two_situations_escalate_independently(engine: Engine, config: WorkspaceConfig) -> None:
    a, b = situation(engine), situation(engine, severity=1)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", a, 3, T0), event("alert.opened", b, 1, T0 + timedelta(minutes=1)))
    run.ack(a, T0 + timedelta(minutes=2))
    run.advance(T0 + timedelta(minutes=15))
    assert run.targets(a) == ["anna-mail", "lead-hook"]
    assert run.targets(b) == ["room"]
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(Escalation.situation_id, Escalation.status)).all())
    assert statuses == {a: "acknowledged", b: "active"}


def test_working_hours_choose_who_is_on_duty(engine: Engine, config: WorkspaceConfig) -> None:
    dora = "dora:\n    name: Dora\n    targets: [dora-mail]\n    working_hours: {days: "
    on_saturday = parse_config(CONFIG.replace(dora + "[mon, tue, wed, thu, fri]", dora + "[sat, sun]"),
                               path="x.yaml")
    sid = situation(engine, at=SATURDAY)
    run = Run(engine, escalator(on_saturday))
    run.handle(event("alert.opened", sid, 3, SATURDAY))
    got = run.advance(SATURDAY + timedelta(minutes=10))
    assert got[0]["notified"] == ["dora", "ben"]  # Carla works Monday to Friday
    # nobody of the role on duty: everybody of it is told rather than nobody
    sid2 = situation(engine, at=SATURDAY)
    run2 = Run(engine, escalator(config))
    run2.handle(event("alert.opened", sid2, 3, SATURDAY))
    got = run2.advance(SATURDAY + timedelta(minutes=10))
    assert got[0]["notified"] == ["carla", "dora", "ben"]


def test_resolution_stops_and_tells_who_was_notified(engine: Engine, config: WorkspaceConfig) -> None:
    sid = situation(engine)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))
    run.handle(event("alert.resolved", sid, 3, T0 + timedelta(minutes=8)))
    assert run.advance(T0 + timedelta(hours=2)) == []
    assert run.targets() == ["anna-mail", "lead-hook", "anna-mail", "lead-hook"]
    with engine.connect() as conn:
        kinds = [p["kind"] for p in conn.execute(select(Delivery.payload).order_by(Delivery.id)).scalars()]
    assert kinds == ["opened", "opened", "resolved", "resolved"]
    with engine.connect() as conn:
        links = [p["ack_url"] for p in conn.execute(select(Delivery.payload).order_by(Delivery.id)).scalars()]
    # nothing is left to acknowledge: the notice of the resolution links to the situation's page
    assert links[2:] == [f"https://crisis.example.org/situations/{sid}"] * 2
    assert all("/ack/" in link for link in links[:2])


def test_notifications_carry_the_explanation_and_a_signed_ack_link(engine: Engine,
                                                                   config: WorkspaceConfig) -> None:
    sid = situation(engine)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))
    run.advance(T0 + timedelta(minutes=10))
    with engine.connect() as conn:
        rows = conn.execute(select(Delivery.target_name, Delivery.payload)).all()
    payloads: dict[str, Any] = dict(rows)
    anna = payloads["anna-mail"]
    assert anna["summary"] == "brand: 300 posts" and anna["top_terms"] == ["akku", "brand"]
    assert anna["top_posts"][0]["text"] == "it burns" and anna["reasons"] == ["why"]
    url = anna["ack_url"]
    assert url.startswith(f"https://crisis.example.org/ack/{sid}?t=")
    token = url.split("?t=")[1]
    link = read_token("s3cret", sid, token, T0)
    assert isinstance(link, AckLink)
    with engine.connect() as conn:
        eid = conn.execute(select(Escalation.id)).scalar_one()
    assert (link.escalation_id, link.step, link.recipient) == (eid, 0, "Anna")  # bound to who and when
    assert check_token("s3cret", sid + 1, token, T0) is not None  # not for another situation
    assert check_token("s3cret", sid, token, T0 + timedelta(days=8)) == "the link has expired"
    step2 = read_token("s3cret", sid, payloads["ben-tg"]["ack_url"].split("?t=")[1], T0)
    assert isinstance(step2, AckLink) and (step2.step, step2.recipient) == (1, "Ben")
    assert payloads["ben-tg"]["lang"] == "de" and "Stufe 3" in payloads["ben-tg"]["title"]
    assert payloads["anna-mail"]["lang"] == "en"


def test_without_delivery_steps_are_logged_but_nobody_is_contacted(engine: Engine,
                                                                  config: WorkspaceConfig) -> None:
    sid = situation(engine)
    run = Run(engine, escalator(config, deliver=False))
    run.handle(event("alert.opened", sid, 3, T0))
    got = run.advance(T0 + timedelta(minutes=10))
    assert got[0]["delivered"] is False and got[0]["targets"] == ["ben-tg", "carla-mail", "dora-mail"]
    assert run.targets() == []


def test_a_later_step_describes_the_situation_as_of_that_step(engine: Engine,
                                                              config: WorkspaceConfig) -> None:
    sid = situation(engine)
    with engine.begin() as conn:
        for minutes, summary in ((0, "as opened"), (15, "much later")):
            conn.execute(insert(SituationEvent).values(
                situation_id=sid, event="alert.opened" if minutes == 0 else "alert.updated",
                at=T0 + timedelta(minutes=minutes), severity=3,
                body=json.dumps({"event": "x", "explanation": {"summary": summary, "top_terms": [summary]}})))
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))
    run.advance(T0 + timedelta(minutes=10))  # step 2, before the later update
    run.advance(T0 + timedelta(minutes=25))  # round 2, step 1, after it
    with engine.connect() as conn:
        payloads = conn.execute(select(Delivery.payload).order_by(Delivery.id)).scalars()
        summaries = [p["summary"] for p in payloads]
    assert summaries[:5] == ["as opened"] * 5 and summaries[5:] == ["much later"] * 2


def test_the_situation_shows_every_step_done_next_pending_and_stopped(engine: Engine,
                                                                      config: WorkspaceConfig) -> None:
    from crisisdesk.detection.service import get_situation

    sid = situation(engine)
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))

    def steps() -> list[tuple[int, int, str, str | None]]:
        with engine.connect() as conn:
            shown = get_situation(conn, sid)
        assert shown is not None
        return [(s["number"], s["round"], s["state"], s["at"]) for s in shown["escalations"][0]["steps"]]

    next_at = (T0 + timedelta(minutes=10)).isoformat()
    assert steps() == [(1, 1, "done", None), (2, 1, "next", next_at), (1, 2, "pending", None),
                       (2, 2, "pending", None)]
    run.advance(T0 + timedelta(minutes=10))
    run.ack(sid, T0 + timedelta(minutes=12))
    assert [s[2] for s in steps()] == ["done", "done", "stopped", "stopped"]
    with engine.connect() as conn:
        shown = get_situation(conn, sid)
    assert shown is not None
    assert shown["escalations"][0]["steps"][1]["recipients"] == ["role:legal", "role:management"]


def test_each_recipient_reads_summary_and_reasons_in_their_language(engine: Engine,
                                                                    config: WorkspaceConfig) -> None:
    sid = situation(engine)
    detail = {"severity": 3, "level": 3, "notes": [],
              "signals": [["volume_ratio", 6.5, 5], ["negative_share", 0.667, 0.5]]}
    with engine.begin() as conn:
        stored = json.loads(conn.execute(select(Situation.explanation)).scalar_one())
        stored |= {"summaries": {"de": "brand: 300 Beiträge", "en": "brand: 300 posts"},
                   "reason_detail": detail}
        conn.execute(update(Situation).values(explanation=json.dumps(stored)))
    run = Run(engine, escalator(config))
    run.handle(event("alert.opened", sid, 3, T0))
    run.advance(T0 + timedelta(minutes=10))
    with engine.connect() as conn:
        payloads: dict[str, Any] = dict(conn.execute(select(Delivery.target_name, Delivery.payload)).all())
    ben, anna = payloads["ben-tg"], payloads["anna-mail"]  # ben reads German, anna English
    assert ben["summary"] == "brand: 300 Beiträge" and anna["summary"] == "brand: 300 posts"
    assert ben["reasons"] == ["Stufe 3 (Krise): Vielfaches des Üblichen 6,5 ≥ 5, Anteil negativ 67 % ≥ 50 %"]
    assert anna["reasons"] == ["Level 3 (crisis): times the usual volume 6.5 ≥ 5, negative share 67% ≥ 50%"]


@pytest.mark.parametrize(("crisis_type", "level", "first"), [
    # a safety incident at 3 involves legal and management with the first page (the playbook's
    # "whom to involve"), not 10 minutes later with the policy's second step
    ("safety_incident", 3, ["anna-mail", "lead-hook", "carla-mail", "dora-mail", "ben-tg"]),
    # a service outage involves nobody beyond the policy at 3 (its roles name no legal team)
    ("service_outage", 3, ["anna-mail", "lead-hook"]),
    # no crisis type: the policy alone
    (None, 3, ["anna-mail", "lead-hook"]),
])
def test_the_crisis_types_roles_for_its_level_are_told_with_the_first_step(
        engine: Engine, config: WorkspaceConfig, crisis_type: str | None, level: int,
        first: list[str]) -> None:
    from crisisdesk.crises.default_types import DEFAULT_TYPES
    from crisisdesk.crises.models import Crisis, CrisisSituation

    sid = situation(engine, severity=level)
    with engine.begin() as conn:
        cid = conn.execute(insert(Crisis).values(
            title="brand", status="open", severity=level, type=crisis_type, opened_at=T0, updated_at=T0,
            monitors=["brand"], reasons=[]).returning(Crisis.id)).scalar_one()
        conn.execute(insert(CrisisSituation).values(situation_id=sid, crisis_id=cid, joined_at=T0,
                                                    reason={"kind": "opened"}))
    esc = escalator(config)
    esc.types = DEFAULT_TYPES
    run = Run(engine, esc)
    run.handle(event("alert.opened", sid, level, T0))
    assert sorted(run.targets()) == sorted(first)
    # the policy's second step still comes (nobody acknowledged: it tells them again)
    got = run.advance(T0 + timedelta(minutes=10))
    assert len(got) == 1
    if crisis_type == "safety_incident":
        assert got[0]["notified"] == ["carla", "dora", "ben"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_racing_for_the_same_timer_run_its_step_once(engine: Engine,
                                                                  config: WorkspaceConfig) -> None:
    import threading

    sid = situation(engine)
    Run(engine, escalator(config)).handle(event("alert.opened", sid, 3, T0))
    at = T0 + timedelta(minutes=12)
    ran: dict[str, list[dict[str, Any]]] = {}
    first_advanced = threading.Event()

    def first() -> None:  # advances, then holds its transaction open a moment before committing
        with engine.begin() as conn:
            ran["first"] = escalator(config).advance(conn, at)
            first_advanced.set()
            threading.Event().wait(0.5)

    def second() -> None:
        first_advanced.wait(5)
        with engine.begin() as conn:
            ran["second"] = escalator(config).advance(conn, at)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [e["step"] for e in ran["first"]] == [2]
    assert ran["second"] == []
    assert len(Run(engine, escalator(config)).targets()) == 5

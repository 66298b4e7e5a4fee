"""Crises from real detection, on SQLite and PostgreSQL: one event watched by two monitors is one
crisis (the second monitor's situations join by their shared posts); an unrelated event hours later
is a crisis of its own; a crisis resolves when its last situation does; every change is an event."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.tracker import CrisisTracker, RiskWords, _terms
from crisisdesk.detection.config import DEFAULT_HIGH_RISK
from crisisdesk.detection.models import Situation
from crisisdesk.pipeline.events import NormalizedPost
from crisisdesk.posts import service as post_store
from tests.detection.test_engine import T0, Feed, Message


class CrisisFeed(Feed):
    """The detection feed with crises tracked in each batch's transaction, as the runner does."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.tracker = CrisisTracker(lang="en")
        self.crisis_events: list[Message] = []

    def feed(self, posts: list[NormalizedPost], batch: int = 50) -> list[Message]:
        posts = sorted(posts, key=lambda p: p.created_at)
        got: list[Message] = []
        for i in range(0, len(posts), batch):
            chunk = posts[i : i + batch]
            with self.engine.begin() as conn:
                written = post_store.write_posts(conn, chunk, [], self.ids, chunk[-1].created_at)
                alerts = self.detector.process(conn, written.stored, written.new_authors)
                self.crisis_events.extend(self.tracker.track(conn, alerts))
            got.extend(alerts)
        self.events.extend(got)
        return got

    def both(self, posts: list[NormalizedPost]) -> list[NormalizedPost]:
        """The same posts, matched by both monitors (a brand monitor and a product monitor)."""
        return [dataclasses.replace(p, monitors=["brand", "other"]) for p in posts]


def test_one_event_on_two_monitors_is_one_crisis_and_another_event_is_another(engine: Engine) -> None:
    f = CrisisFeed(engine)
    onset = T0 + timedelta(days=2, hours=14)
    calm = f.calm(T0, onset, per_hour=10)
    f.feed(calm + [f.post(p.created_at, "other news", monitor="other") for p in calm[::2]])
    f.feed(f.both(f.wave(onset, 400, 60, "brand scooter battery fire burning")))
    f.feed(f.calm(onset + timedelta(hours=1), onset + timedelta(hours=5), per_hour=10))

    with Session(engine) as session:
        situations = session.scalars(select(Situation)).all()
        monitors = {s.monitor_id for s in situations}
        assert len(situations) >= 2 and len(monitors) == 2  # both monitors saw it
        crises = session.scalars(select(Crisis)).all()
        assert len(crises) == 1, [(c.id, c.title, c.monitors) for c in crises]
        [fire] = crises
        links = session.scalars(select(CrisisSituation)).all()
        assert {link.situation_id for link in links} == {s.id for s in situations}
        assert sorted(fire.monitors) == ["brand", "other"]
        kinds = {link.reason["kind"] for link in links}
        assert "opened" in kinds and kinds & {"posts", "monitor", "terms"}
        assert fire.severity == max(s.severity for s in situations)
        assert fire.status == "resolved"  # every situation of it resolved

    names = [e["event"] for e in f.crisis_events]
    assert (
        names[0] == "crisis.opened" and names[-1] == "crisis.resolved" and names.count("crisis.opened") == 1
    )
    last: dict[str, Any] = f.crisis_events[-1]
    assert last["crisis"] == fire.id and sorted(last["monitors"]) == ["brand", "other"]
    assert set(last["situations"]) == {s.id for s in situations}

    # Ten hours later, a different event on one monitor: a crisis of its own.
    later = onset + timedelta(hours=15)
    f.feed(f.calm(onset + timedelta(hours=5), later, per_hour=10))
    f.feed(
        [
            dataclasses.replace(p, monitors=["other"])
            for p in f.wave(later, 400, 60, "other billing invoice charged twice")
        ]
    )
    with Session(engine) as session:
        crises = session.scalars(select(Crisis).order_by(Crisis.id)).all()
        assert len(crises) == 2
        assert crises[1].monitors == ["other"] and crises[1].status == "open"


def test_a_crisis_someone_took_charge_of_stays_open_until_a_person_ends_it(engine: Engine) -> None:
    """Detection's calm ends a crisis nobody took charge of; once a person confirmed its type, it
    waits for a person (after its situations are calm), who ends it with a note."""
    from crisisdesk.audit.service import Actor
    from crisisdesk.crises import manual
    from crisisdesk.crises.default_types import DEFAULT_TYPES
    from crisisdesk.crises.models import CrisisAction
    from crisisdesk.crises.playbook import confirm_type
    from crisisdesk.crises.service import get_crisis

    f = CrisisFeed(engine)
    onset = T0 + timedelta(days=2, hours=14)
    f.feed(f.calm(T0, onset, per_hour=10))
    f.feed(f.both(f.wave(onset, 400, 60, "brand scooter battery fire burning")))
    lead = Actor("lead@example.org")
    with Session(engine) as session, session.begin():
        [crisis] = session.scalars(select(Crisis)).all()
        assert crisis.status == "open"
        # While its situations are open, ending it is refused, naming them.
        with pytest.raises(manual.CrisisChangeError, match=r"still has open situations \(#") as caught:
            manual.resolve(session, crisis.id, actor=lead, now=onset + timedelta(hours=1))
        assert caught.value.status == 409
        confirm_type(session, crisis.id, "safety_incident", DEFAULT_TYPES, actor=lead,
                     now=onset + timedelta(minutes=30))
        crisis_id = crisis.id
    f.feed(f.calm(onset + timedelta(hours=1), onset + timedelta(hours=8), per_hour=10))

    with Session(engine) as session, session.begin():
        situations = session.scalars(select(Situation)).all()
        assert situations and all(s.status == "resolved" for s in situations)
        crisis = session.get_one(Crisis, crisis_id)
        assert crisis.status == "open" and crisis.resolved_at is None  # calm, but in someone's charge
        shown = get_crisis(session, crisis_id)
        assert shown is not None
        assert shown["calm_since"] == max(s.resolved_at for s in situations if s.resolved_at).isoformat()
        assert "crisis.resolved" not in [e["event"] for e in f.crisis_events]
        end = onset + timedelta(hours=9)
        [event] = manual.resolve(session, crisis_id, actor=lead, now=end,
                                 note="statement out, recall running")
        assert event["event"] == "crisis.resolved" and event["crisis"] == crisis_id
        assert crisis.status == "resolved" and crisis.resolved_at == end
        action = session.scalars(select(CrisisAction).where(CrisisAction.kind == "crisis.resolved")).one()
        assert action.actor == "lead@example.org" and action.detail["note"] == "statement out, recall running"
        with pytest.raises(manual.CrisisChangeError, match="ended already") as twice:
            manual.resolve(session, crisis_id, actor=lead, now=end)
        assert twice.value.status == 409


@pytest.mark.parametrize(
    ("term", "risky"),
    [("lawyer", True), ("lawyers", True), ("police", True), ("policescotland", False), ("data breach", True),
     ("hospitalized", True), ("santiago", False), ("train crash", False)],
)
def test_high_risk_phrases_are_told_from_names(term: str, risky: bool) -> None:
    assert RiskWords(DEFAULT_HIGH_RISK).holds(term) is risky
    # a pattern and the word it matched are one term, as people read it
    assert _terms(["lawyer*", "Lawyer", "#Akku", '"data breach"', " "]) == {"lawyer", "akku", "data breach"}

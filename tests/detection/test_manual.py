"""People overrule detection: severity changes and manual resolution reach escalation and state."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.detection import manual
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.escalation.models import Escalation
from crisisdesk.escalation.watch import Watch
from crisisdesk.notify.models import Delivery
from crisisdesk.workspace import parse_config
from tests.detection.test_engine import T0, Feed
from tests.escalation.test_engine import CONFIG, escalator


def opened_at(f: Feed) -> datetime:
    return datetime.fromisoformat(str(next(e["at"] for e in f.events if e["event"] == "alert.opened")))


@pytest.fixture
def setup(engine: Engine) -> tuple[Feed, Watch, int]:
    """A spike situation, its escalation started; its first wait (10 minutes) is running."""
    f = Feed(engine)
    config = parse_config(CONFIG, path="x.yaml")
    watch = Watch(f.detector, escalator(config))
    onset = T0 + timedelta(days=2, hours=9)
    f.feed(f.calm(T0, onset, per_hour=10))
    f.feed(f.wave(onset, 40, 20, "brand app outage"))
    with engine.begin() as conn:
        opened = [e for e in f.events if e["event"] == "alert.opened" and e["cause"] == "spike"]
        sid = int(str(opened[0]["situation"]))
        watch.escalator.handle(conn, opened)  # type: ignore[union-attr]
    return f, watch, sid


def test_raising_restarts_escalation_and_lowering_does_not(engine: Engine,
                                                          setup: tuple[Feed, Watch, int]) -> None:
    f, watch, sid = setup
    at = opened_at(f) + timedelta(minutes=2)
    with engine.begin() as conn:
        event = manual.set_severity(conn, sid, severity=4, reason="press called", by="lena", at=at,
                                    engine=f.detector)
        out = watch.overrule(conn, event, at)
    assert event["manual"] is True and event["reasons"] == ["set by lena: press called"]
    assert [e["event"] for e in out] == ["alert.updated", "alert.escalated"]
    with engine.connect() as conn:
        severities = list(conn.execute(select(Escalation.severity, Escalation.status)
                                       .order_by(Escalation.id)))
        assert severities[-1] == (4, "active")
        assert conn.execute(select(Situation.severity).where(Situation.id == sid)).scalar_one() == 4
    assert next(t for t in f.detector.tracked.values() if t.id == sid).severity == 4
    with engine.begin() as conn:
        event = manual.set_severity(conn, sid, severity=2, reason="calmer", by="lena", at=at,
                                    engine=f.detector)
        out = watch.overrule(conn, event, at)
    assert [e["event"] for e in out] == ["alert.updated"]  # lowering starts nothing new


def test_resolving_stops_escalation_and_the_engine_follows(engine: Engine,
                                                            setup: tuple[Feed, Watch, int]) -> None:
    f, watch, sid = setup
    at = opened_at(f) + timedelta(minutes=2)  # before the second step is due
    with engine.begin() as conn:
        event = manual.resolve(conn, sid, reason="statement published", by="lena", at=at, engine=f.detector)
        watch.overrule(conn, event, at)
    with engine.connect() as conn:
        assert conn.execute(select(Situation.status).where(Situation.id == sid)).scalar_one() == "resolved"
        assert "active" not in set(conn.execute(select(Escalation.status)).scalars())
        assert list(conn.execute(select(SituationEvent.event).order_by(SituationEvent.id)).scalars())[-1] \
            == "alert.resolved"
        last = conn.execute(select(Delivery.payload).order_by(Delivery.id.desc())).scalars().first()
        assert last is not None and last["kind"] == "resolved"
    assert next(t for t in f.detector.tracked.values() if t.id == sid).status == "resolved"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"severity": 5, "reason": "x"}, "choose 1 to 4"),
    ({"severity": 4, "reason": "  "}, "give a reason"),
])
def test_bad_changes_are_refused(engine: Engine, setup: tuple[Feed, Watch, int], kwargs: dict[str, object],
                                 message: str) -> None:
    _f, _watch, sid = setup
    with engine.begin() as conn, pytest.raises(manual.ManualError, match=message):
        manual.set_severity(conn, sid, by="x", at=T0, **kwargs)  # type: ignore[arg-type]


def test_no_changes_to_a_resolved_or_unknown_situation(engine: Engine,
                                                        setup: tuple[Feed, Watch, int]) -> None:
    _f, _watch, sid = setup
    with engine.begin() as conn:
        manual.resolve(conn, sid, reason="done", by="x", at=T0)
    with engine.begin() as conn, pytest.raises(manual.ManualError, match="resolved"):
        manual.set_severity(conn, sid, severity=4, reason="r", by="x", at=T0)
    with engine.begin() as conn, pytest.raises(manual.ManualError, match="no situation"):
        manual.resolve(conn, 999_999, reason="r", by="x", at=T0)

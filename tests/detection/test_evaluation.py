"""Scoring alerts against labelled onsets: windows, causes, false alarms, parsing errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisisdesk.detection.evaluation import (
    Alert,
    Onset,
    OnsetsError,
    ScoringOptions,
    alerts_from_events,
    parse_onsets,
    quantile,
    score,
)

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
START, END = T0 - timedelta(days=4), T0 + timedelta(days=1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def alert(minutes: float, event: str = "alert.opened", monitor: str = "acme", cause: str = "spike") -> Alert:
    return Alert(event, monitor, cause, at(minutes))


EVENT = Onset("acme", T0, "outage")


@pytest.mark.parametrize(
    ("alerts", "options", "detected", "delay", "false_alarms", "before"),
    [
        pytest.param([], None, False, None, 0, 0, id="no alert"),
        pytest.param([alert(12)], None, True, 12.0, 0, 0, id="opened after onset"),
        pytest.param([alert(-20)], None, True, -20.0, 0, 0, id="within tolerance before"),
        pytest.param([alert(-45)], None, False, None, 1, 1, id="before tolerance is a false alarm"),
        pytest.param([alert(-45), alert(30, "alert.updated")], None, True, 30.0, 1, 1,
                     id="open situation detects by update"),
        pytest.param([alert(25 * 60)], None, False, None, 1, 0, id="after the horizon"),
        pytest.param([alert(5, "alert.resolved")], None, False, None, 0, 0, id="resolved never detects"),
        pytest.param([alert(5, cause="keyword"), alert(40)], None, True, 5.0, 0, 0,
                     id="all causes by default"),
        pytest.param([alert(5, cause="keyword"), alert(40)], ScoringOptions(causes=frozenset({"spike"})),
                     True, 40.0, 0, 0, id="cause filter"),
        pytest.param([alert(-600, cause="keyword")], ScoringOptions(causes=frozenset({"spike"})),
                     False, None, 0, 0, id="filtered cause is no false alarm"),
        pytest.param([alert(10, monitor="other")], None, False, None, 1, 0, id="other monitor"),
        pytest.param([alert(-90)], ScoringOptions(tolerance=timedelta(hours=2)), True, -90.0, 0, 0,
                     id="wider tolerance"),
    ],
)
def test_one_event(alerts: list[Alert], options: ScoringOptions | None, detected: bool,
                   delay: float | None, false_alarms: int, before: int) -> None:
    card = score(alerts, [EVENT], start=START, end=END, options=options)
    (event,) = card.events
    assert event.detected is detected
    assert event.delay_minutes == delay
    assert card.summary.false_alarms == false_alarms
    assert event.false_alarms_before == before


def test_explicit_end_closes_the_window() -> None:
    short = Onset("acme", T0, "blip", end=at(60))
    card = score([alert(90)], [short], start=START, end=END)
    assert not card.events[0].detected
    assert card.summary.false_alarms == 1


def test_summary_rates_and_quantiles() -> None:
    onsets = [Onset("a", at(0), "1"), Onset("b", at(0), "2"), Onset("c", at(0), "3"), Onset("d", at(0), "4")]
    alerts = [alert(10, monitor="a"), alert(20, monitor="b"), alert(60, monitor="c"),
              alert(-3000, monitor="a"), alert(-2000, monitor="e")]
    card = score(alerts, onsets, start=START, end=END)
    s = card.summary
    assert (s.events, s.detected, s.detection_rate) == (4, 3, 0.75)
    assert s.median_delay == 20.0
    assert s.p90_delay == pytest.approx(52.0)
    assert s.false_alarms == 2
    assert s.days == 5.0
    assert s.false_alarms_per_day == pytest.approx(0.4)
    assert s.monitors == 5  # a-e
    assert s.false_alarms_per_monitor_day == pytest.approx(0.08)
    assert score(alerts, onsets, start=START, end=END, monitors=10).summary.monitors == 10


def test_negative_control_counts_only_false_alarms() -> None:
    card = score([alert(0), alert(5, "alert.updated"), alert(60, "alert.resolved")], [],
                 start=START, end=END)
    assert card.events == []
    assert card.summary.detection_rate is None
    assert card.summary.false_alarms == 1
    assert card.summary.median_delay is None


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 0.5, None), ([7.0], 0.9, 7.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5), ([0.0, 10.0], 0.9, 9.0)],
)
def test_quantile(values: list[float], q: float, expected: float | None) -> None:
    assert quantile(values, q) == expected


def test_alerts_from_events_keeps_alerts_in_time_order() -> None:
    events = [
        {"event": "alert.updated", "monitor": "m", "cause": "spike", "at": "2026-11-02T13:00:00+00:00"},
        {"event": "post.ingested", "at": "2026-11-02T12:00:00+00:00"},
        {"event": "alert.opened", "monitor": "m", "cause": "spike", "at": "2026-11-02T12:30:00Z"},
    ]
    got = alerts_from_events(events)
    assert [a.event for a in got] == ["alert.opened", "alert.updated"]
    assert got[0].at == datetime(2026, 11, 2, 12, 30, tzinfo=UTC)


def test_parse_onsets_reads_lines() -> None:
    text = ('{"monitor": "acme", "onset": "2026-11-02T12:00:00Z", "name": "outage"}\n\n'
            '{"monitor": "acme", "onset": "2026-11-03T12:00:00+01:00", "name": "x", '
            '"end": "2026-11-03T15:00:00Z"}\n')
    first, second = parse_onsets(text, source="o.jsonl")
    assert first == EVENT
    assert second.onset == datetime(2026, 11, 3, 11, 0, tzinfo=UTC)
    assert second.end == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"monitor": "acme", "name": "x"}', "line 2: onset: required field missing"),
        ('{"monitor": "acme", "onset": "yesterday", "name": "x"}',
         "line 2: onset: 'yesterday' is not an ISO"),
        ('{"monitor": "acme", "onset": "2026-11-02T12:00:00", "name": "x"}',
         "line 2: onset: '2026-11-02T12:00:00' has no UTC offset"),
        ('{"monitor": "acme", "onset": "2026-11-02T12:00:00Z", "name": "x", "end": "2026-11-01T12:00:00Z"}',
         "line 2: end 2026-11-01T12:00:00+00:00 is before onset"),
        ('{"monitor": "acme", "onset": "2026-11-02T12:00:00Z", "name": "x", "severity": 3}',
         "line 2: unknown field(s) severity"),
        ('{"monitor": "", "onset": "2026-11-02T12:00:00Z", "name": "x"}', "line 2: monitor: expected"),
    ],
)
def test_parse_onsets_names_the_line(line: str, message: str) -> None:
    text = '{"monitor": "acme", "onset": "2026-11-02T12:00:00Z", "name": "ok"}\n' + line + "\n"
    with pytest.raises(OnsetsError, match=r"^o\.jsonl: ") as info:
        parse_onsets(text, source="o.jsonl")
    assert message in str(info.value)

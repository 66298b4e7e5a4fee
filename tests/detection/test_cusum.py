"""The sustained-rise CUSUM: it catches what the window test absorbs, and stays quiet otherwise."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.core.errors import ConfigError
from crisisdesk.detection import cusum
from crisisdesk.detection.config import CusumConfig, DetectionConfig, PlaybookConfig, SeverityLevel, Signal
from crisisdesk.detection.cusum import Sustained
from crisisdesk.detection.detectors import PHI, volume_readings
from crisisdesk.detection.engine import DetectionEngine
from crisisdesk.detection.models import Situation
from crisisdesk.detection.state import GAP_RESET_MINUTES, Counts, MonitorState
from crisisdesk.pipeline.events import NormalizedPost
from crisisdesk.workspace import parse_config
from tests.detection.test_engine import T0, Feed

START_HOUR = 1_000 * 24  # an hour index at midnight UTC
DEFAULT = DetectionConfig()


def add_hour(state: MonitorState, hour: int, posts: int) -> None:
    """``posts`` spread evenly over the minutes of ``hour``."""
    for i in range(posts):
        state.add(hour * 60 + i * 60 // posts, Counts(volume=1))


def run(state: MonitorState, config: DetectionConfig, hours: range, posts: list[int]) -> list[Sustained]:
    """Hour by hour as the engine does: the completed hours go into the CUSUM, then the next
    hour's posts into the rings."""
    alarms = []
    for hour, n in zip(hours, posts, strict=True):
        alarm = cusum.advance(state, hour, config)
        if alarm is not None:
            alarms.append(alarm)
        add_hour(state, hour, n)
    alarm = cusum.advance(state, hours.stop, config)
    return [*alarms, alarm] if alarm is not None else alarms


def calm_state(config: DetectionConfig, days: int = 8, per_hour: int = 20) -> MonitorState:
    state = MonitorState()
    cusum.advance(state, START_HOUR, config)  # the engine starts the state's clock
    assert run(state, config, range(START_HOUR, START_HOUR + days * 24), [per_hour] * days * 24) == []
    return state


def window_alerts(state: MonitorState, config: DetectionConfig, hour: int, posts: int) -> list[int]:
    """Feed ``hour`` minute by minute; the minutes at which the window test saw a spike."""
    spikes = []
    for m in range(hour * 60, hour * 60 + 60):
        n = sum(1 for i in range(posts) if hour * 60 + i * 60 // posts == m)
        if n:
            state.add(m, Counts(volume=n))
        if any(r.spike for r in volume_readings(state, m + 1, config)):
            spikes.append(m)
    return spikes


@pytest.mark.parametrize(("ratio", "config"), [
    (2.0, DEFAULT),  # the default is tuned to rises of about 2× and more
    (1.6, DetectionConfig(cusum=CusumConfig(shift=1.5, threshold=5))),  # a gentler setting
])
def test_a_slow_rise_is_caught_by_the_cusum_while_the_window_test_absorbs_it(
        ratio: float, config: DetectionConfig) -> None:
    state = calm_state(config)
    onset = START_HOUR + 8 * 24
    alarms: list[Sustained] = []
    spikes: list[int] = []
    for hour in range(onset, onset + 12):
        alarm = cusum.advance(state, hour, config)
        if alarm is not None:
            alarms.append(alarm)
        spikes += window_alerts(state, config, hour, round(20 * ratio))
    assert spikes == []  # 12 hours at this level: the window test never fires …
    assert alarms, "… and the CUSUM does"
    first = alarms[0]
    assert first.hour - onset + 1 <= 8
    assert first.value >= config.cusum.threshold
    assert first.ratio == pytest.approx(ratio, rel=0.05)
    assert "sustained rise" in first.reason() and f"{ratio:.1f}× expected" in first.reason()


def test_a_steady_noisy_month_never_fires() -> None:
    rng = np.random.default_rng(7)
    hours = range(START_HOUR, START_HOUR + 30 * 24)
    profile = [20 * (1 + 0.6 * np.sin(2 * np.pi * ((h % 24) - 9) / 24)) for h in hours]
    # Negative-binomial counts with the overdispersion the detectors assume (a gamma-Poisson mix).
    posts = [int(rng.poisson(rng.gamma(1 / PHI, mean * PHI))) for mean in profile]
    state = MonitorState()
    cusum.advance(state, START_HOUR, DEFAULT)
    assert run(state, DEFAULT, hours, posts) == []
    assert state.cusum.value < DEFAULT.cusum.threshold


def test_it_restarts_after_an_alert_and_the_rise_ends_with_a_usual_hour() -> None:
    state = calm_state(DEFAULT)
    onset = START_HOUR + 8 * 24
    c = state.cusum
    alarms = run(state, DEFAULT, range(onset, onset + 2), [60, 60])
    assert len(alarms) == 1 and alarms[0].hours == 2  # 3× for 2 hours: no hour does it alone (cap)
    assert (c.value, c.run_start, c.run_posts, c.alarmed) == (0.0, -1, 0, True)
    # The rise goes on: a new run starts from 0, and one hour is again not enough …
    assert run(state, DEFAULT, range(onset + 2, onset + 3), [60]) == []
    assert 0 < c.value < DEFAULT.cusum.threshold and c.alarmed
    # … two are.
    again = run(state, DEFAULT, range(onset + 3, onset + 4), [60])
    assert len(again) == 1 and again[0].hours == 2
    run(state, DEFAULT, range(onset + 4, onset + 5), [20])  # back to usual: the rise is over
    assert c.value == 0 and not c.alarmed and c.run_start == -1


def test_a_gap_restarts_it_and_its_warm_up() -> None:
    state = calm_state(DEFAULT, days=4)
    onset = START_HOUR + 4 * 24
    assert run(state, DEFAULT, range(onset, onset + 1), [60]) == []
    assert state.cusum.value > 0  # half way to an alarm …
    resume = onset + 1 + GAP_RESET_MINUTES // 60 + 1
    # … when the collection stops for more than three days. Posts after the gap restart it,
    # even before the silent hours are added up:
    state.add(resume * 60, Counts(volume=1))
    assert state.first_minute == resume * 60
    assert (state.cusum.value, state.cusum.run_start) == (0.0, -1)
    # and the resumption is a new start: nothing for WARMUP_HOURS, however busy.
    warm = range(resume + 1, resume + cusum.WARMUP_HOURS)
    assert run(state, DEFAULT, warm, [60] * len(warm)) == []
    assert state.cusum.value == 0


def test_it_is_off_when_switched_off() -> None:
    config = DetectionConfig(cusum=CusumConfig(enabled=False))
    engine = DetectionEngine(config=config, playbook=PlaybookConfig(), monitor_ids={"brand": 1})
    engine._move_cusums(START_HOUR * 60)
    assert engine.states[1].cusum.hour == -1


def test_the_log_likelihood_ratio_is_negative_binomial() -> None:
    # Positive above the reference count, negative below; a busy brand needs a larger relative
    # rise than a Poisson test would (overdispersion), a quiet one about the Poisson one.
    assert cusum.llr(20, 20, 3) < 0 < cusum.llr(36, 20, 3)
    assert cusum.llr(1, 0.5, 3) > 0 > cusum.llr(0, 0.5, 3)
    assert cusum.llr(2000, 1000, 3) < 2000 * np.log(3) - 2000


# -- the engine: situations, summaries, restarts ---------------------------------------------------

def steady(f: Feed, start_hour: int, hours: int, per_hour: int, text: str = "brand coffee latte",
           negative_every: int = 10) -> list[NormalizedPost]:
    out: list[NormalizedPost] = []
    for h in range(start_hour, start_hour + hours):
        for i in range(per_hour):
            at = T0 + timedelta(hours=h, seconds=i * 3600 // per_hour)
            out.append(f.post(at, text, negative=len(out) % negative_every == 0))
    return out


def _spikes(f: Feed) -> list[dict[str, object]]:
    return [e for e in f.events if e["cause"] == "spike"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_sustained_rise_opens_a_spike_situation_that_says_so(engine: Engine, language: str) -> None:
    levels = [SeverityLevel(level=1, name_en="watch", name_de="Beobachten", when=[{Signal.POSTS: 1e9}]),
              SeverityLevel(level=2, name_en="issue", name_de="Problem",
                            when=[{Signal.VOLUME_RATIO: 2.2}])]
    f = Feed(engine, DetectionConfig(language=language))
    f.detector = DetectionEngine(config=f.config, playbook=PlaybookConfig(levels=levels),
                                 monitor_ids=f.ids)
    f.feed(steady(f, 0, 4 * 24, 20), batch=200)
    assert _spikes(f) == []
    f.feed(steady(f, 4 * 24, 8, 50, text="brand coffee cups leaking lids"), batch=200)
    f.tick(T0 + timedelta(hours=4 * 24 + 8, minutes=1))
    opened = [e for e in _spikes(f) if e["event"] == "alert.opened"]
    assert len(opened) == 1
    alert = opened[0]
    reasons = " ".join(map(str, alert["reasons"]))  # type: ignore[call-overload]
    assert "sustained rise: 2.5× expected for" in reasons and "CUSUM" in reasons
    assert " min, " not in reasons  # the CUSUM alone: no window reading was a spike
    assert alert["severity"] == 2  # the playbook sees the rise's ratio
    summary = str(alert["summary"])
    if language == "de":
        assert "anhaltender Anstieg" in summary and "2,5-mal so viele Beiträge wie üblich" in summary
    else:
        assert "sustained rise, 2.5 times the usual volume for" in summary
    assert "leaking" in summary  # the surging terms come from the hours of the rise
    with engine.connect() as conn:
        stored = json.loads(conn.execute(select(Situation.explanation).where(
                Situation.cause == "spike")).scalar_one())
    assert stored["sustained"]["ratio"] == pytest.approx(2.5, rel=0.05)


def test_a_restart_rebuilds_the_same_cusum_from_the_rollups(engine: Engine) -> None:
    f = Feed(engine)
    f.feed(steady(f, 0, 4 * 24, 20), batch=200)
    f.feed(steady(f, 4 * 24, 1, 60) + steady(f, 4 * 24 + 1, 2, 30), batch=200)
    now = T0 + timedelta(hours=4 * 24 + 3, minutes=10)
    f.tick(now)
    live = f.detector.states[f.ids["brand"]].cusum
    assert live.value > 0 and live.run_start >= 0  # mid-way through a run: the interesting case
    fresh = f.fresh_detector()
    with engine.connect() as conn:
        fresh.load(conn, now)
    rebuilt = fresh.states[f.ids["brand"]].cusum
    assert rebuilt.hour == live.hour
    assert (rebuilt.run_start, rebuilt.run_posts, rebuilt.alarmed) == (
        live.run_start, live.run_posts, live.alarmed)
    assert rebuilt.value == pytest.approx(live.value)
    assert rebuilt.run_expected == pytest.approx(live.run_expected)


@pytest.mark.parametrize(("yaml_text", "expected"), [
    ("detection:\n  cusum: {shift: 0.8}\n", "detection.cusum.shift"),
    ("detection:\n  cusum: {shift: 1.0}\n", "is not a rise"),
    ("detection:\n  cusum: {threshold: 0}\n", "outside 1…50"),
    ("detection:\n  cusum: {threshold: 500}\n", "detection.cusum.threshold"),
    ("detection:\n  cusum: {treshold: 5}\n", "detection.cusum.treshold"),
    ("detection:\n  cusum: {enabled: maybe}\n", "detection.cusum.enabled"),
])
def test_bad_cusum_settings_name_the_place(yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(yaml_text, path="ws/crisisdesk.yaml")
    assert expected in str(exc.value)


def test_cusum_settings_load() -> None:
    config = parse_config("detection:\n  cusum: {shift: 2, threshold: 8}\n", path="x.yaml")
    assert config.detection.cusum == CusumConfig(enabled=True, shift=2.0, threshold=8.0)
    assert parse_config("monitors: []\n", path="x.yaml").detection.cusum == CusumConfig()

"""The spike detectors as pure functions over a monitor's minute and hour counters."""

from __future__ import annotations

import pytest

from crisisdesk.detection.config import DetectionConfig
from crisisdesk.detection.detectors import (
    WARMUP_HOURS,
    is_calm,
    negativity_reading,
    volume_readings,
)
from crisisdesk.detection.state import HOURS_KEPT, MINUTES_KEPT, Counts, MonitorState

DAY = 24 * 60
START = 1_000 * DAY  # a minute index at midnight UTC


def fill(state: MonitorState, start: int, end: int, per_hour: float, *, negative_share: float = 0.1,
         hourly: dict[int, float] | None = None) -> None:
    """Spread posts evenly: ``per_hour`` an hour (``hourly`` overrides per hour of day)."""
    carry = 0.0
    neg_carry = 0.0
    for m in range(start, end):
        rate = (hourly or {}).get((m // 60) % 24, per_hour)
        carry += rate / 60
        n = int(carry)
        carry -= n
        if n:
            neg_carry += n * negative_share
            k = int(neg_carry)
            neg_carry -= k
            state.add(m, Counts(volume=n, negative=k))


def burst(state: MonitorState, minute: int, posts: int, *, over: int = 10, negative: int = 0) -> None:
    for i in range(posts):
        state.add(minute + (i * over) // posts, Counts(volume=1, negative=int(i < negative)))


@pytest.mark.parametrize("method", ["prev12", "seasonal", "multiscale"])
def test_a_real_wave_is_a_spike(method: str) -> None:
    state = MonitorState()
    fill(state, START, START + 3 * DAY, per_hour=20)
    now = START + 3 * DAY
    burst(state, now - 30, 150, over=30)
    assert any(r.spike for r in volume_readings(state, now, DetectionConfig(method=method)))


@pytest.mark.parametrize("method", ["prev12", "seasonal", "multiscale"])
@pytest.mark.parametrize("posts", [3, 6, 9])
def test_a_handful_of_posts_never_alerts_even_on_a_quiet_monitor(method: str, posts: int) -> None:
    state = MonitorState()
    fill(state, START, START + 9 * DAY, per_hour=3 / 24)  # a quiet brand: 3 posts a day
    now = START + 9 * DAY
    burst(state, now - 10, posts, over=5)
    assert not any(r.spike for r in volume_readings(state, now, DetectionConfig(method=method)))


def test_a_quiet_brand_still_alerts_on_a_real_wave() -> None:
    state = MonitorState()
    fill(state, START, START + 9 * DAY, per_hour=3 / 24)
    now = START + 9 * DAY
    burst(state, now - 15, 25, over=15)
    assert any(r.spike for r in volume_readings(state, now, DetectionConfig()))


def test_a_new_monitor_waits_for_history() -> None:
    state = MonitorState()
    now = START + 60
    burst(state, START, 200, over=59)  # its first hour: a backfill, not a crisis
    assert state.history_hours(now) < WARMUP_HOURS
    assert not any(r.spike for r in volume_readings(state, now, DetectionConfig()))


def test_the_daily_rush_hour_is_not_a_spike_for_the_seasonal_baseline() -> None:
    rush = {8: 150.0}  # every morning at 08:00 UTC the monitor gets 150 posts, otherwise 10/h
    state = MonitorState()
    fill(state, START, START + 8 * DAY + 9 * 60, per_hour=10, hourly=rush)
    now = START + 8 * DAY + 9 * 60  # 09:00, right after the rush hour
    seasonal = volume_readings(state, now, DetectionConfig(method="seasonal"))
    prev12 = volume_readings(state, now, DetectionConfig(method="prev12"))
    assert not any(r.spike for r in seasonal)
    # The previous-12-hours rule cross-checks the same hour a day and a week ago, so it too knows.
    assert not any(r.spike for r in prev12)
    # A rush at an hour that never has one is a spike for both.
    state2 = MonitorState()
    fill(state2, START, START + 8 * DAY + 15 * 60, per_hour=10, hourly=rush)
    burst(state2, START + 8 * DAY + 14 * 60, 150, over=60)
    later = START + 8 * DAY + 15 * 60
    assert any(r.spike for r in volume_readings(state2, later, DetectionConfig(method="seasonal")))


def test_one_past_outlier_does_not_blind_the_seasonal_baseline() -> None:
    state = MonitorState()
    fill(state, START, START + 8 * DAY, per_hour=20)
    burst(state, START + 7 * DAY + 14 * 60, 2000, over=60)  # yesterday's spike at 14:00
    now = START + 8 * DAY + 15 * 60
    fill(state, START + 8 * DAY, now - 60, per_hour=20)
    burst(state, now - 60, 200, over=60)  # today at 14:00 again
    assert any(r.spike for r in volume_readings(state, now, DetectionConfig(method="seasonal")))


def test_negativity_spike_with_flat_volume() -> None:
    state = MonitorState()
    fill(state, START, START + 3 * DAY, per_hour=40, negative_share=0.1)
    now = START + 3 * DAY
    window = Counts(volume=40, negative=26)
    reading = negativity_reading(state, now, window, DetectionConfig())
    assert reading.spike and reading.baseline_share == pytest.approx(0.1, abs=0.02)
    calm = negativity_reading(state, now, Counts(volume=40, negative=5), DetectionConfig())
    assert not calm.spike
    few = negativity_reading(state, now, Counts(volume=7, negative=7), DetectionConfig())
    assert not few.spike  # seven angry posts are below min_negative


def test_calm_after_the_wave() -> None:
    state = MonitorState()
    fill(state, START, START + 3 * DAY, per_hour=20)
    now = START + 3 * DAY
    readings = volume_readings(state, now, DetectionConfig())
    window = state.window(now, 60)
    assert is_calm(readings, negativity_reading(state, now, window, DetectionConfig()), DetectionConfig())


def test_state_stays_bounded() -> None:
    state = MonitorState()
    for m in range(START, START + 30 * DAY, 7):
        state.add(m, Counts(volume=1))
        if m % 60 == 0:
            state.prune(m)
    state.prune(START + 30 * DAY)
    assert state.minutes_held == MINUTES_KEPT
    assert state.hours_held == HOURS_KEPT
    end = START + 30 * DAY
    assert state.window(end, 60).volume == sum(1 for m in range(end - 60, end) if (m - START) % 7 == 0)
    assert state.window(end - 4 * 60, 60).volume == 0  # older than the minute ring: gone


def test_a_collection_gap_restarts_history_instead_of_alerting() -> None:
    state = MonitorState()
    fill(state, START, START + 8 * DAY, per_hour=30)
    resume = START + 22 * DAY + 6 * 60  # fourteen silent days, then the collection resumes
    fill(state, resume, resume + 90, per_hour=60)
    assert state.history_hours(resume + 90) == pytest.approx(1.5, abs=0.1)
    assert not any(r.spike for r in volume_readings(state, resume + 90, DetectionConfig()))


def test_quiet_weekends_are_known_so_a_busy_sunday_is_a_wave() -> None:
    def weekday(minute: int) -> int:  # Monday 0; the epoch was a Thursday
        return (minute // DAY + 3) % 7

    first_sunday = next(START + d * DAY for d in range(7) if weekday(START + d * DAY) == 6)
    state = MonitorState()
    for day in range(20):  # from a Monday to the Saturday three weeks later
        start = first_sunday + DAY + day * DAY
        fill(state, start, start + DAY, per_hour=8 if weekday(start) >= 5 else 40)
    sunday = first_sunday + 21 * DAY
    assert weekday(sunday) == 6
    fill(state, sunday, sunday + 10 * 60, per_hour=8)  # a quiet Sunday morning
    config = DetectionConfig(method="seasonal")
    assert not any(r.spike for r in volume_readings(state, sunday + 10 * 60, config))
    # Weekday volume on a Sunday: against the weekend's baseline, that is a wave (the 7-day
    # median alone, five weekdays to two weekend days, would expect the weekday level).
    fill(state, sunday + 10 * 60, sunday + 11 * 60, per_hour=40)
    assert any(r.spike for r in volume_readings(state, sunday + 11 * 60, config))

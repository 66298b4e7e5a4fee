"""Spike detectors: is this window's volume or negativity far above what this monitor usually sees?

Three ways to say what "usual" is, compared in docs/detection.md on labelled streams:

``prev12``
    The listening-tool rule: the window against the mean of the previous 12 hours, cross-checked
    against the same hour the day and the week before (the largest of the three is expected).
``seasonal``
    The median of the same hour of day over the past week (so a busy morning is not a spike),
    scaled by how the last 12 hours compare with the same 12 hours on those days.
``multiscale``
    ``seasonal`` over a 15-minute and a 60-minute window: sudden waves show up in the short one.

Beside them, the sustained-rise CUSUM (:mod:`.cusum`) adds hours up against ``sustained``, the
seasonal expectation adapted to a sum of hours.

All three share the guards: no alert before ``WARMUP_HOURS`` of history, never on fewer than
``min_posts`` posts, at least ``min_ratio`` times the expectation and ``min_z`` deviations above
it, where the deviation is negative-binomial (``sqrt(E + PHI * E**2)``): social volume is
overdispersed, and a Poisson test fires on every busy evening.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean, median

from crisisdesk.detection.config import DetectionConfig
from crisisdesk.detection.state import Counts, MonitorState

#: Overdispersion of hourly volume (variance = E + PHI·E²), measured on the calm backgrounds.
PHI = 0.1
#: Volume detection starts after this much history; keyword and influencer alerts at once.
WARMUP_HOURS = 6.0
#: Expected posts per hour never drop below this (a quiet brand still has a baseline).
FLOOR_PER_HOUR = 0.5
#: A spike counts as over (for resolution) below this share of its thresholds.
CALM_RATIO = 1.5


@dataclass(frozen=True, slots=True)
class Reading:
    """What a detector saw in one window."""

    window: int  # minutes
    observed: int
    expected: float
    z: float
    spike: bool

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float(self.observed)


def deviation(observed: float, expected: float) -> float:
    return (observed - expected) / math.sqrt(expected + PHI * expected * expected)


def _level(state: MonitorState, level_hour: int) -> float:
    """Mean posts per hour over the 12 hours before ``level_hour`` — over the hours actually
    observed, so the first hours of a new monitor do not count as silent ones."""
    first = state.first_minute // 60 if state.first_minute is not None else level_hour
    hours = range(max(level_hour - 12, first), level_hour)
    return sum(state.hour_volumes(hours)) / max(len(hours), 1)


def _expected_prev12(state: MonitorState, hour: int, level_hour: int) -> float:
    candidates = [_level(state, level_hour)]
    for back in (24, 24 * 7):
        h = hour - back
        if state.has_hour(h) or (state.first_minute is not None and h * 60 >= state.first_minute):
            candidates.append(float(state.hour_volumes([h])[0]))
    return max(candidates)


def _seasonal_parts(state: MonitorState, hour: int, level_hour: int) -> tuple[list[int], list[int], float]:
    """The past days with history, the same hour's volume on each, and how the 12 hours before
    ``level_hour`` compare with the same 12 hours on those days (or the level itself, as the
    third part, when fewer than two days are known)."""
    days = [d for d in range(1, 8)
            if state.first_minute is not None and (level_hour - 12 - 24 * d) * 60 >= state.first_minute]
    level = _level(state, level_hour)
    if len(days) < 2:
        return days, [], level
    then = sum(sum(state.hour_volumes(range(level_hour - 24 * d - 12, level_hour - 24 * d)))
               for d in days) / (12 * len(days))
    return days, state.hour_volumes([hour - 24 * d for d in days]), (level + 1) / (then + 1)


def _expected_seasonal(state: MonitorState, hour: int, level_hour: int) -> float:
    days, same_hour, scale = _seasonal_parts(state, hour, level_hour)
    if not same_hour:
        return scale  # the level: too little history for a seasonal baseline
    return median(same_hour) * min(2.0, max(0.5, scale)) * _weekday_factor(state, hour, days)


def _expected_sustained(state: MonitorState, hour: int, level_hour: int) -> float:
    """``seasonal`` as the CUSUM (:mod:`.cusum`) needs it, with two changes measured on the
    calm streams (docs/detection.md): the *mean* of the same hour, not the median — a CUSUM adds
    hours up, and the median of a skewed count sits about 10 % below its mean, a bias it would
    add up hour after hour — and a level that can raise the expectation but not lower it, so
    the return to normal after a quiet spell is not a rise."""
    days, same_hour, scale = _seasonal_parts(state, hour, level_hour)
    if not same_hour:
        return scale
    return mean(same_hour) * min(2.0, max(1.0, scale)) * _weekday_factor(state, hour, days)


def _weekday_factor(state: MonitorState, hour: int, days: list[int]) -> float:
    """How this weekday compared with the week, a week ago (1 without a full week of history).

    The median over the past seven days treats Saturday like Tuesday; a brand whose weekends are
    quiet would see every Monday morning as a wave. The factor is the same weekday's volume a
    week ago over the median day of that week, clamped to ×0.5–×2.
    """
    if len(days) < 7 or not state.has_hour(hour - 24 * 8):
        return 1.0
    day_start = hour - hour % 24
    totals = [sum(state.hour_volumes(range(day_start - 24 * d, day_start - 24 * d + 24)))
              for d in range(1, 8)]
    return min(2.0, max(0.5, (totals[6] + 1) / (median(totals) + 1)))


#: Per method, and ``sustained`` for the CUSUM of the seasonal methods.
EXPECTATIONS = {"prev12": _expected_prev12, "seasonal": _expected_seasonal,
                "multiscale": _expected_seasonal, "sustained": _expected_sustained}
WINDOWS = {"prev12": (60,), "seasonal": (60,), "multiscale": (15, 60)}


def hour_expectation(state: MonitorState, hour: int, level_hour: int, method: str) -> float:
    """Expected posts in ``hour``, its level taken before ``level_hour``; cached on the state
    (it changes only when the hours do). The window test and the CUSUM (:mod:`.cusum`) share it."""
    key = (method, hour, level_hour)
    cache = state.expectations
    value = cache.get(key)
    if value is None:
        if len(cache) > 16:
            cache.clear()
        value = cache[key] = max(FLOOR_PER_HOUR, EXPECTATIONS[method](state, hour, level_hour))
    return value


def expected_in(state: MonitorState, minute: int, length: int, method: str) -> float:
    """Posts expected in the window ``[minute - length, minute)``.

    A window that straddles two hours expects each hour's share, so a steep morning ramp is
    compared with the hour it is in, not the hour before; the level comes from the 12 hours
    before the window, so a wave never raises its own baseline.
    """
    start = minute - length
    level_hour = start // 60
    total = 0.0
    m = start
    while m < minute:
        hour = m // 60
        upto = min(minute, (hour + 1) * 60)
        total += hour_expectation(state, hour, level_hour, method) * (upto - m) / 60
        m = upto
    return total


def expected_per_hour(state: MonitorState, minute: int, method: str) -> float:
    """The volume this monitor usually has in the hour before ``minute``."""
    return expected_in(state, minute, 60, method)


def volume_readings(state: MonitorState, minute: int, config: DetectionConfig, *,
                    per_hour: float | None = None, window60: Counts | None = None) -> list[Reading]:
    """One reading per window of the configured method, for the minutes before ``minute``.

    ``per_hour`` and ``window60`` save the work when the caller has them already.
    """
    warm = state.history_hours(minute) >= WARMUP_HOURS
    readings = []
    for window in WINDOWS[config.method]:
        if window == 60 and window60 is not None:
            observed = window60.volume
        else:
            observed = state.window_volume(minute, window)
        if window == 60 and per_hour is not None:
            expected = per_hour
        else:
            expected = expected_in(state, minute, window, config.method)
        z = deviation(observed, expected)
        spike = (warm and observed >= config.min_posts and observed >= config.min_ratio * expected
                 and z >= config.min_z)
        readings.append(Reading(window, observed, expected, z, spike))
    return readings


@dataclass(frozen=True, slots=True)
class NegativityReading:
    negative: int
    volume: int
    baseline_share: float
    z: float
    spike: bool

    @property
    def share(self) -> float:
        return self.negative / self.volume if self.volume else 0.0


#: Prior of the usual negative share (a Beta(2, 8): 20 %) for monitors with little history.
PRIOR_NEGATIVE, PRIOR_POSTS = 2.0, 10.0


def negativity_reading(state: MonitorState, minute: int, window: Counts, config: DetectionConfig, *,
                       baseline: tuple[int, int] | None = None) -> NegativityReading:
    """Is the window's negative share far above this monitor's usual one (binomial test)?

    ``baseline`` (negative, total posts of the past week) saves the work when the caller has it.
    """
    neg, vol = baseline if baseline is not None else state.negative_baseline((minute - 60) // 60)
    p0 = (neg + PRIOR_NEGATIVE) / (vol + PRIOR_POSTS)
    n, k = window.volume, window.negative
    z = (k - n * p0) / math.sqrt(max(n * p0 * (1 - p0), 1e-9)) if n else 0.0
    share = k / n if n else 0.0
    spike = k >= config.min_negative and share >= p0 + config.min_negative_lift and z >= config.min_z
    return NegativityReading(k, n, p0, z, spike)


def is_calm(readings: list[Reading], negativity: NegativityReading, config: DetectionConfig) -> bool:
    """Back at baseline: below ``CALM_RATIO`` in every window and negativity not spiking."""
    for r in readings:
        if r.observed >= config.min_posts and r.ratio >= CALM_RATIO and r.z >= config.min_z / 2:
            return False
    return not negativity.spike

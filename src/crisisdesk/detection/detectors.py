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

All three share the guards: no alert before ``WARMUP_HOURS`` of history, never on fewer than
``min_posts`` posts, at least ``min_ratio`` times the expectation and ``min_z`` deviations above
it, where the deviation is negative-binomial (``sqrt(E + PHI * E**2)``): social volume is
overdispersed, and a Poisson test fires on every busy evening.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

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


def _expected_prev12(state: MonitorState, start_hour: int) -> float:
    prev = state.hour_volumes(range(start_hour - 12, start_hour))
    candidates = [sum(prev) / 12]
    for back in (24, 24 * 7):
        h = start_hour - back
        if state.has_hour(h) or (state.first_minute is not None and h * 60 >= state.first_minute):
            candidates.append(float(state.hour_volumes([h])[0]))
    return max(candidates)


def _expected_seasonal(state: MonitorState, start_hour: int) -> float:
    days = [d for d in range(1, 8)
            if state.first_minute is not None and (start_hour - 24 * d) * 60 >= state.first_minute]
    recent = state.hour_volumes(range(start_hour - 12, start_hour))
    level = sum(recent) / 12
    if len(days) < 2:
        return level
    same_hour = median(state.hour_volumes([start_hour - 24 * d for d in days]))
    then = sum(sum(state.hour_volumes(range(start_hour - 24 * d - 12, start_hour - 24 * d)))
               for d in days) / (12 * len(days))
    scale = min(2.0, max(0.5, (level + 1) / (then + 1)))
    return same_hour * scale


EXPECTATIONS = {"prev12": _expected_prev12, "seasonal": _expected_seasonal,
                "multiscale": _expected_seasonal}
WINDOWS = {"prev12": (60,), "seasonal": (60,), "multiscale": (15, 60)}


def expected_per_hour(state: MonitorState, minute: int, method: str) -> float:
    """The volume this monitor usually has in the hour before ``minute``."""
    start_hour = (minute - 60) // 60
    return max(FLOOR_PER_HOUR, EXPECTATIONS[method](state, start_hour))


def volume_readings(state: MonitorState, minute: int, config: DetectionConfig, *,
                    per_hour: float | None = None, window60: Counts | None = None) -> list[Reading]:
    """One reading per window of the configured method, for the minutes before ``minute``.

    ``per_hour`` and ``window60`` save the work when the caller has them already.
    """
    if per_hour is None:
        per_hour = expected_per_hour(state, minute, config.method)
    warm = state.history_hours(minute) >= WARMUP_HOURS
    readings = []
    for window in WINDOWS[config.method]:
        if window == 60 and window60 is not None:
            observed = window60.volume
        else:
            observed = state.window_volume(minute, window)
        expected = per_hour * window / 60
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

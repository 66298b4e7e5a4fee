"""The sustained-rise path: a negative-binomial CUSUM over each monitor's hourly counts.

Why beside the window test: the window test compares the last hour with an expectation whose
level follows the previous 12 hours. A crisis that builds over half a day raises that level as
it goes, so each hour looks only a little above "usual" and the test fires 14–21 h late, or at
the first sudden jump (docs/detection.md). A CUSUM (Page 1954) adds the evidence up instead:
every completed hour adds the log-likelihood ratio of its count under "``shift`` × expected"
against "as expected", the sum never drops below 0, and a run of moderately busy hours reaches
the decision ``threshold`` where no single hour would. The counts are negative-binomial with
the window test's overdispersion (variance ``E + PHI·E²``, size ``1/PHI``): the CUSUM of Watkins
et al. (2008), which kept its sensitivity in their surveillance comparison at false-alarm rates
where the windowed tests lost half of theirs.

What an hour is measured against is the seasonal expectation of the detectors (same hour over
the past week, 12-hour level, weekday factor; ``prev12`` keeps its own), as
``detectors._expected_sustained`` adapts it for a sum of hours, with the 12-hour level ending
``LEVEL_LAG_HOURS`` before the hour: the first hours of a rise cannot raise their own baseline.
No hour adds more than ``STEP_CAP`` of the threshold, so one busy hour (the window test's case)
never fires it alone.

Guards like the window test's: nothing before ``WARMUP_HOURS`` of history (the expectation
needs past days of the same hour), ``min_posts`` posts in the run of hours that reached the
threshold. After it fires it restarts from 0, and so it does when the data stopped (the gap
rule, ``state.GAP_RESET_MINUTES``, which also restarts the warm-up).

Its state is a handful of numbers on the monitor (:class:`~.state.Cusum`). A restart rebuilds it
like the rest, from the rollups (``rollups.load_states``): the hours of the last
``REPLAY_HOURS`` are added again in order, against the hour ring as it was then. The result is
the running process's value unless its CUSUM stayed above 0 for all of those hours without
firing (it drifts back to 0 within hours at usual volume; then the rebuilt value is lower), or
the monitor's data began less than nine days ago in the middle of an hour (the rollups know the
hour, not the minute). Posts that arrive for an hour already added count in the rings, not in
the CUSUM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from crisisdesk.detection.config import DetectionConfig
from crisisdesk.detection.detectors import PHI, hour_expectation
from crisisdesk.detection.reasons import note_text
from crisisdesk.detection.state import MonitorState

#: No CUSUM before this much history: the expectation needs two past days of the same hour.
WARMUP_HOURS = 72
#: The expectation's 12-hour level ends this many hours before the hour scored (at most 12: the
#: hour ring must still hold the same hours a week earlier).
LEVEL_LAG_HOURS = 6
#: One hour adds at most this share of the threshold: a sustained rise, not a single busy hour.
STEP_CAP = 0.5
#: A restart adds the hours of this long ago onwards again (see the module docstring).
REPLAY_HOURS = 48


@dataclass(frozen=True, slots=True)
class Sustained:
    """The CUSUM fired at the end of ``hour``: what the run of hours that reached it showed."""

    hour: int  # the last hour added (hours since the epoch)
    value: float
    threshold: float
    hours: int
    posts: int
    expected: float

    @property
    def ratio(self) -> float:
        return self.posts / self.expected if self.expected > 0 else float(self.posts)

    @property
    def start_minute(self) -> int:
        return (self.hour - self.hours + 1) * 60

    def note(self) -> dict[str, Any]:
        """What the alarm saw, as data (:func:`crisisdesk.detection.reasons.note_text` says it)."""
        return {"kind": "sustained", "ratio": float(self.ratio), "hours": int(self.hours),
                "posts": int(self.posts), "expected": float(self.expected), "cusum": float(self.value),
                "threshold": float(self.threshold)}

    def reason(self) -> str:
        return note_text(self.note(), "en")


def llr(observed: float, expected: float, shift: float) -> float:
    """Log-likelihood ratio of ``observed`` under ``shift × expected`` against ``expected``
    (negative binomial, size ``1 / PHI``). It is positive above a reference count that depends on
    the shift: about 1.2 × expected for a shift of 1.5, 1.7 × for 3, 2 × for 4."""
    size = 1 / PHI
    risen = shift * expected
    return (observed * math.log(shift * (size + expected) / (size + risen))
            - size * math.log((size + risen) / (size + expected)))


def advance(state: MonitorState, until_hour: int, config: DetectionConfig) -> Sustained | None:
    """Add every completed hour before ``until_hour`` not added yet; the last alarm, if any.

    Call it when the hours are complete and before anything of ``until_hour`` is added to the
    state (the engine does at each hour boundary, for every monitor): the expectation of an hour
    reads the hours before it, and the ring must not have moved past them yet.
    """
    c = state.cusum
    first = state.first_minute
    if c.hour < 0 or first is None:
        c.hour = until_hour  # a fresh state, or no data yet: the warm-up covers the hours before
        return None
    if c.hour < first // 60:
        # Hours before the data began (or began again after a gap) are all warm-up: skip them at
        # once (a state loaded long before its data would otherwise step through every hour).
        c.restart()
        c.alarmed = False
        c.hour = min(first // 60, until_hour)
    alarm = None
    while c.hour < until_hour:
        hour = c.hour
        c.hour += 1
        fired = _add_hour(state, hour, config)
        if fired is not None:
            alarm = fired
    return alarm


def _add_hour(state: MonitorState, hour: int, config: DetectionConfig) -> Sustained | None:
    c = state.cusum
    first = state.first_minute
    if first is None or hour - first // 60 < WARMUP_HOURS:
        c.restart()
        c.alarmed = False
        return None
    observed = state.hour_volumes([hour])[0]
    if c.value == 0 and observed == 0:
        c.alarmed = False  # an empty hour cannot start a run: no expectation needed
        return None
    settings = config.cusum
    kind = "prev12" if config.method == "prev12" else "sustained"
    expected = hour_expectation(state, hour, hour - LEVEL_LAG_HOURS, kind)
    step = min(llr(observed, expected, settings.shift), STEP_CAP * settings.threshold)
    if c.value == 0:
        c.run_start, c.run_posts, c.run_expected = hour, 0, 0.0
    c.value = max(0.0, c.value + step)
    if c.value == 0:
        c.restart()
        c.alarmed = False  # back at or below the reference: the rise, if there was one, is over
        return None
    c.run_posts += observed
    c.run_expected += expected
    if c.value < settings.threshold or c.run_posts < config.min_posts:
        return None
    alarm = Sustained(hour, c.value, settings.threshold, hour - c.run_start + 1, c.run_posts,
                      c.run_expected)
    c.restart()
    c.alarmed = True
    return alarm

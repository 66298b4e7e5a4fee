"""A monitor's detector state: fixed rings of minute and hour counters, never raw posts.

Per monitor the state is two small integer arrays used as rings — ``MINUTES_KEPT`` minutes and
``HOURS_KEPT`` hours (a week and a day, so "the same hour last week" is at hand) — plus a ring
per platform the monitor has seen, the few high-risk terms of the last hours and the handful of
numbers of the sustained-rise CUSUM (:class:`Cusum`). It never grows with traffic: about 15 kB
per monitor however busy it is (bench/bench_detection.py measures it). A restarted process
rebuilds it from the stored rollups (:mod:`.rollups`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

MINUTES_KEPT = 3 * 60
HOURS_KEPT = 8 * 24 + 1
#: Silence this long means the data stopped (a collection paused, a connector broke), not that
#: the brand went quiet: history restarts, so the resumption is not mistaken for a wave.
GAP_RESET_MINUTES = 72 * 60

# Columns of the minute ring.
_FIELDS = ("volume", "negative", "insult", "reach", "negative_reach", "press", "influencers")
_VOLUME, _NEGATIVE = 0, 1


@dataclass(slots=True)
class Counts:
    """Additive counters of a set of posts (one post, one minute, one window)."""

    volume: int = 0
    negative: int = 0
    insult: int = 0
    reach: int = 0
    negative_reach: int = 0
    press: int = 0
    influencers: int = 0
    platforms: dict[str, int] = field(default_factory=dict)
    high_risk: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        self.volume += other.volume
        self.negative += other.negative
        self.insult += other.insult
        self.reach += other.reach
        self.negative_reach += other.negative_reach
        self.press += other.press
        self.influencers += other.influencers
        for k, v in other.platforms.items():
            self.platforms[k] = self.platforms.get(k, 0) + v
        for k, v in other.high_risk.items():
            self.high_risk[k] = self.high_risk.get(k, 0) + v

    def values(self) -> tuple[int, ...]:
        return (self.volume, self.negative, self.insult, self.reach, self.negative_reach, self.press,
                self.influencers)


@dataclass(slots=True)
class Cusum:
    """Where a monitor's sustained-rise CUSUM stands (:mod:`.cusum` moves it hour by hour).

    Only numbers: the statistic and the run of hours that built it, so the reason of an alert
    can say "1.8× expected for 6 h" without keeping the hours themselves.
    """

    #: The statistic: log-likelihood ratio of "risen" against "as expected", never below 0.
    value: float = 0.0
    #: The next hour to add (hours since the epoch); -1 until the engine first moves it.
    hour: int = -1
    #: The run: the hours since the statistic last left 0, their posts and expected posts.
    run_start: int = -1
    run_posts: int = 0
    run_expected: float = 0.0
    #: It fired and the rise has not ended yet (the statistic has not fallen back to 0 since).
    alarmed: bool = False

    def restart(self) -> None:
        """Forget the run (after an alert, or when the data stopped): it starts from 0 again."""
        self.value, self.run_start, self.run_posts, self.run_expected = 0.0, -1, 0, 0.0


class MonitorState:
    """Minute and hour rings of one monitor (indices are minutes/hours since the epoch)."""

    __slots__ = ("_hour_stamp", "_hours", "_latest", "_minute_stamp", "_minutes", "_platforms", "_risk",
                 "_seen", "_slides", "cusum", "expectations", "first_minute")

    def __init__(self) -> None:
        self._minutes = np.zeros((MINUTES_KEPT, len(_FIELDS)), dtype=np.int64)
        self._minute_stamp = np.full(MINUTES_KEPT, -1, dtype=np.int64)
        self._hours = np.zeros((HOURS_KEPT, 2), dtype=np.int64)
        self._hour_stamp = np.full(HOURS_KEPT, -1, dtype=np.int64)
        self._platforms: dict[str, np.ndarray] = {}
        self._risk: dict[tuple[int, str], int] = {}  # (minute, term) -> posts; rare and pruned
        self.first_minute: int | None = None
        self._latest = -1  # newest minute written: slots older than the ring's span are stale
        self._seen = -1  # newest minute of data seen (minute or hour counters)
        #: Running sums of the windows detectors ask for every minute: length -> [end, *sums].
        self._slides: dict[int, list[int]] = {}
        #: Detectors' per-hour expectations, cached while the hours they read stay the same.
        self.expectations: dict[tuple[str, int, int], float] = {}
        self.cusum = Cusum()

    # -- writing ------------------------------------------------------------------------------
    def add(self, minute: int, counts: Counts, *, count_hour: bool = True) -> None:
        """Add posts of ``minute``; ``count_hour=False`` when the hour ring has them already."""
        self._see(minute)
        i = minute % MINUTES_KEPT
        stamp = int(self._minute_stamp[i])
        if stamp != minute:
            if stamp > minute:  # older than anything the ring holds: only the hour counts
                if count_hour:
                    self.add_hour(minute // 60, counts.volume, counts.negative)
                return
            self._minutes[i] = 0
            self._minute_stamp[i] = minute
            for ring in self._platforms.values():
                ring[i] = 0
            self._latest = max(self._latest, minute)
        values = counts.values()
        self._minutes[i] += values
        for length, slide in self._slides.items():
            if slide[0] - length <= minute < slide[0]:
                for f, v in enumerate(values, start=1):
                    slide[f] += v
        for platform, n in counts.platforms.items():
            if platform not in self._platforms:
                self._platforms[platform] = np.zeros(MINUTES_KEPT, dtype=np.int32)
            self._platforms[platform][i] += n
        for term, n in counts.high_risk.items():
            self._risk[(minute, term)] = self._risk.get((minute, term), 0) + n
        if count_hour:
            self.add_hour(minute // 60, counts.volume, counts.negative)

    def _see(self, minute: int) -> None:
        """Track when this monitor's data began: after a gap, history starts again."""
        after_gap = self._seen >= 0 and minute - self._seen > GAP_RESET_MINUTES
        earlier = self.first_minute is None or (
            minute < self.first_minute and self.first_minute - minute <= GAP_RESET_MINUTES)
        if after_gap or earlier:
            self.first_minute = minute
        if after_gap:
            self.cusum.restart()
            self.cusum.alarmed = False
        self._seen = max(self._seen, minute)

    def add_hour(self, hour: int, volume: int, negative: int) -> None:
        i = hour % HOURS_KEPT
        stamp = int(self._hour_stamp[i])
        if stamp != hour:
            if stamp > hour:
                return  # older than a week and a day: no detector looks that far back
            self._hours[i] = 0
            self._hour_stamp[i] = hour
        self._hours[i, 0] += volume
        self._hours[i, 1] += negative
        self._see(hour * 60)

    def prune(self, now_minute: int) -> None:
        """Forget high-risk terms no window looks at any more (the rings bound themselves)."""
        if self._risk:
            oldest = now_minute - MINUTES_KEPT
            for key in [k for k in self._risk if k[0] < oldest]:
                del self._risk[key]

    # -- reading ------------------------------------------------------------------------------
    def _row(self, minute: int) -> list[int] | None:
        i = minute % MINUTES_KEPT
        if int(self._minute_stamp[i]) != minute or minute <= self._latest - MINUTES_KEPT:
            return None
        return [int(x) for x in self._minutes[i]]

    def _sums(self, end: int, length: int) -> list[int]:
        """The counters of ``[end - length, end)``, kept as running sums while the end moves on
        minute by minute (the detectors' case), recomputed from the ring otherwise."""
        slide = self._slides.get(length)
        if slide is not None and slide[0] <= end <= slide[0] + 8:
            for e in range(slide[0], end):  # minute e enters, minute e - length leaves
                enter, leave = self._row(e), self._row(e - length)
                for f in range(len(_FIELDS)):
                    slide[f + 1] += (enter[f] if enter else 0) - (leave[f] if leave else 0)
            slide[0] = end
            return slide[1:]
        start = max(end - length, self._latest - MINUTES_KEPT + 1)
        mask = (self._minute_stamp >= start) & (self._minute_stamp < end)
        sums = [int(x) for x in self._minutes[mask].sum(axis=0)]
        if slide is None or end >= slide[0]:
            self._slides[length] = [end, *sums]
        return sums

    def window(self, end: int, length: int, *, detail: bool = True) -> Counts:
        """Everything in minutes ``[end - length, end)`` (as far as the ring still holds them);
        ``detail=False`` leaves out the per-platform counts and the high-risk terms."""
        v = self._sums(end, length)
        total = Counts(v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        if not detail:
            return total
        start = max(end - length, self._latest - MINUTES_KEPT + 1)
        mask = (self._minute_stamp >= start) & (self._minute_stamp < end)
        for platform, ring in self._platforms.items():
            n = int(ring[mask].sum())
            if n:
                total.platforms[platform] = n
        for (minute, term), n in self._risk.items():
            if start <= minute < end:
                total.high_risk[term] = total.high_risk.get(term, 0) + n
        return total

    def window_volume(self, end: int, length: int) -> int:
        """Posts in minutes ``[end - length, end)``: :meth:`window` for the volume only."""
        return self._sums(end, length)[_VOLUME]

    def has_risk(self, end: int, length: int) -> bool:
        """Whether any high-risk term was seen in ``[end - length, end)``."""
        return any(end - length <= minute < end for minute, _ in self._risk)

    def has_hour(self, hour: int) -> bool:
        return int(self._hour_stamp[hour % HOURS_KEPT]) == hour

    def hour_volumes(self, hours: Iterable[int]) -> list[int]:
        out = []
        for h in hours:
            i = h % HOURS_KEPT
            out.append(int(self._hours[i, 0]) if int(self._hour_stamp[i]) == h else 0)
        return out

    def history_hours(self, now_minute: int) -> float:
        """How long this monitor has been observed (hours)."""
        return 0.0 if self.first_minute is None else (now_minute - self.first_minute) / 60

    def negative_baseline(self, before_hour: int, hours: int = 7 * 24) -> tuple[int, int]:
        """Negative and total posts in the ``hours`` before ``before_hour``."""
        mask = (self._hour_stamp >= before_hour - hours) & (self._hour_stamp < before_hour)
        vol, neg = (int(v) for v in self._hours[mask].sum(axis=0))
        return neg, vol

    @property
    def minutes_held(self) -> int:
        return int((self._minute_stamp >= 0).sum())

    @property
    def hours_held(self) -> int:
        return int((self._hour_stamp >= 0).sum())

"""Scoring a detector against labelled events: detection delay and false alarms.

Pure functions over the alert events a replay wrote (``alert.opened|updated|resolved``) and an
onsets file (one labelled event per line). An event is *detected* by the first ``alert.opened``
or ``alert.updated`` of its monitor (optionally only of some causes) inside its window
``[onset - tolerance, end or onset + horizon]``; ``alert.updated`` counts because a situation
opened just before the event stays open and then only grows. A *false alarm* is an
``alert.opened`` outside every window of its monitor. docs/detection.md shows the numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crisisdesk.core.errors import CrisisdeskError

OPENED, UPDATED = "alert.opened", "alert.updated"
DETECTING = frozenset({OPENED, UPDATED})


class OnsetsError(CrisisdeskError):
    """An onsets file is wrong; the message names the file, the line and the problem."""


@dataclass(frozen=True, slots=True)
class Onset:
    """One labelled event: from ``onset`` (UTC) on, ``monitor`` is in a crisis."""

    monitor: str
    onset: datetime
    name: str
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    event: str
    monitor: str
    cause: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ScoringOptions:
    #: An alert this long before the labelled onset still counts (labels are approximate).
    tolerance: timedelta = timedelta(minutes=30)
    #: Without an ``end``, an event's window closes this long after its onset.
    horizon: timedelta = timedelta(hours=24)
    #: Only alerts of these causes count (detection and false alarms); ``None``: every cause.
    causes: frozenset[str] | None = None

    def counts(self, alert: Alert) -> bool:
        return self.causes is None or alert.cause in self.causes


@dataclass(frozen=True, slots=True)
class EventScore:
    onset: Onset
    window_end: datetime
    first_alert: Alert | None
    #: False alarms of the same monitor before the event's window opened.
    false_alarms_before: int

    @property
    def detected(self) -> bool:
        return self.first_alert is not None

    @property
    def delay_minutes(self) -> float | None:
        if self.first_alert is None:
            return None
        return (self.first_alert.at - self.onset.onset).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class Summary:
    events: int
    detected: int
    median_delay: float | None  # minutes, over detected events
    p90_delay: float | None
    false_alarms: int
    days: float  # stream time covered
    monitors: int

    @property
    def detection_rate(self) -> float | None:
        return self.detected / self.events if self.events else None

    @property
    def false_alarms_per_day(self) -> float:
        return self.false_alarms / self.days if self.days > 0 else float(self.false_alarms)

    @property
    def false_alarms_per_monitor_day(self) -> float:
        return self.false_alarms_per_day / max(self.monitors, 1)

    def as_dict(self) -> dict[str, Any]:
        return {"events": self.events, "detected": self.detected, "detection_rate": self.detection_rate,
                "median_delay_minutes": self.median_delay, "p90_delay_minutes": self.p90_delay,
                "false_alarms": self.false_alarms, "days": round(self.days, 3),
                "false_alarms_per_day": round(self.false_alarms_per_day, 3),
                "monitors": self.monitors,
                "false_alarms_per_monitor_day": round(self.false_alarms_per_monitor_day, 3)}


@dataclass(frozen=True, slots=True)
class Scorecard:
    events: list[EventScore]
    summary: Summary
    false_alarms: list[Alert] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": [{
                "monitor": e.onset.monitor, "name": e.onset.name, "onset": e.onset.onset.isoformat(),
                "window_end": e.window_end.isoformat(), "detected": e.detected,
                "first_alert": e.first_alert.at.isoformat() if e.first_alert else None,
                "first_alert_event": e.first_alert.event if e.first_alert else None,
                "cause": e.first_alert.cause if e.first_alert else None,
                "delay_minutes": None if e.delay_minutes is None else round(e.delay_minutes, 1),
                "false_alarms_before": e.false_alarms_before,
            } for e in self.events],
            "summary": self.summary.as_dict(),
            "false_alarms": [{"monitor": a.monitor, "cause": a.cause, "at": a.at.isoformat()}
                             for a in self.false_alarms],
        }


# -- parsing ----------------------------------------------------------------------------------
def _aware(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected an ISO 8601 time as a string, got {value!r}")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{key}: {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ValueError(f"{key}: {value!r} has no UTC offset")
    return at


def parse_onset(data: Any) -> Onset:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object with monitor, onset, name (and optionally end)")
    unknown = sorted(set(data) - {"monitor", "onset", "name", "end"})
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    for key in ("monitor", "onset", "name"):
        if key not in data:
            raise ValueError(f"{key}: required field missing")
    monitor, name = data["monitor"], data["name"]
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(f"monitor: expected a monitor name, got {monitor!r}")
    if not isinstance(name, str):
        raise ValueError(f"name: expected a string, got {name!r}")
    onset = _aware(data["onset"], "onset")
    end = None if data.get("end") is None else _aware(data["end"], "end")
    if end is not None and end < onset:
        raise ValueError(f"end {end.isoformat()} is before onset {onset.isoformat()}")
    return Onset(monitor, onset, name, end)


def parse_onsets(text: str, *, source: str) -> list[Onset]:
    """One JSON object per line; blank lines are skipped; the first problem names its line."""
    onsets = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise OnsetsError(f"{source}: line {number}: not valid JSON ({exc.msg})") from None
        try:
            onsets.append(parse_onset(data))
        except ValueError as exc:
            raise OnsetsError(f"{source}: line {number}: {exc}") from None
    return onsets


def load_onsets(path: Path) -> list[Onset]:
    if not path.is_file():
        raise OnsetsError(f"{path}: no such onsets file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise OnsetsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_onsets(text, source=str(path))


def alerts_from_events(events: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """The ``alert.*`` events of a replay's events-out, in time order."""
    alerts = [Alert(str(e["event"]), str(e.get("monitor", "")), str(e.get("cause", "")),
                    _aware(e["at"], "at"))
              for e in events if str(e.get("event", "")).startswith("alert.")]
    alerts.sort(key=lambda a: a.at)
    return alerts


# -- scoring ----------------------------------------------------------------------------------
def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def score(alerts: Iterable[Alert], onsets: Sequence[Onset], *, start: datetime, end: datetime,
          options: ScoringOptions | None = None, monitors: int | None = None) -> Scorecard:
    """Score ``alerts`` against ``onsets`` for a stream that covers ``[start, end]``.

    ``monitors`` (for false alarms per monitor-day) defaults to the number of distinct monitors
    seen in alerts and onsets.
    """
    opts = options or ScoringOptions()
    counted = [a for a in alerts if opts.counts(a)]
    windows: dict[str, list[tuple[datetime, datetime]]] = {}
    ends = []
    for o in onsets:
        window_end = o.end if o.end is not None else o.onset + opts.horizon
        ends.append(window_end)
        windows.setdefault(o.monitor, []).append((o.onset - opts.tolerance, window_end))

    def inside(a: Alert) -> bool:
        return any(lo <= a.at <= hi for lo, hi in windows.get(a.monitor, []))

    false_alarms = [a for a in counted if a.event == OPENED and not inside(a)]
    scores = []
    for o, window_end in zip(onsets, ends, strict=True):
        lo = o.onset - opts.tolerance
        first = next((a for a in counted if a.monitor == o.monitor and a.event in DETECTING
                      and lo <= a.at <= window_end), None)
        before = sum(1 for a in false_alarms if a.monitor == o.monitor and a.at < lo)
        scores.append(EventScore(o, window_end, first, before))
    delays = [s.delay_minutes for s in scores if s.delay_minutes is not None]
    seen = {a.monitor for a in alerts} | {o.monitor for o in onsets}
    summary = Summary(
        events=len(scores), detected=len(delays), median_delay=quantile(delays, 0.5),
        p90_delay=quantile(delays, 0.9), false_alarms=len(false_alarms),
        days=max((end - start).total_seconds() / 86400, 0.0),
        monitors=monitors if monitors is not None else len(seen),
    )
    return Scorecard(scores, summary, false_alarms)

"""The building blocks of :mod:`crisisdesk.web.charts`: colours, the formatting protocol, the
protocols the charts read data through, escaping, number and time axes.

Kept apart so that the chart module holds the charts only; nothing here draws a chart.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar
from xml.sax.saxutils import escape, quoteattr

# Colours (Tableau 10, distinguishable with the common colour-vision deficiencies); CSS may
# override them through the class names.
VOLUME_FILL = "#4e79a7"
NEGATIVE_STROKE = "#e15759"
MARKER_FILL = "#f28e2b"
BAR_FILL = "#59a14f"
GRID = "#d0d0d0"
SEVERITY_FILL = {1: "#edc948", 2: "#f28e2b", 3: "#e15759", 4: "#b0122f"}


class Fmt(Protocol):
    """How labels are written: numbers, shares, timestamps and axis ticks in the user's locale."""

    def number(self, value: float) -> str: ...

    def percent(self, value: float) -> str: ...

    def when(self, value: datetime) -> str: ...

    def tick(self, value: datetime, step: timedelta) -> str: ...


class PlainFormat:
    """Locale-free labels (tests, logs); the pages pass a :class:`~crisisdesk.web.formatting.Formatter`."""

    def number(self, value: float) -> str:
        return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"

    def percent(self, value: float) -> str:
        return f"{value * 100:.1f}%"

    def when(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")

    def tick(self, value: datetime, step: timedelta) -> str:
        return value.astimezone(UTC).strftime("%H:%M" if step < timedelta(days=1) else "%d.%m.")


PLAIN = PlainFormat()


class TimeValue(Protocol):
    """One bucket of a series (e.g. :class:`crisisdesk.dashboards.schemas.SeriesPoint`)."""

    @property
    def start(self) -> datetime: ...

    @property
    def volume(self) -> float: ...

    @property
    def negative_share(self) -> float: ...


class Span(Protocol):
    """A situation on the time axis (e.g. :class:`crisisdesk.dashboards.schemas.SituationMarker`)."""

    @property
    def opened_at(self) -> datetime: ...

    @property
    def resolved_at(self) -> datetime | None: ...

    @property
    def severity(self) -> int: ...


class StackValue(Protocol):
    """Values per key for one bucket (e.g. :class:`crisisdesk.dashboards.schemas.BreakdownPoint`)."""

    @property
    def start(self) -> datetime: ...

    @property
    def values(self) -> Mapping[str, float]: ...


S = TypeVar("S", bound=Span)


# -- small helpers -------------------------------------------------------------------------------

def attr(value: str) -> str:
    return quoteattr(value)


def esc(value: str) -> str:
    return escape(value)


def fx(value: float) -> str:
    """A coordinate: short, and never "nan"."""
    if not math.isfinite(value):
        return "0"
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def chart_id(kind: str, *parts: object) -> str:
    """A stable id for ``aria-labelledby``: the same chart gives the same id (pure function)."""
    return f"{kind}-{hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:10]}"


def open_svg(kind: str, width: float, height: float, title: str, desc: str, uid: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {fx(width)} '
        f'{fx(height)}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="{uid}-t">{esc(title)}</title>',
        f'<desc id="{uid}-d">{esc(desc)}</desc>',
    ]


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (at least 1): a round axis top."""
    if not math.isfinite(value) or value <= 1:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= value:
            return float(m * exp)
    return float(10 * exp)  # pragma: no cover - the loop always returns


_TICK_STEPS = tuple(timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 120, 180, 360, 720)) + tuple(
    timedelta(days=d) for d in (1, 2, 7, 14, 30))


def time_ticks(start: datetime, end: datetime, max_ticks: int = 7) -> tuple[list[datetime], timedelta]:
    """Round times between ``start`` and ``end`` for axis labels, and the step between them."""
    span = (end - start).total_seconds()
    step = next((s for s in _TICK_STEPS if span / s.total_seconds() <= max_ticks), _TICK_STEPS[-1])
    size = int(step.total_seconds())
    first = math.ceil(start.timestamp() / size) * size
    ticks = []
    t = first
    while t <= end.timestamp():
        ticks.append(datetime.fromtimestamp(t, UTC))
        t += size
    return ticks, step


# -- sparkline -----------------------------------------------------------------------------------

"""The business calendar: when the team works, so that an SLA counts only the minutes it could act.

A calendar is the escalation's :class:`~crisisdesk.escalation.config.WorkingHours` (days, a start
and an end in a time zone; an end before the start spans midnight and belongs to the day it
starts) plus holidays, on which no shift starts. Open intervals are built from local wall times
and compared in UTC, so a day of a clock change counts the minutes that really pass (a night
shift across the change is an hour shorter or longer; a day shift is not affected).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field

from crisisdesk.escalation.config import WorkingHours

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far ``add`` looks ahead for open time before it gives up (a calendar of holidays only).
_HORIZON_DAYS = 366 * 5


class BusinessHours(WorkingHours):
    """``inbox.business_hours``: Monday to Friday, 08:00–18:00 Europe/Berlin unless told otherwise."""

    holidays: list[date] = Field(default_factory=list, description="Days on which no shift starts.")

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self)


class BusinessCalendar:
    """Open or closed at a moment, and a number of business minutes after a moment."""

    def __init__(self, hours: BusinessHours | None = None) -> None:
        self.hours = hours or BusinessHours()
        self._zone = ZoneInfo(self.hours.timezone)
        self._days = {_WEEKDAYS.index(d) for d in self.hours.days}
        self._holidays = frozenset(self.hours.holidays)

    def _shift(self, day: date) -> tuple[datetime, datetime] | None:
        """The open interval starting on local ``day``, in UTC; None on a day off or a holiday."""
        if day.weekday() not in self._days or day in self._holidays:
            return None
        start = datetime.combine(day, self.hours.start, tzinfo=self._zone)
        end_day = day if self.hours.start < self.hours.end else day + timedelta(days=1)
        end = datetime.combine(end_day, self.hours.end, tzinfo=self._zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def _shifts_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals that end after ``at``, in order (the one ``at`` is in first)."""
        day = at.astimezone(self._zone).date() - timedelta(days=1)  # yesterday's night shift may run
        for offset in range(_HORIZON_DAYS):
            shift = self._shift(day + timedelta(days=offset))
            if shift is not None and shift[1] > at:
                yield shift

    def is_open(self, at: datetime) -> bool:
        start, _ = next(self._shifts_from(at), (None, None))
        return start is not None and start <= at

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` business minutes after ``start`` (time outside the hours does not
        count; a start outside them counts from the next opening)."""
        remaining = timedelta(minutes=minutes)
        if remaining <= timedelta(0):
            return start
        for opens, closes in self._shifts_from(start):
            begin = max(opens, start)
            if begin + remaining <= closes:
                return begin + remaining
            remaining -= closes - begin
        raise ValueError(f"the business calendar has no open time within {_HORIZON_DAYS} days of {start}")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end`` (0 when ``end`` is not later)."""
        total = timedelta(0)
        for opens, closes in self._shifts_from(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return max(total, timedelta(0)).total_seconds() / 60

"""Query parameters the JSON API's reads share: a 422 that names the parameter, times in UTC and
the time range of a chart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError

from crisisdesk.web.monitor_pages import RANGES

RangeName = Literal["24h", "7d", "30d"]


def bad_param(name: str, message: str, value: Any) -> RequestValidationError:
    """A 422 shaped like FastAPI's own, so that every bad query parameter reads the same way."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", name), "msg": message,
                                    "input": value}])


#: Times a range may name: charts reach back a range's length before its start (the baseline of
#: surging terms), so a time near year 1 would overflow; nothing we store is that old.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def utc(name: str, at: datetime) -> datetime:
    """A time as given, or read as UTC when it carries no offset; 422 on ``name`` outside
    1970–2200."""
    try:
        out = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00-01:00 has no UTC time
        out = None
    if out is None or not EARLIEST <= out < LATEST:
        raise bad_param(name, "must be between 1970 and 2200", at.isoformat())
    return out


def check_span(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """``since``/``until`` in UTC; 422 on ``until`` when it is not after ``since``."""
    s = utc("since", since) if since is not None else None
    u = utc("until", until) if until is not None else None
    if s is not None and u is not None and u <= s:
        raise bad_param("until", "must be after since", until.isoformat() if until else None)
    return s, u


def chart_span(range_: RangeName, since: datetime | None, until: datetime | None,
               now: datetime) -> tuple[datetime, datetime]:
    """``[since, until)`` when ``since`` is given (``until`` defaults to now), else the last ``range``
    back from now, as the monitor page's range buttons choose it."""
    s, u = check_span(since, until)
    if s is None:
        if u is not None:
            raise bad_param("since", "give since together with until", None)
        return now - RANGES[range_], now
    return s, u or now

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


def utc(at: datetime) -> datetime:
    """A time as given, or read as UTC when it carries no offset."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def check_span(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """``since``/``until`` in UTC; 422 on ``until`` when it is not after ``since``."""
    s = utc(since) if since is not None else None
    u = utc(until) if until is not None else None
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

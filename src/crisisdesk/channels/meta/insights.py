"""Reading Meta's insights endpoints (``GET /{id}/insights``) for a page or an Instagram account.

The shapes (Graph API Page Insights and Instagram Account Insights, 2026):

* a **time series**: ``{"data": [{"name", "period": "day", "values": [{"value", "end_time"}]}]}``,
  one value per day. ``end_time`` is the *end* of the day it measures, in Meta's reporting time
  zone (Pacific time: ``2026-12-02T08:00:00+0000`` is the value of 1 December), so a value belongs
  to the day before its ``end_time``. Meta's days are stored under their own date (a UTC day
  and Meta's day overlap by 16 of 24 hours);
* a **total** (``metric_type=total_value``, required for Instagram's ``views``):
  ``{"data": [{"name", "period", "total_value": {"value"}}]}``, one number for ``since`` … ``until``.

``since`` and ``until`` are Unix seconds (we give midnights of Meta's days); Meta caps the span of
one call (90 days for pages, 30 for Instagram), so longer ranges are asked in pieces. Each metric
is its own call: Meta refuses the whole call when one metric is unknown or retired (it retired
``page_impressions*`` in 2025 and Instagram's ``impressions`` too), and one refused metric must
not lose the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from crisisdesk.channels.base import DayInsight, Insights, PlatformError
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.times import graph_time

#: Our figure (a :class:`DayInsight` field) -> what it is called in the platform's insights.
Figures = dict[str, str]


#: The time zone of Meta's insights days (``end_time`` is midnight there).
META_DAYS = ZoneInfo("America/Los_Angeles")


def _unix(day: date) -> str:
    """The start of ``day`` in Meta's reporting time zone, as ``since``/``until`` take it: so that
    each day we ask for is one of Meta's days, stored under its own date."""
    return str(int(datetime.combine(day, time(), META_DAYS).timestamp()))


def spans(first: date, last: date, most_days: int) -> Iterator[tuple[date, date]]:
    """``first`` … ``last`` in pieces of at most ``most_days`` days, in order."""
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=most_days - 1))
        yield start, end
        start = end + timedelta(days=1)


def _count(value: Any) -> int | None:
    """A count as Meta gives it (an integer, sometimes a float such as ``12.0``); anything else
    (a breakdown object, a negative number, a string) is not a count."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def _day_of(end_time: Any) -> date | None:
    moment = graph_time(end_time)
    return None if moment is None else (moment.astimezone(UTC) - timedelta(days=1)).date()


def _metric_data(answer: dict[str, Any], metric: str) -> dict[str, Any] | None:
    data = answer.get("data")
    if not isinstance(data, list):
        return None
    return next((d for d in data if isinstance(d, dict) and d.get("name") == metric), None)


def daily_series(graph: GraphClient, account: str, metric: str, first: date, last: date, *,
                 most_days: int) -> dict[date, int]:
    """A metric's daily values for ``first`` … ``last``; days Meta gave no number for are absent
    (an empty answer means "no data yet", never zero). Raises :class:`PlatformError`."""
    found: dict[date, int] = {}
    for start, end in spans(first, last, most_days):
        answer = graph.get(f"{account}/insights", metric=metric, period="day", since=_unix(start),
                           until=_unix(end + timedelta(days=1)))
        series = _metric_data(answer, metric)
        values = series.get("values") if series else None
        if series is not None and not isinstance(values, list):
            raise PlatformError(f"the {metric} answer has no list of values", permanent=True)
        for item in values or []:
            if not isinstance(item, dict):
                continue
            day, count = _day_of(item.get("end_time")), _count(item.get("value"))
            if day is not None and count is not None and first <= day <= last:
                found[day] = count
    return found


def daily_totals(graph: GraphClient, account: str, metric: str, first: date, last: date) -> dict[date, int]:
    """A ``total_value`` metric, one call per day (its total over that day)."""
    found: dict[date, int] = {}
    for day, _ in spans(first, last, 1):
        answer = graph.get(f"{account}/insights", metric=metric, period="day", metric_type="total_value",
                           since=_unix(day), until=_unix(day + timedelta(days=1)))
        data = _metric_data(answer, metric)
        total = data.get("total_value") if data else None
        count = _count(total.get("value")) if isinstance(total, dict) else None
        if count is not None:
            found[day] = count
    return found


def followers(graph: GraphClient, account: str) -> int | None:
    """The account's followers now (``followers_count`` of the page or Instagram user)."""
    return _count(graph.get(account, fields="followers_count").get("followers_count"))


def _followers_today(graph: GraphClient, account: str, today: date) -> dict[date, int]:
    count = followers(graph, account)
    return {} if count is None else {today: count}


Reader = Callable[[GraphClient, str, date, date], dict[date, int]]


def collect(graph: GraphClient, account: str, first: date, last: date, readers: dict[str, Reader],
            today: date) -> Insights:
    """Run each figure's reader (``reach``, ``impressions``) and the followers count, each on its
    own: a refusal is noted in :attr:`Insights.refused` and the others go on. A dead token, or every
    call refused, raises the (first) refusal: then nothing was measured."""
    by_day: dict[date, dict[str, int]] = {}
    refused: list[PlatformError] = []
    asks: list[tuple[str, Callable[[], dict[date, int]]]] = [
        (figure, partial(read, graph, account, first, last)) for figure, read in readers.items()]
    if first <= today <= last:
        asks.append(("followers", partial(_followers_today, graph, account, today)))
    for figure, ask in asks:
        try:
            values = ask()
        except PlatformError as exc:
            if exc.reauthorize:
                raise
            refused.append(PlatformError(f"{figure}: {exc}", code=exc.code, permanent=exc.permanent,
                                         retry_after=exc.retry_after, rate_limited=exc.rate_limited))
            continue
        for day, count in values.items():
            by_day.setdefault(day, {})[figure] = count
    if refused and len(refused) == len(asks):
        raise refused[0]
    days = [DayInsight(day, **figures) for day, figures in sorted(by_day.items())]
    return Insights(days, [str(r) for r in refused])

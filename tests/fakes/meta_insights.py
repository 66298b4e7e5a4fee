"""Meta's insights endpoints for a page and an Instagram account, as a responder for :class:`HttpSink`.

Speaks the documented shapes (Graph API Page Insights and Instagram Account Insights):
``GET /v<N>/{id}/insights?metric=…&period=day&since=<unix>&until=<unix>`` answers a time series,
``{"data": [{"name", "period", "values": [{"value", "end_time"}], "title", "id"}], "paging"}``,
one value per day of ``since`` … ``until`` whose ``end_time`` is the end of that day in Pacific
time (``…T08:00:00+0000`` in winter, ``T07:00`` in summer); with ``metric_type=total_value`` one
``total_value`` over the whole range. ``GET /v<N>/{id}?fields=followers_count`` answers the account.

It refuses what Meta refuses: a retired or unknown metric (``page_impressions_unique``,
Instagram's ``impressions``: error 100 "must be a valid insights metric"), Instagram's ``views``
without ``metric_type=total_value``, a span longer than 90 days (pages) or 30 days (Instagram), a
missing ``since``/``until``, a wrong token (190). Several metrics in one call are answered
together, and one refused metric refuses the call, as Meta does. Days with no number are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from tests.fakes.http_sink import Recorded, Reply
from tests.fakes.meta_graph import graph_error

PACIFIC = ZoneInfo("America/Los_Angeles")
PAGE_METRICS = {"page_total_media_view_unique", "page_media_view", "page_post_engagements", "page_follows"}
INSTAGRAM_METRICS = {"reach", "views", "accounts_engaged", "total_interactions", "follower_count"}
TOTAL_ONLY = {"views", "accounts_engaged", "total_interactions"}
SPAN = {"page": 90, "instagram": 30}


@dataclass
class Account:
    kind: str  # page | instagram
    followers_count: int | None = None
    #: metric -> day -> value, as the platform measured it.
    daily: dict[str, dict[date, int]] = field(default_factory=dict)


def end_time(day: date) -> str:
    """The end of ``day`` in Pacific time, written as Meta writes it."""
    end = datetime.combine(day + timedelta(days=1), time(), PACIFIC).astimezone(UTC)
    return end.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _day(unix: str) -> date:
    """The Pacific day a ``since``/``until`` moment falls on (Meta counts days in its time zone)."""
    return datetime.fromtimestamp(int(unix), UTC).astimezone(PACIFIC).date()


class GraphInsights:
    def __init__(self, token: str, accounts: dict[str, Account]) -> None:
        self.token = token
        self.accounts = accounts
        self.failures: dict[str, Reply] = {}  # metric -> the refusal it gets

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return graph_error(190, "Error validating access token: Session has expired", subcode=463)
        path, _, query = rec.path.partition("?")
        match = re.fullmatch(r"/v\d+\.\d+/(\w+)(/insights)?", path)
        if rec.method != "GET" or not match or match.group(1) not in self.accounts:
            return graph_error(100, "Unsupported get request. Object does not exist", subcode=33)
        account_id, account = match.group(1), self.accounts[match.group(1)]
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if not match.group(2):
            body: dict[str, Any] = {"id": account_id}
            if "followers_count" in params.get("fields", "") and account.followers_count is not None:
                body["followers_count"] = account.followers_count
            return Reply(200, body)
        return self._insights(account_id, account, params)

    def _insights(self, account_id: str, account: Account, params: dict[str, str]) -> Reply:
        metrics = [m for m in params.get("metric", "").split(",") if m]
        known = PAGE_METRICS if account.kind == "page" else INSTAGRAM_METRICS
        if not metrics:
            return graph_error(100, "(#100) The parameter metric is required")
        for metric in metrics:
            if metric in self.failures:
                return self.failures[metric]
            if metric not in known:
                return graph_error(100, f"(#100) The value must be a valid insights metric: {metric}")
            if metric in TOTAL_ONLY and params.get("metric_type") != "total_value":
                return graph_error(100, f"(#100) The following metrics ({metric}) should be specified "
                                        "with parameter metric_type=total_value")
        if params.get("period") != "day":
            return graph_error(100, "(#100) period must be one of the following values: day, week, days_28")
        if "since" not in params or "until" not in params:
            return graph_error(100, "(#100) since and until are required for this call")
        first, end = _day(params["since"]), _day(params["until"])
        if (end - first).days > SPAN[account.kind]:
            return graph_error(100, f"(#100) There cannot be more than {SPAN[account.kind]} days "
                                    f"({SPAN[account.kind] * 86400} s) between since and until")
        days = [first + timedelta(days=i) for i in range((end - first).days)]
        data = []
        for metric in metrics:
            measured = account.daily.get(metric, {})
            item: dict[str, Any] = {"name": metric, "period": "day", "title": metric,
                                    "description": f"{metric} of the account",
                                    "id": f"{account_id}/insights/{metric}/day"}
            if params.get("metric_type") == "total_value":
                item["total_value"] = {"value": sum(measured.get(d, 0) for d in days)}
            else:
                item["values"] = [{"value": measured[d], "end_time": end_time(d)}
                                  for d in days if d in measured]
            data.append(item)
        return Reply(200, {"data": data, "paging": {
            "previous": f"https://graph.facebook.com/v25.0/{account_id}/insights?since=...",
            "next": f"https://graph.facebook.com/v25.0/{account_id}/insights?until=..."}})

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

Our own posts: ``GET /v<N>/{page-id}/published_posts`` and ``GET /v<N>/{ig-user-id}/media`` list
the account's posts newest first, ``limit`` at a time with ``paging.cursors.after`` and a
``next`` link while more follow, only those published at or after ``since`` (Unix seconds). A
page post answers ``reactions.summary(total_count).limit(0)`` and ``comments.summary(…)`` as
``{"data": [], "summary": {"total_count"}}`` and ``shares`` as ``{"count"}``, left out when
nobody shared it; a media answers ``like_count`` and ``comments_count``. A field the node type
does not have is refused (error 100, "Tried accessing nonexisting field"), as Meta does.
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
class OwnPost:
    id: str
    at: datetime
    text: str
    likes: int = 0
    comments: int = 0
    shares: int = 0
    #: A media's lifetime insights (Instagram).
    views: int = 0
    saved: int = 0


@dataclass
class Account:
    kind: str  # page | instagram
    followers_count: int | None = None
    #: metric -> day -> value, as the platform measured it.
    daily: dict[str, dict[date, int]] = field(default_factory=dict)
    #: The account's own posts (any order: listed newest first).
    posts: list[OwnPost] = field(default_factory=list)
    name: str = "Voltaro"
    #: The token lacks the insights permission: expanded media or post insights are refused (error 10).
    media_insights_refused: bool = False


#: Fields of each node type, and how a post answers them.
POST_FIELDS = {"id", "message", "created_time", "permalink_url", "from", "shares", "reactions", "comments",
               "insights"}
MEDIA_FIELDS = {"id", "caption", "timestamp", "permalink", "username", "like_count", "comments_count",
                "media_type", "media_url", "insights"}
#: The lifetime insights of a feed media (``impressions`` is retired, as for accounts), and of a
#: page post (``post_impressions`` and ``post_impressions_unique`` are retired: ``post_media_view``
#: and ``post_total_media_view_unique`` replace them).
MEDIA_METRICS = {"views", "shares", "saved", "reach", "likes", "comments", "total_interactions"}
POST_METRICS = {"post_media_view", "post_total_media_view_unique", "post_clicks",
                "post_reactions_by_type_total"}


def split_fields(fields: str) -> list[str]:
    """``a,b.summary(x).limit(0),insights.metric(c,d)`` into its fields (commas inside
    parentheses belong to the field)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(fields + ","):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            if fields[start:i]:
                out.append(fields[start:i])
            start = i + 1
    return out
EDGES = {"page": "published_posts", "instagram": "media"}


def _meta_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


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
        match = re.fullmatch(r"/v\d+\.\d+/(\w+)(/insights|/published_posts|/media)?", path)
        if rec.method != "GET" or not match or match.group(1) not in self.accounts:
            return graph_error(100, "Unsupported get request. Object does not exist", subcode=33)
        account_id, account = match.group(1), self.accounts[match.group(1)]
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if not match.group(2):
            body: dict[str, Any] = {"id": account_id}
            if "followers_count" in params.get("fields", "") and account.followers_count is not None:
                body["followers_count"] = account.followers_count
            return Reply(200, body)
        if match.group(2) != "/insights":
            if match.group(2) != f"/{EDGES[account.kind]}":
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({match.group(2)[1:]}) "
                                        f"on node type ({'Page' if account.kind == 'page' else 'IGUser'})")
            return self._posts(account_id, account, params)
        return self._insights(account_id, account, params)

    def _posts(self, account_id: str, account: Account, params: dict[str, str]) -> Reply:
        page = account.kind == "page"
        fields = split_fields(params.get("fields", "id"))
        names = [f.split(".")[0] for f in fields]
        known = POST_FIELDS if page else MEDIA_FIELDS
        for name in names:
            if name not in known:
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type "
                                        f"({'PagePost' if page else 'IGMedia'})")
        metrics: list[str] = []
        for f in fields:
            found = re.fullmatch(r"insights\.metric\(([\w,]+)\)", f)
            if f.startswith("insights"):
                if not found:
                    return graph_error(100, "(#100) The parameter metric is required")
                metrics = found.group(1).split(",")
                if account.media_insights_refused:
                    return graph_error(10, "(#10) Application does not have permission for this action")
                allowed = POST_METRICS if page else MEDIA_METRICS
                for metric in metrics:
                    if metric not in allowed:
                        return graph_error(100, f"(#100) metric[0] must be one of the following values: "
                                                f"{', '.join(sorted(allowed))}")
        since = datetime.fromtimestamp(int(params.get("since", "0")), UTC)
        listed = sorted((p for p in account.posts if p.at >= since), key=lambda p: p.at, reverse=True)
        start = int(params.get("after", "0") or 0)
        limit = int(params.get("limit", "25"))
        chosen = listed[start:start + limit]
        data = [self._post(p, names, account_id, account, metrics) for p in chosen]
        body: dict[str, Any] = {"data": data}
        if chosen:
            body["paging"] = {"cursors": {"before": str(start), "after": str(start + len(chosen))}}
            if start + len(chosen) < len(listed):
                body["paging"]["next"] = (f"https://graph.facebook.com/v25.0/{account_id}/"
                                          f"{EDGES[account.kind]}?after={start + len(chosen)}")
        return Reply(200, body)

    @staticmethod
    def _post(p: OwnPost, names: list[str], account_id: str, account: Account,
              metrics: list[str]) -> dict[str, Any]:
        every: dict[str, Any] = {"id": p.id}
        if account.kind == "page":
            every |= {"message": p.text, "created_time": _meta_time(p.at),
                      "permalink_url": f"https://www.facebook.com/{p.id}",
                      "from": {"name": account.name, "id": account_id},
                      "reactions": {"data": [], "summary": {"total_count": p.likes,
                                                            "viewer_reaction": "NONE"}},
                      "comments": {"data": [], "summary": {"order": "ranked", "total_count": p.comments,
                                                           "can_comment": True}}}
            if p.shares:
                every["shares"] = {"count": p.shares}
            lifetime = {"post_media_view": p.views, "post_total_media_view_unique": p.views // 3,
                        "post_clicks": p.likes // 2, "post_reactions_by_type_total": p.likes}
            every["insights"] = {"data": [
                {"name": m, "period": "lifetime", "values": [{"value": lifetime[m]}], "title": m,
                 "description": f"{m} of the post", "id": f"{p.id}/insights/{m}/lifetime"}
                for m in metrics]}
        else:
            every |= {"caption": p.text, "timestamp": _meta_time(p.at), "media_type": "IMAGE",
                      "permalink": f"https://www.instagram.com/p/{p.id}/", "username": account.name.lower(),
                      "like_count": p.likes, "comments_count": p.comments}
            lifetime = {"views": p.views, "shares": p.shares, "saved": p.saved, "reach": p.views // 2,
                        "likes": p.likes, "comments": p.comments,
                        "total_interactions": p.likes + p.comments + p.shares + p.saved}
            every["insights"] = {"data": [
                {"name": m, "period": "lifetime", "values": [{"value": lifetime[m]}], "title": m,
                 "description": f"{m} of the media", "id": f"{p.id}/insights/{m}/lifetime"}
                for m in metrics]}
        return {name: every[name] for name in names if name in every}

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

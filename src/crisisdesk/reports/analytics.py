"""Analytics of our own channels over a period of whole UTC days, next to the period of the same
length just before it: per channel, our posts and their engagement, views, reach and impressions
where the platform reports them, followers and their growth, the engagement rate with the
denominator it used, response rate and time; share of voice across the monitors; our top posts.

Everything is read from rollups (``channel_days``, ``channel_insights``, the monitors' daily
``series_buckets``), the inbox's conversations of the period, and our own posts through their
partial index, never by scanning posts. The definitions are in docs/analytics.md; the page, the
CSV and the API all show :func:`build`'s numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select, text, true
from sqlalchemy.orm import Session

from crisisdesk.detection.models import SeriesBucket
from crisisdesk.inbox.performance import by_channel as responses_by_channel
from crisisdesk.posts.models import Post
from crisisdesk.reports.models import ChannelDay, ChannelInsight
from crisisdesk.sources.models import Monitor

#: The longest period one request may ask for (rollups keep it cheap; the page offers 7 to 90 days).
MAX_DAYS = 731
#: The days a period may name (beyond them no post can be, and date arithmetic would overflow).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
#: Our own posts, in the words of their partial index ``ix_posts_own_created``.
OWN = text("posts.own")
#: How many of our own posts the top list shows.
TOP_POSTS = 10
#: The figures compared with the previous period, in the order the table and the CSV show them.
FIGURES = ("own_posts", "engagements", "likes", "replies", "shares", "saves", "views", "reach", "impressions",
           "followers", "follower_growth", "engagement_rate", "mentions", "conversations",
           "response_rate", "median_response_seconds")


@dataclass(frozen=True, slots=True)
class Period:
    """From ``start`` to ``end``, both whole UTC days included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days}


def last_days(days: int, *, today: date) -> Period:
    """The ``days`` days up to and including today."""
    return Period(today - timedelta(days=days - 1), today)


def engagement_rate(engagements: int, posts: int, *, reach: int | None,
                    followers: int | None) -> tuple[float | None, str | None]:
    """(rate, basis): engagements ÷ reach where the platform reported reach; else the average
    engagements per post ÷ followers; (None, None) where neither is known or there were no posts.
    Followers are never used as reach: they are a different, stated denominator."""
    if posts == 0:
        return None, None
    if reach:
        return engagements / reach, "reach"
    if followers:
        return engagements / (followers * posts), "followers"
    return None, None


#: The rollup's sums of one label, in the order :func:`_posts` selects them.
_EMPTY = {"posts": 0, "likes": 0, "shares": 0, "replies": 0, "views": 0, "with_views": 0, "saves": 0,
          "with_saves": 0}


def _posts(session: Session, period: Period) -> dict[tuple[str, bool], dict[str, int]]:
    """The rollup's sums by (label, own): label is the channel's name, else the platform."""
    d = ChannelDay
    label = func.coalesce(func.nullif(d.channel, ""), d.platform)
    rows = session.execute(
        select(label, d.platform, d.own, func.sum(d.posts), func.sum(d.likes), func.sum(d.shares),
               func.sum(d.replies), func.sum(d.views), func.sum(d.with_views), func.sum(d.saves),
               func.sum(d.with_saves))
        .where(d.day >= period.start, d.day <= period.end)
        .group_by(label, d.platform, d.own)
    ).all()
    out: dict[tuple[str, bool], dict[str, int]] = {}
    for name, platform, own, *sums in rows:
        into = out.setdefault((name, bool(own)), dict(_EMPTY))
        into["platform"] = platform
        for key, value in zip(_EMPTY, sums, strict=True):
            into[key] += int(value or 0)
    return out


def _insights(session: Session, period: Period) -> dict[str, dict[str, int | None]]:
    """Reach, impressions and engagements summed over the reported days (None where no day
    reported them); followers at the end and before."""
    i = ChannelInsight
    summed = (i.reach, i.impressions, i.engagements)
    sums = session.execute(
        select(i.channel, *(f(c) for c in summed for f in (func.sum, func.count)))
        .where(i.day >= period.start, i.day <= period.end).group_by(i.channel)
    ).all()
    out: dict[str, dict[str, int | None]] = {
        row[0]: {column.key: int(row[1 + 2 * n] or 0) if row[2 + 2 * n] else None
                 for n, column in enumerate(summed)}
        for row in sums
    }
    for key, upto in (("followers", period.end), ("followers_before", period.start - timedelta(days=1))):
        latest = (select(i.channel, func.max(i.day).label("day"))
                  .where(i.day <= upto, i.followers.is_not(None)).group_by(i.channel).subquery())
        for channel, followers in session.execute(
            select(i.channel, i.followers).join(latest, and_(latest.c.channel == i.channel,
                                                             latest.c.day == i.day))
        ).all():
            out.setdefault(channel, {})[key] = followers
    return out


def _channel(name: str, platform: str, own: dict[str, int], theirs: dict[str, int],
             insight: dict[str, int | None], response: dict[str, Any] | None) -> dict[str, Any]:
    reported = insight.get("engagements")
    summed = own["likes"] + own["replies"] + own["shares"] + own["saves"]
    engagements = summed if reported is None else reported
    followers, before = insight.get("followers"), insight.get("followers_before")
    reach = insight.get("reach")
    rate: float | None
    basis: str | None
    if reported is not None and reach:  # the platform's own engagements over its own reach
        rate, basis = reported / reach, "reach"
    else:
        rate, basis = engagement_rate(engagements, own["posts"], reach=reach, followers=followers)
    spread = (response or {}).get("first_response_seconds") or {}
    return {
        "channel": name, "platform": platform, "own_posts": own["posts"], "engagements": engagements,
        "engagements_source": "posts" if reported is None else "platform",
        "likes": own["likes"], "replies": own["replies"], "shares": own["shares"],
        "saves": own["saves"] if own["with_saves"] else None,
        "views": own["views"] if own["with_views"] else None,
        "reach": reach, "impressions": insight.get("impressions"),
        "followers": followers,
        "follower_growth": followers - before if followers is not None and before is not None else None,
        "engagement_rate": rate, "engagement_rate_basis": basis,
        "mentions": theirs["posts"],
        "conversations": (response or {}).get("conversations", 0),
        "response_rate": (response or {}).get("rate"),
        "median_response_seconds": spread.get("median"),
    }


def channels(session: Session, period: Period) -> dict[str, dict[str, Any]]:
    """Every channel with posts, reports or conversations in the period, by its label."""
    posts = _posts(session, period)
    insights = _insights(session, period)
    responses = responses_by_channel(session, since=period.since, until=period.until)
    platforms = {name: sums["platform"] for (name, _own), sums in posts.items()}
    names = sorted({name for name, _own in posts} | set(insights) | set(responses))
    return {
        name: _channel(name, str(platforms.get(name, "")), posts.get((name, True), _EMPTY),
                       posts.get((name, False), _EMPTY), insights.get(name, {}), responses.get(name))
        for name in names
    }


def share_of_voice(session: Session, period: Period) -> list[dict[str, Any]]:
    """Each monitor's posts in the period and its share of all monitors' posts (a post two
    monitors match counts for both), from their daily rollups."""
    b = SeriesBucket
    rows = session.execute(
        select(Monitor.name, func.coalesce(func.sum(b.volume), 0))
        .join(b, and_(b.monitor_id == Monitor.id, b.resolution == "d", b.bucket_start >= period.since,
                      b.bucket_start < period.until), isouter=True)
        .where(Monitor.active.is_(true()))
        .group_by(Monitor.name)
    ).all()
    total = sum(int(n) for _name, n in rows)
    return [{"monitor": name, "posts": int(n), "share": int(n) / total if total else None}
            for name, n in sorted(rows, key=lambda r: (-int(r[1]), r[0]))]


def top_posts(session: Session, period: Period, limit: int = TOP_POSTS) -> list[dict[str, Any]]:
    """Our own posts of the period with the most engagements."""
    engagements = (func.coalesce(Post.likes, 0) + func.coalesce(Post.replies, 0)
                   + func.coalesce(Post.shares, 0) + func.coalesce(Post.saves, 0)).label("engagements")
    rows = session.execute(
        select(Post.id, Post.platform, Post.channel, Post.created_at, Post.text, Post.url, Post.likes,
               Post.replies, Post.shares, Post.saves, Post.views, engagements)
        # The partial index's own predicate, as written there: both databases then use it.
        .where(OWN, Post.created_at >= period.since, Post.created_at < period.until)
        .order_by(engagements.desc(), Post.id).limit(limit)
    ).all()
    return [{"id": r.id, "channel": r.channel or r.platform, "created_at": r.created_at,
             "text": r.text[:280], "url": r.url, "likes": r.likes, "replies": r.replies,
             "shares": r.shares, "saves": r.saves, "views": r.views, "engagements": int(r.engagements)}
            for r in rows]


def change(now: Any, before: Any) -> dict[str, float | None]:
    """The difference to the previous period, and as a share of it (None where not comparable)."""
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return {"delta": None, "ratio": None}
    return {"delta": now - before, "ratio": (now - before) / before if before else None}


def build(session: Session, period: Period) -> dict[str, Any]:
    """The analytics of ``period`` and, for each figure, the previous period's value and the change."""
    previous = period.previous()
    now, before = channels(session, period), channels(session, previous)
    rows = []
    for name, figures in now.items():
        old = before.get(name, {})
        rows.append({**figures, "previous": {k: old.get(k) for k in FIGURES},
                     "change": {k: change(figures[k], old.get(k)) for k in FIGURES}})
    voice_before = {v["monitor"]: v for v in share_of_voice(session, previous)}
    voice = [{**v, "previous_posts": voice_before.get(v["monitor"], {}).get("posts"),
              "previous_share": voice_before.get(v["monitor"], {}).get("share")}
             for v in share_of_voice(session, period)]
    return {"period": period.as_dict(), "previous_period": previous.as_dict(), "channels": rows,
            "share_of_voice": voice, "top_posts": top_posts(session, period)}


class PeriodError(ValueError):
    """A period that cannot be shown (``to`` before ``from``, longer than :data:`MAX_DAYS`)."""


def choose_period(start: date | None, end: date | None, *, days: int, today: date) -> Period:
    """The asked period: ``start``..``end`` (either may be left out: ``end`` defaults to today and
    ``start`` to ``days`` days before ``end``)."""
    end = end or today
    for day in (start, end):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise PeriodError(f"{day} is outside {EARLIEST} to {LATEST}")
    period = Period(start or end - timedelta(days=days - 1), end)
    if period.end < period.start:
        raise PeriodError(f"'to' ({period.end}) is before 'from' ({period.start})")
    if period.days > MAX_DAYS:
        raise PeriodError(f"the period is {period.days} days long; at most {MAX_DAYS} days")
    return period

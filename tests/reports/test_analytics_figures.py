"""Analytics' figures from a known set of posts stored through the pipeline (SQLite and PostgreSQL):
our posts and their engagement per channel, views and reach only where reported, followers and
their growth, the engagement rate with its stated basis, response rate and time, share of voice,
the previous period; and the rollup stays equal to the stored posts under redelivery and updates.

Period: 2026-11-25 to 2026-12-01 (the clock's day); previous: 2026-11-18 to 2026-11-24.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.inbox.models import Conversation
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.models import Post
from crisisdesk.reports.analytics import Period, build, engagement_rate
from crisisdesk.reports.models import ChannelDay
from crisisdesk.reports.rollup import record_insight
from tests.accounts.fixtures import World, make_world

PERIOD = Period(date(2026, 11, 25), date(2026, 12, 1))


def post(pid: str, at: str, *, channel: str = "fb-page", platform: str = "facebook", own: bool = False,
         text: str = "hallo", followers: int | None = None, author: str = "someone",
         conversation: str | None = None, **metrics: int) -> str:
    data: dict[str, Any] = {"platform": platform, "id": pid, "created_at": at, "text": text,
                            "channel": channel, "author": {"id": author, "followers": followers},
                            "metrics": metrics}
    if own:
        data["own"] = True
    if conversation:
        data["conversation_id"] = conversation
    return orjson.dumps(data).decode()


def ingest(world: World, *posts: str) -> None:
    result = world.runtime.runner.handle([RawItem("test", i, p) for i, p in enumerate(posts)])
    assert not result.rejections, result.rejections


RECORD = [
    # Ours on the Facebook page (the page's profile says 1,000 followers).
    post("o1", "2026-11-30T10:00:00+00:00", own=True, author="page", followers=1000, likes=10, replies=5,
         shares=5),
    post("o2", "2026-12-01T08:00:00+00:00", own=True, author="page", followers=1000, likes=30, shares=10),
    post("o3", "2026-11-20T08:00:00+00:00", own=True, author="page", followers=1000, likes=5, replies=5),
    # Ours on Mastodon: views reported, followers never; reach comes from the platform's insights.
    post("m1", "2026-11-30T12:00:00+00:00", channel="masto", platform="mastodon", own=True, author="us",
         likes=2, replies=1, shares=1, views=100),
    # Others' posts on the page: mentions, two of the monitor bahn, one of streik; one before.
    post("x1", "2026-11-30T10:00:00+00:00", text="Die Deutsche Bahn ist zu spät", conversation="t1",
         followers=50_000, likes=7),
    post("x2", "2026-11-30T11:00:00+00:00", text="deutsche bahn again", followers=10, conversation="t2"),
    post("x3", "2026-12-01T07:00:00+00:00", text="streik heute"),
    post("x4", "2026-11-21T07:00:00+00:00", text="streik damals"),
]


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


@pytest.fixture
def report(world: World) -> dict[str, Any]:
    ingest(world, *RECORD)
    now = world.clock.now()
    with world.engine.begin() as conn:
        record_insight(conn, "fb-page", date(2026, 11, 20), now=now, followers=900)
        record_insight(conn, "masto", date(2026, 11, 30), now=now, reach=40, impressions=120)
        # An Instagram account whose posts came without counts: its insights count engagements.
        record_insight(conn, "insta", date(2026, 11, 29), now=now, reach=100, engagements=10)
        record_insight(conn, "insta", date(2026, 11, 30), now=now, reach=200, engagements=20, followers=80)
        record_insight(conn, "insta", date(2026, 11, 24), now=now, reach=999, engagements=999)  # before
    with Session(world.engine) as session, session.begin():  # the inbox answered t1 after 30 minutes
        answered = session.scalars(select(Conversation).where(Conversation.thread == "t1")).one()
        answered.first_response_at = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
    with Session(world.engine) as session:
        return build(session, PERIOD)


def by_channel(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["channel"]: row for row in report["channels"]}


@pytest.mark.parametrize(("channel", "figure", "expected"), [
    ("fb-page", "own_posts", 2),
    ("fb-page", "engagements", 60),
    ("fb-page", "likes", 40),
    ("fb-page", "replies", 5),
    ("fb-page", "shares", 15),
    ("fb-page", "views", None),  # the page reported no views: not reported, never 0
    ("fb-page", "reach", None),  # and no reach: never the followers (or the others' followers) instead
    ("fb-page", "impressions", None),
    ("fb-page", "followers", 1000),
    ("fb-page", "follower_growth", 100),
    ("fb-page", "engagement_rate", 60 / (1000 * 2)),
    ("fb-page", "engagement_rate_basis", "followers"),
    ("fb-page", "mentions", 3),
    ("fb-page", "conversations", 2),
    ("fb-page", "response_rate", 0.5),
    ("fb-page", "median_response_seconds", 1800.0),
    ("masto", "own_posts", 1),
    ("masto", "engagements", 4),
    ("masto", "views", 100),
    ("masto", "reach", 40),
    ("masto", "impressions", 120),
    ("masto", "followers", None),
    ("masto", "follower_growth", None),
    ("masto", "engagement_rate", 0.1),
    ("masto", "engagement_rate_basis", "reach"),
    ("masto", "mentions", 0),
    ("masto", "response_rate", None),
    ("fb-page", "engagements_source", "posts"),
    ("masto", "engagements_source", "posts"),
    ("insta", "own_posts", 0),
    ("insta", "engagements", 30),  # the platform's count, where our posts brought none
    ("insta", "engagements_source", "platform"),
    ("insta", "reach", 300),
    ("insta", "engagement_rate", 0.1),  # the platform's engagements over its reach
    ("insta", "engagement_rate_basis", "reach"),
    ("insta", "followers", 80),
])
def test_each_figure_follows_from_the_record(report: dict[str, Any], channel: str, figure: str,
                                              expected: object) -> None:
    assert by_channel(report)[channel][figure] == expected


def test_the_previous_period_and_the_change(report: dict[str, Any]) -> None:
    fb = by_channel(report)["fb-page"]
    assert report["previous_period"] == {"from": "2026-11-18", "to": "2026-11-24", "days": 7}
    assert fb["previous"]["own_posts"] == 1
    assert fb["previous"]["engagements"] == 10
    assert fb["previous"]["followers"] == 900
    assert fb["previous"]["engagement_rate"] == pytest.approx(10 / 900)
    assert fb["previous"]["mentions"] == 1
    assert fb["change"]["engagements"] == {"delta": 50, "ratio": 5.0}
    assert fb["change"]["reach"] == {"delta": None, "ratio": None}
    insta = by_channel(report)["insta"]
    assert (insta["previous"]["engagements"], insta["change"]["engagements"]["delta"]) == (999, 30 - 999)


def test_share_of_voice_and_top_posts(report: dict[str, Any]) -> None:
    voice = {v["monitor"]: v for v in report["share_of_voice"]}
    assert voice["bahn"]["posts"] == 2
    assert voice["streik"]["posts"] == 1
    assert voice["bahn"]["share"] == pytest.approx(2 / 3)
    assert voice["streik"]["previous_posts"] == 1
    assert voice["streik"]["previous_share"] == 1.0
    top = report["top_posts"]
    assert [(p["channel"], p["engagements"]) for p in top] == [("fb-page", 40), ("fb-page", 20), ("masto", 4)]


@pytest.mark.parametrize(("engagements", "posts", "reach", "followers", "expected"), [
    (60, 2, None, 1000, (0.03, "followers")),
    (60, 2, 600, 1000, (0.1, "reach")),  # reach wins where reported
    (60, 2, None, None, (None, None)),
    (0, 0, 600, 1000, (None, None)),  # no posts: no rate
    (60, 2, 0, 1000, (0.03, "followers")),  # a reach of 0 divides nothing
])
def test_the_engagement_rate_formula(engagements: int, posts: int, reach: int | None, followers: int | None,
                                     expected: tuple[float | None, str | None]) -> None:
    assert engagement_rate(engagements, posts, reach=reach, followers=followers) == expected


def rollup_equals_posts(world: World) -> None:
    """The rollup's sums are those of the stored posts, key by key."""
    with Session(world.engine) as s:
        rolled = {(r.platform, r.channel, bool(r.own)): (r.posts, r.likes, r.shares, r.replies, r.views,
                                                        r.with_views)
                  for r in s.execute(select(ChannelDay.platform, ChannelDay.channel, ChannelDay.own,
                                            func.sum(ChannelDay.posts).label("posts"),
                                            func.sum(ChannelDay.likes).label("likes"),
                                            func.sum(ChannelDay.shares).label("shares"),
                                            func.sum(ChannelDay.replies).label("replies"),
                                            func.sum(ChannelDay.views).label("views"),
                                            func.sum(ChannelDay.with_views).label("with_views"))
                                     .group_by(ChannelDay.platform, ChannelDay.channel, ChannelDay.own))
                  if r.posts}
        p = Post
        stored = {(r[0], r[1] or "", bool(r[2])): tuple(int(x or 0) for x in r[3:])
                  for r in s.execute(select(p.platform, p.channel, p.own, func.count(),
                                            func.sum(p.likes), func.sum(p.shares), func.sum(p.replies),
                                            func.sum(p.views), func.count(p.views))
                                     .group_by(p.platform, p.channel, p.own))}
    assert rolled == stored


def test_redelivery_adds_nothing_and_a_metrics_update_moves_the_sums(world: World) -> None:
    ingest(world, *RECORD)
    rollup_equals_posts(world)
    ingest(world, *RECORD)  # redelivered: identical, nothing changes
    ingest(world, RECORD[0], RECORD[0])  # twice in one batch
    rollup_equals_posts(world)
    with Session(world.engine) as session:
        before = build(session, PERIOD)
    # The page's post gains likes and views; a post moves to another day; a mention becomes ours.
    ingest(world, post("o1", "2026-11-30T10:00:00+00:00", own=True, author="page", followers=1200, likes=50,
                       replies=5, shares=5, views=900),
           post("o2", "2026-11-26T08:00:00+00:00", own=True, author="page", followers=1200, likes=30,
                shares=10),
           post("x3", "2026-12-01T07:00:00+00:00", text="streik heute", own=True))
    ingest(world, post("o1", "2026-11-30T10:00:00+00:00", own=True, author="page", followers=1200, likes=50,
                       replies=5, shares=5, views=900))  # and again: no change
    rollup_equals_posts(world)
    with Session(world.engine) as session:
        fb = by_channel(build(session, PERIOD))["fb-page"]
    old = by_channel(before)["fb-page"]
    assert (old["own_posts"], old["engagements"], old["views"]) == (2, 60, None)
    assert (fb["own_posts"], fb["engagements"], fb["views"]) == (3, 100, 900)
    assert fb["mentions"] == 2
    assert fb["followers"] == 1200  # the page's profile as its latest post carried it

"""Our own Facebook and Instagram posts with their counts, against a loopback Graph API that lists
them as Meta does (tests/fakes/meta_insights.py): reactions, comments and shares reach the posts
and the analytics after each credentials check, a post the webhooks brought is updated (never
stored twice), changed counts move the sums by the difference, and a refusal never fails the check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.channels.base import Capability, PlatformError
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.health_monitor import check
from crisisdesk.channels.meta import own_posts
from crisisdesk.channels.models import UnparsedItem
from crisisdesk.channels.processor import process_pending
from crisisdesk.channels.service import store_delivery
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.reports.analytics import build, last_days
from crisisdesk.reports.models import ChannelDay
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.accounts.fixtures import FakeClock
from tests.channels.payloads import APP_SECRET, IG_ID, PAGE_ID, VERIFY_TOKEN, feed_change, meta_body
from tests.channels.test_insights import TOKEN, facebook, instagram
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_graph import graph_error
from tests.fakes.meta_insights import Account, GraphInsights, OwnPost

NOW = datetime.now(UTC).replace(microsecond=0)


def page_posts(n: int) -> list[OwnPost]:
    """``n`` posts of the page over the last six days (every fifth shared by nobody), and two
    older than a week."""
    posts = [OwnPost(f"{PAGE_ID}_{100 + i}", NOW - timedelta(hours=2 + 2 * i), f"Post {i}", likes=3 * i,
                     comments=i % 7, shares=0 if i % 5 == 0 else i, views=40 * i + 7) for i in range(n)]
    old = [OwnPost(f"{PAGE_ID}_9{i}", NOW - timedelta(days=9 + i), "old", likes=99) for i in range(2)]
    return posts + old


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphInsights]]:
    page = Account("page", followers_count=5400, posts=page_posts(60))
    insta = Account("instagram", followers_count=812, posts=[
        OwnPost("18000000000000001", NOW - timedelta(hours=5), "Neues Modell #voltaro", likes=41, comments=6,
                shares=4, views=1800, saved=9),
        OwnPost("18000000000000002", NOW - timedelta(days=2), "Rückruf: Infos hier", likes=12, comments=30,
                views=5200, saved=2)])
    api = GraphInsights(TOKEN, {PAGE_ID: page, IG_ID: insta})
    with HttpSink(responder=api) as sink:
        yield sink, api


def test_both_connectors_say_they_read_our_posts() -> None:
    assert Capability.OWN_POSTS in FacebookConnector.capabilities
    assert Capability.OWN_POSTS in instagram("http://127.0.0.1:9").capabilities


def test_a_page_lists_its_posts_of_the_week_with_their_counts_page_by_page(
        graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, _api = graph
    connector = facebook(sink.url)
    bodies = connector.own_posts(NOW - timedelta(days=7), now=NOW)
    assert len(bodies) == 2  # 50 and 10: the older two are not asked for
    posts = [p for body in bodies for p in connector.parse(body).posts]
    expected = page_posts(60)[:60]
    assert [p.post["id"] for p in posts] == [e.id for e in expected]
    assert all(p.own and p.public and p.post["kind"] == "post" for p in posts)
    by_id = {p.post["id"]: p for p in posts}
    for e in expected:
        got = by_id[e.id].post
        assert got["metrics"] == {"likes": e.likes, "replies": e.comments, "shares": e.shares,
                                  "views": e.views}
        assert got["text"] == e.text and got["author"] == {"id": PAGE_ID, "name": "Voltaro"}
        assert by_id[e.id].thread == f"facebook:{PAGE_ID}:post:{e.id}"
    calls = [{k: v[-1] for k, v in parse_qs(r.path.partition("?")[2]).items()}
             for r in sink.requests if "/published_posts" in r.path]
    assert [c.get("after") for c in calls] == [None, "50"]
    assert calls[0]["since"] == str(int((NOW - timedelta(days=7)).timestamp()))
    assert "reactions.summary(total_count).limit(0)" in calls[0]["fields"]
    assert "insights.metric(post_media_view)" in calls[0]["fields"]


def test_without_the_insights_permission_page_posts_come_with_their_counts_but_no_views(
        graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    api.accounts[PAGE_ID].media_insights_refused = True
    connector = facebook(sink.url)
    posts = [p for body in connector.own_posts(NOW - timedelta(days=7), now=NOW)
             for p in connector.parse(body).posts]
    assert len(posts) == 60 and all("views" not in p.post["metrics"] for p in posts)
    assert posts[1].post["metrics"] == {"likes": 3, "replies": 1, "shares": 1}
    asked = [parse_qs(r.path.partition("?")[2])["fields"][0] for r in sink.requests]
    assert "insights" in asked[0] and all("insights" not in f for f in asked[1:])  # asked again without


def test_an_instagram_account_lists_its_media_with_their_counts_and_insights(
        graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, _ = graph
    connector = instagram(sink.url)
    posts = [p for body in connector.own_posts(NOW - timedelta(days=7), now=NOW)
             for p in connector.parse(body).posts]
    assert [(p.post["id"], p.post["text"], p.post["metrics"]) for p in posts] == [
        ("18000000000000001", "Neues Modell #voltaro",
         {"likes": 41, "replies": 6, "views": 1800, "shares": 4, "saves": 9}),
        ("18000000000000002", "Rückruf: Infos hier",
         {"likes": 12, "replies": 30, "views": 5200, "shares": 0, "saves": 2})]
    assert posts[0].thread == f"instagram:{IG_ID}:media:18000000000000001"
    assert posts[0].post["author"] == {"id": IG_ID, "handle": "voltaro"}
    assert "insights.metric(views,shares,saved)" in sink.requests[-1].path.replace("%28", "(").replace(
        "%29", ")").replace("%2C", ",")


def test_without_the_insights_permission_the_media_come_with_likes_and_comments(
        graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    api.accounts[IG_ID].media_insights_refused = True
    connector = instagram(sink.url)
    posts = [p for body in connector.own_posts(NOW - timedelta(days=7), now=NOW)
             for p in connector.parse(body).posts]
    assert [p.post["metrics"] for p in posts] == [{"likes": 41, "replies": 6}, {"likes": 12, "replies": 30}]
    assert len([r for r in sink.requests if "/media" in r.path]) == 2  # refused, then without insights


def test_an_item_without_an_id_or_a_time_is_kept_unparsed_and_the_others_are_read() -> None:
    connector = facebook("http://127.0.0.1:9")
    body = (b'{"data": [{"id": "1_2", "message": "ok", "created_time": "2026-12-01T10:00:00+0000"},'
            b'{"message": "no id", "created_time": "2026-12-01T10:00:00+0000"},'
            b'{"id": "1_3", "created_time": "yesterday"}, 7], "read_at": "2026-12-01T11:00:00+00:00"}')
    out = connector.parse(body)
    assert [p.post["id"] for p in out.posts] == ["1_2"]
    assert out.posts[0].post["metrics"] == {"shares": 0}
    assert len(out.unparsed) == 3


CONFIG = """
channels:
  - key: fb
    platform: facebook
    page_id: "{page}"
    api_base: {base}
    access_token: {token}
    app_secret: {secret}
    verify_token: {verify}
"""


@pytest.fixture
def runtime(graph: tuple[HttpSink, GraphInsights], workspace_file: Path) -> Iterator[Runtime]:
    sink, _ = graph
    workspace_file.write_text(CONFIG.format(page=PAGE_ID, base=sink.url, token=TOKEN, secret=APP_SECRET,
                                            verify=VERIFY_TOKEN), encoding="utf-8")
    r = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    yield r
    r.close()


def stored_posts(r: Runtime) -> dict[str, tuple[int | None, int | None, int | None, int, bool]]:
    with Session(r.engine) as session:
        return {p.external_id: (p.likes, p.replies, p.shares, p.version, bool(p.own))
                for p in session.scalars(select(Post))}


def rollup(r: Runtime) -> tuple[int, int, int, int]:
    d = ChannelDay
    with Session(r.engine) as session:
        row = session.execute(select(func.sum(d.posts), func.sum(d.likes), func.sum(d.replies),
                                     func.sum(d.shares)).where(d.channel == "fb", d.own.is_(True))).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def process(r: Runtime) -> None:
    report = process_pending(r.engine, r.connectors(), r.runner.handle, clock=SystemClock())
    assert report.failed == 0


def test_the_health_check_brings_the_counts_into_the_posts_and_the_analytics(
        graph: tuple[HttpSink, GraphInsights], runtime: Runtime) -> None:
    _sink, api = graph
    page = api.accounts[PAGE_ID]
    page.posts = page.posts[:3]
    first = page.posts[0]
    # The webhook brought our newest post first, without counts.
    store_delivery(runtime.engine, channel="fb", now=NOW, body=meta_body("page", [{
        "id": PAGE_ID, "time": int(NOW.timestamp()), "changes": [feed_change({
            "item": "status", "verb": "add", "post_id": first.id, "message": first.text,
            "from": {"id": PAGE_ID, "name": "Voltaro"}, "created_time": int(first.at.timestamp())})]}]))
    process(runtime)
    assert stored_posts(runtime) == {first.id: (None, None, None, 1, True)}
    woken: list[int] = []
    connector = runtime.connectors()["fb"]
    result = check(runtime.engine, connector, clock=FakeClock(NOW), stored=lambda: woken.append(1))
    assert not isinstance(result, PlatformError)
    assert result.details["own_posts"] == "3 post(s) of the last 90 days read" and woken == [1]
    process(runtime)
    expected = {p.id: (p.likes, p.comments, p.shares) for p in page.posts[:3]}
    got = stored_posts(runtime)
    assert {k: v[:3] for k, v in got.items()} == expected  # one row per post: the webhook's was updated
    assert got[first.id][3] == 2 and all(v[4] for v in got.values())
    assert rollup(runtime) == (3, *(sum(v[i] for v in expected.values()) for i in range(3)))

    # People go on reacting: new counts move the sums by the difference.
    first.likes, first.comments, page.posts[1].shares = first.likes + 25, first.comments + 4, 9
    check(runtime.engine, connector, clock=FakeClock(NOW + timedelta(hours=6)))
    process(runtime)
    expected = {p.id: (p.likes, p.comments, p.shares) for p in page.posts[:3]}
    assert {k: v[:3] for k, v in stored_posts(runtime).items()} == expected
    assert rollup(runtime) == (3, *(sum(v[i] for v in expected.values()) for i in range(3)))
    with Session(runtime.engine) as session:
        figures = build(session, last_days(7, today=NOW.date()))
    fb = next(c for c in figures["channels"] if c["channel"] == "fb")
    assert (fb["own_posts"], fb["likes"], fb["engagements"], fb["engagements_source"]) == (
        3, sum(v[0] for v in expected.values()), sum(sum(v) for v in expected.values()), "posts")
    assert figures["top_posts"][0]["id"] is not None
    assert [p["engagements"] for p in figures["top_posts"]] == sorted(
        (sum(v) for v in expected.values()), reverse=True)

    # Counts that go back to an earlier value (an unlike) are read again, not taken for a repeat.
    first.likes, first.comments = first.likes - 25, first.comments - 4
    check(runtime.engine, connector, clock=FakeClock(NOW + timedelta(hours=12)))
    process(runtime)
    assert stored_posts(runtime)[first.id][:2] == (first.likes, first.comments)

    # An edit that the webhook brings without counts changes the text and keeps the counts.
    before = rollup(runtime)
    store_delivery(runtime.engine, channel="fb", now=NOW, body=meta_body("page", [{
        "id": PAGE_ID, "time": int(NOW.timestamp()), "changes": [feed_change({
            "item": "status", "verb": "edited", "post_id": first.id, "message": "Post 0 (korrigiert)",
            "from": {"id": PAGE_ID, "name": "Voltaro"}, "created_time": int(first.at.timestamp())})]}]))
    process(runtime)
    with Session(runtime.engine) as session:
        edited = session.scalars(select(Post).where(Post.external_id == first.id)).one()
        assert (edited.text, edited.likes, edited.replies) == ("Post 0 (korrigiert)", first.likes,
                                                               first.comments)
    assert rollup(runtime) == before
    with Session(runtime.engine) as session:
        assert session.scalar(select(func.count()).select_from(UnparsedItem)) == 0


def test_a_refusal_is_said_and_never_fails_the_check(graph: tuple[HttpSink, GraphInsights],
                                                     runtime: Runtime) -> None:
    sink, api = graph
    api.failures["page_total_media_view_unique"] = graph_error(10, "(#10) Requires read_insights")
    real = api.__call__

    def refuse_posts(rec: object) -> object:
        if "/published_posts" in getattr(rec, "path", ""):
            return graph_error(10, "(#10) This endpoint requires the 'pages_read_engagement' permission")
        return real(rec)  # type: ignore[arg-type]

    sink.responder = refuse_posts  # type: ignore[assignment]
    result = check(runtime.engine, runtime.connectors()["fb"], clock=FakeClock(NOW))
    assert not isinstance(result, PlatformError)
    assert result.details["own_posts"].startswith("refused: ") and "pages_read_engagement" in \
        result.details["own_posts"]


def test_the_cli_reads_our_posts_with_the_insights(graph: tuple[HttpSink, GraphInsights],
                                                    runtime: Runtime, workspace_file: Path) -> None:
    result = CliRunner().invoke(app, ["channels", "insights", "fb", "--days", "7",
                                      "--config", str(workspace_file)])
    assert result.exit_code == 0, result.output
    assert "60 post(s) of ours with their counts" in result.output
    process(runtime)
    assert len(stored_posts(runtime)) == 60


def test_saves_reach_the_analytics_and_are_not_reported_where_no_post_had_them(
        graph: tuple[HttpSink, GraphInsights], runtime: Runtime) -> None:
    sink, _ = graph
    connector = instagram(sink.url)
    for body in connector.own_posts(NOW - timedelta(days=7), now=NOW):
        store_delivery(runtime.engine, channel="ig", now=NOW, body=body)
    check(runtime.engine, runtime.connectors()["fb"], clock=FakeClock(NOW))
    process_pending(runtime.engine, {**runtime.connectors(), "ig": connector}, runtime.runner.handle,
                    clock=SystemClock())
    with Session(runtime.engine) as session:
        figures = {c["channel"]: c for c in build(session, last_days(7, today=NOW.date()))["channels"]}
        saves = dict(session.execute(select(Post.external_id, Post.saves)
                                     .where(Post.platform == "instagram")).all())
    assert saves == {"18000000000000001": 9, "18000000000000002": 2}
    ig = figures["ig"]
    assert (ig["saves"], ig["views"], ig["shares"], ig["likes"]) == (11, 7000, 4, 53)
    assert ig["engagements"] == 53 + 36 + 4 + 11 and ig["engagements_source"] == "posts"
    assert figures["fb"]["saves"] is None  # Facebook posts report no saves: not reported, never 0
    fb_views = sum(p.views for p in page_posts(60)[:60])
    assert figures["fb"]["views"] == fb_views  # the page posts' post_media_view


def test_the_checks_read_the_last_week_each_time_and_the_last_90_days_once_a_day(
        graph: tuple[HttpSink, GraphInsights], runtime: Runtime) -> None:
    sink, api = graph
    page = api.accounts[PAGE_ID]
    recent = page.posts[:3]
    month = [OwnPost(f"{PAGE_ID}_80{i}", NOW - timedelta(days=days), f"Older {i}", likes=5, comments=1,
                     shares=1, views=100) for i, days in enumerate((9, 40, 85))]
    ancient = OwnPost(f"{PAGE_ID}_700", NOW - timedelta(days=120), "Ancient", likes=1)
    page.posts = recent + month + [ancient]
    connector = runtime.connectors()["fb"]

    def since_asked() -> list[datetime]:
        return [datetime.fromtimestamp(int(parse_qs(r.path.partition("?")[2])["since"][-1]), UTC)
                for r in sink.requests if "/published_posts" in r.path]

    def check_at(at: datetime) -> str:
        sink.requests.clear()
        result = check(runtime.engine, connector, clock=FakeClock(at))
        assert not isinstance(result, PlatformError)
        process(runtime)
        return str(result.details["own_posts"])

    # The first check reads the last 90 days: the month's posts come with their counts, the one of
    # 120 days ago does not.
    assert check_at(NOW) == "6 post(s) of the last 90 days read"
    assert since_asked() == [NOW - timedelta(days=90)]
    assert set(stored_posts(runtime)) == {p.id for p in recent + month}
    # Within the day, a check reads the last week only: a late like on an older post waits.
    month[1].likes = 50
    later = NOW + timedelta(hours=6)
    assert check_at(later) == "3 post(s) of the last 7 days read"
    assert since_asked() == [later - timedelta(days=7)]
    assert stored_posts(runtime)[month[1].id][0] == 5
    # A day after the last read-back the 90 days are read again and the like arrives.
    next_day = NOW + timedelta(days=1)
    assert check_at(next_day) == "6 post(s) of the last 90 days read"
    assert since_asked() == [next_day - timedelta(days=90)]
    assert stored_posts(runtime)[month[1].id][0] == 50
    assert ancient.id not in stored_posts(runtime)


def test_a_refresh_stops_after_its_most_pages_and_says_so(graph: tuple[HttpSink, GraphInsights],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    sink, api = graph
    many = own_posts.MOST_PAGES * own_posts.PAGE_SIZE + 30
    api.accounts[PAGE_ID].posts = [OwnPost(f"{PAGE_ID}_{5000 + i}", NOW - timedelta(minutes=5 * i), "x")
                                   for i in range(many)]
    with caplog.at_level("WARNING"):
        bodies = facebook(sink.url).own_posts(NOW - timedelta(days=90), now=NOW)
    assert len(bodies) == own_posts.MOST_PAGES
    assert sum(len(orjson.loads(b)["data"]) for b in bodies) == own_posts.MOST_PAGES * own_posts.PAGE_SIZE
    assert any("stopped after" in r.getMessage() and "keep their last counts" in r.getMessage()
               for r in caplog.records)
    # A list that ends before the cap says nothing.
    caplog.clear()
    api.accounts[PAGE_ID].posts = api.accounts[PAGE_ID].posts[:120]
    with caplog.at_level("WARNING"):
        assert len(facebook(sink.url).own_posts(NOW - timedelta(days=90), now=NOW)) == 3
    assert not [r for r in caplog.records if "stopped after" in r.getMessage()]

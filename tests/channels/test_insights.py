"""Insights of our own Facebook page and Instagram account, against a loopback Graph API that
speaks Meta's insights shapes (tests/fakes/meta_insights.py): reach, impressions and followers
per day reach the analytics, a refused metric loses only itself, long ranges are asked in pieces."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.channels.base import Capability, DayInsight, PlatformError
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.health_monitor import check
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.instagram.connector import InstagramConnector
from crisisdesk.channels.meta.insights import spans
from crisisdesk.cli.main import app
from crisisdesk.reports.analytics import Period, build
from crisisdesk.reports.models import ChannelInsight
from tests.accounts.fixtures import FakeClock
from tests.channels.payloads import APP_SECRET, IG_ID, PAGE_ID, VERIFY_TOKEN
from tests.fakes.http_sink import HttpSink, Reply
from tests.fakes.meta_graph import graph_error
from tests.fakes.meta_insights import Account, GraphInsights, end_time

TOKEN = "page-token"
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def days_back(n: int) -> list[date]:
    return [TODAY - timedelta(days=i) for i in range(n - 1, -1, -1)]


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphInsights]]:
    page = Account("page", followers_count=5400, daily={
        "page_total_media_view_unique": {d: 1000 + 10 * i for i, d in enumerate(days_back(120))},
        "page_media_view": {d: 3000 + 7 * i for i, d in enumerate(days_back(120))},
        "page_post_engagements": {d: 50 + i for i, d in enumerate(days_back(120))},
    })
    insta = Account("instagram", followers_count=812, daily={
        "reach": {d: 200 + i for i, d in enumerate(days_back(60))},
        "views": {d: 900 + 3 * i for i, d in enumerate(days_back(60))},
        "total_interactions": {d: 30 + i for i, d in enumerate(days_back(60))},
    })
    api = GraphInsights(TOKEN, {PAGE_ID: page, IG_ID: insta})
    with HttpSink(responder=api) as sink:
        yield sink, api


def meta(base: str, token: str = TOKEN) -> dict[str, Any]:
    return {"api_base": base, "access_token": token, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}


def facebook(base: str, token: str = TOKEN) -> FacebookConnector:
    config = FacebookConfig.model_validate({"key": "fb", "page_id": PAGE_ID, **meta(base, token)})
    return FacebookConnector(config)


def instagram(base: str) -> InstagramConnector:
    config = InstagramConfig.model_validate({"key": "ig", "account_id": IG_ID, **meta(base)})
    return InstagramConnector(config)


def insight_calls(sink: HttpSink) -> list[dict[str, str]]:
    return [{k: v[-1] for k, v in parse_qs(r.path.partition("?")[2]).items()}
            for r in sink.requests if "/insights" in r.path]


def test_both_connectors_say_they_read_insights() -> None:
    assert Capability.INSIGHTS in FacebookConnector.capabilities
    assert Capability.INSIGHTS in InstagramConnector.capabilities


def test_a_page_reports_reach_impressions_and_followers_per_day(
        graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    found = facebook(sink.url).insights(TODAY - timedelta(days=2), TODAY, today=TODAY)
    page = api.accounts[PAGE_ID]
    assert found.refused == []
    assert found.days == [
        DayInsight(d, reach=page.daily["page_total_media_view_unique"][d],
                   impressions=page.daily["page_media_view"][d],
                   engagements=page.daily["page_post_engagements"][d],
                   followers=5400 if d == TODAY else None)
        for d in days_back(3)]
    calls = insight_calls(sink)
    assert sorted(c["metric"] for c in calls) == ["page_media_view", "page_post_engagements",
                                                  "page_total_media_view_unique"]
    assert all(c["period"] == "day" for c in calls)


def test_an_instagram_account_reports_reach_views_and_followers(
        graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    found = instagram(sink.url).insights(TODAY - timedelta(days=3), TODAY - timedelta(days=1), today=TODAY)
    insta = api.accounts[IG_ID]
    assert found.days == [DayInsight(d, reach=insta.daily["reach"][d], impressions=insta.daily["views"][d],
                                     engagements=insta.daily["total_interactions"][d])
                          for d in days_back(4)[:3]]  # today is not in the range: no followers
    for metric in ("views", "total_interactions"):
        calls = [c for c in insight_calls(sink) if c["metric"] == metric]
        assert len(calls) == 3 and all(c["metric_type"] == "total_value" for c in calls)


@pytest.mark.parametrize(("which", "days", "most"), [("facebook", 100, 90), ("instagram", 45, 30)])
def test_a_long_range_is_asked_in_pieces_meta_accepts(graph: tuple[HttpSink, GraphInsights], which: str,
                                                       days: int, most: int) -> None:
    sink, _ = graph
    connector = facebook(sink.url) if which == "facebook" else instagram(sink.url)
    found = connector.insights(TODAY - timedelta(days=days - 1), TODAY, today=TODAY)
    assert found.refused == []
    assert [d.day for d in found.days] == days_back(days)
    assert all(d.reach is not None for d in found.days)
    series = [c for c in insight_calls(sink) if c.get("metric_type") != "total_value"]
    spans_asked = sorted(round((int(c["until"]) - int(c["since"])) / 86400) for c in series)
    pieces = len(list(spans(TODAY - timedelta(days=days - 1), TODAY, most)))
    assert pieces > 1 and max(spans_asked) <= most
    assert len(series) == pieces * (3 if which == "facebook" else 1)  # Facebook: every metric a series


def test_end_times_are_the_ends_of_meta_days() -> None:
    assert end_time(date(2026, 12, 1)) == "2026-12-02T08:00:00+0000"  # winter: UTC-8
    assert end_time(date(2026, 7, 1)) == "2026-07-02T07:00:00+0000"  # summer: UTC-7


def test_a_refused_metric_loses_only_itself(graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    api.failures["page_media_view"] = graph_error(100, "(#100) The value must be a valid insights metric")
    found = facebook(sink.url).insights(TODAY - timedelta(days=1), TODAY, today=TODAY)
    assert [(d.reach is not None, d.impressions, d.engagements is not None) for d in found.days] == \
        [(True, None, True), (True, None, True)]
    assert found.days[-1].followers == 5400
    assert len(found.refused) == 1 and found.refused[0].startswith("impressions: (100)")


def test_a_broken_answer_keeps_what_is_readable(graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    yesterday = TODAY - timedelta(days=1)
    api.failures["reach"] = Reply(200, {"data": [{"name": "reach", "period": "day", "values": [
        {"value": "many", "end_time": end_time(yesterday)},  # not a count
        {"value": -3, "end_time": end_time(yesterday)},  # not a count either
        {"value": 41.0, "end_time": "yesterday"},  # no time
        "nonsense",
        {"value": 77, "end_time": end_time(TODAY)},
    ]}]})
    found = instagram(sink.url).insights(yesterday, TODAY, today=TODAY)
    assert [(d.day, d.reach) for d in found.days] == [(yesterday, None), (TODAY, 77)]
    api.failures["reach"] = Reply(200, {"data": [{"name": "reach", "values": "oops"}]})
    found = instagram(sink.url).insights(yesterday, TODAY, today=TODAY)
    assert found.refused == ["reach: the reach answer has no list of values"]
    assert all(d.impressions is not None for d in found.days)


def test_a_dead_token_or_no_permission_at_all_is_a_refusal(graph: tuple[HttpSink, GraphInsights]) -> None:
    sink, api = graph
    with pytest.raises(PlatformError) as dead:
        facebook(sink.url, token="old").insights(TODAY, TODAY, today=TODAY)
    assert dead.value.reauthorize
    no_permission = graph_error(10, "(#10) Requires read_insights permission")
    api.failures.update({"page_total_media_view_unique": no_permission, "page_media_view": no_permission,
                         "page_post_engagements": no_permission})
    api.accounts[PAGE_ID].followers_count = None
    with pytest.raises(PlatformError, match="read_insights"):
        facebook(sink.url).insights(TODAY - timedelta(days=1), TODAY - timedelta(days=1), today=TODAY)


def rows(engine: Engine, channel: str) -> list[tuple[date, int | None, int | None, int | None, int | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(ChannelInsight.day, ChannelInsight.reach, ChannelInsight.impressions,
                   ChannelInsight.engagements, ChannelInsight.followers)
            .where(ChannelInsight.channel == channel).order_by(ChannelInsight.day))]


def test_the_health_check_brings_the_recent_days_into_the_analytics(graph: tuple[HttpSink, GraphInsights],
                                                                     engine: Engine) -> None:
    sink, api = graph
    page = api.accounts[PAGE_ID]
    result = check(engine, facebook(sink.url), clock=FakeClock(NOW))
    assert not isinstance(result, PlatformError)
    assert result.details["followers"] == "5400" and result.details["insights"] == "3 day(s) recorded"
    reach, views = page.daily["page_total_media_view_unique"], page.daily["page_media_view"]
    engaged = page.daily["page_post_engagements"]
    assert rows(engine, "fb") == [(d, reach[d], views[d], engaged[d], 5400 if d == TODAY else None)
                                  for d in days_back(3)]
    # Meta corrects yesterday's number; the next check takes the new one and keeps the rest
    reach[TODAY - timedelta(days=1)] += 500
    check(engine, facebook(sink.url), clock=FakeClock(NOW + timedelta(hours=6)))
    assert rows(engine, "fb")[1][1] == reach[TODAY - timedelta(days=1)]
    with Session(engine) as session:
        report = build(session, Period(TODAY - timedelta(days=2), TODAY))
    fb = next(c for c in report["channels"] if c["channel"] == "fb")
    assert fb["reach"] == sum(reach[d] for d in days_back(3))
    assert fb["impressions"] == sum(views[d] for d in days_back(3))
    assert fb["followers"] == 5400
    assert fb["engagements"] == sum(engaged[d] for d in days_back(3))
    assert fb["engagements_source"] == "platform"
    assert fb["engagement_rate"] == pytest.approx(fb["engagements"] / fb["reach"])


def test_a_refused_insights_call_does_not_fail_the_check(graph: tuple[HttpSink, GraphInsights],
                                                         engine: Engine) -> None:
    sink, api = graph
    no_permission = graph_error(10, "(#10) Requires instagram_manage_insights permission")
    api.failures.update({"reach": no_permission, "views": no_permission, "total_interactions": no_permission})
    result = check(engine, instagram(sink.url), clock=FakeClock(NOW))
    assert not isinstance(result, PlatformError)
    said = result.details["insights"]
    assert said.startswith("1 day(s) recorded; refused: reach: (10)") and "instagram_manage_insights" in said
    assert rows(engine, "ig") == [(TODAY, None, None, None, 812)]
    api.accounts[IG_ID].followers_count = None  # and the account shows no count: nothing measured
    result = check(engine, instagram(sink.url), clock=FakeClock(NOW))
    assert not isinstance(result, PlatformError)  # the credentials work: channel health stays fine
    assert result.details["insights"].startswith("0 day(s) recorded; refused: reach: (10)")


def test_the_cli_fetches_a_longer_past(graph: tuple[HttpSink, GraphInsights], workspace_file: Path) -> None:
    sink, _ = graph
    workspace_file.write_text(
        f"channels:\n  - key: ig\n    platform: instagram\n    account_id: '{IG_ID}'\n"
        f"    api_base: {sink.url}\n"
        f"    access_token: {TOKEN}\n    app_secret: {APP_SECRET}\n    verify_token: {VERIFY_TOKEN}\n"
        f"  - key: rss\n    platform: rss\n    url: {sink.url}/feed.xml\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["channels", "insights", "ig", "--days", "40",
                                 "--config", str(workspace_file)])
    assert result.exit_code == 0, result.output
    assert "40 day(s) recorded" in result.output
    result = runner.invoke(app, ["channels", "insights", "rss", "--config", str(workspace_file)])
    assert result.exit_code == 2 and "reports no insights" in result.output
    result = runner.invoke(app, ["channels", "insights", "nope", "--config", str(workspace_file)])
    assert result.exit_code == 2 and "no channel 'nope'" in result.output

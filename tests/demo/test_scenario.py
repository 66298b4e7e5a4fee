"""The demo scenario: valid canonical posts, reproducible, and shaped like a real brand crisis."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import yaml

from crisisdesk.demo.scenario import DEFAULT_START, generate_scenario
from crisisdesk.demo.scenario import demo_workspace_yaml as workspace_yaml
from crisisdesk.posts.schemas import POST_ADAPTER

PLATFORMS = {"facebook", "instagram", "x", "whatsapp", "viber", "telegram", "mastodon", "bluesky", "email",
             "news", "review", "other"}
KINDS = {"post", "comment", "reply", "message", "review", "article"}
CALM_DAYS = 7


@pytest.fixture(scope="module")
def posts() -> list[dict[str, Any]]:
    return list(generate_scenario())


def hourly_counts(posts: list[dict[str, Any]], start: datetime, hours: int) -> list[int]:
    counts = Counter(
        int((datetime.fromisoformat(p["created_at"]) - start).total_seconds() // 3600) for p in posts
    )
    return [counts.get(h, 0) for h in range(hours)]


def test_same_seed_same_posts_and_other_seed_differs(posts: list[dict[str, Any]]) -> None:
    again = list(generate_scenario())
    assert orjson.dumps(again) == orjson.dumps(posts)
    other = list(generate_scenario(seed=8, calm_days=1, crisis_days=0))
    assert other != posts[: len(other)]


def test_size_is_demo_sized(posts: list[dict[str, Any]]) -> None:
    assert 5_000 <= len(posts) <= 12_000


def test_every_post_is_canonical(posts: list[dict[str, Any]]) -> None:
    for post in posts:
        assert isinstance(post["platform"], str) and post["platform"] in PLATFORMS
        assert isinstance(post["id"], str) and post["id"]
        assert isinstance(post["text"], str) and post["text"].strip()
        created = datetime.fromisoformat(post["created_at"])
        assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
        assert post.get("kind", "post") in KINDS
        assert post.get("lang") in {"de", "en"}
        author = post.get("author")
        if author is not None:
            assert isinstance(author["id"], str)
            assert isinstance(author.get("followers", 0), int) and author.get("followers", 0) >= 0
            assert isinstance(author.get("verified", False), bool)
        for value in (post.get("metrics") or {}).values():
            assert isinstance(value, int) and value >= 0
        orjson.dumps(post)  # JSON-serialisable
        POST_ADAPTER.validate_python(post)  # the shape the importer accepts


def test_sorted_by_time_within_the_scenario(posts: list[dict[str, Any]]) -> None:
    times = [datetime.fromisoformat(p["created_at"]) for p in posts]
    assert times == sorted(times)
    assert times[0] >= DEFAULT_START
    assert times[-1] < DEFAULT_START + timedelta(days=9)


def test_ids_unique_per_platform(posts: list[dict[str, Any]]) -> None:
    keys = [(p["platform"], p["id"]) for p in posts]
    assert len(keys) == len(set(keys))


def test_replies_point_to_earlier_posts_of_the_same_platform(posts: list[dict[str, Any]]) -> None:
    seen: set[tuple[str, str]] = set()
    replies = 0
    for post in posts:
        if post.get("kind") == "reply":
            replies += 1
            assert (post["platform"], post["in_reply_to"]) in seen
            assert post["conversation_id"]
        seen.add((post["platform"], post["id"]))
    assert replies > 100


def test_bilingual_about_sixty_forty(posts: list[dict[str, Any]]) -> None:
    langs = Counter(p["lang"] for p in posts)
    share_de = langs["de"] / len(posts)
    assert 0.5 < share_de < 0.7


def test_mixed_platforms_and_inbox_messages(posts: list[dict[str, Any]]) -> None:
    platforms = Counter(p["platform"] for p in posts)
    assert {"x", "instagram", "facebook", "telegram", "mastodon", "bluesky", "review", "email",
            "whatsapp", "news"} <= set(platforms)
    messages = [p for p in posts if p.get("kind") == "message"]
    assert messages and all(p["channel"].endswith(":service") for p in messages)


def test_crisis_peak_dwarfs_calm_median(posts: list[dict[str, Any]]) -> None:
    hours = hourly_counts(posts, DEFAULT_START, 24 * 9)
    calm_median = statistics.median(hours[: 24 * CALM_DAYS])
    crisis_peak = max(hours[24 * CALM_DAYS :])
    assert crisis_peak >= 5 * calm_median
    assert crisis_peak <= 30 * calm_median  # a wave, not a wall


def test_calm_days_have_a_day_night_rhythm(posts: list[dict[str, Any]]) -> None:
    hours = hourly_counts(posts, DEFAULT_START, 24 * CALM_DAYS)
    # CET = UTC+1: local 02:00-05:00 is UTC 01-04, local 11:00-21:00 is UTC 10-20.
    night = [hours[d * 24 + h] for d in range(CALM_DAYS) for h in range(1, 5)]
    day = [hours[d * 24 + h] for d in range(CALM_DAYS) for h in range(10, 21)]
    assert statistics.mean(night) * 4 < statistics.mean(day)
    daily = [sum(hours[d * 24 : (d + 1) * 24]) for d in range(CALM_DAYS)]
    assert all(300 <= n <= 800 for n in daily)
    assert statistics.mean(daily[5:]) < statistics.mean(daily[:5])  # quieter weekend


def test_crisis_starts_small_and_news_follow(posts: list[dict[str, Any]]) -> None:
    crisis_start = DEFAULT_START + timedelta(days=CALM_DAYS)
    hours = hourly_counts(posts, crisis_start, 48)
    assert hours[7] < hours[18] / 5  # the first report's hour is nothing like the evening peak
    articles = [p for p in posts if p.get("kind") == "article"]
    crisis_articles = [p for p in articles if datetime.fromisoformat(p["created_at"]) >= crisis_start]
    assert len(crisis_articles) >= 20
    assert all(p["platform"] == "news" and p["url"].startswith("https://") for p in articles)
    assert max(p["author"]["followers"] for p in crisis_articles) >= 1_000_000
    assert any("#voltarofire" in p["text"] for p in posts if p["created_at"] >= crisis_start.isoformat())
    assert not any("#voltarofire" in p["text"] for p in posts if p["created_at"] < crisis_start.isoformat())


def test_influencers_and_heavy_tails(posts: list[dict[str, Any]]) -> None:
    verified = [p for p in posts if (p.get("author") or {}).get("verified")]
    assert verified
    followers = sorted((p.get("author") or {}).get("followers") or 0 for p in posts)
    assert followers[len(followers) // 2] < 1_000 < 100_000 < followers[-1]
    likes = sorted((p.get("metrics") or {}).get("likes") or 0 for p in posts)
    assert likes[-1] > 50 * max(1, likes[len(likes) // 2])


def test_texts_vary(posts: list[dict[str, Any]]) -> None:
    texts = Counter(p["text"] for p in posts)
    assert len(texts) >= 0.85 * len(posts)


def test_custom_start_and_lengths() -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    short = list(generate_scenario(seed=1, start=start, calm_days=1, crisis_days=1))
    assert short
    assert all(start <= datetime.fromisoformat(p["created_at"]) < start + timedelta(days=2) for p in short)
    calm_only = list(generate_scenario(seed=1, start=start, calm_days=2, crisis_days=0))
    assert not any("#voltarofire" in p["text"] for p in calm_only)


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 11, 2),  # naive
        datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=1))),  # not UTC
        datetime(2026, 11, 2, 8, tzinfo=UTC),  # not midnight
    ],
)
def test_bad_start_is_refused(start: datetime) -> None:
    with pytest.raises(ValueError, match="start must be"):
        generate_scenario(start=start)


def test_workspace_yaml_has_named_monitors() -> None:
    text = workspace_yaml()
    assert text.lstrip().startswith("#")  # documented for the reader
    data = yaml.safe_load(text)
    monitors = data["monitors"]
    assert len(monitors) >= 4
    names = [m["name"] for m in monitors]
    assert len(set(names)) == len(names)
    for monitor in monitors:
        assert isinstance(monitor["name"], str) and monitor["name"]
        assert isinstance(monitor["query"], str) and monitor["query"]
    joined = " ".join(m["query"].lower() for m in monitors)
    for needle in ("voltaro", "pulse", "köhler", "kinetta"):
        assert needle in joined


def test_monitors_match_the_story_and_skip_the_noise(posts: list[dict[str, Any]]) -> None:
    """With the real matcher: the brand monitor sees the crisis, noise stays unmatched."""
    matcher = pytest.importorskip("crisisdesk.sources.matcher")
    monitors = yaml.safe_load(workspace_yaml())["monitors"]
    compiled = matcher.MonitorSet.compile([(m["name"], m["query"]) for m in monitors])
    crisis_start = (DEFAULT_START + timedelta(days=CALM_DAYS)).isoformat()
    per_monitor: Counter[str] = Counter()
    safety_before_crisis = 0
    for post in posts:
        doc = matcher.MatchDoc(text=post["text"], lang=post.get("lang"), platform=post["platform"],
                               kind=post.get("kind"))
        names = compiled.match(doc)
        per_monitor.update(names)
        if "battery-safety" in names and post["created_at"] < crisis_start:
            safety_before_crisis += 1
        if any(w in post["text"] for w in ("Pulse Festival", "Pulse festival", "Trainer Köhler")):
            assert names == []
    assert per_monitor["voltaro"] > len(posts) / 3
    assert all(per_monitor[m["name"]] > 0 for m in monitors)
    assert safety_before_crisis < 10

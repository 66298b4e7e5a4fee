"""A channel's credentials check that names the account's followers (Mastodon's
verify_credentials, against a loopback instance) records them for the analytics: the day's
followers, kept when a later check on the same day says nothing new, never summed into reach. And
our account's own statuses, polled with the rest, count as ours and nothing else."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.channels.health_monitor import check
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.core.clock import SystemClock
from crisisdesk.inbox.models import Conversation
from crisisdesk.posts.models import Post
from crisisdesk.reports.models import ChannelDay, ChannelInsight
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.models import MonitorMatch
from crisisdesk.workspace import load_workspace
from tests.accounts.fixtures import FakeClock
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi

TOKEN = "mastodon-user-token"
US = {
    "id": "1",
    "username": "voltaro",
    "acct": "voltaro",
    "display_name": "Voltaro Support",
    "followers_count": 1234,
    "url": "https://social.example/@voltaro",
}


@pytest.fixture
def instance() -> Iterator[tuple[HttpSink, MastodonApi]]:
    api = MastodonApi(TOKEN, dict(US))
    with HttpSink(responder=api) as sink:
        api.base = sink.url
        yield sink, api


def test_a_check_records_the_followers(instance: tuple[HttpSink, MastodonApi], engine: Engine) -> None:
    sink, api = instance
    masto = MastodonConnector(MastodonConfig(key="masto", base_url=sink.url, access_token=TOKEN))
    clock = FakeClock()
    check(engine, masto, clock=clock)
    api.account["followers_count"] = 1300
    clock.advance(hours=6)
    check(engine, masto, clock=clock)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ChannelInsight.channel, ChannelInsight.day, ChannelInsight.followers, ChannelInsight.reach)
        ).all()
    assert rows == [("masto", clock.now().date(), 1300, None)]


def test_our_own_statuses_are_stored_for_analytics_only(
    instance: tuple[HttpSink, MastodonApi], workspace_file: Path
) -> None:
    """A status by our account in the polled hashtag is stored as ours (its likes count for the
    channel), matches no monitor and starts no conversation; a fan's status is a mention as ever."""
    sink, api = instance
    api.publish(_status("<p>Voltaro: Update zum Rückruf B7</p>", US, favourites=40), tags=("voltaro",))
    api.publish(_status("<p>Voltaro Rückruf? Mein Akku raucht</p>", FAN, favourites=1), tags=("voltaro",))
    workspace_file.write_text(
        "monitors:\n  - name: voltaro\n    query: voltaro\n"
        f"channels:\n  - key: masto\n    platform: mastodon\n    base_url: {sink.url}\n"
        f"    access_token: {TOKEN}\n    hashtags: [voltaro]\n",
        encoding="utf-8",
    )
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    try:
        runtime.start_channels()
        deadline = time.monotonic() + 10
        while True:
            with runtime.engine.connect() as conn:
                found = conn.execute(
                    select(Post.id, Post.text, Post.own).where(Post.platform == "mastodon")
                ).all()
            if len(found) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        with runtime.engine.connect() as conn:
            matched = set(conn.execute(select(MonitorMatch.post_id)).scalars())
            threaded = set(conn.execute(select(Conversation.id)).scalars())
            days = conn.execute(
                select(ChannelDay.own, ChannelDay.posts, ChannelDay.likes).where(
                    ChannelDay.channel == "masto"
                )
            ).all()
    finally:
        runtime.close()
    by_text = {r.text: r for r in found}
    ours, theirs = by_text["Voltaro: Update zum Rückruf B7"], by_text["Voltaro Rückruf? Mein Akku raucht"]
    assert ours.own is True and not theirs.own
    assert ours.id not in matched and theirs.id in matched
    assert len(threaded) == 1  # the fan's status only
    assert sorted(tuple(d) for d in days) == [(False, 1, 1), (True, 1, 40)]


FAN = {
    "id": "77",
    "username": "kim",
    "acct": "kim@other.example",
    "display_name": "Kim",
    "followers_count": 12,
}


def _status(content: str, account: dict[str, object], *, favourites: int) -> dict[str, object]:
    return {
        "created_at": "2026-12-04T10:00:00.000Z",
        "content": content,
        "visibility": "public",
        "language": "de",
        "url": None,
        "uri": "https://social.example/statuses/1",
        "account": account,
        "in_reply_to_id": None,
        "spoiler_text": "",
        "sensitive": False,
        "favourites_count": favourites,
        "reblogs_count": 0,
        "replies_count": 0,
        "reblog": None,
        "edited_at": None,
        "media_attachments": [],
    }

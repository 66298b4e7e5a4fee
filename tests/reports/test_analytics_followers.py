"""A channel's credentials check that names the account's followers (Mastodon's
verify_credentials, against a loopback instance) records them for the analytics: the day's
followers, kept when a later check on the same day says nothing new, never summed into reach."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.channels.health_monitor import check
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.reports.models import ChannelInsight
from tests.accounts.fixtures import FakeClock
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi

TOKEN = "mastodon-user-token"
US = {"id": "1", "username": "voltaro", "acct": "voltaro", "display_name": "Voltaro Support",
      "followers_count": 1234, "url": "https://social.example/@voltaro"}


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
        rows = conn.execute(select(ChannelInsight.channel, ChannelInsight.day, ChannelInsight.followers,
                                   ChannelInsight.reach)).all()
    assert rows == [("masto", clock.now().date(), 1300, None)]

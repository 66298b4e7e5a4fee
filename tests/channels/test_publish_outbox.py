"""A publish through the outbox: ``enqueue`` takes a text and nothing it answers, only on a channel
that can publish; crisis mode's hold keeps announcements-by-reply and marketing back but lets a
publish (the crisis team's update) leave; and the whole way out, enqueue then the sender, ends
``sent`` with the platform's id for each connector that publishes, against its loopback server."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Connector
from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.bluesky.connector import BlueskyConnector
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.connector import TelegramConnector
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.connector import XConnector
from tests.channels.payloads import APP_SECRET, BOT_TOKEN, PAGE_ID, TG_SECRET, VERIFY_TOKEN
from tests.fakes.bluesky_api import BlueskyApi
from tests.fakes.http_sink import HttpSink, Reply
from tests.fakes.mastodon_api import MastodonApi
from tests.fakes.meta_send import GraphSend
from tests.fakes.telegram_bot import TelegramBotApi
from tests.fakes.x_api import UserKeys, XApi

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
TEXT = "Update: Der Rückruf betrifft nur Akkus der Serie B7. Alles Weitere: https://voltaro.example/b7"


class Clock:
    def now(self) -> datetime:
        return T0


def ask(engine: Engine, connectors: Mapping[str, Connector], channel: str = "news", **kw: Any) -> OutboxItem:
    values: dict[str, Any] = {"channel": channel, "action": Action.PUBLISH, "idempotency_key": "update-0001",
                              "text": TEXT}
    values.update(kw)
    actor = Actor(values.pop("actor", "lead@example.org"))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        item, _ = outbox.enqueue(session, outbox.OutboundRequest(**values), connectors=connectors,
                                 actor=actor, now=T0)
        return item


def row(engine: Engine, item_id: int) -> OutboxItem:
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        return found


# --- the platforms, each on its loopback server ------------------------------------------------------

def _mastodon(sink: HttpSink) -> tuple[Connector, Callable[[HttpSink, str], None]]:
    api = MastodonApi("m-token", {"id": "1", "username": "voltaro", "acct": "voltaro"})
    sink.responder = api

    def check(sink: HttpSink, external_id: str) -> None:
        assert api.created[external_id]["visibility"] == "public"
        assert api.created[external_id]["language"] == "de"
        assert sink.requests[-1].headers["idempotency-key"] == "masto:update-0001"  # the outbox's key
    return MastodonConnector(MastodonConfig(key="masto", base_url=sink.url, access_token="m-token")), check


def _bluesky(sink: HttpSink) -> tuple[Connector, Callable[[HttpSink, str], None]]:
    did = "did:plc:voltaro0000000000000000"
    api = BlueskyApi("voltaro.bsky.social", "abcd-efgh-ijkl-mnop", did, {"did": did})
    sink.responder = api

    def check(sink: HttpSink, external_id: str) -> None:
        assert "reply" not in api.records[external_id] and api.records[external_id]["langs"] == ["de"]
    config = BlueskyConfig(key="sky", handle="voltaro.bsky.social", app_password="abcd-efgh-ijkl-mnop",
                           api_base=sink.url)
    return BlueskyConnector(config), check


def _x(sink: HttpSink) -> tuple[Connector, Callable[[HttpSink, str], None]]:
    us = "1450000000000000001"
    keys = UserKeys("ck", "cs", f"{us}-access-token", "ts", us)
    api = XApi("AAAAFakeBearer", keys=keys)
    api.user(us, "Voltaro", name="Voltaro")
    sink.responder = api

    def check(sink: HttpSink, external_id: str) -> None:
        assert api.posted[external_id]["text"] == TEXT
    config = XConfig(key="x", bearer_token="AAAAFakeBearer", account="voltaro", api_key="ck", api_secret="cs",
                     access_token=keys.token, access_token_secret="ts", api_base=sink.url)
    return XConnector(config), check


def _facebook(sink: HttpSink) -> tuple[Connector, Callable[[HttpSink, str], None]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    sink.responder = api

    def check(sink: HttpSink, external_id: str) -> None:
        assert api.page_posts[external_id] == {"message": TEXT}
    config = FacebookConfig.model_validate({"key": "fb", "page_id": PAGE_ID, "api_base": sink.url,
                                            "access_token": "page-token", "app_secret": APP_SECRET,
                                            "verify_token": VERIFY_TOKEN})
    return FacebookConnector(config), check


def _telegram(sink: HttpSink) -> tuple[Connector, Callable[[HttpSink, str], None]]:
    api = TelegramBotApi(BOT_TOKEN)
    api.channels["voltaro_news"] = -1009876543210
    sink.responder = api

    def check(sink: HttpSink, external_id: str) -> None:
        assert external_id == "-1009876543210:1" and api.messages[0]["chat_id"] == "@voltaro_news"
    config = TelegramConfig(key="tg", bot_token=BOT_TOKEN, secret_token=TG_SECRET, api_base=sink.url,
                            publish_chat="@voltaro_news")
    return TelegramConnector(config), check


PLATFORMS = {"mastodon": _mastodon, "bluesky": _bluesky, "x": _x, "facebook": _facebook,
             "telegram": _telegram}


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with HttpSink(responder=lambda rec: Reply(500)) as server:
        yield server


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_publish_goes_through_the_outbox_and_ends_sent_with_the_platform_id(
        engine: Engine, sink: HttpSink, platform: str) -> None:
    connector, check = PLATFORMS[platform](sink)
    connectors = {connector.key: connector}
    item = ask(engine, connectors, connector.key, language="de")
    assert (item.action, item.status, item.post_id, item.target) == ("publish", OutboxStatus.QUEUED,
                                                                     None, None)
    outcomes = OutboxSender(lambda: engine, lambda: connectors, clock=Clock()).run_once()
    assert [o.status for o in outcomes] == [OutboxStatus.SENT], outcomes
    done = row(engine, item.id)
    assert done.status == OutboxStatus.SENT and done.external_id and done.last_error is None
    check(sink, done.external_id)


# --- what enqueue refuses ----------------------------------------------------------------------------


@pytest.fixture
def tg() -> dict[str, Connector]:
    plain = TelegramConnector(TelegramConfig(key="tg", bot_token=BOT_TOKEN, secret_token=TG_SECRET))
    news = TelegramConnector(TelegramConfig(key="news", bot_token=BOT_TOKEN, secret_token=TG_SECRET,
                                            publish_chat="@voltaro_news"))
    return {"tg": plain, "news": news}


@pytest.mark.parametrize(("change", "named"), [
    ({"channel": "tg"}, "channel 'tg' cannot publish (it can: block, delete, reply_private, reply_public)"),
    ({"post_id": 1}, "takes no post_id (to answer a post, use reply_public)"),
    ({"target": "-100:5", "recipient": "42"}, "takes no target, recipient"),
    ({"thread": "telegram:1:2"}, "takes no thread"),
    ({"text": "   "}, "publish needs a text"),
    ({"text": None}, "publish needs a text"),
    ({"attachments": (1,)}, "publish takes no attachments yet"),
    ({"language": "Deutsch"}, "is not an ISO 639 code"),
])
def test_enqueue_refuses_a_publish_that_cannot_be_made(engine: Engine, tg: dict[str, Connector],
                                                       change: dict[str, Any], named: str) -> None:
    with pytest.raises(outbox.OutboxError) as refused:
        ask(engine, tg, **{"channel": "news", **change})
    assert refused.value.status == 422 and named in str(refused.value)


# --- crisis mode's hold ------------------------------------------------------------------------------


def test_crisis_mode_holds_announcements_by_reply_and_marketing_but_not_a_publish(
        engine: Engine, tg: dict[str, Connector]) -> None:
    update = ask(engine, tg, "news", idempotency_key="update")
    promo = ask(engine, tg, "news", idempotency_key="promo", text="20 % auf alles!", actor="rule:promo")
    announcement = ask(engine, tg, "news", action=Action.REPLY_PUBLIC, idempotency_key="old-style",
                       target="-1009876543210:5", text="Neuigkeiten")
    hold = outbox.Hold(frozenset({"rule:promo"}))
    with Session(engine) as session:
        due = [i.id for i in outbox.due(session, T0, channels=["news"], hold=hold)]
        assert due == [update.id]  # the crisis team's update leaves
        assert outbox.held(session, hold) == 2 and promo.id not in due and announcement.id not in due
        assert [i.id for i in outbox.due(session, T0, channels=["news"], hold=outbox.Hold())] == [
            update.id, promo.id]

"""Telegram updates and Viber callbacks: verification and mapping of the documented shapes."""

from __future__ import annotations

import json
import typing

import pytest
from pydantic import ValidationError

from crisisdesk.channels.base import Capability, DeliveryState, PayloadError, WebhookRejected
from crisisdesk.channels.config import ChannelConfig
from crisisdesk.channels.registry import CONNECTORS, connector_for
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.connector import TelegramConnector
from crisisdesk.channels.viber.config import ViberConfig
from crisisdesk.channels.viber.connector import ViberConnector
from crisisdesk.posts.schemas import POST_ADAPTER
from tests.channels.payloads import (
    BOT_TOKEN,
    TG_SECRET,
    VIBER_TOKEN,
    tg_update,
    viber_message,
    viber_signature,
)


@pytest.fixture
def telegram() -> TelegramConnector:
    return TelegramConnector(TelegramConfig(key="voltaro-tg", bot_token=BOT_TOKEN, secret_token=TG_SECRET))


@pytest.fixture
def viber() -> ViberConnector:
    return ViberConnector(ViberConfig(key="voltaro-viber", auth_token=VIBER_TOKEN))


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_telegram_secret_token_header(telegram: TelegramConnector) -> None:
    payload = body(tg_update(1, text="x"))
    telegram.verify({"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}, payload)
    with pytest.raises(WebhookRejected, match="not this channel's secret"):
        telegram.verify({"X-Telegram-Bot-Api-Secret-Token": TG_SECRET + "x"}, payload)
    with pytest.raises(WebhookRejected, match="unsigned"):
        telegram.verify({}, payload)


def test_telegram_messages_edits_groups_channels_and_media(telegram: TelegramConnector) -> None:
    private = telegram.parse(body(tg_update(10, text="Wann kommt mein Geld zurück?")))
    (post,) = private.posts
    assert post.post["id"] == "987654321:42" and not post.public
    assert post.thread == "telegram:123456789:987654321"
    assert post.post["author"] == {"id": "987654321", "handle": None, "name": "Lena Krause"}
    POST_ADAPTER.validate_python(post.post)

    edited = telegram.parse(body(tg_update(11, "edited_message", text="…zurück??", edit_date=1764846500)))
    assert edited.posts[0].edited and edited.posts[0].post["created_at"].startswith("2025-12-04T11:08:20")

    group = telegram.parse(body(tg_update(12, chat={"id": -1001234567890, "type": "supergroup",
                                                    "username": "voltaro_fans"},
                                          text="Auch bei mir", reply_to_message={"message_id": 40},
                                          message_thread_id=7, is_topic_message=True)))
    (reply,) = group.posts
    assert reply.public and reply.post["in_reply_to"] == "-1001234567890:40"
    assert reply.thread == "telegram:123456789:-1001234567890:7"
    assert reply.post["url"] == "https://t.me/voltaro_fans/42"

    channel_post = {"update_id": 13, "channel_post": {
        "message_id": 5, "date": 1764846000, "chat": {"id": -100777, "type": "channel", "title": "News"},
        "sender_chat": {"id": -100777, "title": "News"}, "caption": "Rückruf", "photo": [
            {"file_id": "small", "file_size": 100}, {"file_id": "big", "file_size": 9000}]}}
    (news,) = telegram.parse(body(channel_post)).posts
    assert news.post["kind"] == "post" and news.post["text"] == "Rückruf"
    assert news.post["author"]["name"] == "News" and news.attachments[0].media_id == "big"


def test_telegram_unknown_updates_are_kept(telegram: TelegramConnector) -> None:
    sticker_only = telegram.parse(body(tg_update(20, sticker={"file_id": "st", "emoji": "🔥"})))
    assert sticker_only.posts[0].attachments[0].type == "sticker"
    service = telegram.parse(body(tg_update(21, new_chat_members=[{"id": 1, "is_bot": False}])))
    assert not service.posts and service.unparsed[0].what == "message with new_chat_members"
    callback = telegram.parse(body({"update_id": 22, "callback_query": {"id": "1", "data": "x"}}))
    assert callback.unparsed[0].what == "update callback_query"
    future = telegram.parse(body({"update_id": 23, "message_reaction_count": {"chat": {}}}))
    assert future.unparsed[0].what == "update message_reaction_count"
    broken = telegram.parse(body({"update_id": 24, "message": {"text": "no chat"}}))
    assert not broken.posts and broken.unparsed[0].what.startswith("message: Field required")
    with pytest.raises(PayloadError):
        telegram.parse(body({"message": {}}))
    with pytest.raises(PayloadError):
        telegram.parse(b"\xff")


def test_viber_signature_without_prefix(viber: ViberConnector) -> None:
    payload = body(viber_message(4912661846655238145, "Hallo"))
    viber.verify({"X-Viber-Content-Signature": viber_signature(payload)}, payload)
    with pytest.raises(WebhookRejected, match="does not match"):
        viber.verify({"X-Viber-Content-Signature": viber_signature(payload, "other")}, payload)
    with pytest.raises(WebhookRejected, match="does not match"):
        viber.verify({"X-Viber-Content-Signature": "sha256=" + viber_signature(payload)}, payload)


def test_viber_messages_statuses_and_events(viber: ViberConnector) -> None:
    (post,) = viber.parse(body(viber_message(4912661846655238145, "Mein Akku ist explodiert"))).posts
    assert post.post["id"] == "4912661846655238145"  # above 2^53: kept exact as text
    assert post.thread == "viber:voltaro-viber:01234567890A=" and not post.public
    POST_ADAPTER.validate_python(post.post)
    picture = viber_message(5, "")
    picture["message"] = {"type": "picture", "text": "", "media": "https://dl.viber.example/p.jpg",
                          "size": 123}
    assert viber.parse(body(picture)).posts[0].attachments[0].url == "https://dl.viber.example/p.jpg"

    delivered = viber.parse(body({"event": "delivered", "timestamp": 1764846000000, "message_token": 77,
                                  "user_id": "01234567890A="}))
    failed = viber.parse(body({"event": "failed", "timestamp": 1764846000000, "message_token": 78,
                               "user_id": "x", "desc": "receiver not subscribed"}))
    assert delivered.statuses[0].state == DeliveryState.DELIVERED
    assert delivered.statuses[0].external_id == "77"
    assert failed.statuses[0].error == "receiver not subscribed"
    for event in ("webhook", "subscribed", "conversation_started", "unsubscribed"):
        kept = viber.parse(body({"event": event, "timestamp": 1764846000000})).unparsed
        assert kept[0].what == f"event {event}"
    poll = viber_message(6, "")
    poll["message"] = {"type": "rich_media"}
    assert viber.parse(body(poll)).unparsed[0].what == "message type rich_media"


def test_every_configured_platform_has_a_connector_and_every_connector_a_config() -> None:
    union = typing.get_args(typing.get_args(ChannelConfig)[0])
    platforms = {cls.model_fields["platform"].default for cls in union}
    assert platforms == set(CONNECTORS)
    for cls in union:
        capabilities = CONNECTORS[cls.model_fields["platform"].default].capabilities  # type: ignore[attr-defined]
        assert capabilities & {Capability.WEBHOOK, Capability.POLL}, "every channel receives somehow"


def test_channel_blocks_are_refused_with_their_problem() -> None:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[object] = TypeAdapter(ChannelConfig)
    config = adapter.validate_python({"key": "wa", "platform": "whatsapp", "phone_number_id": "1065403",
                                      "access_token": "t", "app_secret": "s", "verify_token": "v",
                                      "api_base": "http://127.0.0.1:9000/"})
    assert connector_for(config).key == "wa" and config.api_base == "http://127.0.0.1:9000"  # type: ignore[attr-defined]
    cases = [
        ({"key": "Bad Key", "platform": "telegram", "bot_token": BOT_TOKEN, "secret_token": TG_SECRET},
         "key"),
        ({"key": "t", "platform": "telegram", "bot_token": "nope", "secret_token": TG_SECRET}, "bot_token"),
        ({"key": "t", "platform": "myspace"}, "platform"),
        ({"key": "v", "platform": "viber"}, "auth_token"),
        ({"key": "f", "platform": "facebook", "page_id": "1", "access_token": "t", "app_secret": "s",
          "verify_token": "v", "pageid": "2"}, "pageid"),
        ({"key": "f", "platform": "viber", "auth_token": "x", "api_base": "ftp://x"}, "api_base"),
    ]
    for data, where in cases:
        with pytest.raises(ValidationError) as caught:
            adapter.validate_python(data)
        assert where in str(caught.value), (data, str(caught.value))
    with pytest.raises(ValidationError, match="WA_TOKEN"):
        adapter.validate_python({"key": "wa", "platform": "whatsapp", "phone_number_id": "1",
                                 "access_token": "env:WA_TOKEN", "app_secret": "s", "verify_token": "v"},
                                context={"env": {}})

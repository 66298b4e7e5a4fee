"""Telegram updates and Viber callbacks in the shapes the platforms really send.

Each case is written here in the documented shape (no payload copied from elsewhere); the comment
on a case names where the shape was seen: the Bot API's Message object (core.telegram.org/bots/api,
as restated by SDK docs), SDK sources and tests, and issue threads quoting live updates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from crisisdesk.channels.base import Delivery, DeliveryState, PlatformError
from crisisdesk.channels.outgoing import Action, Outbound
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.connector import TelegramConnector
from crisisdesk.channels.viber.config import ViberConfig
from crisisdesk.channels.viber.connector import ViberConnector
from crisisdesk.posts.schemas import POST_ADAPTER
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, VIBER_TOKEN
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi

BOT = "123456789"
PERSON = {"id": 5596148289, "is_bot": False, "first_name": "Milica"}  # above 2^32, no username/last name
PRIVATE = {"id": 5596148289, "type": "private", "first_name": "Milica"}
GROUP = {"id": -1002222000284, "type": "supergroup", "title": "Voltaro Fans", "username": "voltaro_fans"}
FORUM = {"id": -1002271335705, "type": "supergroup", "title": "Voltaro Hilfe", "is_forum": True}
CHANNEL = {"id": -1001132277055, "type": "channel", "title": "Voltaro News", "username": "voltaro_news"}
#: Stand-ins Telegram puts in ``from`` when a chat speaks (Bot API 5.0 and 5.5 change logs).
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}


def message(update_id: int, kind: str = "message", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": 112, "from": PERSON, "chat": PRIVATE, "date": 1764846000}
    body.update({k.rstrip("_"): v for k, v in fields.items()})  # from_ → from
    return {"update_id": update_id, kind: body}


def body(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Expect:
    """What one update becomes: a post with these fields, or only an unparsed part named ``what``."""

    text: str | None = None
    author: tuple[str, str | None] | None = None  # (id, name)
    thread: str | None = None
    in_reply_to: str | None = "absent"
    attachments: list[tuple[str, str | None]] = field(default_factory=list)  # (type, media id or url)
    what: str | None = None


def topic_opening(thread: int) -> dict[str, Any]:
    """The service message that opened a forum topic, as it comes in ``reply_to_message``."""
    return {"message_id": thread, "from": PERSON, "chat": FORUM, "date": 1764800000,
            "message_thread_id": thread, "is_topic_message": True,
            "forum_topic_created": {"name": "Akku", "icon_color": 7322096}}


TELEGRAM: dict[str, tuple[dict[str, Any], Expect]] = {
    # Message.text + entities; offsets count UTF-16 units (emoji take two): the text is kept whole.
    "text with emoji and entities": (
        message(1, text="🔥 Akku 🔋 brennt", entities=[{"type": "bold", "offset": 3, "length": 4}]),
        Expect(text="🔥 Akku 🔋 brennt", author=("5596148289", "Milica"),
               thread=f"telegram:{BOT}:5596148289")),
    # PhotoSize.file_size is optional; sizes come smallest first (BritConstantin/Python
    # Hints/message_examples.py; php-telegram-bot/core#788). Old code took the smallest.
    "photo sizes without file_size": (
        message(2, caption="Sieht so aus", photo=[
            {"file_id": "p-90", "file_unique_id": "u1", "width": 90, "height": 51},
            {"file_id": "p-1280", "file_unique_id": "u2", "width": 1280, "height": 720},
            {"file_id": "p-320", "file_unique_id": "u3", "width": 320, "height": 180}]),
        Expect(text="Sieht so aus", attachments=[("image", "p-1280")])),
    "document with caption": (
        message(3, caption="Rechnung", document={"file_id": "d1", "file_unique_id": "u", "file_name": "r.pdf",
                                                 "mime_type": "application/pdf", "file_size": 52113}),
        Expect(text="Rechnung", attachments=[("document", "d1")])),
    # Message.animation: "for backward compatibility, the document field will also be set".
    # Old code made two attachments of the one GIF.
    "animation also sent as document": (
        message(4, animation={"file_id": "gif", "file_unique_id": "u", "width": 320, "height": 240,
                              "duration": 3, "file_name": "a.mp4", "mime_type": "video/mp4"},
                document={"file_id": "gif", "file_unique_id": "u", "file_name": "a.mp4",
                          "mime_type": "video/mp4"}),
        Expect(text="", attachments=[("animation", "gif")])),
    "video with caption": (
        message(5, caption="Video", video={"file_id": "v", "file_unique_id": "u", "width": 1280,
                                           "height": 720, "duration": 4, "mime_type": "video/mp4",
                                           "file_size": 912345}),
        Expect(text="Video", attachments=[("video", "v")])),
    "voice": (message(31, voice={"file_id": "vo", "file_unique_id": "u", "duration": 2,
                                 "mime_type": "audio/ogg"}),
              Expect(text="", attachments=[("voice", "vo")])),
    "audio": (message(32, audio={"file_id": "au", "file_unique_id": "u", "duration": 200, "title": "Song",
                                 "mime_type": "audio/mpeg"}),
              Expect(text="", attachments=[("audio", "au")])),
    "video note": (message(33, video_note={"file_id": "vn", "file_unique_id": "u", "length": 240,
                                           "duration": 5}),
                   Expect(text="", attachments=[("video_note", "vn")])),
    "sticker": (
        message(6, sticker={"file_id": "st", "file_unique_id": "u", "type": "regular", "width": 512,
                            "height": 512, "is_animated": False, "is_video": False, "emoji": "😡"}),
        Expect(text="", attachments=[("sticker", "st")])),
    "location": (
        message(7, location={"latitude": 44.8125, "longitude": 20.4612}),
        Expect(text="", attachments=[("location", "geo:44.8125,20.4612")])),
    # Message.venue comes with Message.location; old code kept the point and lost the place.
    "venue": (
        message(8, location={"latitude": 52.52, "longitude": 13.405},
                venue={"location": {"latitude": 52.52, "longitude": 13.405}, "title": "Voltaro Store",
                       "address": "Alexanderplatz 1"}),
        Expect(text="Voltaro Store — Alexanderplatz 1", attachments=[("location", "geo:52.52,13.405")])),
    # A forwarded contact carries forward_origin and the old forward_* fields before ``contact``.
    "forwarded contact": (
        message(9, forward_origin={"type": "user", "sender_user": PERSON, "date": 1764000000},
                forward_from=PERSON, forward_date=1764000000,
                contact={"phone_number": "+381601234567", "first_name": "Jovan"}),
        Expect(what="message with contact")),
    "poll": (
        message(10, chat=GROUP, poll={"id": "5", "question": "Akku ok?", "options": [
            {"text": "ja", "voter_count": 0}], "total_voter_count": 0, "is_closed": False,
            "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}),
        Expect(what="message with poll")),
    "dice": (message(11, dice={"emoji": "🎲", "value": 4}), Expect(what="message with dice")),
    "edited message": (
        message(12, "edited_message", text="korrigiert", edit_date=1764846500),
        Expect(text="korrigiert", thread=f"telegram:{BOT}:5596148289")),
    "channel post": (
        {"update_id": 13, "channel_post": {"message_id": 9, "date": 1764846000, "chat": CHANNEL,
                                           "sender_chat": CHANNEL, "author_signature": "Team",
                                           "text": "Rückruf"}},
        Expect(text="Rückruf", author=("-1001132277055", "Voltaro News"),
               thread=f"telegram:{BOT}:-1001132277055")),
    "edited channel post": (
        {"update_id": 14, "edited_channel_post": {
            "message_id": 9, "date": 1764846000, "edit_date": 1764846100, "chat": CHANNEL,
            "sender_chat": CHANNEL, "text": "Rückruf!"}},
        Expect(text="Rückruf!", author=("-1001132277055", "Voltaro News"))),
    # Anonymous admin: from is GroupAnonymousBot, sender_chat the group (InsanusMokrassar/ktgbotapi#183,
    # tdlib/telegram-bot-api#667). Old code named GroupAnonymousBot as the author.
    "anonymous group admin": (
        message(15, chat=GROUP, from_=ANONYMOUS_ADMIN, sender_chat=GROUP, text="Wir prüfen das."),
        Expect(text="Wir prüfen das.", author=("-1002222000284", "Voltaro Fans"))),
    # A channel writing in a group: from is Channel_Bot (radio-t/super-bot#71). Old: Channel_Bot.
    "channel speaking in a group": (
        message(16, chat=GROUP, from_=CHANNEL_BOT, sender_chat=CHANNEL, text="Boykott!"),
        Expect(text="Boykott!", author=("-1001132277055", "Voltaro News"))),
    # A channel post copied into its discussion group: from is 777000 "Telegram".
    "automatic forward to the discussion group": (
        message(17, chat=GROUP, from_=SERVICE_USER, sender_chat=CHANNEL, is_automatic_forward=True,
                forward_origin={"type": "channel", "chat": CHANNEL, "message_id": 9, "date": 1764846000},
                text="Rückruf"),
        Expect(text="Rückruf", author=("-1001132277055", "Voltaro News"))),
    # A reply in a supergroup without topics carries message_thread_id = the replied message
    # (westacks/telebot PR #135; botman/driver-telegram PR #128). Old code split the group's
    # conversation into one thread per reply chain.
    "reply in a supergroup without topics": (
        message(18, chat=GROUP, message_thread_id=111, text="Bei mir auch",
                reply_to_message={"message_id": 111, "from": PERSON, "chat": GROUP, "date": 1764845000,
                                  "text": "Akku heiß"}),
        Expect(text="Bei mir auch", thread=f"telegram:{BOT}:-1002222000284",
               in_reply_to="-1002222000284:111")),
    # A reply in a forum's General topic: thread id of the replied message, no is_topic_message
    # (tdlib/telegram-bot-api#447).
    "reply in a forum's General topic": (
        message(19, chat=FORUM, message_thread_id=300, text="ok",
                reply_to_message={"message_id": 300, "from": PERSON, "chat": FORUM, "date": 1764845000,
                                  "text": "Frage"}),
        Expect(text="ok", thread=f"telegram:{BOT}:-1002271335705", in_reply_to="-1002271335705:300")),
    # A message in a topic names the topic's opening service message as its reply
    # (bodes-corp/bodao_corp_bot docs/reponse.tst). Old code called it a reply to that message.
    "message in a forum topic": (
        message(20, chat=FORUM, message_thread_id=2, is_topic_message=True, reply_to_message=topic_opening(2),
                text="Mein Akku bläht sich"),
        Expect(text="Mein Akku bläht sich", thread=f"telegram:{BOT}:-1002271335705:2", in_reply_to=None)),
    "reply inside a forum topic": (
        message(21, chat=FORUM, message_thread_id=2, is_topic_message=True, text="Foto?",
                reply_to_message={"message_id": 57, "from": PERSON, "chat": FORUM, "date": 1764845000,
                                  "message_thread_id": 2, "is_topic_message": True, "text": "x"}),
        Expect(text="Foto?", thread=f"telegram:{BOT}:-1002271335705:2", in_reply_to="-1002271335705:57")),
    # Service messages: the old twins new_chat_participant/new_chat_member come first.
    "member joined": (
        message(22, chat=GROUP, new_chat_participant=PERSON, new_chat_member=PERSON,
                new_chat_members=[PERSON]),
        Expect(what="message with new_chat_members")),
    "member left": (
        message(23, chat=GROUP, left_chat_participant=PERSON, left_chat_member=PERSON),
        Expect(what="message with left_chat_participant")),
    "pinned message": (
        message(24, chat=GROUP, pinned_message={"message_id": 1, "date": 1, "chat": GROUP, "text": "Regeln"}),
        Expect(what="message with pinned_message")),
    "group migrated to supergroup": (
        message(25, chat={"id": -4012345678, "type": "group", "title": "Fans"},
                migrate_to_chat_id=-1002222000284),
        Expect(what="message with migrate_to_chat_id")),
    "business message": (
        message(26, "business_message", business_connection_id="bc-1", text="Ist der Laden offen?"),
        Expect(text="Ist der Laden offen?", thread=f"telegram:{BOT}:5596148289")),
    "reaction": (
        {"update_id": 27, "message_reaction": {"chat": GROUP, "message_id": 5, "user": PERSON, "date": 1,
                                               "old_reaction": [], "new_reaction": [{"type": "emoji",
                                                                                     "emoji": "👎"}]}},
        Expect(what="update message_reaction")),
    "callback query": (
        {"update_id": 28, "callback_query": {"id": "4382", "from": PERSON, "chat_instance": "-7",
                                             "data": "ja", "message": message(0, text="Hilfe?")["message"]}},
        Expect(what="update callback_query")),
    "bot added to a group": (
        {"update_id": 29, "my_chat_member": {"chat": GROUP, "from": PERSON, "date": 1,
                                             "old_chat_member": {"status": "left", "user": PERSON},
                                             "new_chat_member": {"status": "member", "user": PERSON}}},
        Expect(what="update my_chat_member")),
    "member status changed": (
        {"update_id": 30, "chat_member": {"chat": GROUP, "from": PERSON, "date": 1,
                                          "old_chat_member": {"status": "member", "user": PERSON},
                                          "new_chat_member": {"status": "kicked", "user": PERSON,
                                                              "until_date": 0}}},
        Expect(what="update chat_member")),
}


@pytest.fixture
def telegram() -> TelegramConnector:
    return TelegramConnector(TelegramConfig(key="voltaro-tg", bot_token=BOT_TOKEN, secret_token=TG_SECRET))


@pytest.fixture
def viber() -> ViberConnector:
    return ViberConnector(ViberConfig(key="voltaro-viber", auth_token=VIBER_TOKEN))


def check(delivery: Delivery, expect: Expect) -> None:
    if expect.what is not None:
        assert not delivery.posts
        assert [u.what for u in delivery.unparsed] == [expect.what]
        return
    assert not delivery.unparsed
    (post,) = delivery.posts
    POST_ADAPTER.validate_python(post.post)
    if expect.text is not None:
        assert post.post["text"] == expect.text
    if expect.author is not None:
        author = post.post["author"]
        assert (author["id"], author["name"]) == expect.author
    if expect.thread is not None:
        assert post.thread == expect.thread == post.post["conversation_id"]
    if expect.in_reply_to != "absent":
        assert post.post.get("in_reply_to") == expect.in_reply_to
    assert [(a.type, a.media_id or a.url) for a in post.attachments] == expect.attachments


@pytest.mark.parametrize("name", list(TELEGRAM))
def test_real_telegram_update_shapes(telegram: TelegramConnector, name: str) -> None:
    update, expect = TELEGRAM[name]
    check(telegram.parse(body(update)), expect)


def test_telegram_group_posts_are_public_private_chats_not(telegram: TelegramConnector) -> None:
    (admin,) = telegram.parse(body(TELEGRAM["anonymous group admin"][0])).posts
    (business,) = telegram.parse(body(TELEGRAM["business message"][0])).posts
    assert admin.public and not admin.own and not business.public


VIBER_USER = {"id": "01234567890A=", "name": "Jelena", "avatar": "https://avatar.example/j.jpg",
              "language": "sr", "country": "RS", "api_version": 10}


def viber_message(content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"event": "message", "timestamp": 1764846000123, "message_token": 5741311803571721087,
            "sender": VIBER_USER, "message": content, **extra}


VIBER: dict[str, tuple[dict[str, Any], Expect]] = {
    # viber-bot-python tests/api/viber_requests/test_viber_message_request.py: silent, no avatar,
    # chat-extension chat_id/reply_type; the token above 2^53 stays exact.
    "text, silent": (viber_message({"type": "text", "text": "Hvala", "tracking_data": "t"}, silent=True),
                     Expect(text="Hvala", author=("01234567890A=", "Jelena"),
                            thread="viber:voltaro-viber:01234567890A=")),
    "sender without avatar or language": (
        viber_message({"type": "text", "text": "?"}, sender={"id": "xYz+/=="}),
        Expect(text="?", author=("xYz+/==", None), thread="viber:voltaro-viber:xYz+/==")),
    "chat extension": (viber_message({"type": "text", "text": "x"}, chat_id=5048086924903818307,
                                     reply_type="message"), Expect(text="x")),
    # Message shapes: viber-bot-python tests/api/messages/test_get_message.py, viber-bot-node lib/message/*.
    "picture with caption": (
        viber_message({"type": "picture", "text": "Rauch", "media": "https://dl-media.viber.example/p.jpg",
                       "thumbnail": "https://dl-media.viber.example/t.jpg", "file_name": "p.jpg",
                       "size": 48211}),
        Expect(text="Rauch", attachments=[("image", "https://dl-media.viber.example/p.jpg")])),
    "video": (viber_message({"type": "video", "media": "https://dl-media.viber.example/v.mp4", "size": 10000,
                             "duration": 10, "thumbnail": "https://dl-media.viber.example/t.jpg"}),
              Expect(text="", attachments=[("video", "https://dl-media.viber.example/v.mp4")])),
    "file": (viber_message({"type": "file", "media": "https://dl-media.viber.example/f.doc", "size": 10000,
                            "file_name": "f.doc"}),
             Expect(text="", attachments=[("file", "https://dl-media.viber.example/f.doc")])),
    # viber-bot-node lib/message/sticker-message.js reads ``sticker_id``; the picture may be absent.
    # Old code kept neither, an attachment naming nothing.
    "sticker without media": (viber_message({"type": "sticker", "sticker_id": 46105}),
                              Expect(text="", attachments=[("sticker", "46105")])),
    "url": (viber_message({"type": "url", "media": "https://voltaro.example/recall"}),
            Expect(text="", attachments=[("link", "https://voltaro.example/recall")])),
    # Coordinates come as strings in the SDK's sample (test_get_message.py).
    "location with string coordinates": (
        viber_message({"type": "location", "location": {"lat": "37.7898", "lon": "-122.3942"}}),
        Expect(text="", attachments=[("location", "geo:37.7898,-122.3942")])),
    "contact": (viber_message({"type": "contact",
                               "contact": {"name": "Alex", "phone_number": "+972511123123"}}),
                Expect(what="message type contact")),
    "rich media": (viber_message({"type": "rich_media", "rich_media": {"Type": "rich_media", "Buttons": []}}),
                   Expect(what="message type rich_media")),
    "webhook check": ({"event": "webhook", "timestamp": 1764846000123, "chat_hostname": "SN-376_",
                       "message_token": 5741311803571721087}, Expect(what="event webhook")),
    "subscribed": ({"event": "subscribed", "timestamp": 1764846000123, "user": VIBER_USER,
                    "message_token": 4912661846655238145}, Expect(what="event subscribed")),
    "unsubscribed": ({"event": "unsubscribed", "timestamp": 1764846000123, "user_id": "01234567890A=",
                      "message_token": 4912661846655238145}, Expect(what="event unsubscribed")),
    "conversation started with context": (
        {"event": "conversation_started", "timestamp": 1764846000123, "message_token": 4912661846655238145,
         "type": "open", "context": "recall-2025", "user": {"id": "01234567890A=", "name": "Jelena"},
         "subscribed": False}, Expect(what="event conversation_started")),
}


@pytest.mark.parametrize("name", list(VIBER))
def test_real_viber_callback_shapes(viber: ViberConnector, name: str) -> None:
    callback, expect = VIBER[name]
    delivery = viber.parse(body(callback))
    check(delivery, expect)
    if delivery.posts:
        assert delivery.posts[0].post["id"] == str(callback["message_token"]) and not delivery.posts[0].public


@pytest.mark.parametrize(("event", "state"), [("delivered", DeliveryState.DELIVERED),
                                              ("seen", DeliveryState.READ), ("failed", DeliveryState.FAILED)])
def test_real_viber_receipts(viber: ViberConnector, event: str, state: DeliveryState) -> None:
    callback: dict[str, Any] = {"event": event, "timestamp": 1764846000123,
                                "message_token": 5741311803571721087, "user_id": "01234567890A=",
                                "chat_hostname": "SN-CHAT-01_"}
    if event == "failed":
        callback["desc"] = "failure description"
    (report,) = viber.parse(body(callback)).statuses
    assert (report.external_id, report.state) == ("5741311803571721087", state)
    assert report.error == ("failure description" if event == "failed" else None)


def test_blocking_the_author_of_an_anonymous_admin_message_is_refused_before_any_call(
        telegram: TelegramConnector) -> None:
    """The anonymous admin's author is now the group itself; banning it would ban the group from
    itself (the old author, GroupAnonymousBot, stood for every anonymous admin at once)."""
    (post,) = telegram.parse(body(TELEGRAM["anonymous group admin"][0])).posts
    with HttpSink(responder=TelegramBotApi(BOT_TOKEN)) as sink:
        connector = TelegramConnector(TelegramConfig(key="voltaro-tg", bot_token=BOT_TOKEN,
                                                     secret_token=TG_SECRET, api_base=sink.url))
        block = Outbound(action=Action.BLOCK, idempotency_key="outbox-1", thread=post.thread,
                         target=post.post["id"], recipient=post.post["author"]["id"])
        with pytest.raises(PlatformError, match="anonymous admin") as caught:
            connector.send(block)
        assert caught.value.permanent and sink.requests == []
        (channel,) = telegram.parse(body(TELEGRAM["channel speaking in a group"][0])).posts
        connector.send(Outbound(action=Action.BLOCK, idempotency_key="outbox-2", thread=channel.thread,
                                recipient=channel.post["author"]["id"]))
        assert sink.requests[-1].path.endswith("/banChatSenderChat")

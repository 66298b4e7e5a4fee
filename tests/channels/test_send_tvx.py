"""Sending through Telegram, Viber and X against loopback servers that speak their wire formats:
each action makes the documented call and returns the platform's id, the platform's refusals come
back as permanent, transient (with the platform's own wait) or "reauthorize", calls without the
data they need are refused before anything is sent, and each connector declares what it does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crisisdesk.channels.base import Capability, PlatformError
from crisisdesk.channels.outgoing import Action, Outbound, Sent
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.connector import TelegramConnector
from crisisdesk.channels.viber.config import ViberConfig
from crisisdesk.channels.viber.connector import ViberConnector
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.connector import XActingConnector, XConnector
from crisisdesk.channels.x.oauth1 import UserContext, signature
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, VIBER_TOKEN
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi, error, flood
from tests.fakes.viber_api import FIRST_TOKEN, ViberApi, status
from tests.fakes.x_api import UserKeys, XApi

BOT = BOT_TOKEN.split(":")[0]
FAN = "01234567890A="  # a Viber user id
GROUP = -1001234567890
PERSON = 987654321


def out(action: Action, **fields: Any) -> Outbound:
    return Outbound(action=action, idempotency_key="outbox-1", **fields)


def refused(connector: Any, outbound: Outbound, sink: HttpSink, match: str) -> PlatformError:
    """The call is refused as permanent, naming ``match``, and nothing reached the platform."""
    with pytest.raises(PlatformError, match=match) as caught:
        connector.send(outbound)
    assert caught.value.permanent and not caught.value.reauthorize
    assert sink.requests == [], "a refused call must not reach the platform"
    return caught.value


# --- Telegram --------------------------------------------------------------------------------------

Telegram = tuple[HttpSink, TelegramBotApi, TelegramConnector]


@pytest.fixture
def telegram() -> Iterator[Telegram]:
    api = TelegramBotApi(BOT_TOKEN)
    with HttpSink(responder=api) as sink:
        config = TelegramConfig(key="voltaro-tg", bot_token=BOT_TOKEN, secret_token=TG_SECRET,
                                api_base=sink.url)
        yield sink, api, TelegramConnector(config)


def test_telegram_declares_replies_delete_and_block_but_not_hide() -> None:
    assert TelegramConnector.capabilities == {Capability.WEBHOOK, Capability.REPLY_PUBLIC,
                                              Capability.REPLY_PRIVATE, Capability.DELETE, Capability.BLOCK,
                                              Capability.ATTACHMENTS}


def test_telegram_public_reply_in_a_group_topic(telegram: Telegram) -> None:
    sink, api, connector = telegram
    api.message(GROUP, 40)
    sent = connector.send(out(Action.REPLY_PUBLIC, thread=f"telegram:{BOT}:{GROUP}:7", target=f"{GROUP}:40",
                              recipient="555", text="Wir kümmern uns <sofort> & melden uns."))
    (request,) = sink.requests
    assert request.method == "POST" and request.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert request.json() == {"chat_id": GROUP, "text": "Wir kümmern uns <sofort> & melden uns.",
                              "reply_parameters": {"message_id": 40}, "message_thread_id": 7}
    assert sent == Sent(f"{GROUP}:1", {"chat": str(GROUP)})


def test_telegram_private_replies(telegram: Telegram) -> None:
    sink, api, connector = telegram
    api.message(PERSON, 42)
    in_chat = connector.send(out(Action.REPLY_PRIVATE, thread=f"telegram:{BOT}:{PERSON}",
                                 target=f"{PERSON}:42", recipient=str(PERSON), text="Ihr Geld kommt morgen."))
    assert sink.requests[0].json() == {"chat_id": PERSON, "text": "Ihr Geld kommt morgen.",
                                       "reply_parameters": {"message_id": 42}}
    assert in_chat.external_id == f"{PERSON}:1"

    # to a message in a group: into the author's own chat with the bot, without quoting the group
    api.message(GROUP, 40)
    dm = connector.send(out(Action.REPLY_PRIVATE, thread=f"telegram:{BOT}:{GROUP}", target=f"{GROUP}:40",
                            recipient="555", text="Schreiben Sie uns Ihre Kundennummer?"))
    assert sink.requests[1].json() == {"chat_id": 555, "text": "Schreiben Sie uns Ihre Kundennummer?"}
    assert dm.external_id == "555:2"

    api.started = {PERSON}  # 555 has never opened the bot: Telegram lets no bot write first
    with pytest.raises(PlatformError, match="can't initiate conversation") as caught:
        connector.send(out(Action.REPLY_PRIVATE, thread=f"telegram:{BOT}:{GROUP}", target=f"{GROUP}:40",
                           recipient="555", text="Hallo?"))
    assert caught.value.permanent and caught.value.code == 403


def test_telegram_delete_and_block(telegram: Telegram) -> None:
    sink, api, connector = telegram
    api.message(GROUP, 40)
    deleted = connector.send(out(Action.DELETE, thread=f"telegram:{BOT}:{GROUP}", target=f"{GROUP}:40"))
    assert deleted == Sent(None)
    assert sink.requests[-1].path.endswith("/deleteMessage")
    assert sink.requests[-1].json() == {"chat_id": GROUP, "message_id": 40} and api.deleted == [(GROUP, 40)]
    with pytest.raises(PlatformError, match="message to delete not found") as gone:
        connector.send(out(Action.DELETE, target=f"{GROUP}:40"))  # deleted already; the target names the chat
    assert gone.value.permanent and gone.value.code == 400

    connector.send(out(Action.BLOCK, thread=f"telegram:{BOT}:{GROUP}", target=f"{GROUP}:41", recipient="555"))
    assert sink.requests[-1].path.endswith("/banChatMember")
    assert sink.requests[-1].json() == {"chat_id": GROUP, "user_id": 555}
    # a channel that posted in the group under its own name
    connector.send(out(Action.BLOCK, thread=f"telegram:{BOT}:{GROUP}", recipient="-100777"))
    assert sink.requests[-1].path.endswith("/banChatSenderChat")
    assert api.banned == [(GROUP, 555), (GROUP, -100777)]


def test_telegram_errors_are_classified(telegram: Telegram) -> None:
    sink, api, connector = telegram
    api.message(GROUP, 40)
    reply = out(Action.REPLY_PUBLIC, thread=f"telegram:{BOT}:{GROUP}", target=f"{GROUP}:40", text="Danke!")

    api.fail_next(flood(7))
    with pytest.raises(PlatformError) as throttled:
        connector.send(reply)
    assert not throttled.value.permanent and throttled.value.retry_after == 7 and throttled.value.code == 429

    api.fail_next(error(500, "Internal Server Error"))
    with pytest.raises(PlatformError) as broken:
        connector.send(reply)
    assert not broken.value.permanent

    api.fail_next(error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                        migrate_to_chat_id=-1009999))
    with pytest.raises(PlatformError, match=r"supergroup chat \(the group is now the supergroup -1009999\)") \
            as moved:
        connector.send(reply)
    assert moved.value.permanent and not moved.value.reauthorize

    api.blocked.add(PERSON)
    api.message(PERSON, 42)
    with pytest.raises(PlatformError, match="bot was blocked by the user") as blocked:
        connector.send(out(Action.REPLY_PRIVATE, thread=f"telegram:{BOT}:{PERSON}", target=f"{PERSON}:42",
                           text="Hallo"))
    assert blocked.value.permanent and blocked.value.code == 403 and not blocked.value.reauthorize

    api.token = "123456789:rotated"  # the token in our configuration was revoked
    with pytest.raises(PlatformError, match="Unauthorized") as dead:
        connector.send(reply)
    assert dead.value.permanent and dead.value.reauthorize and dead.value.code == 401
    assert len(sink.requests) == 5 and api.messages == []


def test_telegram_refuses_calls_without_what_they_need(
        telegram: Telegram) -> None:
    sink, _api, connector = telegram
    group = f"telegram:{BOT}:{GROUP}"
    refused(connector, out(Action.REPLY_PUBLIC, text="Hallo"), sink, "no chat")
    refused(connector, out(Action.REPLY_PUBLIC, thread=group, target=f"{GROUP}:40"), sink, "no text")
    refused(connector, out(Action.REPLY_PUBLIC, thread=group, target=f"{GROUP}:40", text="  "), sink,
            "no text")
    refused(connector, out(Action.REPLY_PUBLIC, thread=group, text="x" * 4097), sink,
            "4097 characters .* Telegram takes at most 4096")
    refused(connector, out(Action.REPLY_PRIVATE, thread=group, target=f"{GROUP}:40", text="Hallo"), sink,
            "no recipient: a private reply to a group message")
    refused(connector, out(Action.REPLY_PRIVATE, thread=group, recipient="-100777", text="Hallo"), sink,
            "is a channel or group, not a person")
    refused(connector, out(Action.REPLY_PUBLIC, thread=f"telegram:{BOT}:{PERSON}", text="Hallo"), sink,
            f"chat {PERSON} is a private chat")
    refused(connector, out(Action.DELETE, thread=group), sink, "no target")
    refused(connector, out(Action.BLOCK, thread=group), sink, "no recipient: blocking")
    refused(connector, out(Action.BLOCK, thread=f"telegram:{BOT}:{PERSON}", recipient=str(PERSON)), sink,
            "cannot block a person in a private chat")
    refused(connector, out(Action.REPLY_PUBLIC, thread=f"telegram:42:{GROUP}", text="Hallo"), sink,
            "belongs to bot 42")
    refused(connector, out(Action.REPLY_PUBLIC, thread=group, target="-100555:40", text="Hallo"), sink,
            "not in the thread's chat")
    refused(connector, out(Action.REPLY_PUBLIC, thread="viber:x:y", text="Hallo"), sink,
            "not a Telegram thread")
    refused(connector, out(Action.HIDE, thread=group, target=f"{GROUP}:40"), sink, "cannot hide")


# --- Viber -----------------------------------------------------------------------------------------

@pytest.fixture
def viber() -> Iterator[tuple[HttpSink, ViberApi, ViberConnector]]:
    api = ViberApi(VIBER_TOKEN)
    api.subscribers.add(FAN)
    with HttpSink(responder=api) as sink:
        config = ViberConfig(key="voltaro-viber", auth_token=VIBER_TOKEN, sender_name="Voltaro Service",
                             api_base=sink.url)
        yield sink, api, ViberConnector(config)


def test_viber_declares_private_replies_only() -> None:
    assert ViberConnector.capabilities == {Capability.WEBHOOK, Capability.DELIVERY_STATUS,
                                           Capability.REPLY_PRIVATE}


def test_viber_sends_a_text_and_keeps_the_message_token_exact(
        viber: tuple[HttpSink, ViberApi, ViberConnector]) -> None:
    sink, api, connector = viber
    sent = connector.send(out(Action.REPLY_PRIVATE, thread=f"viber:voltaro-viber:{FAN}", recipient=FAN,
                              target="5491234567890000001", text="Wir prüfen das."))
    (request,) = sink.requests
    assert request.path == "/send_message" and request.headers["x-viber-auth-token"] == VIBER_TOKEN
    assert request.json() == {"receiver": FAN, "type": "text", "text": "Wir prüfen das.",
                              "sender": {"name": "Voltaro Service"}}
    assert sent.external_id == str(FIRST_TOKEN) == "5491234567890123457"  # beyond 2^53: no float on the way
    assert sent.details["billing_status"] == "1"

    # the thread alone names the person
    again = connector.send(out(Action.REPLY_PRIVATE, thread=f"viber:voltaro-viber:{FAN}", text="Update"))
    assert sink.requests[1].json()["receiver"] == FAN and again.external_id == str(FIRST_TOKEN + 1)
    assert len(api.messages) == 2


def test_viber_statuses_are_classified(viber: tuple[HttpSink, ViberApi, ViberConnector]) -> None:
    _sink, api, connector = viber
    message = out(Action.REPLY_PRIVATE, recipient=FAN, text="Hallo")

    with pytest.raises(PlatformError, match=r"receiverNotSubscribed.*must write to it first") as stranger:
        connector.send(out(Action.REPLY_PRIVATE, recipient="someone-else=", text="Hallo"))
    assert stranger.value.permanent and stranger.value.code == 6 and not stranger.value.reauthorize

    api.fail_next(status(5, "receiverNotRegistered"))
    with pytest.raises(PlatformError, match="receiverNotRegistered") as gone:
        connector.send(message)
    assert gone.value.permanent and gone.value.code == 5

    for code, name in ((12, "tooManyRequests"), (18, "messageRateExceeded")):
        api.fail_next(status(code, name))
        with pytest.raises(PlatformError, match=name) as busy:
            connector.send(message)
        assert not busy.value.permanent and busy.value.retry_after == 60.0

    api.fail_next(status(99, "general error"))  # a status Viber does not name: retry with backoff
    with pytest.raises(PlatformError) as odd:
        connector.send(message)
    assert not odd.value.permanent

    api.token = "replaced-token"
    with pytest.raises(PlatformError, match="invalidAuthToken") as dead:
        connector.send(message)
    assert dead.value.permanent and dead.value.reauthorize and dead.value.code == 2
    assert api.messages == []


def test_viber_refuses_calls_without_what_they_need(viber: tuple[HttpSink, ViberApi, ViberConnector]) -> None:
    sink, _api, connector = viber
    refused(connector, out(Action.REPLY_PRIVATE, text="Hallo"), sink, "no recipient")
    refused(connector, out(Action.REPLY_PRIVATE, recipient=FAN), sink, "no text")
    refused(connector, out(Action.REPLY_PRIVATE, recipient=FAN, text="x" * 7001), sink,
            "7001 characters long, Viber accepts 7000")
    refused(connector, out(Action.REPLY_PRIVATE, thread="viber:other-bot:01234567890A=", text="Hallo"), sink,
            "belongs to channel 'other-bot'")
    refused(connector, out(Action.REPLY_PRIVATE, thread="viber:voltaro-viber:A=", recipient="B=",
                           text="Hallo"), sink, "is not the person of thread")
    refused(connector, out(Action.REPLY_PUBLIC, recipient=FAN, text="Hallo"), sink,
            "cannot reply_public: every Viber chat is private")
    refused(connector, out(Action.BLOCK, recipient=FAN), sink, "cannot block")


# --- X ---------------------------------------------------------------------------------------------

TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeBearerTokenForTests"
US = "1450000000000000001"
KIM = "2244994945"
ROOT = "1800000000000000001"  # our post
REPLY = "1800000000000000002"  # Kim's reply to it
ELSEWHERE = "1800000000000000003"  # Kim's own post
KEYS = UserKeys("consumer-key", "consumer-secret", f"{US}-access-token", "access-token-secret", US)


@pytest.fixture
def x() -> Iterator[tuple[HttpSink, XApi]]:
    api = XApi(TOKEN, keys=KEYS)
    api.user(US, "Voltaro", name="Voltaro Service")
    api.user(KIM, "kunde_k", name="Kim K")
    api.post(ROOT, US, "Störung im Netz, wir arbeiten daran.", "2026-01-01T10:00:00.000Z")
    api.post(REPLY, KIM, "@Voltaro seit Stunden kein Strom!", "2026-01-01T10:05:00.000Z",
             conversation_id=ROOT, referenced_tweets=[{"type": "replied_to", "id": ROOT}])
    api.post(ELSEWHERE, KIM, "Voltaro ist der schlechteste Anbieter", "2026-01-01T10:06:00.000Z")
    with HttpSink(responder=api) as sink:
        yield sink, api


def x_connector(base: str, *, keys: UserKeys | None = KEYS) -> XConnector:
    fields: dict[str, Any] = {"key": "x-voltaro", "bearer_token": TOKEN, "account": "voltaro",
                              "api_base": base}
    if keys is not None:
        fields.update(api_key=keys.consumer_key, api_secret=keys.consumer_secret, access_token=keys.token,
                      access_token_secret=keys.token_secret)
    return XConnector(XConfig(**fields))


def test_oauth1_signature_matches_x_documented_examples() -> None:
    params = [("status", "Hello Ladies + Gentlemen, a signed OAuth request!"), ("include_entities", "true"),
              ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
              ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
              ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "1318622958"),
              ("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"), ("oauth_version", "1.0")]
    secrets = {"consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
               "token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"}
    examples = (("https://api.twitter.com/1/statuses/update.json", "tnnArxj06cWHq44gCs1OSKk/jLY="),
                ("https://api.twitter.com/1.1/statuses/update.json", "hCtSmYh+iHYCEqBWrE7C7hYmtUk="),
                ("https://api.x.com/1.1/statuses/update.json", "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="),
                ("HTTPS://API.X.COM:443/1.1/statuses/update.json", "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="))
    for url, expected in examples:
        assert signature("POST", url, params, **secrets) == expected, url
    header = UserContext("ck", "cs", "tk", "ts").authorization("POST", "https://api.x.com/2/tweets",
                                                                nonce="n 1", timestamp=1700000000)
    assert header.startswith('OAuth oauth_consumer_key="ck", oauth_nonce="n%201", oauth_signature="')
    assert 'oauth_timestamp="1700000000", oauth_token="tk", oauth_version="1.0"' in header


def test_x_capabilities_follow_the_configured_keys(x: tuple[HttpSink, XApi]) -> None:
    sink, _api = x
    listening = x_connector(sink.url, keys=None)
    assert type(listening) is XConnector and listening.capabilities == {Capability.POLL}
    acting = x_connector(sink.url)
    assert isinstance(acting, XActingConnector)
    assert acting.capabilities == {Capability.POLL, Capability.REPLY_PUBLIC, Capability.HIDE,
                                   Capability.DELETE, Capability.PUBLISH}
    assert XConnector.capabilities == {Capability.POLL}  # the class: what every X channel can do
    config = XConfig(key="x-voltaro", bearer_token=TOKEN, account="voltaro", api_key="a", api_secret="b",
                     access_token="c", access_token_secret="d")
    assert connector_for(config).capabilities == acting.capabilities  # the registry gives the same
    refused(listening, out(Action.REPLY_PUBLIC, target=REPLY, text="Hallo"), sink, "no user-context keys")
    refused(listening, out(Action.PUBLISH, text="Hallo"), sink, "no user-context keys")
    refused(acting, out(Action.REPLY_PRIVATE, recipient=KIM, text="Hallo"), sink, "cannot reply_private")
    refused(acting, out(Action.BLOCK, recipient=KIM), sink, "cannot block")


def test_x_public_reply_is_posted_as_our_account(x: tuple[HttpSink, XApi]) -> None:
    sink, api = x
    connector = x_connector(sink.url)
    sent = connector.send(out(Action.REPLY_PUBLIC, target=REPLY, thread=f"x:{ROOT}", recipient=KIM,
                              text="@kunde_k Das tut uns leid, wir melden uns per DM."))
    (request,) = sink.requests
    assert request.method == "POST" and request.path == "/2/tweets"
    assert request.headers["authorization"].startswith("OAuth ")  # the fake checked the signature
    assert request.json() == {"text": "@kunde_k Das tut uns leid, wir melden uns per DM.",
                              "reply": {"in_reply_to_tweet_id": REPLY}}
    assert sent.external_id in api.posted and sent.details == {"in_reply_to": REPLY}
    assert api.posted[sent.external_id]["author_id"] == US
    assert api.posted[sent.external_id]["referenced_tweets"] == [{"type": "replied_to", "id": REPLY}]

    # an edited post is stored under its first id; the reply goes to the version its URL names
    newer = "1800000000000000009"
    api.post(newer, KIM, "@Voltaro seit Stunden kein Strom!!", "2026-01-01T10:07:00.000Z",
             conversation_id=ROOT, edit_history_tweet_ids=[REPLY, newer],
             referenced_tweets=[{"type": "replied_to", "id": ROOT}])
    connector.send(out(Action.REPLY_PUBLIC, target=REPLY, text="Ein Techniker ist unterwegs.",
                       context={"post": {"url": f"https://x.com/kunde_k/status/{newer}"}}))
    assert sink.requests[-1].json()["reply"] == {"in_reply_to_tweet_id": newer}


def test_x_hide_unhide_and_delete(x: tuple[HttpSink, XApi]) -> None:
    sink, api = x
    connector = x_connector(sink.url)
    assert connector.send(out(Action.HIDE, target=REPLY)) == Sent(None, {"hidden": "true"})
    assert (sink.requests[-1].method, sink.requests[-1].path) == ("PUT", f"/2/tweets/{REPLY}/hidden")
    assert sink.requests[-1].json() == {"hidden": True} and api.hidden == {REPLY}
    connector.send(out(Action.UNHIDE, target=REPLY))
    assert sink.requests[-1].json() == {"hidden": False} and api.hidden == set()

    with pytest.raises(PlatformError, match="only hide or unhide replies to conversations you") as theirs:
        connector.send(out(Action.HIDE, target=ELSEWHERE))
    assert theirs.value.permanent and theirs.value.code == 403

    ours = connector.send(out(Action.REPLY_PUBLIC, target=REPLY, text="Wir sind dran."))
    assert ours.external_id is not None
    deleted = connector.send(out(Action.DELETE, target=ours.external_id,
                                 context={"post": {"author": {"id": US, "handle": "Voltaro"}}}))
    assert deleted == Sent(None, {"deleted": "true"})
    assert (sink.requests[-1].method, sink.requests[-1].path) == ("DELETE", f"/2/tweets/{ours.external_id}")
    assert api.deleted == [ours.external_id] and ours.external_id not in api.posted

    # somebody else's post: refused before the call when the context says whose it is, else by X
    count = len(sink.requests)
    with pytest.raises(PlatformError, match="the post is @kunde_k's") as known:
        connector.send(out(Action.DELETE, target=REPLY, context={"post": {"author": {"id": KIM,
                                                                                     "handle": "kunde_k"}}}))
    assert known.value.permanent and len(sink.requests) == count
    with pytest.raises(PlatformError, match="not allowed to delete this Tweet") as unknown:
        connector.send(out(Action.DELETE, target=REPLY))
    assert unknown.value.permanent and unknown.value.code == 403


def test_x_errors_are_classified(x: tuple[HttpSink, XApi]) -> None:
    sink, api = x
    connector = x_connector(sink.url)
    reply = out(Action.REPLY_PUBLIC, target=REPLY, text="Wir sind dran.")
    connector.send(reply)
    with pytest.raises(PlatformError, match="duplicate content") as duplicate:
        connector.send(reply)
    assert duplicate.value.permanent and duplicate.value.code == 403 and not duplicate.value.reauthorize

    with pytest.raises(PlatformError, match="deleted or not visible") as gone:
        connector.send(out(Action.REPLY_PUBLIC, target="1799999999999999999", text="Hallo?"))
    assert gone.value.permanent

    api.throttle(120)
    with pytest.raises(PlatformError, match="rate limited") as throttled:
        connector.send(out(Action.REPLY_PUBLIC, target=REPLY, text="Noch da?"))
    assert not throttled.value.permanent and throttled.value.code == 429
    assert throttled.value.retry_after is not None and 100 <= throttled.value.retry_after <= 120

    wrong = UserKeys(KEYS.consumer_key, KEYS.consumer_secret, KEYS.token, "another-secret", US)
    with pytest.raises(PlatformError, match=r"user-context keys .* are invalid or were revoked") as dead:
        x_connector(sink.url, keys=wrong).send(out(Action.REPLY_PUBLIC, target=REPLY, text="Hallo?"))
    assert dead.value.permanent and dead.value.reauthorize and dead.value.code == 401
    assert len(api.posted) == 1


def test_x_refuses_calls_without_what_they_need(x: tuple[HttpSink, XApi]) -> None:
    sink, _api = x
    connector = x_connector(sink.url)
    refused(connector, out(Action.REPLY_PUBLIC, text="Hallo"), sink, "no target: reply_public")
    refused(connector, out(Action.REPLY_PUBLIC, target=REPLY), sink, "no text")
    refused(connector, out(Action.REPLY_PUBLIC, target=REPLY, text=" \n"), sink, "no text")
    refused(connector, out(Action.HIDE, target="x:123"), sink, "not an X post id")
    refused(connector, out(Action.DELETE), sink, "no target: delete")


def test_x_check_names_the_account_the_keys_act_as(x: tuple[HttpSink, XApi]) -> None:
    sink, _api = x
    result = x_connector(sink.url).check()
    assert result.details["replies as"] == f"@Voltaro ({US})" and "warning" not in result.details
    assert "replies as" not in x_connector(sink.url, keys=None).check().details

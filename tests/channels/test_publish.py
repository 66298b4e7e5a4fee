"""Publishing a new post of ours (``Action.PUBLISH``) through each connector that can, against the
loopback servers that speak each platform's wire format: the documented call (Mastodon's status
with its Idempotency-Key, Bluesky's post record without ``reply``, X's ``/2/tweets`` with the text
alone, a Facebook page's ``/feed``, Telegram's ``sendMessage`` to the configured chat), the
platform's id as the external id, and a text too long for the platform refused before any request,
naming the limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from crisisdesk.channels.base import Capability, PlatformError
from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.bluesky.connector import BlueskyConnector
from crisisdesk.channels.bluesky.sending import graphemes
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.outgoing import Action, Outbound
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.connector import TelegramConnector, TelegramPublishingConnector
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.connector import XConnector
from crisisdesk.channels.x.sending import weighted_length
from tests.channels.payloads import APP_SECRET, BOT_TOKEN, PAGE_ID, TG_SECRET, VERIFY_TOKEN
from tests.fakes.bluesky_api import BlueskyApi
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi
from tests.fakes.meta_send import GraphSend, Hangup
from tests.fakes.telegram_bot import TelegramBotApi
from tests.fakes.x_api import UserKeys, XApi

KEY = "masto:update-0001"
TEXT = "Update 14:30: Die Störung ist behoben. Details: https://status.voltaro.example/42"


def publish(text: str = TEXT, **fields: Any) -> Outbound:
    """A publish as the outbox hands it over: a text, the key, no target, thread or recipient."""
    return Outbound(Action.PUBLISH, fields.pop("idempotency_key", KEY), text=text, **fields)


def too_long(connector: Any, outbound: Outbound, sink: HttpSink, limit: str) -> PlatformError:
    """Refused as permanent, naming the limit, before any request reached the platform."""
    with pytest.raises(PlatformError) as caught:
        connector.send(outbound)
    assert caught.value.permanent and caught.value.code == "too_long" and limit in str(caught.value)
    assert sink.requests == [], "a text that is too long must not reach the platform"
    return caught.value


# --- Mastodon ----------------------------------------------------------------------------------------

M_TOKEN = "mastodon-user-token"
M_US = {"id": "1", "username": "voltaro", "acct": "voltaro", "display_name": "Voltaro Support"}


@pytest.fixture
def instance() -> Iterator[tuple[HttpSink, MastodonApi]]:
    api = MastodonApi(M_TOKEN, M_US)
    with HttpSink(responder=api) as sink:
        api.base = sink.url
        yield sink, api


def mastodon(url: str, **fields: Any) -> MastodonConnector:
    return MastodonConnector(MastodonConfig(key="masto", base_url=url, access_token=M_TOKEN, **fields))


def test_mastodon_publishes_a_public_status_with_the_idempotency_key(
        instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    connector = mastodon(sink.url)
    sent = connector.send(publish(context={"language": "de"}))
    (request,) = sink.requests
    assert (request.method, request.path) == ("POST", "/api/v1/statuses")
    assert request.headers["idempotency-key"] == KEY
    assert request.headers["authorization"] == f"Bearer {M_TOKEN}"
    assert request.json() == {"status": TEXT, "visibility": "public", "language": "de"}
    status = api.created[str(sent.external_id)]
    assert status["in_reply_to_id"] is None and status["visibility"] == "public"
    assert sent.details["url"] == status["url"]
    # the same key again (a retry after a lost answer): the instance answers with the first status
    again = connector.send(publish(context={"language": "de"}))
    assert again.external_id == sent.external_id and len(api.created) == 1
    # without a language none is sent
    connector.send(publish("Zweites Update", idempotency_key="masto:update-0002"))
    assert sink.requests[-1].json() == {"status": "Zweites Update", "visibility": "public"}


def test_mastodon_refuses_a_status_longer_than_the_instance_takes(
        instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    too_long(mastodon(sink.url), publish("x" * 501), sink, "at most 500 characters")
    # a link counts as 23 characters, however long it is
    linked = "x" * 470 + " https://status.voltaro.example/" + "a" * 200
    assert mastodon(sink.url).send(publish(linked)).external_id in api.created
    # an instance that allows more says so in the channel's configuration
    api.max_chars = 1000
    assert mastodon(sink.url, max_characters=1000).send(
        publish("y" * 900, idempotency_key="long")).external_id in api.created
    sink.requests.clear()
    too_long(mastodon(sink.url, max_characters=1000), publish("y" * 1001), sink, "at most 1000")


# --- Bluesky -----------------------------------------------------------------------------------------

B_HANDLE, B_PASSWORD, B_DID = "voltaro.bsky.social", "abcd-efgh-ijkl-mnop", "did:plc:voltaro0000000000000000"


@pytest.fixture
def pds() -> Iterator[tuple[HttpSink, BlueskyApi]]:
    api = BlueskyApi(B_HANDLE, B_PASSWORD, B_DID, {"did": B_DID, "handle": B_HANDLE})
    with HttpSink(responder=api) as sink:
        yield sink, api


def bluesky(url: str) -> BlueskyConnector:
    return BlueskyConnector(BlueskyConfig(key="sky", handle=B_HANDLE, app_password=B_PASSWORD, api_base=url))


def test_bluesky_publishes_a_post_record_without_reply(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    sent = bluesky(sink.url).send(publish(context={"language": "de"}))
    create = next(r for r in sink.requests if r.path == "/xrpc/com.atproto.repo.createRecord")
    body = create.json()
    assert body["repo"] == B_DID and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert set(record) == {"$type", "text", "createdAt", "langs", "facets"}  # no reply
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == TEXT
    assert record["langs"] == ["de"] and record["createdAt"].endswith("Z")
    url = "https://status.voltaro.example/42"
    start = len(TEXT[:TEXT.index(url)].encode())
    assert record["facets"] == [{"index": {"byteStart": start, "byteEnd": start + len(url.encode())},
                                 "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]}]
    assert sent.external_id is not None and sent.external_id.startswith(f"at://{B_DID}/app.bsky.feed.post/")
    assert api.records[sent.external_id] == record and sent.details["cid"].startswith("bafyrei")


def test_bluesky_refuses_more_than_300_graphemes(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    too_long(bluesky(sink.url), publish("ü" * 301), sink, "at most 300 graphemes")
    too_long(bluesky(sink.url), publish("👨‍👩‍👧" * 200), sink, "at most 3000 bytes")  # 200 graphemes
    assert bluesky(sink.url).send(publish("ü" * 300)).external_id in api.records


@pytest.mark.parametrize(("text", "count"), [
    ("abc", 3), ("e\u0301", 1), ("👍🏽", 1), ("🇩🇪🇫🇷", 2), ("👨‍👩‍👧", 1), ("a\r\nb", 3), ("각", 1),
    ("\u0301a", 2),
])
def test_bluesky_counts_graphemes_as_a_reader_sees_characters(text: str, count: int) -> None:
    assert graphemes(text) == count


# --- X -----------------------------------------------------------------------------------------------

X_TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeBearerTokenForTests"
X_US = "1450000000000000001"
KEYS = UserKeys("consumer-key", "consumer-secret", f"{X_US}-access-token", "access-token-secret", X_US)


@pytest.fixture
def x() -> Iterator[tuple[HttpSink, XApi]]:
    api = XApi(X_TOKEN, keys=KEYS)
    api.user(X_US, "Voltaro", name="Voltaro Service")
    with HttpSink(responder=api) as sink:
        yield sink, api


def x_connector(base: str, *, acting: bool = True) -> XConnector:
    fields: dict[str, Any] = {"key": "x-voltaro", "bearer_token": X_TOKEN, "account": "voltaro",
                              "api_base": base}
    if acting:
        fields.update(api_key=KEYS.consumer_key, api_secret=KEYS.consumer_secret, access_token=KEYS.token,
                      access_token_secret=KEYS.token_secret)
    return XConnector(XConfig(**fields))


def test_x_publishes_the_text_alone_as_our_account(x: tuple[HttpSink, XApi]) -> None:
    sink, api = x
    assert Capability.PUBLISH in x_connector(sink.url).capabilities
    assert Capability.PUBLISH not in x_connector(sink.url, acting=False).capabilities  # bearer token only
    sent = x_connector(sink.url).send(publish())
    (request,) = sink.requests
    assert (request.method, request.path) == ("POST", "/2/tweets")
    assert request.headers["authorization"].startswith("OAuth ")  # the fake checked the signature
    assert request.json() == {"text": TEXT}
    assert sent.external_id in api.posted and api.posted[str(sent.external_id)]["author_id"] == X_US
    assert "referenced_tweets" not in api.posted[str(sent.external_id)]


def test_x_refuses_more_than_280_weighted_characters(x: tuple[HttpSink, XApi]) -> None:
    sink, api = x
    too_long(x_connector(sink.url), publish("a" * 281), sink, "at most 280")
    too_long(x_connector(sink.url), publish("日" * 141), sink, "at most 280")  # CJK weighs 2
    assert weighted_length("a" * 250 + " https://status.voltaro.example/" + "b" * 100) == 274
    assert x_connector(sink.url).send(publish("a" * 280)).external_id in api.posted


# --- Facebook page -----------------------------------------------------------------------------------

FB_TOKEN = "page-token"


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend(FB_TOKEN, pages=(PAGE_ID,))
    with HttpSink(responder=api) as sink:
        yield sink, api


def facebook(base: str) -> FacebookConnector:
    return FacebookConnector(FacebookConfig.model_validate({
        "key": "fb", "page_id": PAGE_ID, "api_base": base, "access_token": FB_TOKEN,
        "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}))


def test_facebook_publishes_on_the_page_feed(graph: tuple[HttpSink, GraphSend]) -> None:
    sink, api = graph
    sent = facebook(sink.url).send(publish())
    (request,) = sink.requests
    assert request.method == "POST" and request.path.endswith(f"/{PAGE_ID}/feed")
    assert request.headers["authorization"] == f"Bearer {FB_TOKEN}"  # the page access token
    assert request.json() == {"message": TEXT}
    assert sent.external_id is not None and sent.external_id.startswith(f"{PAGE_ID}_")
    assert api.page_posts[sent.external_id] == {"message": TEXT}


def test_facebook_refuses_a_post_too_long_and_never_repeats_a_lost_one(
        graph: tuple[HttpSink, GraphSend]) -> None:
    sink, _ = graph
    too_long(facebook(sink.url), publish("x" * 63_207), sink, "at most 63206")
    with Hangup() as server, pytest.raises(PlatformError) as lost:
        facebook(server.url).send(publish())
    assert lost.value.permanent and "look on the page" in str(lost.value)


# --- Telegram ----------------------------------------------------------------------------------------

CHANNEL = -1009876543210


@pytest.fixture
def bot() -> Iterator[tuple[HttpSink, TelegramBotApi]]:
    api = TelegramBotApi(BOT_TOKEN)
    api.channels["voltaro_news"] = CHANNEL
    with HttpSink(responder=api) as sink:
        yield sink, api


def telegram(base: str, publish_chat: str | int | None) -> TelegramConnector:
    return TelegramConnector(TelegramConfig.model_validate({
        "key": "voltaro-tg", "bot_token": BOT_TOKEN, "secret_token": TG_SECRET, "api_base": base,
        "publish_chat": publish_chat}))


def test_telegram_publishes_only_where_its_configuration_names_a_chat(
        bot: tuple[HttpSink, TelegramBotApi]) -> None:
    sink, api = bot
    plain = telegram(sink.url, None)
    assert type(plain) is TelegramConnector and Capability.PUBLISH not in plain.capabilities
    channel = telegram(sink.url, "@voltaro_news")
    assert isinstance(channel, TelegramPublishingConnector)
    assert channel.capabilities == plain.capabilities | {Capability.PUBLISH}
    assert connector_for(channel.config).capabilities == channel.capabilities  # the registry agrees
    sent = channel.send(publish())
    (request,) = sink.requests
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert request.json() == {"chat_id": "@voltaro_news", "text": TEXT}  # no reply_parameters
    assert sent.external_id == f"{CHANNEL}:1" and api.messages[0]["text"] == TEXT
    by_id = telegram(sink.url, CHANNEL).send(publish("Zweites Update"))  # a numeric id (from YAML)
    assert sink.requests[-1].json() == {"chat_id": CHANNEL, "text": "Zweites Update"}
    assert by_id.external_id == f"{CHANNEL}:2"


def test_telegram_refusals(bot: tuple[HttpSink, TelegramBotApi]) -> None:
    sink, _ = bot
    too_long(telegram(sink.url, "@voltaro_news"), publish("x" * 4097), sink, "at most 4096")
    with pytest.raises(PlatformError) as unknown:
        telegram(sink.url, "@not_our_channel").send(publish())
    assert unknown.value.permanent and "chat not found" in str(unknown.value)
    with pytest.raises(PlatformError, match="cannot publish"):  # the capability is checked again
        telegram(sink.url, None).send(publish())
    for wrong in ("voltaro_news", "@ab", "-100abc"):
        with pytest.raises(ValidationError, match="publish_chat"):
            telegram(sink.url, wrong)

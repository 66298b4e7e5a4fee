"""Slack, Teams, webhook and Telegram senders against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from crisisdesk.notify import PermanentError, RetryableError
from crisisdesk.notify.base import DeliveryContext, SenderDeps
from crisisdesk.notify.schemas import SlackTarget, TeamsTarget, TelegramTarget, WebhookTarget
from crisisdesk.notify.slack import SlackSender
from crisisdesk.notify.teams import TeamsSender
from crisisdesk.notify.telegram import TelegramSender, message_html, units
from crisisdesk.notify.webhook import WebhookSender, verify
from tests.fakes.http_sink import HttpSink, Reply
from tests.fakes.telegram_bot import TelegramBotApi, flood, parse_html
from tests.notify.samples import BOT_TOKEN, SECRET, T0, FakeClock, notification

CTX = DeliveryContext(key="situation:42:step:1:ops", attempt=1)


@pytest.fixture
def deps(clock: FakeClock) -> Iterator[SenderDeps]:
    with httpx.Client() as client:
        yield SenderDeps(http=client, clock=clock)


def slack(sink: HttpSink, path: str = "/services/T0/B0/xyz") -> SlackTarget:
    return SlackTarget(webhook_url=SecretStr(sink.url + path), timeout=2)


def telegram(sink: HttpSink, **kw: object) -> TelegramTarget:
    return TelegramTarget.model_validate(
        {"bot_token": BOT_TOKEN, "chat_id": -100200300, "api_base_url": sink.url, "timeout": 2, **kw})


# -- Slack ---------------------------------------------------------------------------------------

def test_slack_block_kit_with_fallback_and_ack_button(sink: HttpSink, deps: SenderDeps) -> None:
    result = SlackSender(deps).send(notification(), slack(sink), context=CTX)
    (req,) = sink.requests
    assert req.method == "POST" and req.path == "/services/T0/B0/xyz"
    assert req.headers["content-type"].startswith("application/json")
    body = req.json()
    assert body["text"].startswith("Kritisch · Neue Lage: Zugausfälle rund um Berlin (bahn)")
    types = [b["type"] for b in body["blocks"]]
    assert types[:2] == ["header", "section"] and types[-2:] == ["actions", "context"]
    assert body["blocks"][0]["text"] == {
        "type": "plain_text", "text": "Kritisch · Neue Lage: Zugausfälle rund um Berlin"}
    button = body["blocks"][-2]["elements"][0]
    assert button["type"] == "button" and button["text"]["text"] == "Bestätigen"
    assert button["url"] == "https://crisisdesk.example/ack/42?t=abc&step=1"
    posts = next(b for b in body["blocks"] if "Wichtigste" in b.get("text", {}).get("text", ""))
    # user text is escaped for mrkdwn: no accidental <links> or mentions
    assert "&lt;kaputt&gt; &amp; keiner" in posts["text"]["text"]
    assert "<https://x.com/a/status/1|öffnen>" in posts["text"]["text"]
    assert result.detail.startswith("HTTP 200")


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        (Reply(500, "internal_error"), RetryableError, None),
        (Reply(503, "", headers={"Retry-After": "7"}), RetryableError, 7.0),
        (Reply(429, "rate_limited", headers={"Retry-After": "30"}), RetryableError, 30.0),
        (Reply(400, "invalid_payload"), PermanentError, None),
        (Reply(404, "no_service"), PermanentError, None),
        (Reply(410, "channel_is_archived"), PermanentError, None),
    ],
)
def test_http_status_is_classified(
    sink: HttpSink, deps: SenderDeps, reply: Reply, error: type[Exception], retry_after: float | None
) -> None:
    sink.script(reply)
    with pytest.raises(error) as info:
        SlackSender(deps).send(notification(), slack(sink), context=CTX)
    assert "Slack webhook: HTTP" in str(info.value)
    assert "/services/" not in str(info.value)  # the webhook URL is a credential
    if isinstance(info.value, RetryableError):
        assert info.value.retry_after == retry_after


def test_timeout_is_retryable(sink: HttpSink, deps: SenderDeps) -> None:
    sink.script(Reply(delay=3))
    target = SlackTarget(webhook_url=SecretStr(sink.url + "/x"), timeout=0.3)
    with pytest.raises(RetryableError, match=r"timed out after 0\.3 s"):
        SlackSender(deps).send(notification(), target, context=CTX)


def test_connection_refused_is_retryable(deps: SenderDeps) -> None:
    target = SlackTarget(webhook_url=SecretStr("http://127.0.0.1:9/x"), timeout=1)
    with pytest.raises(RetryableError, match="ConnectError"):
        SlackSender(deps).send(notification(), target, context=CTX)


# -- Teams ---------------------------------------------------------------------------------------

def test_teams_adaptive_card_envelope(sink: HttpSink, deps: SenderDeps) -> None:
    sink.default = Reply(202, "")  # Workflows answers 202 Accepted
    target = TeamsTarget(webhook_url=SecretStr(sink.url + "/workflows/abc"))
    TeamsSender(deps).send(notification(lang="en"), target, context=CTX)
    body = sink.requests[0].json()
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["body"][0]["text"] == "Critical · New situation: Zugausfälle rund um Berlin"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Severity"] == "Critical (4/4)" and facts["Monitor"] == "bahn"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Acknowledge",
                                "url": "https://crisisdesk.example/ack/42?t=abc&step=1", "style": "positive"}]


def test_teams_connector_error_inside_200_is_classified(sink: HttpSink, deps: SenderDeps) -> None:
    target = TeamsTarget(webhook_url=SecretStr(sink.url + "/webhookb2/x"))
    sink.script(Reply(200, "Webhook message delivery failed with error: Microsoft Teams endpoint "
                           "returned HTTP error 429 with ContextId abc"),
                Reply(200, "Webhook message delivery failed with error: Microsoft Teams endpoint "
                           "returned HTTP error 413 with ContextId abc"),
                Reply(200, "1"))
    with pytest.raises(RetryableError):
        TeamsSender(deps).send(notification(), target, context=CTX)
    with pytest.raises(PermanentError):
        TeamsSender(deps).send(notification(), target, context=CTX)
    assert TeamsSender(deps).send(notification(), target, context=CTX).detail == "HTTP 200 1"


# -- generic webhook -----------------------------------------------------------------------------

def test_webhook_body_is_signed_over_timestamp_and_raw_bytes(sink: HttpSink, deps: SenderDeps) -> None:
    target = WebhookTarget(url=sink.url + "/hook", secret=SecretStr(SECRET))
    WebhookSender(deps).send(notification(), target, context=CTX)
    (req,) = sink.requests
    ts = req.headers["x-crisisdesk-timestamp"]
    assert ts == str(int(T0.timestamp()))
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-crisisdesk-signature"] == f"sha256={expected}"
    assert req.headers["x-crisisdesk-delivery"] == CTX.key
    assert req.headers["x-crisisdesk-event"] == "situation.opened"
    body = req.json()
    assert body["id"] == CTX.key and body["event"] == "situation.opened" and body["version"] == 1
    assert body["notification"]["situation_id"] == 42
    assert body["notification"]["top_posts"][0]["reach"] == 12345
    assert body["notification"]["ack_url"] == "https://crisisdesk.example/ack/42?t=abc&step=1"
    # the receiver-side helper agrees; a replay with another timestamp or an old one fails
    now = T0.timestamp()
    signature = req.headers["x-crisisdesk-signature"]
    assert verify(SECRET, body=req.body, timestamp=ts, signature=signature, now=now)
    assert not verify(SECRET, body=req.body, timestamp=str(int(ts) + 1),
                      signature=req.headers["x-crisisdesk-signature"], now=now)
    assert not verify(SECRET, body=req.body, timestamp=ts,
                      signature=req.headers["x-crisisdesk-signature"], now=now + 301)
    assert not verify(SECRET, body=req.body + b" ", timestamp=ts,
                      signature=req.headers["x-crisisdesk-signature"], now=now)


# -- Telegram ------------------------------------------------------------------------------------

def test_telegram_send_message_html_with_ack_button(sink: HttpSink, deps: SenderDeps) -> None:
    bot = TelegramBotApi(BOT_TOKEN)
    sink.responder = bot
    result = TelegramSender(deps).send(notification(), telegram(sink, message_thread_id=7), context=CTX)
    (req,) = sink.requests
    assert req.path == f"/bot{BOT_TOKEN}/sendMessage"
    (body,) = bot.messages
    assert body["chat_id"] == -100200300 and body["parse_mode"] == "HTML"
    assert body["message_thread_id"] == 7
    assert body["reply_markup"] == {"inline_keyboard": [[
        {"text": "Bestätigen", "url": "https://crisisdesk.example/ack/42?t=abc&step=1"}]]}
    assert body["text"].startswith("<b>Kritisch · Neue Lage: Zugausfälle rund um Berlin</b>\n")
    # user text is escaped: the fake parses it the way Telegram does
    assert "Schon wieder alles &lt;kaputt&gt; &amp; keiner sagt was" in body["text"]
    assert 'href="https://crisisdesk.example/ack/42?t=abc&amp;step=1"' in body["text"]
    visible, problems = parse_html(body["text"])
    assert problems == []
    assert "Schon wieder alles <kaputt> & keiner sagt was" in visible
    assert result.remote_id == "-100200300:1"


def test_telegram_escapes_hostile_text(sink: HttpSink, deps: SenderDeps) -> None:
    sink.responder = TelegramBotApi(BOT_TOKEN)
    n = notification(title="<b>AT&T</b> <script>", summary="a < b && c > d </blockquote>",
                     top_terms=("<i>", "&amp;"), reasons=('"quoted" & <tagged>',))
    TelegramSender(deps).send(n, telegram(sink), context=CTX)  # the fake rejects bad HTML with 400
    visible, problems = parse_html(sink.requests[0].json()["text"])
    assert problems == []
    assert "<b>AT&T</b> <script>" in visible and "a < b && c > d </blockquote>" in visible
    assert "<i>, &amp;" in visible


def test_telegram_message_is_clipped_to_4096(sink: HttpSink, deps: SenderDeps) -> None:
    bot = TelegramBotApi(BOT_TOKEN)
    sink.responder = bot
    long_posts = tuple(
        {"text": f"Beitrag {i} " + "<&> 😡 " * 60, "url": f"https://x.com/p/{i}", "author": f"@u{i}",
         "reach": i}
        for i in range(40))
    n = notification(summary="Zusammenfassung " * 100, top_posts=long_posts)
    TelegramSender(deps).send(n, telegram(sink), context=CTX)
    text = bot.messages[0]["text"]
    assert units(text) <= 4096
    assert parse_html(text)[1] == []
    assert text.endswith('<a href="https://crisisdesk.example/ack/42?t=abc&amp;step=1">Bestätigen</a>')
    # a summary too long for the rest clips, and the headline and facts always stay
    huge = notification(summary="Ä&<" * 3000)
    html_text = message_html(huge)
    assert units(html_text) <= 4096 and parse_html(html_text)[1] == []
    assert "<b>Schweregrad:</b> Kritisch (4/4)" in html_text
    assert "…" in html_text


def test_telegram_flood_control_retry_after(sink: HttpSink, deps: SenderDeps) -> None:
    sink.responder = TelegramBotApi(BOT_TOKEN)
    sink.script(flood(retry_after=17))
    with pytest.raises(RetryableError) as info:
        TelegramSender(deps).send(notification(), telegram(sink), context=CTX)
    assert info.value.retry_after == 17
    assert BOT_TOKEN not in str(info.value)


def test_telegram_wrong_token_is_permanent(sink: HttpSink, deps: SenderDeps) -> None:
    sink.responder = TelegramBotApi("999:other")
    with pytest.raises(PermanentError, match="Telegram: 401 Unauthorized"):
        TelegramSender(deps).send(notification(), telegram(sink), context=CTX)


def test_telegram_follows_supergroup_migration(sink: HttpSink, deps: SenderDeps) -> None:
    bot = TelegramBotApi(BOT_TOKEN)
    sink.responder = bot
    sink.script(Reply(400, {"ok": False, "error_code": 400,
                            "description": "Bad Request: group chat was upgraded to a supergroup chat",
                            "parameters": {"migrate_to_chat_id": -1009999}}))
    result = TelegramSender(deps).send(notification(), telegram(sink), context=CTX)
    assert [r.json()["chat_id"] for r in sink.requests] == [-100200300, -1009999]
    assert result.remote_id == "-1009999:1"

"""/webhooks/{key} on the real app: handshake, signatures over raw bytes, durable storage first,
redelivery stored once, processing into posts that monitors match, unknown parts kept."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crisisdesk.api.app import create_app
from crisisdesk.channels.models import ChannelDelivery, UnparsedItem
from crisisdesk.channels.service import channel_counts
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.models import Monitor, MonitorMatch
from crisisdesk.workspace import load_workspace, parse_config
from tests.channels.payloads import (
    APP_SECRET,
    BOT_TOKEN,
    PAGE_ID,
    PNID,
    TG_SECRET,
    VERIFY_TOKEN,
    VIBER_TOKEN,
    WABA_ID,
    fb_comment,
    meta_body,
    meta_signature,
    tg_update,
    viber_message,
    viber_signature,
    wa_text,
    wa_value,
)

CHANNELS = f"""
monitors:
  - name: akku
    query: 'akku OR battery'
channels:
  - key: voltaro-wa
    platform: whatsapp
    phone_number_id: "{PNID}"
    access_token: env:WA_TOKEN
    app_secret: env:META_APP_SECRET
    verify_token: env:META_VERIFY_TOKEN
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: env:WA_TOKEN
    app_secret: env:META_APP_SECRET
    verify_token: env:META_VERIFY_TOKEN
  - key: voltaro-tg
    platform: telegram
    bot_token: env:TG_TOKEN
    secret_token: {TG_SECRET}
  - key: voltaro-viber
    platform: viber
    auth_token: {VIBER_TOKEN}
  - key: paused
    platform: viber
    auth_token: {VIBER_TOKEN}
    enabled: false
"""


@pytest.fixture
def client(workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name, value in (("WA_TOKEN", "wa-token"), ("META_APP_SECRET", APP_SECRET),
                        ("META_VERIFY_TOKEN", VERIFY_TOKEN), ("TG_TOKEN", BOT_TOKEN)):
        monkeypatch.setenv(name, value)
    workspace_file.write_text(CHANNELS, encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    with TestClient(create_app(runtime, api_token="t")) as c:
        yield c
    runtime.close()


def runtime_of(client: TestClient) -> Runtime:
    return cast(Runtime, cast(Any, client.app).state.runtime)


def count(client: TestClient, table: Any) -> int:
    with runtime_of(client).engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def post_texts(client: TestClient) -> dict[str, str]:
    with runtime_of(client).engine.connect() as conn:
        return {r.external_id: r.text for r in conn.execute(select(Post.external_id, Post.text))}


def signed_wa(messages: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [wa_value(messages=messages)]}])
    return body, {"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"}


def test_meta_handshake(client: TestClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "8675309"}
    ok = client.get("/webhooks/voltaro-wa", params=params)
    assert ok.status_code == 200 and ok.text == "8675309"
    assert ok.headers["content-type"].startswith("text/plain")
    assert client.get("/webhooks/voltaro-wa", params={**params, "hub.verify_token": "x"}).status_code == 403
    assert client.get("/webhooks/voltaro-tg").status_code == 405  # Telegram only POSTs
    assert client.get("/webhooks/nobody", params=params).status_code == 404
    assert client.get("/webhooks/paused", params=params).status_code == 404  # disabled


def test_signed_delivery_is_stored_once_and_becomes_matched_posts(client: TestClient) -> None:
    body, headers = signed_wa([wa_text("wamid.A1", "Mein Akku ist heiß geworden"),
                               {"from": "49151", "id": "wamid.A2", "timestamp": "1764846000",
                                "type": "reaction", "reaction": {"message_id": "x", "emoji": "🔥"}}])
    first = client.post("/webhooks/voltaro-wa", content=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"ok": True, "duplicate": False}
    again = client.post("/webhooks/voltaro-wa", content=body, headers=headers)
    assert again.json() == {"ok": True, "duplicate": True}
    assert count(client, ChannelDelivery) == 1
    assert count(client, Post) == 0  # stored before it was processed: answering does not wait

    report = runtime_of(client).process_deliveries()
    assert report.deliveries == 1 and report.posts == 1 and report.unparsed == 1
    assert post_texts(client) == {"wamid.A1": "Mein Akku ist heiß geworden"}
    with runtime_of(client).engine.connect() as conn:
        post = conn.execute(select(Post.id, Post.platform, Post.channel, Post.kind)
                            .where(Post.external_id == "wamid.A1")).one()
        assert (post.platform, post.channel, post.kind) == ("whatsapp", "voltaro-wa", "message")
        matched = conn.execute(select(Monitor.name).join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
                               .where(MonitorMatch.post_id == post.id)).scalars().all()
        assert matched == ["akku"]
        assert conn.execute(select(UnparsedItem.what)).scalars().all() == ["message type reaction"]
        counts = channel_counts(conn, "voltaro-wa")
    assert (counts.deliveries, counts.pending, counts.unparsed) == (1, 0, 1)
    assert runtime_of(client).process_deliveries().deliveries == 0  # nothing left pending


def test_forged_unsigned_and_resigned_deliveries_are_refused_with_nothing_stored(client: TestClient) -> None:
    body, headers = signed_wa([wa_text("wamid.F", "Akku")])
    forged = client.post("/webhooks/voltaro-wa", content=body,
                         headers={"X-Hub-Signature-256": meta_signature(body, "guessed-secret")})
    unsigned = client.post("/webhooks/voltaro-wa", content=body)
    # Decoded and re-encoded JSON is different bytes: a signature over the original no longer fits.
    reencoded = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode()
    altered = client.post("/webhooks/voltaro-wa", content=reencoded, headers=headers)
    wrong_secret = client.post("/webhooks/voltaro-tg", content=json.dumps(tg_update(1, text="Akku")),
                               headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
    viber_body = json.dumps(viber_message(1, "Akku")).encode()
    viber_forged = client.post("/webhooks/voltaro-viber", content=viber_body,
                               headers={"X-Viber-Content-Signature": viber_signature(viber_body, "x")})
    for answer in (forged, unsigned, altered, wrong_secret, viber_forged):
        assert answer.status_code == 401, answer.text
        assert answer.json()["detail"]
    assert count(client, ChannelDelivery) == 0 and count(client, Post) == 0


def test_every_webhook_platform_reaches_the_posts(client: TestClient) -> None:
    fb = meta_body("page", [{"id": PAGE_ID, "changes": [
        fb_comment("1", "Akku-Brand im Keller!"),
        fb_comment("2", "Wir melden uns, Lena.", author=PAGE_ID, name="Voltaro")]}])
    tg = json.dumps(tg_update(5, text="battery on fire")).encode()
    vb = json.dumps(viber_message(4912661846655238145, "Akku tot")).encode()
    sent = [("voltaro-fb", fb, {"X-Hub-Signature-256": meta_signature(fb)}),
            ("voltaro-tg", tg, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}),
            ("voltaro-viber", vb, {"X-Viber-Content-Signature": viber_signature(vb)})]
    answers = [client.post(f"/webhooks/{key}", content=body, headers=headers) for key, body, headers in sent]
    assert [a.status_code for a in answers] == [200, 200, 200]
    report = runtime_of(client).process_deliveries()
    assert report.by_channel == {"voltaro-fb": 1, "voltaro-tg": 1, "voltaro-viber": 1}
    # the page's own comment is kept as ours (for the channel's analytics), not as a customer's post
    with runtime_of(client).engine.connect() as conn:
        own = {r.external_id: bool(r.own) for r in conn.execute(select(Post.external_id, Post.own))}
    assert own == {"900_1": False, "900_2": True, "987654321:42": False, "4912661846655238145": False}


def test_a_whatsapp_business_app_echo_is_stored_as_ours_in_the_persons_conversation(
        client: TestClient) -> None:
    inbound = wa_value(messages=[wa_text("wamid.IN", "Mein Akku qualmt!")])
    echo = {"field": "smb_message_echoes", "value": {
        "messaging_product": "whatsapp", "metadata": inbound["value"]["metadata"],
        "message_echoes": [{"from": "15550783881", "to": "4915112345678", "id": "wamid.ECHO",
                            "timestamp": "1764846400", "type": "text",
                            "text": {"body": "Bitte nicht mehr laden, wir rufen an."}}]}}
    body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [inbound, echo]}])
    answer = client.post("/webhooks/voltaro-wa", content=body,
                         headers={"X-Hub-Signature-256": meta_signature(body)})
    assert answer.status_code == 200
    assert runtime_of(client).process_deliveries().posts == 1  # the person's; the echo is ours
    with runtime_of(client).engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(
            select(Post.external_id, Post.own, Post.conversation_id, Post.visibility))}
        counts = channel_counts(conn, "voltaro-wa")
        delivery = conn.execute(select(ChannelDelivery.counts)).scalar_one()
    assert rows["wamid.ECHO"].own and not rows["wamid.IN"].own
    assert rows["wamid.ECHO"].conversation_id == rows["wamid.IN"].conversation_id
    assert rows["wamid.ECHO"].visibility == "private" and counts.unparsed == 0
    assert delivery is not None and delivery["own"] == 1


def test_a_signed_body_that_is_not_json_fails_alone(client: TestClient) -> None:
    junk = b"\x00not json"
    assert client.post("/webhooks/voltaro-wa", content=junk,
                       headers={"X-Hub-Signature-256": meta_signature(junk)}).status_code == 200
    body, headers = signed_wa([wa_text("wamid.OK", "Akku ok")])
    client.post("/webhooks/voltaro-wa", content=body, headers=headers)
    report = runtime_of(client).process_deliveries()
    assert report.failed == 1 and report.posts == 1
    with runtime_of(client).engine.connect() as conn:
        errors = conn.execute(select(ChannelDelivery.status, ChannelDelivery.error)
                              .order_by(ChannelDelivery.id)).all()
    assert errors[0].status == "failed" and "not JSON" in (errors[0].error or "")
    assert errors[1].status == "processed"


def test_the_service_processes_a_delivery_within_a_second(client: TestClient) -> None:
    runtime_of(client).start_channels()
    body, headers = signed_wa([wa_text("wamid.LIVE", "Akku brennt")])
    sent = time.monotonic()
    assert client.post("/webhooks/voltaro-wa", content=body, headers=headers).status_code == 200
    while "wamid.LIVE" not in post_texts(client):
        assert time.monotonic() - sent < 5, "the delivery was not processed"
        time.sleep(0.02)


def test_a_bad_channel_block_is_refused_at_load_time_with_its_place() -> None:
    text = "channels:\n  - key: wa\n    platform: whatsapp\n    phone_number_id: abc\n" \
           "    access_token: t\n    app_secret: s\n    verify_token: v\n" \
           "  - key: wa\n    platform: telegram\n    bot_token: '1:a'\n    secret_token: s\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path="crisisdesk.yaml")
    message = str(caught.value)
    assert "channels[0].whatsapp.phone_number_id" in message
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(text.replace("phone_number_id: abc", "phone_number_id: '1'"), path="crisisdesk.yaml")


def test_a_delivery_with_an_impossible_time_fails_alone(client: TestClient) -> None:
    """A time no calendar holds (year -29719) is that delivery's error; it must not keep the
    deliveries after it pending forever."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    odd = json.dumps(tg_update(11, text="akku", message_id=11, date=-(10**12))).encode()
    fine = json.dumps(tg_update(12, text="akku heiß", message_id=12)).encode()
    for body in (odd, fine):
        assert client.post("/webhooks/voltaro-tg", content=body, headers=headers).status_code == 200
    report = runtime_of(client).process_deliveries()
    assert (report.failed, report.posts) == (1, 1)
    with runtime_of(client).engine.connect() as conn:
        rows = conn.execute(select(ChannelDelivery.status, ChannelDelivery.error)
                            .order_by(ChannelDelivery.id)).all()
    assert rows[0].status == "failed" and "not a Unix time" in (rows[0].error or "")
    assert rows[1].status == "processed"
    assert post_texts(client) == {"987654321:12": "akku heiß"}


def test_one_message_with_an_impossible_time_costs_only_itself(client: TestClient) -> None:
    """WhatsApp batches messages: the one whose time no calendar holds is unparsed with the
    reason, the others of the same delivery become posts."""
    body, headers = signed_wa([wa_text("wamid.T1", "Akku bläht sich auf", ts="-99999999999999"),
                               wa_text("wamid.T2", "Akku riecht verbrannt")])
    assert client.post("/webhooks/voltaro-wa", content=body, headers=headers).status_code == 200
    report = runtime_of(client).process_deliveries()
    assert (report.failed, report.posts, report.unparsed) == (0, 1, 1)
    assert post_texts(client) == {"wamid.T2": "Akku riecht verbrannt"}
    with runtime_of(client).engine.connect() as conn:
        [what] = conn.execute(select(UnparsedItem.what)).scalars().all()
    assert "not a Unix time" in what

"""Meta deliveries (Facebook feed and Messenger, Instagram, WhatsApp): verification and mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crisisdesk.channels.base import DeliveryState, PayloadError, WebhookRejected
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.instagram.connector import InstagramConnector
from crisisdesk.channels.whatsapp.config import WhatsAppConfig
from crisisdesk.channels.whatsapp.connector import WhatsAppConnector
from crisisdesk.posts.schemas import POST_ADAPTER
from tests.channels.payloads import (
    APP_SECRET,
    IG_ID,
    PAGE_ID,
    PNID,
    VERIFY_TOKEN,
    WABA_ID,
    fb_comment,
    feed_change,
    messenger_event,
    meta_body,
    meta_signature,
    wa_text,
    wa_value,
)

SECRETS = {"access_token": "token", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}


@pytest.fixture
def facebook() -> FacebookConnector:
    config = FacebookConfig.model_validate({"key": "voltaro-fb", "page_id": PAGE_ID, **SECRETS})
    return FacebookConnector(config)


@pytest.fixture
def instagram() -> InstagramConnector:
    return InstagramConnector(InstagramConfig.model_validate({"key": "voltaro-ig", "account_id": IG_ID,
                                                              **SECRETS}))


@pytest.fixture
def whatsapp() -> WhatsAppConnector:
    return WhatsAppConnector(WhatsAppConfig.model_validate({"key": "voltaro-wa", "phone_number_id": PNID,
                                                            **SECRETS}))


# --- transport ------------------------------------------------------------------------------


def test_handshake_echoes_the_challenge_only_for_our_token(facebook: FacebookConnector) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert facebook.handshake(params) == "1158201444"
    for bad in ({**params, "hub.verify_token": "guess"}, {**params, "hub.mode": "unsubscribe"},
                {k: v for k, v in params.items() if k != "hub.challenge"}):
        with pytest.raises(WebhookRejected) as caught:
            facebook.handshake(bad)
        assert caught.value.status == 403


def test_signature_is_checked_over_the_raw_escaped_bytes(facebook: FacebookConnector) -> None:
    change = fb_comment("1", "Akku brennt, ärgerlich")
    body = meta_body("page", [{"id": PAGE_ID, "time": 1764846000, "changes": [change]}])
    assert b"\\u00e4" in body  # Meta escapes non-ASCII; the HMAC is over exactly these bytes
    facebook.verify({"x-hub-signature-256": meta_signature(body)}, body)  # header names in any case
    reencoded = json.dumps(json.loads(body), ensure_ascii=False).encode()
    with pytest.raises(WebhookRejected, match="does not match"):
        facebook.verify({"X-Hub-Signature-256": meta_signature(body)}, reencoded)
    with pytest.raises(WebhookRejected, match="does not match"):
        facebook.verify({"X-Hub-Signature-256": meta_signature(body, "another-secret")}, body)
    with pytest.raises(WebhookRejected, match="unsigned"):
        facebook.verify({}, body)
    with pytest.raises(WebhookRejected, match="sha256="):
        facebook.verify({"X-Hub-Signature-256": meta_signature(body)[7:]}, body)


def test_a_body_that_is_not_json_is_a_payload_error(facebook: FacebookConnector) -> None:
    with pytest.raises(PayloadError, match="not JSON"):
        facebook.parse(b"<html>")
    with pytest.raises(PayloadError, match="list"):
        facebook.parse(b"[1, 2]")


# --- Facebook -------------------------------------------------------------------------------


def valid_posts(delivery: Any) -> list[dict[str, Any]]:
    """Every mapped post passes the same validation as an imported one."""
    return [dict(POST_ADAPTER.validate_python(p.post)) for p in delivery.posts]


def test_feed_comments_replies_edits_and_removals(facebook: FacebookConnector) -> None:
    body = meta_body("page", [
        {"id": PAGE_ID, "time": 1764846000, "changes": [
            fb_comment("1", "Mein Roller hat gebrannt!"),
            fb_comment("2", "Bei mir auch", parent="900_1", author="5550002", name="Tom"),
            fb_comment("1", "Mein Roller hat gebrannt!!", verb="edited"),
            fb_comment("3", None, verb="remove"),
        ]},
    ])
    delivery = facebook.parse(body)
    posts = valid_posts(delivery)
    assert [p["id"] for p in posts] == ["900_1", "900_2", "900_1"]
    first, reply, edit = delivery.posts
    assert first.post["kind"] == "comment" and first.post["in_reply_to"] == f"{PAGE_ID}_900"
    assert reply.post["kind"] == "reply" and reply.post["in_reply_to"] == "900_1"
    assert first.thread == reply.thread == f"facebook:{PAGE_ID}:comment:900_1"  # one thread per comment
    assert first.public and not first.own and first.post["author"] == {"id": "5550001", "name": "Lena Krause"}
    assert edit.edited and not first.edited
    assert first.post["channel"] == "voltaro-fb"
    assert [(d.platform, d.external_id) for d in delivery.deletions] == [("facebook", "900_3")]


def test_the_pages_own_reply_is_marked_own(facebook: FacebookConnector) -> None:
    body = meta_body("page", [{"id": PAGE_ID, "changes": [
        fb_comment("9", "Das tut uns leid, Lena.", parent="900_1", author=PAGE_ID, name="Voltaro")]}])
    (post,) = facebook.parse(body).posts
    assert post.own


def test_reactions_and_unknown_fields_are_kept_not_dropped(facebook: FacebookConnector) -> None:
    reaction = feed_change({"item": "reaction", "verb": "add", "post_id": f"{PAGE_ID}_900",
                            "reaction_type": "angry", "from": {"id": "1"}, "created_time": 1764846000})
    body = meta_body("page", [{"id": PAGE_ID, "changes": [
        reaction, {"field": "ratings", "value": {"x": 1}}, {"value": {}}, fb_comment("5", "ok")]}])
    delivery = facebook.parse(body)
    assert [p.post["id"] for p in delivery.posts] == ["900_5"]
    assert [u.what for u in delivery.unparsed] == ["feed reaction add", "change of field 'ratings'",
                                                   "change of field None"]


def test_a_sticker_only_comment_has_empty_text_and_keeps_its_photo(facebook: FacebookConnector) -> None:
    change = fb_comment("6", None)
    change["value"]["photo"] = "https://scontent.example/sticker.png"
    (post,) = facebook.parse(meta_body("page", [{"id": PAGE_ID, "changes": [change]}])).posts
    assert post.post["text"] == "" and [a.url for a in post.attachments] == ["https://scontent.example/sticker.png"]


def test_entries_for_another_page_or_object_are_not_stored(facebook: FacebookConnector) -> None:
    other = facebook.parse(meta_body("page", [{"id": "999", "changes": [fb_comment("1", "x")]}]))
    assert not other.posts and "not 1122334455" in other.unparsed[0].what
    wrong = facebook.parse(meta_body("instagram", [{"id": PAGE_ID, "changes": [fb_comment("1", "x")]}]))
    assert not wrong.posts and "expected 'page'" in wrong.unparsed[0].what


def test_messenger_messages_echoes_receipts_and_batches(facebook: FacebookConnector) -> None:
    events = [
        messenger_event("psid-1", PAGE_ID, message={"mid": "m_1", "text": "Wo bleibt meine Erstattung?"}),
        messenger_event("psid-1", PAGE_ID, message={"mid": "m_2", "attachments": [
            {"type": "image", "payload": {"url": "https://cdn.example/a.jpg"}}]}),
        messenger_event(PAGE_ID, "psid-1",
                        message={"mid": "m_3", "text": "Wir prüfen das.", "is_echo": True}),
        messenger_event(PAGE_ID, "psid-1", delivery={"mids": ["m_3"], "watermark": 1764846100000}),
        messenger_event(PAGE_ID, "psid-1", read={"watermark": 1764846200000}),
        messenger_event("psid-1", PAGE_ID, reaction={"mid": "m_3", "action": "react", "emoji": "👍"}),
    ]
    body = meta_body("page", [{"id": PAGE_ID, "time": 1764846000123, "messaging": events[:3]},
                              {"id": PAGE_ID, "time": 1764846000123, "messaging": events[3:]}])
    delivery = facebook.parse(body)
    valid_posts(delivery)
    text, image, echo = delivery.posts
    assert text.thread == image.thread == echo.thread == f"facebook:{PAGE_ID}:psid-1"
    assert not text.public and text.post["kind"] == "message" and not text.own
    assert image.post["text"] == "" and image.attachments[0].type == "image"
    assert echo.own
    assert [(s.external_id, s.state) for s in delivery.statuses] == [("m_3", DeliveryState.DELIVERED)]
    (mark,) = delivery.watermarks
    assert mark.state == DeliveryState.READ and mark.thread == text.thread
    assert mark.at.timestamp() == 1764846200  # milliseconds read as such
    assert [u.what for u in delivery.unparsed] == ["messaging event with reaction"]


# --- Instagram ------------------------------------------------------------------------------


def test_instagram_comments_replies_and_dms(instagram: InstagramConnector) -> None:
    comment = {"field": "comments", "value": {"id": "c1", "text": "Lieferung seit 3 Wochen überfällig",
                                              "from": {"id": "igsid-7", "username": "lena.k"},
                                              "media": {"id": "m9", "media_product_type": "FEED"}}}
    reply = {"field": "comments", "value": {"id": "c2", "text": "same", "parent_id": "c1",
                                            "from": {"id": "igsid-8", "username": "tom"},
                                            "media": {"id": "m9"}}}
    mention = {"field": "mentions", "value": {"media_id": "1790010", "comment_id": "1795003"}}
    dm = messenger_event("igsid-7", IG_ID, message={"mid": "aWdf", "text": "Hallo?"})
    body = meta_body("instagram", [{"id": IG_ID, "time": 1764846000, "changes": [comment, reply, mention]},
                                   {"id": IG_ID, "time": 1764846000, "messaging": [dm]}])
    delivery = instagram.parse(body)
    valid_posts(delivery)
    first, second, dm_post = delivery.posts
    assert first.post["kind"] == "comment" and first.post["author"]["handle"] == "lena.k"
    assert second.post["kind"] == "reply" and second.post["in_reply_to"] == "c1"
    assert first.thread == second.thread == f"instagram:{IG_ID}:media:m9" and first.public
    assert dm_post.thread == f"instagram:{IG_ID}:igsid-7" and not dm_post.public
    assert delivery.unparsed == []  # the mention is looked up (tests/channels/test_ig_mentions.py)
    assert [(lk.what, dict(lk.ids)) for lk in delivery.lookups] == [
        ("mentioned_comment", {"comment_id": "1795003", "media_id": "1790010"})]


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_messages_of_every_documented_type(whatsapp: WhatsAppConnector) -> None:
    messages = [
        wa_text("wamid.1", "Akku kaputt nach 2 Tagen"),
        {"from": "4915112345678", "id": "wamid.2", "timestamp": "1764846060", "type": "image",
         "image": {"id": "media-1", "mime_type": "image/jpeg", "sha256": "x", "caption": "So sieht er aus"}},
        {"from": "4915112345678", "id": "wamid.3", "timestamp": "1764846070", "type": "sticker",
         "sticker": {"id": "media-2", "mime_type": "image/webp"}},
        {"from": "4915112345678", "id": "wamid.4", "timestamp": "1764846080", "type": "reaction",
         "reaction": {"message_id": "wamid.1", "emoji": "😡"}},
        {"from": "4915112345678", "id": "wamid.5", "timestamp": "1764846090", "type": "interactive",
         "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Rückruf bitte"}}},
        {"from": "4915112345678", "id": "wamid.6", "timestamp": "1764846100", "type": "hologram",
         "hologram": {}},
        {"from": "4915112345678", "id": "wamid.7", "timestamp": "1764846110", "type": "text",
         "text": {"body": "Antwort darauf"}, "context": {"from": "15550783881", "id": "wamid.OUT"}},
        {"id": "wamid.8", "type": "text"},
    ]
    body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [wa_value(messages=messages)]}])
    delivery = whatsapp.parse(body)
    posts = valid_posts(delivery)
    assert [p["id"] for p in posts] == ["wamid.1", "wamid.2", "wamid.3", "wamid.5", "wamid.7"]
    text, image, sticker, button, reply = delivery.posts
    assert text.thread == f"whatsapp:{PNID}:4915112345678" and not text.public
    assert text.post["author"] == {"id": "4915112345678", "name": "Jörg Weiß"}
    assert image.post["text"] == "So sieht er aus" and image.attachments[0].media_id == "media-1"
    assert sticker.post["text"] == "" and sticker.attachments[0].type == "sticker"
    assert button.post["text"] == "Rückruf bitte"
    assert reply.post["in_reply_to"] == "wamid.OUT"
    assert [u.what for u in delivery.unparsed][:2] == ["message type reaction", "message type hologram"]
    assert delivery.unparsed[2].what.startswith("message: Field required")


def test_whatsapp_business_app_echoes_are_our_messages_in_the_persons_thread(
        whatsapp: WhatsAppConnector) -> None:
    """Coexistence: what the team types in the WhatsApp Business app arrives as
    ``smb_message_echoes`` (``from`` our number, ``to`` the person), Meta's documented shape."""
    echoes: list[dict[str, Any]] = [
        {"from": "15550783881", "to": "4915112345678", "id": "wamid.E1", "timestamp": "1764846400",
         "type": "text", "text": {"body": "Wir tauschen den Akku kostenlos, Jörg."}},
        {"from": "15550783881", "to": "4915112345678", "id": "wamid.E2", "timestamp": "1764846410",
         "type": "image", "image": {"id": "media-9", "mime_type": "image/jpeg"}},
        {"from": "15550783881", "id": "wamid.E3", "timestamp": "1764846420", "type": "text",
         "text": {"body": "an wen?"}},
        {"from": "15550783881", "to": "4915112345678", "id": "wamid.E4", "timestamp": "1764846430",
         "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "👍"}},
    ]
    value = wa_value()["value"] | {"message_echoes": echoes}
    body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [
        {"field": "smb_message_echoes", "value": value},
        {"field": "smb_message_echoes", "value": {"messaging_product": "whatsapp", "message_echoes": echoes}},
        {"field": "messages", "value": wa_value(messages=[wa_text("wamid.1", "Akku kaputt")])["value"]}]}])
    delivery = whatsapp.parse(body)
    text, image, inbound = delivery.posts
    thread = f"whatsapp:{PNID}:4915112345678"
    assert text.thread == image.thread == inbound.thread == thread
    assert text.own and image.own and not inbound.own
    assert not text.public and text.post["text"] == "Wir tauschen den Akku kostenlos, Jörg."
    assert text.post["author"]["id"] == "15550783881" and text.post["conversation_id"] == thread
    assert image.attachments[0].media_id == "media-9"
    assert [u.what for u in delivery.unparsed] == [
        "message echo without to (whom our number wrote)", "message echo type reaction",
        "smb_message_echoes change without metadata.phone_number_id"]


def test_whatsapp_statuses_with_errors_and_a_sibling_number(whatsapp: WhatsAppConnector) -> None:
    statuses: list[dict[str, Any]] = [
        {"id": "wamid.OUT", "status": "delivered", "timestamp": "1764846200",
         "recipient_id": "4915112345678"},
        {"id": "wamid.OUT2", "status": "failed", "timestamp": "1764846300", "recipient_id": "4915112345678",
         "errors": [{"code": 131047, "title": "Re-engagement message",
                     "error_data": {"details": "more than 24 hours have passed"}}]},
        {"id": "wamid.OUT3", "status": "deleted", "timestamp": "1764846300"},
    ]
    body = meta_body("whatsapp_business_account", [
        {"id": WABA_ID, "changes": [wa_value(statuses=statuses),
                                    wa_value(messages=[wa_text("wamid.X", "hi")], number="999")]}])
    delivery = whatsapp.parse(body)
    assert not delivery.posts
    delivered, failed = delivery.statuses
    assert delivered.state == DeliveryState.DELIVERED and delivered.error is None
    assert failed.state == DeliveryState.FAILED
    assert failed.error == "131047 Re-engagement message (more than 24 hours have passed)"
    assert [u.what for u in delivery.unparsed] == ["status deleted", "for phone number 999, not ours"]

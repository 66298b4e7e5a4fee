"""Deliveries in the shape the platforms document (../shared/docs/CHANNEL-APIS.md), signed as they sign.

Meta escapes non-ASCII characters in the body it signs (``\\u00e4``), so these bodies are made with
``ensure_ascii=True``: a verifier that decodes and re-encodes before hashing fails on them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

PAGE_ID = "1122334455"
IG_ID = "17841400000000001"
WABA_ID = "102290129340398"
PNID = "106540352242922"
APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "verify-me-please"
BOT_TOKEN = "123456789:AAE-test_token"
TG_SECRET = "tg-secret_token-1"
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"


def wa_channel_yaml(api_base: str) -> str:
    """A workspace's ``channels:`` block with one WhatsApp number (access token ``wa-token``)."""
    return f"""
channels:
  - key: voltaro-wa
    platform: whatsapp
    phone_number_id: "{PNID}"
    access_token: wa-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {api_base}
"""


def meta_body(obj: str, entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"object": obj, "entry": entries}, ensure_ascii=True).encode("ascii")


def meta_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def viber_signature(body: bytes, token: str = VIBER_TOKEN) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def feed_change(value: dict[str, Any]) -> dict[str, Any]:
    return {"field": "feed", "value": value}


def fb_comment(comment: str, text: str | None, *, post: str = "900", parent: str | None = None,
               author: str = "5550001", name: str = "Lena Krause", verb: str = "add",
               created: int = 1764846000) -> dict[str, Any]:
    value: dict[str, Any] = {
        "item": "comment", "verb": verb, "post_id": f"{PAGE_ID}_{post}",
        "comment_id": f"{post}_{comment}", "parent_id": parent or f"{PAGE_ID}_{post}",
        "from": {"id": author, "name": name}, "created_time": created,
    }
    if text is not None:
        value["message"] = text
    return feed_change(value)


def messenger_event(sender: str, recipient: str, **event: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": 1764846000123, **event}


def wa_value(*, messages: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None,
             number: str = PNID) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
    }
    if messages is not None:
        senders = sorted({m["from"] for m in messages if "from" in m})
        value["contacts"] = [{"profile": {"name": "Jörg Weiß"}, "wa_id": s} for s in senders]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"field": "messages", "value": value}


def wa_text(wamid: str, text: str, *, sender: str = "4915112345678",
            ts: str = "1764846000") -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": ts, "type": "text", "text": {"body": text}}


def tg_update(update_id: int, kind: str = "message", **message: Any) -> dict[str, Any]:
    base = {"message_id": 42, "date": 1764846000,
            "chat": {"id": 987654321, "type": "private", "first_name": "Lena"},
            "from": {"id": 987654321, "is_bot": False, "first_name": "Lena", "last_name": "Krause",
                     "language_code": "de"}}
    base.update(message)
    return {"update_id": update_id, kind: base}


def viber_message(token: int, text: str, *, sender: str = "01234567890A=") -> dict[str, Any]:
    return {"event": "message", "timestamp": 1764846000123, "message_token": token,
            "sender": {"id": sender, "name": "Jörg", "language": "de", "country": "DE", "api_version": 10},
            "message": {"type": "text", "text": text, "tracking_data": "t"}}

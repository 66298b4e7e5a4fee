"""The demo's posts as the platforms deliver them: WhatsApp, Viber and Facebook webhook bodies,
signed as each platform signs them, and news articles as feed entries.

The shapes are the documented ones (docs/channels/, ../shared/docs/CHANNEL-APIS.md): Meta's
envelope with its ``X-Hub-Signature-256`` over the body as sent (non-ASCII escaped, as Meta
escapes it), Viber's callback with ``X-Viber-Content-Signature``. The post's ``created_at`` is
the platform's timestamp, its author the contact, its text the message. Where a platform's ids
look different from the scenario's (Viber's numeric message tokens, its base64 user ids, Meta's
numeric user ids), they are derived from the scenario's by a hash: stable across runs, and the
same person is the same contact every time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from crisisdesk.demo.own_channels import (
    DISPLAY_NUMBER,
    FACEBOOK,
    PHONE_NUMBER_ID,
    VIBER,
    WABA_ID,
    WHATSAPP,
    ChannelSecrets,
    DemoChannel,
)
from crisisdesk.demo.people import FACEBOOK_PAGE

META_SIGNATURE: Final = "X-Hub-Signature-256"
VIBER_SIGNATURE: Final = "X-Viber-Content-Signature"
#: The scenario joins an article's headline and its lead with this dash.
_LEAD = " – "


def _seconds(post: Mapping[str, Any]) -> int:
    return int(datetime.fromisoformat(str(post["created_at"])).timestamp())


def _author(post: Mapping[str, Any]) -> tuple[str, str | None]:
    author = post.get("author") or {}
    return str(author.get("id") or "unknown"), author.get("name")


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def _meta_body(payload: dict[str, Any]) -> bytes:
    """Meta's bytes: compact JSON with every non-ASCII character escaped (``\\u00e4``)."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def meta_user_id(author_id: str) -> str:
    """A numeric app-scoped id (Meta's ids are digits) for one of the scenario's people."""
    return str(10**14 + int.from_bytes(_digest(author_id)[:6], "big"))


def viber_user_id(author_id: str) -> str:
    """A Viber user id (base64, per bot) for one of the scenario's people."""
    return base64.b64encode(_digest(author_id)[:16]).decode("ascii")


def viber_token(post_id: str) -> int:
    """Viber's ``message_token``: a number, unique per message."""
    return int.from_bytes(_digest(post_id)[:7], "big")


def whatsapp_message(post: Mapping[str, Any]) -> bytes:
    """A text message to Voltaro's number: ``whatsapp_business_account`` → ``messages``."""
    author_id, name = _author(post)
    wa_id = "".join(ch for ch in author_id if ch.isdigit()) or meta_user_id(author_id)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": name or wa_id}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": str(post["id"]), "timestamp": str(_seconds(post)), "type": "text",
                      "text": {"body": str(post["text"])}}],
    }
    return _meta_body({"object": "whatsapp_business_account",
                       "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}]})


def facebook_comment(post: Mapping[str, Any]) -> bytes:
    """A comment under one of the page's posts (or a reply to a comment there): ``page`` → ``feed``."""
    author_id, name = _author(post)
    at = _seconds(post)
    page_post = str(post.get("conversation_id") or post.get("in_reply_to"))
    value = {
        "item": "comment", "verb": "add", "post_id": page_post, "comment_id": str(post["id"]),
        "parent_id": str(post.get("in_reply_to") or page_post),
        "from": {"id": meta_user_id(author_id), "name": name}, "message": str(post["text"]),
        "created_time": at,
    }
    return _meta_body({"object": "page", "entry": [{"id": FACEBOOK_PAGE, "time": at,
                                                    "changes": [{"field": "feed", "value": value}]}]})


def viber_message(post: Mapping[str, Any]) -> bytes:
    """A text message to Voltaro's Viber bot: the ``message`` callback."""
    author_id, name = _author(post)
    lang = str(post.get("lang") or "de")
    return orjson.dumps({
        "event": "message", "timestamp": _seconds(post) * 1000, "message_token": viber_token(str(post["id"])),
        "sender": {"id": viber_user_id(author_id), "name": name or "Viber user", "language": lang,
                   "country": "DE" if lang == "de" else "GB", "api_version": 10},
        "message": {"type": "text", "text": str(post["text"])},
    })


def meta_headers(body: bytes, app_secret: str) -> dict[str, str]:
    signature = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", META_SIGNATURE: f"sha256={signature}"}


def viber_headers(body: bytes, auth_token: str) -> dict[str, str]:
    signature = hmac.new(auth_token.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", VIBER_SIGNATURE: signature}


def _meta_signed(body: bytes, credentials: ChannelSecrets) -> dict[str, str]:
    return meta_headers(body, credentials.meta_app_secret)


def _viber_signed(body: bytes, credentials: ChannelSecrets) -> dict[str, str]:
    return viber_headers(body, credentials.viber_token)


Body = Callable[[Mapping[str, Any]], bytes]
Sign = Callable[[bytes, ChannelSecrets], dict[str, str]]
#: Each webhook channel of the demo: how its platform writes a post, and how it signs the bytes.
WEBHOOKS: Final[dict[str, tuple[Body, Sign]]] = {
    WHATSAPP.key: (whatsapp_message, _meta_signed),
    VIBER.key: (viber_message, _viber_signed),
    FACEBOOK.key: (facebook_comment, _meta_signed),
}


def signed_delivery(channel: DemoChannel, post: Mapping[str, Any],
                    credentials: ChannelSecrets) -> tuple[bytes, dict[str, str]]:
    """The body and headers ``channel``'s platform would POST for ``post``."""
    if channel.key not in WEBHOOKS:
        raise ValueError(f"channel {channel.key} does not receive webhooks")
    build, sign = WEBHOOKS[channel.key]
    body = build(post)
    return body, sign(body, credentials)


@dataclass(frozen=True)
class Article:
    """A news article as a feed entry: the headline, the lead (if any), where it was published."""

    guid: str
    title: str
    summary: str | None
    link: str | None
    published: datetime
    outlet: str

    @classmethod
    def of(cls, post: Mapping[str, Any]) -> Article:
        title, _, lead = str(post["text"]).partition(_LEAD)
        _, outlet = _author(post)
        return cls(str(post["id"]), title, lead or None, post.get("url"),
                   datetime.fromisoformat(str(post["created_at"])), outlet or "?")

"""Viber callbacks as posts and delivery statuses.

Every message is private, in the thread (our bot, the person's Viber id, which is per bot).
``delivered``, ``seen`` and ``failed`` report on a message we sent, by its ``message_token``;
``subscribed``, ``unsubscribed``, ``conversation_started`` and the ``webhook`` check are events
kept as unparsed and counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from crisisdesk.channels.base import (
    Attachment,
    Delivery,
    DeliveryState,
    InboundPost,
    PayloadError,
    StatusReport,
    Unparsed,
    from_unix,
    iso,
)

PLATFORM = "viber"
_STATES = {"delivered": DeliveryState.DELIVERED, "seen": DeliveryState.READ, "failed": DeliveryState.FAILED}
_MEDIA = {"picture": "image", "video": "video", "file": "file", "sticker": "sticker"}


class _Sender(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    name: str | None = None
    language: str | None = None


class _Location(BaseModel):
    model_config = ConfigDict(extra="allow")

    lat: float | None = None
    lon: float | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    type: str
    text: str | None = None
    media: str | None = None
    #: A sticker is named by its number in Viber's catalogue; its ``media`` (a picture of it) may
    #: be missing, and then the id is all that says which sticker came.
    sticker_id: str | None = None
    file_name: str | None = None
    size: int | None = None
    location: _Location | None = None


class Callback(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    event: str
    timestamp: int
    message_token: str | None = None
    sender: _Sender | None = None
    message: _Message | None = None
    user_id: str | None = None
    desc: str | None = None


def map_callback(raw: Any, *, bot: str, channel: str) -> Delivery:
    if not isinstance(raw, dict):
        raise PayloadError("a Viber callback is a JSON object")
    out = Delivery()
    try:
        callback = Callback.model_validate(raw)
    except ValidationError as exc:
        out.unparsed.append(Unparsed(f"callback: {exc.errors()[0]['msg']}", raw))
        return out
    at = from_unix(callback.timestamp)
    if callback.event in _STATES and callback.message_token:
        out.statuses.append(StatusReport(callback.message_token, _STATES[callback.event], at,
                                         callback.desc if callback.event == "failed" else None))
        return out
    if callback.event != "message" or callback.sender is None or callback.message is None \
            or not callback.message_token:
        out.unparsed.append(Unparsed(f"event {callback.event}", raw))
        return out
    _map_message(callback, callback.sender, callback.message, at, raw, out, bot=bot, channel=channel)
    return out


def _map_message(callback: Callback, sender: _Sender, message: _Message, at: datetime, raw: dict[str, Any],
                 out: Delivery, *, bot: str, channel: str) -> None:
    attachments: list[Attachment] = []
    if message.type in _MEDIA:
        attachments.append(Attachment(type=_MEDIA[message.type], url=message.media, size=message.size,
                                      name=message.file_name, media_id=message.sticker_id))
    elif message.type == "location" and message.location is not None:
        where = f"geo:{message.location.lat},{message.location.lon}"
        attachments.append(Attachment(type="location", url=where))
    elif message.type == "url" and message.media:
        attachments.append(Attachment(type="link", url=message.media))
    elif message.type != "text":
        out.unparsed.append(Unparsed(f"message type {message.type}", raw))
        return
    thread = f"{PLATFORM}:{bot}:{sender.id}"
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": str(callback.message_token), "created_at": iso(at),
        "text": message.text or "", "kind": "message", "conversation_id": thread, "channel": channel,
        "author": {"id": sender.id, "name": sender.name},
    }
    out.posts.append(InboundPost(post, thread=thread, public=False, attachments=attachments))

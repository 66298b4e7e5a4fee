"""Chat events in ``entry[].messaging[]``: Messenger and Instagram direct messages.

A message becomes a private post in the thread (our account, the person's page-scoped id); an
echo (``is_echo``: a message our page sent, from crisisdesk, another app or Meta's inbox) is stored
as our own; deliveries and reads are status reports (by message id, or a watermark when the
platform gives only a time); everything else (postbacks without text, reactions, referrals, new
event kinds) is kept as unparsed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisisdesk.channels.base import (
    Attachment,
    Deletion,
    Delivery,
    DeliveryState,
    InboundPost,
    StatusReport,
    Unparsed,
    Watermark,
    each_item,
    from_unix,
    iso,
)


class _Party(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str


class _AttachmentPayload(BaseModel):
    model_config = ConfigDict(extra="allow")

    url: str | None = None


class _Attachment(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "file"
    payload: _AttachmentPayload | None = None


class _ReplyTo(BaseModel):
    model_config = ConfigDict(extra="allow")

    mid: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    mid: str
    text: str | None = None
    attachments: list[_Attachment] = Field(default_factory=list)
    reply_to: _ReplyTo | None = None
    is_echo: bool = False
    is_deleted: bool = False


class _Receipt(BaseModel):
    model_config = ConfigDict(extra="allow")

    mids: list[str] | None = None
    watermark: int | float | None = None


class _Postback(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str | None = None
    payload: str | None = None
    mid: str | None = None


class MessagingEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    sender: _Party
    recipient: _Party
    timestamp: int | float
    message: _Message | None = None
    delivery: _Receipt | None = None
    read: _Receipt | None = None
    messaging_seen: _Receipt | None = None
    postback: _Postback | None = None


def map_messaging(raw_events: list[dict[str, Any]], *, platform: str, account_id: str,
                  channel: str) -> Delivery:
    out = Delivery()
    for raw in raw_events:
        try:
            event = MessagingEvent.model_validate(raw)
        except ValidationError as exc:
            out.unparsed.append(Unparsed(f"messaging event: {exc.errors()[0]['msg']}", raw))
            continue
        each_item(out, raw, _map_event, event, raw, out, platform=platform, account_id=account_id,
                  channel=channel)
    return out


def _map_event(event: MessagingEvent, raw: dict[str, Any], out: Delivery, *, platform: str,
               account_id: str, channel: str) -> None:
    at = from_unix(event.timestamp)
    ours = event.sender.id == account_id
    person = event.recipient.id if ours else event.sender.id
    thread = f"{platform}:{account_id}:{person}"
    if event.message is not None:
        message = event.message
        if message.is_deleted:
            out.deletions.append(Deletion(platform, message.mid, at))
            return
        attachments = [Attachment(type=a.type, url=a.payload.url if a.payload else None)
                       for a in message.attachments]
        post: dict[str, Any] = {
            "platform": platform, "id": message.mid, "created_at": iso(at), "text": message.text or "",
            "kind": "message", "conversation_id": thread, "channel": channel,
            "author": {"id": event.sender.id},
        }
        if message.reply_to is not None and message.reply_to.mid:
            post["in_reply_to"] = message.reply_to.mid
        out.posts.append(InboundPost(post, thread=thread, public=False, attachments=attachments,
                                     own=ours or message.is_echo))
        return
    if event.postback is not None and (event.postback.title or event.postback.payload):
        postback = event.postback
        post_id = postback.mid or f"postback:{event.sender.id}:{int(event.timestamp)}"
        post = {"platform": platform, "id": post_id, "created_at": iso(at),
                "text": postback.title or postback.payload or "", "kind": "message",
                "conversation_id": thread, "channel": channel, "author": {"id": event.sender.id}}
        out.posts.append(InboundPost(post, thread=thread, public=False))
        return
    for receipt, state in ((event.delivery, DeliveryState.DELIVERED), (event.read, DeliveryState.READ),
                           (event.messaging_seen, DeliveryState.READ)):
        if receipt is None:
            continue
        when = from_unix(receipt.watermark) if receipt.watermark else at
        if receipt.mids:
            out.statuses.extend(StatusReport(mid, state, when) for mid in receipt.mids)
        else:
            out.watermarks.append(Watermark(thread, state, when))
        return
    out.unparsed.append(Unparsed(f"messaging event with {', '.join(sorted(set(raw) - _COMMON)) or 'nothing'}",
                                 raw))


_COMMON = frozenset({"sender", "recipient", "timestamp"})

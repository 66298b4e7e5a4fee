"""Chat events in ``entry[].messaging[]``: Messenger and Instagram direct messages.

A message becomes a private post in the thread (our account, the person's page-scoped id); an
echo (``is_echo``: a message our page sent, from crisisdesk, another app or Meta's inbox) is stored
as our own; a Messenger ``message_edit`` is a new version of the message it names; deliveries and
reads are status reports (by message id, or a watermark when the platform gives only a time);
everything else (postbacks without text, reactions, referrals, new event kinds) is kept as unparsed.
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


class _Coordinates(BaseModel):
    model_config = ConfigDict(extra="allow")

    lat: float
    long: float


class _AttachmentPayload(BaseModel):
    model_config = ConfigDict(extra="allow")

    url: str | None = None
    coordinates: _Coordinates | None = None


class _Attachment(BaseModel):
    """One attachment. Messenger puts the address in ``payload.url`` for files, but a ``fallback``
    (a shared link it cannot show) comes with ``payload: null`` and the link beside it as ``url``
    or ``URL``, and a shared ``location`` as ``payload.coordinates``."""

    model_config = ConfigDict(extra="allow")

    type: str = "file"
    payload: _AttachmentPayload | None = None
    url: str | None = None
    URL: str | None = None

    def address(self) -> str | None:
        payload = self.payload
        if payload is not None and payload.url:
            return payload.url
        if payload is not None and payload.coordinates is not None:
            return f"geo:{payload.coordinates.lat},{payload.coordinates.long}"
        return self.url or self.URL


class _Story(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str | None = None
    url: str | None = None


class _ReplyTo(BaseModel):
    """What a message answers: another message (``mid``) or, on Instagram, a story of ours
    (``story: {id, url}``: a story reply, the story's media id and its CDN address)."""

    model_config = ConfigDict(extra="allow")

    mid: str | None = None
    story: _Story | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    mid: str
    text: str | None = None
    attachments: list[_Attachment] = Field(default_factory=list)
    reply_to: _ReplyTo | None = None
    is_echo: bool = False
    is_deleted: bool = False


class _Receipt(BaseModel):
    """A delivery or read: Messenger gives ``mids`` and/or a ``watermark`` time; Instagram's
    ``read`` names the one message seen (``mid``)."""

    model_config = ConfigDict(extra="allow")

    mids: list[str] | None = None
    mid: str | None = None
    watermark: int | float | None = None

    def message_ids(self) -> list[str]:
        return [*(self.mids or []), *([self.mid] if self.mid else [])]


class _Edit(BaseModel):
    """Messenger's ``message_edit``: the message ``mid`` now reads ``text`` (``num_edit`` times)."""

    model_config = ConfigDict(extra="allow")

    mid: str
    text: str | None = None


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
    message_edit: _Edit | None = None


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
        attachments = [Attachment(type=a.type, url=a.address()) for a in message.attachments]
        story = message.reply_to.story if message.reply_to is not None else None
        if story is not None and story.url:
            attachments.append(Attachment(type="story", url=story.url))
        post: dict[str, Any] = {
            "platform": platform, "id": message.mid, "created_at": iso(at), "text": message.text or "",
            "kind": "message", "conversation_id": thread, "channel": channel,
            "author": {"id": event.sender.id},
        }
        if message.reply_to is not None and message.reply_to.mid:
            post["in_reply_to"] = message.reply_to.mid
        elif story is not None and story.id:
            post["in_reply_to"] = story.id
        out.posts.append(InboundPost(post, thread=thread, public=False, attachments=attachments,
                                     own=ours or message.is_echo))
        return
    if event.message_edit is not None:
        edit = event.message_edit
        post = {"platform": platform, "id": edit.mid, "created_at": iso(at), "text": edit.text or "",
                "kind": "message", "conversation_id": thread, "channel": channel,
                "author": {"id": event.sender.id}}
        out.posts.append(InboundPost(post, thread=thread, public=False, edited=True, own=ours))
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
        if receipt.message_ids():
            out.statuses.extend(StatusReport(mid, state, when) for mid in receipt.message_ids())
        else:
            out.watermarks.append(Watermark(thread, state, when))
        return
    out.unparsed.append(Unparsed(f"messaging event with {', '.join(sorted(set(raw) - _COMMON)) or 'nothing'}",
                                 raw))


_COMMON = frozenset({"sender", "recipient", "timestamp"})

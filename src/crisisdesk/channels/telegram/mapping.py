"""Telegram updates as posts: private chats are private, groups and channels public.

Message ids are unique only within a chat, so a post's id is ``<chat id>:<message id>``. Channel
posts have no ``from`` (the channel is the sender); edits are new versions of a known post.
Callback queries, reactions, membership changes and any update kind this code does not know are
kept as unparsed, so one unexpected update never stops the bot's channel.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisisdesk.channels.base import Attachment, Delivery, InboundPost, PayloadError, Unparsed, from_unix, iso

PLATFORM = "telegram"
_MESSAGE_KINDS = {"message": False, "edited_message": True, "channel_post": False,
                  "edited_channel_post": True, "business_message": False, "edited_business_message": True}
_FILES = ("video", "document", "audio", "voice", "video_note", "animation", "sticker")


class _Chat(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    type: str
    title: str | None = None
    username: str | None = None


class _User(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    is_bot: bool = False
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    title: str | None = None  # a sender_chat


class _Reply(BaseModel):
    model_config = ConfigDict(extra="allow")

    message_id: int


class Message(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    message_id: int
    date: int
    chat: _Chat
    from_: _User | None = Field(default=None, alias="from")
    sender_chat: _User | None = None
    text: str | None = None
    caption: str | None = None
    reply_to_message: _Reply | None = None
    message_thread_id: int | None = None
    edit_date: int | None = None


def update_id(body: Any) -> int | None:
    value = body.get("update_id") if isinstance(body, dict) else None
    return value if isinstance(value, int) else None


def map_update(update: Any, *, bot_id: str, channel: str) -> Delivery:
    """One Update object (a webhook body, or one element of ``getUpdates``)."""
    out = Delivery()
    if not isinstance(update, dict) or update_id(update) is None:
        raise PayloadError("an update is a JSON object with an integer update_id")
    kinds = [k for k in update if k != "update_id"]
    kind = next((k for k in kinds if k in _MESSAGE_KINDS), None)
    if kind is None:
        out.unparsed.append(Unparsed(f"update {', '.join(kinds) or 'without content'}", update))
        return out
    try:
        message = Message.model_validate(update[kind])
    except ValidationError as exc:
        out.unparsed.append(Unparsed(f"{kind}: {exc.errors()[0]['msg']}", update))
        return out
    text = message.text if message.text is not None else message.caption
    attachments = _attachments(update[kind])
    if text is None and not attachments:
        what = next((k for k in update[kind] if k not in _ENVELOPE), "nothing")
        out.unparsed.append(Unparsed(f"{kind} with {what}", update))
        return out
    chat = message.chat
    topic = f":{message.message_thread_id}" if message.message_thread_id else ""  # a forum topic
    thread = f"{PLATFORM}:{bot_id}:{chat.id}{topic}"
    author = message.from_ or message.sender_chat
    at = from_unix(message.edit_date if message.edit_date else message.date)
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": f"{chat.id}:{message.message_id}", "created_at": iso(at),
        "text": text or "", "kind": "post" if kind.endswith("channel_post") else "message",
        "conversation_id": thread, "channel": channel,
    }
    if author is not None:
        name = " ".join(p for p in (author.first_name, author.last_name) if p) or author.title
        post["author"] = {"id": str(author.id), "handle": author.username, "name": name or None}
    if message.reply_to_message is not None:
        post["in_reply_to"] = f"{chat.id}:{message.reply_to_message.message_id}"
    if chat.username and chat.type in {"channel", "supergroup"}:
        post["url"] = f"https://t.me/{chat.username}/{message.message_id}"
    own = author is not None and str(author.id) == bot_id
    out.posts.append(InboundPost(post, thread=thread, public=chat.type != "private",
                                 attachments=attachments, edited=_MESSAGE_KINDS[kind], own=own))
    return out


_ENVELOPE = frozenset({"message_id", "date", "chat", "from", "sender_chat", "message_thread_id",
                       "edit_date", "reply_to_message", "entities", "is_topic_message", "forward_origin"})


def _attachments(raw: dict[str, Any]) -> list[Attachment]:
    out: list[Attachment] = []
    photo = raw.get("photo")
    if isinstance(photo, list) and photo:
        largest = max((p for p in photo if isinstance(p, dict)), key=lambda p: p.get("file_size") or 0,
                      default=None)
        if largest is not None:
            out.append(Attachment(type="image", media_id=str(largest.get("file_id")),
                                  size=largest.get("file_size")))
    for kind in _FILES:
        part = raw.get(kind)
        if isinstance(part, dict):
            out.append(Attachment(type=kind, media_id=str(part.get("file_id")),
                                  mime_type=part.get("mime_type"), size=part.get("file_size"),
                                  name=part.get("file_name")))
    location = raw.get("location")
    if isinstance(location, dict):
        where = f"geo:{location.get('latitude')},{location.get('longitude')}"
        out.append(Attachment(type="location", url=where))
    return out

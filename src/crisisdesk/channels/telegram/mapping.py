"""Telegram updates as posts: private chats are private, groups and channels public.

Message ids are unique only within a chat, so a post's id is ``<chat id>:<message id>``. Channel
posts have no ``from`` (the channel is the sender); edits are new versions of a known post. A
message sent on behalf of a chat (an anonymous group admin, a channel writing in a group, a
channel post forwarded into its discussion group) has the chat as ``sender_chat`` and, for old
clients, a stand-in user (GroupAnonymousBot, Channel_Bot, "Telegram" 777000) as ``from``: the
author is the chat. Only a forum topic (``is_topic_message``) is a thread of its own; in other
supergroups ``message_thread_id`` merely names the reply chain.
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
    #: Set when the "reply" is the service message that opened a forum topic: Telegram names it as
    #: the replied-to message of every message in the topic that answers nothing in particular.
    forum_topic_created: dict[str, Any] | None = None


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
    is_topic_message: bool = False
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
    if text is None:
        text = _venue(update[kind])
    attachments = _attachments(update[kind])
    if text is None and not attachments:
        what = next((k for k in update[kind] if k not in _ENVELOPE), "nothing")
        out.unparsed.append(Unparsed(f"{kind} with {what}", update))
        return out
    chat = message.chat
    forum = message.is_topic_message and message.message_thread_id
    topic = f":{message.message_thread_id}" if forum else ""
    thread = f"{PLATFORM}:{bot_id}:{chat.id}{topic}"
    author = message.sender_chat or message.from_  # ``from`` is a stand-in when a chat speaks
    at = from_unix(message.edit_date if message.edit_date else message.date)
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": f"{chat.id}:{message.message_id}", "created_at": iso(at),
        "text": text or "", "kind": "post" if kind.endswith("channel_post") else "message",
        "conversation_id": thread, "channel": channel,
    }
    if author is not None:
        name = " ".join(p for p in (author.first_name, author.last_name) if p) or author.title
        post["author"] = {"id": str(author.id), "handle": author.username, "name": name or None}
    reply = message.reply_to_message
    if reply is not None and reply.forum_topic_created is None:
        post["in_reply_to"] = f"{chat.id}:{reply.message_id}"
    if chat.username and chat.type in {"channel", "supergroup"}:
        post["url"] = f"https://t.me/{chat.username}/{message.message_id}"
    own = author is not None and str(author.id) == bot_id
    out.posts.append(InboundPost(post, thread=thread, public=chat.type != "private",
                                 attachments=attachments, edited=_MESSAGE_KINDS[kind], own=own))
    return out


#: Fields any message may carry besides its content: skipped when naming what an unparsed message
#: holds, so a forwarded contact is "message with contact", not "with forward_from".
_ENVELOPE = frozenset({
    "message_id", "date", "chat", "from", "sender_chat", "message_thread_id", "edit_date",
    "reply_to_message", "entities", "caption_entities", "is_topic_message", "forward_origin",
    "forward_from", "forward_from_chat", "forward_from_message_id", "forward_signature",
    "forward_sender_name", "forward_date", "is_automatic_forward", "external_reply", "quote",
    "via_bot", "author_signature", "has_protected_content", "media_group_id", "reply_markup",
    "link_preview_options", "business_connection_id", "sender_business_bot", "sender_boost_count",
    "is_from_offline", "has_media_spoiler", "show_caption_above_media", "effect_id",
    "new_chat_participant", "new_chat_member",  # old twins of new_chat_members, sent before it
})


def _venue(raw: dict[str, Any]) -> str | None:
    """A venue's title and address as the message's text: a venue message has no text or caption,
    and its ``location`` alone (kept as an attachment) would lose which place was meant."""
    venue = raw.get("venue")
    if not isinstance(venue, dict):
        return None
    words = [str(venue[k]) for k in ("title", "address") if venue.get(k)]
    return " — ".join(words) or None


def _largest(photo: list[Any]) -> dict[str, Any] | None:
    """The biggest of a photo's sizes. ``file_size`` is optional in a PhotoSize, so the area
    (``width`` × ``height``, always given) decides; file size only breaks a tie."""
    sizes = [p for p in photo if isinstance(p, dict)]

    def area(size: dict[str, Any]) -> tuple[int, int]:
        width, height, bytes_ = size.get("width"), size.get("height"), size.get("file_size")
        pixels = width * height if isinstance(width, int) and isinstance(height, int) else 0
        return pixels, bytes_ if isinstance(bytes_, int) else 0

    return max(sizes, key=area, default=None)


def _attachments(raw: dict[str, Any]) -> list[Attachment]:
    out: list[Attachment] = []
    photo = raw.get("photo")
    if isinstance(photo, list) and photo:
        largest = _largest(photo)
        if largest is not None:
            out.append(Attachment(type="image", media_id=str(largest.get("file_id")),
                                  size=largest.get("file_size")))
    for kind in _FILES:
        part = raw.get(kind)
        if kind == "document" and isinstance(raw.get("animation"), dict):
            continue  # an animation repeats itself as ``document`` for old clients: one file, not two
        if isinstance(part, dict):
            out.append(Attachment(type=kind, media_id=str(part.get("file_id")),
                                  mime_type=part.get("mime_type"), size=part.get("file_size"),
                                  name=part.get("file_name")))
    location = raw.get("location")
    if isinstance(location, dict):
        where = f"geo:{location.get('latitude')},{location.get('longitude')}"
        out.append(Attachment(type="location", url=where))
    return out

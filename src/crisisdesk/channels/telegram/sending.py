"""Acting in Telegram chats: replies, deleting a message, banning a member (CHANNEL-APIS.md §4.3).

Who sees a reply follows from the chat, and the chat from the thread (``telegram:<bot>:<chat>``
or ``…:<chat>:<topic>``): Telegram gives a private chat the person's user id, a positive number,
and groups, supergroups and channels negative ids. So:

* ``REPLY_PUBLIC`` goes into a group, supergroup or channel, as a reply to the message: every
  member sees it. In a private chat it is refused (nobody else is there; that is a private reply).
* ``REPLY_PRIVATE`` in a private chat is the reply there. To a message in a group it goes to the
  author's private chat with the bot (``recipient``), which Telegram allows only when the person
  has started the bot; otherwise it answers 403, a permanent error.
* ``DELETE`` deletes the target message (``deleteMessage``): our own messages, anything in a
  private chat, and others' messages in groups where the bot is an admin.
* ``PUBLISH`` sends the text as a new message to the configured ``publish_chat`` (our channel,
  by ``@username`` or id), not as a reply to anything. The Bot API takes no idempotency key.
* ``BLOCK`` bans the author from the group (``banChatMember``), or a channel that posted in it
  (``banChatSenderChat``: channels have negative ids). A bot cannot block a person in a private
  chat, so there it is refused.

Posts and what we send are both named ``<chat id>:<message id>``, since message ids are only
unique within a chat. Missing data is refused before any call, naming what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crisisdesk.channels.attachments import ALLOWED_TYPES, read_all
from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.outgoing import Action, AttachmentLimits, Outbound, Sent, too_long
from crisisdesk.channels.telegram.client import BotApi

#: sendMessage's limit, in UTF-16 code units (what Telegram counts) of the text as sent.
TEXT_LIMIT = 4096
#: A file's caption (sendPhoto, sendDocument): the reply's text goes there, in the same message.
CAPTION_LIMIT = 1024
#: Bot API upload limits: photos 10 MB (sendPhoto), other files 50 MB (sendDocument).
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
ATTACHMENTS = AttachmentLimits(max_count=1, max_bytes=50 * 1024 * 1024, content_types=ALLOWED_TYPES,
                               max_bytes_by_kind={"image": 10 * 1024 * 1024}, max_caption=CAPTION_LIMIT)


@dataclass(frozen=True, slots=True)
class Chat:
    """Where an outbound call goes: the chat, its forum topic, and the message acted on."""

    id: int
    topic: int | None
    message: int | None

    @property
    def private(self) -> bool:
        return self.id > 0


def refuse(text: str) -> PlatformError:
    return PlatformError(text, permanent=True)


def _number(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise refuse(f"{what} {value!r} is not a Telegram id (a whole number)") from None


def locate(outbound: Outbound, *, bot_id: str) -> Chat:
    """The chat from the thread (or from the target ``<chat>:<message>`` when there is no thread),
    and the message from the target; a thread of another bot, or a target in another chat, is
    refused: the outbox has mixed something up, and sending would answer the wrong people."""
    chat: int | None = None
    topic: int | None = None
    if outbound.thread:
        parts = outbound.thread.split(":")
        if len(parts) not in (3, 4) or parts[0] != "telegram":
            raise refuse(f"thread {outbound.thread!r} is not a Telegram thread "
                         "(telegram:<bot id>:<chat id>[:<topic>])")
        if parts[1] != bot_id:
            raise refuse(f"thread {outbound.thread!r} belongs to bot {parts[1]}, "
                         f"this channel is bot {bot_id}")
        chat = _number(parts[2], "the thread's chat")
        topic = _number(parts[3], "the thread's topic") if len(parts) == 4 else None
    message: int | None = None
    if outbound.target:
        where, sep, ident = outbound.target.rpartition(":")
        if not sep:
            raise refuse(f"target {outbound.target!r} is not a Telegram message id (<chat id>:<message id>)")
        target_chat = _number(where, "the target's chat")
        message = _number(ident, "the target's message")
        if chat is not None and target_chat != chat:
            raise refuse(f"target {outbound.target!r} is not in the thread's chat {chat}")
        chat = target_chat
    if chat is None:
        raise refuse("no chat: the outbound call has neither a thread nor a target")
    return Chat(chat, topic, message)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _text(outbound: Outbound) -> str:
    if outbound.text is None or not outbound.text.strip():
        raise refuse(f"no text: a {'post' if outbound.action == Action.PUBLISH else 'reply'} needs the text "
                     "to send")
    units = _units(outbound.text)
    if units > TEXT_LIMIT:
        raise too_long("Telegram", units, TEXT_LIMIT, "characters (UTF-16 code units)")
    if outbound.attachments:
        why = attachment_refusal(outbound)
        if why:
            raise refuse(why)
    return outbound.text


def attachment_refusal(outbound: Outbound) -> str | None:
    """A file goes in one message with the text as its caption (one call: sent once or not at
    all), so the text must fit a caption."""
    units = _units(outbound.text or "")
    if outbound.attachments and units > CAPTION_LIMIT:
        return (f"with a file the text is its caption, which Telegram limits to {CAPTION_LIMIT} characters; "
                f"this one has {units}")
    return None


def _post(api: BotApi, params: dict[str, Any], outbound: Outbound) -> Any:
    """sendMessage, or with a file sendPhoto (JPEG, PNG) / sendDocument with the text as caption."""
    if not outbound.attachments:
        return api.call("sendMessage", **params)
    ((file, data),) = read_all(outbound.attachments[:1])
    fields = {k: v for k, v in params.items() if k != "text"}
    fields["caption"] = params["text"]
    photo = file.content_type in PHOTO_TYPES
    method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
    return api.upload(method, fields, field, file.filename, data, file.content_type)


def _recipient(outbound: Outbound, why: str) -> int:
    if not outbound.recipient:
        raise refuse(f"no recipient: {why} needs the author's Telegram id")
    return _number(outbound.recipient, "the recipient")


def _message_id(result: Any, fallback_chat: int | str) -> str:
    if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
        # It may have been sent: a retry could say it twice, so a person looks at it instead.
        raise PlatformError("Telegram answered ok without the sent message", permanent=True)
    chat = result.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return f"{chat_id if isinstance(chat_id, int) else fallback_chat}:{result['message_id']}"


def send(api: BotApi, outbound: Outbound, *, bot_id: str, publish_chat: str | None = None) -> Sent:
    """One call for ``outbound``; the caller has checked that the action is a capability."""
    if outbound.action == Action.PUBLISH:
        return _publish(api, outbound, publish_chat)
    if outbound.action in (Action.REPLY_PUBLIC, Action.REPLY_PRIVATE):
        return _reply(api, outbound, bot_id=bot_id)
    chat = locate(outbound, bot_id=bot_id)
    if outbound.action == Action.DELETE:
        if chat.message is None:
            raise refuse("no target: deleting needs the message (<chat id>:<message id>)")
        api.call("deleteMessage", chat_id=chat.id, message_id=chat.message)
        return Sent(None)
    if outbound.action == Action.BLOCK:
        if chat.private:
            raise refuse("a bot cannot block a person in a private chat; "
                         "only groups and channels ban members")
        who = _recipient(outbound, "blocking")
        if who == chat.id:  # an anonymous admin writes as the group itself: nobody to ban
            raise refuse(f"the author is chat {chat.id} itself (an anonymous admin of the group): "
                         "Telegram bans no one for that; the admins manage its admins")
        if who < 0:  # a channel (or group) that posted in the group under its own name
            api.call("banChatSenderChat", chat_id=chat.id, sender_chat_id=who)
        else:
            api.call("banChatMember", chat_id=chat.id, user_id=who)
        return Sent(None, {"banned": str(who)})
    raise refuse(f"Telegram has no {outbound.action.value}")


def _publish(api: BotApi, outbound: Outbound, publish_chat: str | None) -> Sent:
    """A new message of ours in the channel's ``publish_chat``; named ``<chat id>:<message id>``
    with the chat's id from Telegram's answer (an @username becomes the channel's number)."""
    if not publish_chat:
        raise refuse("no publish_chat: this channel's configuration names no chat to publish to")
    text = _text(outbound)
    chat: int | str = int(publish_chat) if publish_chat.lstrip("-").isdigit() else publish_chat
    answer = api.call("sendMessage", chat_id=chat, text=text)
    return Sent(_message_id(answer, chat), {"chat": str(chat)})


def _reply(api: BotApi, outbound: Outbound, *, bot_id: str) -> Sent:
    chat = locate(outbound, bot_id=bot_id)
    text = _text(outbound)
    params: dict[str, Any] = {"chat_id": chat.id, "text": text}
    if outbound.action == Action.REPLY_PUBLIC:
        if chat.private:
            raise refuse(f"chat {chat.id} is a private chat: only the person sees a reply there, "
                         "which is a private reply")
    elif not chat.private:  # a private reply to a group message: the author's chat with the bot
        person = _recipient(outbound, "a private reply to a group message")
        if person < 0:
            raise refuse(f"the author {person} is a channel or group, not a person: it has no private chat")
        params["chat_id"] = person
        answer = _post(api, params, outbound)
        return Sent(_message_id(answer, person), {"chat": str(person)})
    if chat.message is not None:
        params["reply_parameters"] = {"message_id": chat.message}
    if chat.topic is not None:
        params["message_thread_id"] = chat.topic
    answer = _post(api, params, outbound)
    return Sent(_message_id(answer, chat.id), {"chat": str(chat.id)})

"""The part of the Telegram Bot API that notifications and the connector use, as a responder for
:class:`HttpSink`.

``sendMessage`` checks what the real API checks that matters to us: the token in the path, a
``chat_id`` and ``text``, ``parse_mode=HTML`` text that parses (only Telegram's tags, balanced,
no stray ``<`` or ``&``), at most 4,096 characters after parsing, and URL buttons with http(s)
URLs; ``reply_parameters`` must name a message that exists in the chat. ``deleteMessage``,
``banChatMember`` and ``banChatSenderChat`` act on the chats and messages the test set up.
People who blocked the bot (``blocked``) or never started it (``started``) get Telegram's 403s;
:meth:`TelegramBotApi.fail_next` scripts any other answer after the token was checked. Errors
come in the Bot API shape ``{"ok": false, "error_code", "description"}``. Private chats have the
person's (positive) id, groups and channels negative ids, as on Telegram. A ``chat_id`` may be a
channel's ``@username`` (``channels``: username -> id, where the bot may post); an unknown one
answers ``400 Bad Request: chat not found``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import orjson

from tests.fakes.http_sink import Recorded, Reply
from tests.fakes.multipart import parse_form

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "blockquote", "tg-spoiler", "span", "tg-emoji"}


def error(code: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(code, body)


def flood(retry_after: int) -> Reply:
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"unsupported start tag \"{tag}\"")
        if tag == "a" and not any(k == "href" for k, _ in attrs):
            self.problems.append("a tag without href")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected end tag \"{tag}\"")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def parse_html(text: str) -> tuple[str, list[str]]:
    """(visible text, problems) the way Telegram would see an HTML-mode message."""
    problems = []
    # a bare & that does not start an entity, or a < that starts no tag, is rejected
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        problems.append("stray &")
    if re.search(r"<(?![a-zA-Z/])", text):
        problems.append("stray <")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    problems += checker.problems
    if checker.stack:
        problems.append(f"unclosed tags {checker.stack}")
    return "".join(checker.visible), problems  # convert_charrefs has decoded the entities


def chat_type(chat_id: int) -> str:
    return "private" if chat_id > 0 else "supergroup"


class TelegramBotApi:
    """``responder`` for an :class:`HttpSink`; ``messages`` holds every accepted sendMessage body,
    ``deleted`` the (chat, message) pairs deleted, ``banned`` the (chat, member) pairs banned."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        #: What getWebhookInfo answers (Telegram's own record of our webhook and its last error).
        self.webhook_info: dict[str, Any] = {"url": "", "has_custom_certificate": False,
                                             "pending_update_count": 0}
        #: Messages that exist, as (chat id, message id): what a reply or a delete may name.
        self.existing: set[tuple[int, int]] = set()
        self.deleted: list[tuple[int, int]] = []
        self.banned: list[tuple[int, int]] = []
        #: People who blocked the bot; None in ``started``: everybody has started it.
        self.blocked: set[int] = set()
        self.started: set[int] | None = None
        #: Channels the bot posts in: @username (without @, any case) -> the channel's id.
        self.channels: dict[str, int] = {}
        self._failures: list[Reply] = []

    def message(self, chat_id: int, message_id: int) -> None:
        """A message that is in the chat (one a webhook delivered)."""
        self.existing.add((chat_id, message_id))

    def fail_next(self, *replies: Reply) -> None:
        """Answer the next calls with a valid token with these (then normally again)."""
        self._failures.extend(replies)

    def __call__(self, rec: Recorded) -> Reply:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", rec.path)
        if not match or match.group(1) != self.token:
            return error(401, "Unauthorized")
        if self._failures:
            return self._failures.pop(0)
        method = match.group(2)
        if method == "getMe":
            return Reply(200, {"ok": True, "result": {"id": int(self.token.split(":")[0]), "is_bot": True,
                                                      "first_name": "Voltaro", "username": "voltaro_bot"}})
        if method == "getWebhookInfo":
            return Reply(200, {"ok": True, "result": self.webhook_info})
        if method in ("deleteMessage", "banChatMember", "banChatSenderChat"):
            return self._moderate(method, rec.json())
        if method in ("sendPhoto", "sendDocument"):
            return self._send_file(method, rec)
        if method != "sendMessage":
            return error(404, "Not Found")
        body = rec.json()
        if "chat_id" not in body:
            return error(400, "Bad Request: chat_id is empty")
        chat = body["chat_id"]
        if isinstance(chat, str):
            found = {k.lower(): v for k, v in self.channels.items()}.get(chat.removeprefix("@").lower())
            if not chat.startswith("@") or found is None:
                return error(400, "Bad Request: chat not found")
            chat = found
        if isinstance(chat, int) and chat in self.blocked:
            return error(403, "Forbidden: bot was blocked by the user")
        if isinstance(chat, int) and chat > 0 and self.started is not None and chat not in self.started:
            return error(403, "Forbidden: bot can't initiate conversation with a user")
        replied = body.get("reply_parameters") or {}
        if "message_id" in replied and (chat, replied["message_id"]) not in self.existing:
            return error(400, "Bad Request: message to be replied not found")
        if "message_thread_id" in body and not isinstance(body["message_thread_id"], int):
            return error(400, "Bad Request: message thread not found")
        text = body.get("text") or ""
        if body.get("parse_mode") == "HTML":
            text, problems = parse_html(text)
            if problems:
                return error(400, f"Bad Request: can't parse entities: {problems[0]}")
        if not text.strip():
            return error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return error(400, "Bad Request: message is too long")
        for row in body.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if "url" in button and not re.match(r"^https?://", button["url"]):
                    return error(400, "Bad Request: BUTTON_URL_INVALID")
        self.messages.append(body)
        sent_id = len(self.messages)
        if isinstance(chat, int):
            self.existing.add((chat, sent_id))
        kind = ("channel" if chat in self.channels.values()
                else chat_type(chat) if isinstance(chat, int) else "supergroup")
        return Reply(200, {"ok": True, "result": {
            "message_id": sent_id, "date": 1700000000, "text": text,
            "chat": {"id": chat, "type": kind}}})

    def _send_file(self, method: str, rec: Recorded) -> Reply:
        """sendPhoto (``photo``, at most 10 MB) and sendDocument (``document``, 50 MB) as
        multipart/form-data; objects such as ``reply_parameters`` come as JSON text, the text as
        ``caption`` (at most 1024 characters)."""
        form = parse_form(rec)
        if form is None:
            return error(400, "Bad Request: there is no file in the request")
        fields, files = form
        photo = method == "sendPhoto"
        field, limit = ("photo", 10 * 1024 * 1024) if photo else ("document", 50 * 1024 * 1024)
        upload = files.get(field)
        if upload is None:
            return error(400, f"Bad Request: there is no {field} in the request")
        if len(upload.data) > limit:
            return error(400, "Bad Request: file is too big")
        try:
            chat = int(fields["chat_id"])
        except (KeyError, ValueError):
            return error(400, "Bad Request: chat_id is empty")
        caption = fields.get("caption", "")
        if len(caption.encode("utf-16-le")) // 2 > 1024:
            return error(400, "Bad Request: message caption is too long")
        body: dict[str, Any] = {k: orjson.loads(v) if k == "reply_parameters" else v
                                for k, v in fields.items()}
        body["chat_id"] = chat
        replied = body.get("reply_parameters") or {}
        if "message_id" in replied and (chat, replied["message_id"]) not in self.existing:
            return error(400, "Bad Request: message to be replied not found")
        body[field] = upload
        self.messages.append(body)
        sent_id = len(self.messages)
        self.existing.add((chat, sent_id))
        return Reply(200, {"ok": True, "result": {"message_id": sent_id, "date": 1700000000,
                                                  "caption": caption,
                                                  "chat": {"id": chat, "type": chat_type(chat)}}})

    def _moderate(self, method: str, body: dict[str, Any]) -> Reply:
        chat = body.get("chat_id")
        if not isinstance(chat, int):
            return error(400, "Bad Request: chat_id is empty")
        if method == "deleteMessage":
            message = body.get("message_id")
            if not isinstance(message, int) or (chat, message) not in self.existing:
                return error(400, "Bad Request: message to delete not found")
            self.existing.discard((chat, message))
            self.deleted.append((chat, message))
            return Reply(200, {"ok": True, "result": True})
        if chat > 0:
            return error(400, "Bad Request: method is available only for supergroups and channel")
        member = body.get("user_id" if method == "banChatMember" else "sender_chat_id")
        if not isinstance(member, int) or (member < 0) != (method == "banChatSenderChat"):
            return error(400, "Bad Request: invalid user_id specified")
        self.banned.append((chat, member))
        return Reply(200, {"ok": True, "result": True})

"""Meta's send and moderation calls (Graph API), as a responder for :class:`HttpSink`.

Speaks ../shared/docs/CHANNEL-APIS.md §1.5 and §2.2: comment replies (Facebook ``/comments``,
Instagram ``/replies``), hiding (``is_hidden`` on Facebook, ``hide`` on Instagram), deleting, the
Send API of pages and Instagram accounts (``/{account}/messages`` with a person's id or a
``comment_id``/``post_id``), WhatsApp's ``/{phone-number-id}/messages`` and new posts on a
page's feed (``/{page-id}/feed`` with ``message``; kept in ``page_posts``). It checks what Meta
checks that matters here: the bearer token, a JSON body of the documented shape, the right
parameter for the platform, replies only to top-level Instagram comments, one private reply per
comment, ``messaging_type`` on Messenger chat messages. It keeps what the calls did (new comments
and messages by their new ids, hidden and deleted comments) and answers in the documented shape.

Errors are Graph error bodies with HTTP 400, as Meta sends them; :meth:`GraphSend.fail_next`
scripts them (window closed, template needed, throttling with usage headers) after the token
check. :class:`Hangup` is a server that takes a request and never answers: a lost answer.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson

from tests.fakes.http_sink import Recorded, Reply
from tests.fakes.meta_graph import graph_error
from tests.fakes.multipart import Upload, parse_form

_CHAT_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}


def not_found(object_id: str, method: str = "post") -> Reply:
    return graph_error(100, f"Unsupported {method} request. Object with ID '{object_id}' does not exist, "
                            "cannot be loaded due to missing permissions, or does not support this operation",
                       subcode=33)


def invalid(why: str) -> Reply:
    return graph_error(100, f"(#100) {why}")


def window_closed(subcode: int = 2018278) -> Reply:
    """Messenger's (2018278) or Instagram's (2534022) refusal outside the 24-hour window."""
    return graph_error(10, "(#10) This message is sent outside of allowed window.", subcode=subcode)


def whatsapp_error(code: int, title: str, details: str, *, status: int = 400) -> Reply:
    return Reply(status, {"error": {"message": f"(#{code}) {title}", "type": "OAuthException", "code": code,
                                    "error_data": {"messaging_product": "whatsapp", "details": details},
                                    "fbtrace_id": "AbC"}})


def throttled(code: int, message: str, **headers: str) -> Reply:
    """A rate-limit refusal with HTTP 400, and usage headers as given (``X_Business_Use_Case_Usage``)."""
    reply = graph_error(code, message)
    return Reply(reply.status, reply.body, {k.replace("_", "-"): v for k, v in headers.items()})


@dataclass
class Comment:
    platform: str  # facebook | instagram
    author: str  # the commenter's id
    parent: str | None = None
    kind: str = "comment"  # or "post": a visitor's post on a Facebook page
    hidden: bool = False
    private_replies: int = 0


class GraphSend:
    def __init__(self, token: str, *, pages: tuple[str, ...] = (), instagram: tuple[str, ...] = (),
                 numbers: tuple[str, ...] = (), wa_ids: dict[str, str] | None = None) -> None:
        self.token = token
        self.pages = set(pages)
        self.instagram = set(instagram)
        self.numbers = set(numbers)
        self.wa_ids = wa_ids or {}  # a number as sent -> the canonical wa_id WhatsApp answers with
        self.comments: dict[str, Comment] = {}
        self.created: dict[str, dict[str, Any]] = {}  # new comment or message id -> the body sent
        self.deleted: set[str] = set()
        #: Posts made on a page's feed: new post id -> the body sent.
        self.page_posts: dict[str, dict[str, Any]] = {}
        #: Uploaded files by their new id: WhatsApp media (``/media``), Messenger attachments.
        self.media: dict[str, Upload] = {}
        self._failures: deque[Reply] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add_comment(self, comment_id: str, platform: str, *, author: str, parent: str | None = None,
                    kind: str = "comment") -> None:
        self.comments[comment_id] = Comment(platform, author, parent, kind)

    def fail_next(self, *replies: Reply) -> None:
        self._failures.extend(replies)

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return graph_error(190, "Error validating access token: Session has expired", subcode=463)
        with self._lock:
            if self._failures:
                return self._failures.popleft()
            return self._answer(rec)

    def _answer(self, rec: Recorded) -> Reply:
        match = re.fullmatch(r"/v\d+\.\d+/([\w.-]+)(?:/(\w+))?", rec.path.split("?")[0])
        if not match:
            return invalid(f"Unknown path components: {rec.path}")
        object_id, edge = match.group(1), match.group(2)
        if rec.method == "DELETE":
            if edge is not None or object_id not in self.comments:
                return not_found(object_id, "delete")
            del self.comments[object_id]
            self.deleted.add(object_id)
            return Reply(200, {"success": True})
        if rec.method != "POST":
            return not_found(object_id, rec.method.lower())
        form = parse_form(rec)
        if form is not None:
            return self._upload(object_id, edge, *form)
        try:
            body = orjson.loads(rec.body)
        except orjson.JSONDecodeError:
            return invalid("The request body is not JSON")
        if not isinstance(body, dict):
            return invalid("The request body is not an object")
        if edge == "messages" and object_id in self.numbers:
            return self._whatsapp(body)
        if edge == "messages" and object_id in self.pages | self.instagram:
            return self._send_api(object_id, body)
        if edge == "feed" and object_id in self.pages:
            return self._page_post(object_id, body)
        comment = self.comments.get(object_id)
        if comment is None:
            return not_found(object_id)
        if edge is None:
            return self._hide(comment, body)
        if edge in ("comments", "replies"):
            return self._reply(object_id, comment, edge, body)
        return not_found(object_id)

    def _upload(self, account: str, edge: str | None, fields: dict[str, str],
                files: dict[str, Upload]) -> Reply:
        """WhatsApp ``/{number}/media`` (messaging_product, type, file) and Messenger's
        ``/{page}/message_attachments`` (message with attachment.type, filedata)."""
        if edge == "media" and account in self.numbers:
            upload = files.get("file")
            if fields.get("messaging_product") != "whatsapp" or upload is None:
                return invalid("messaging_product=whatsapp and file are required")
            if fields.get("type") != upload.content_type:
                return invalid("type must be the file's MIME type")
            media_id = self._new_id("wamedia")
            self.media[media_id] = upload
            return Reply(200, {"id": media_id})
        if edge == "message_attachments" and account in self.pages:
            upload = files.get("filedata")
            try:
                attachment = orjson.loads(fields.get("message", "")).get("attachment", {})
            except (orjson.JSONDecodeError, AttributeError):
                return invalid("message must be JSON")
            if upload is None or attachment.get("type") not in ("image", "video", "audio", "file"):
                return invalid("filedata and message.attachment.type are required")
            attachment_id = self._new_id("att")
            self.media[attachment_id] = upload
            return Reply(200, {"attachment_id": attachment_id})
        return invalid(f"Unknown upload path {account}/{edge}")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def _reply(self, object_id: str, comment: Comment, edge: str, body: dict[str, Any]) -> Reply:
        wanted = "comments" if comment.platform == "facebook" else "replies"
        if edge != wanted:
            return not_found(object_id)
        unknown = set(body) - {"message", "attachment_url", "attachment_id", "attachment_share_url"}
        if unknown:
            return invalid(f"Unknown parameters: {', '.join(sorted(unknown))}")
        if not _filled(body.get("message")):
            return invalid("The parameter message is required")
        if comment.platform == "instagram" and comment.parent is not None:
            return invalid("Only top-level comments can be replied to")
        if comment.platform == "instagram" and comment.hidden:
            return invalid("A hidden comment cannot be replied to")
        new = self._new_id(f"{object_id.split('_')[0]}_" if comment.platform == "facebook" else "1790000000")
        self.comments[new] = Comment(comment.platform, "page", parent=object_id)
        self.created[new] = body
        return Reply(200, {"id": new})

    def _page_post(self, page: str, body: dict[str, Any]) -> Reply:
        """``POST /{page-id}/feed``: a post as the page; ``{"id": "<page>_<post>"}``."""
        unknown = set(body) - {"message", "link", "published", "scheduled_publish_time"}
        if unknown:
            return invalid(f"Unknown parameters: {', '.join(sorted(unknown))}")
        if not _filled(body.get("message")) and not _filled(body.get("link")):
            return invalid("The parameter message or link is required")
        if len(str(body.get("message") or "")) > 63_206:
            return invalid("The message is too long")
        new = self._new_id(f"{page}_")
        self.comments[new] = Comment("facebook", "page", kind="post")  # it can be commented on, deleted
        self.page_posts[new] = body
        return Reply(200, {"id": new})

    def _hide(self, comment: Comment, body: dict[str, Any]) -> Reply:
        field = "is_hidden" if comment.platform == "facebook" else "hide"
        if set(body) != {field} or not isinstance(body[field], bool):
            return invalid(f"Expected exactly the boolean parameter {field}, got {sorted(body)}")
        comment.hidden = body[field]
        return Reply(200, {"success": True})

    def _send_api(self, account: str, body: dict[str, Any]) -> Reply:
        platform = "facebook" if account in self.pages else "instagram"
        recipient, message = body.get("recipient"), body.get("message")
        if not isinstance(recipient, dict) or len(recipient) != 1:
            return invalid("recipient must name exactly one of id, comment_id, post_id")
        attachment = message.get("attachment") if isinstance(message, dict) else None
        if isinstance(attachment, dict):
            payload = attachment.get("payload")
            known = isinstance(payload, dict) and payload.get("attachment_id") in self.media
            if not isinstance(message, dict) or message.get("text") is not None or not known:
                return invalid("message.attachment must name an uploaded attachment_id, without text")
        elif not isinstance(message, dict) or not _filled(message.get("text")):
            return invalid("message.text is required")
        (kind, value), = recipient.items()
        if kind == "id":
            if platform == "facebook" and body.get("messaging_type") not in _CHAT_TYPES:
                return invalid("messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG")
            person = str(value)
        elif kind in ("comment_id", "post_id"):
            item = self.comments.get(str(value))
            if item is None or item.platform != platform or (kind == "post_id") != (item.kind == "post"):
                return invalid(f"No {kind} {value} on this account")
            if item.private_replies:
                return invalid("A private reply was already sent to this item")
            item.private_replies += 1
            person = item.author
        else:
            return invalid(f"Unsupported recipient {kind}")
        mid = self._new_id("m_")
        self.created[mid] = body
        return Reply(200, {"recipient_id": person, "message_id": mid})

    def _whatsapp(self, body: dict[str, Any]) -> Reply:
        if body.get("messaging_product") != "whatsapp":
            return invalid("The parameter messaging_product is required")
        if body.get("recipient_type", "individual") != "individual":
            return invalid("recipient_type must be individual")
        to, text = body.get("to"), body.get("text")
        if not _filled(to):
            return invalid("The parameter to is required")
        kind = body.get("type")
        if kind in ("image", "video", "document"):
            media = body.get(kind)
            if not isinstance(media, dict) or media.get("id") not in self.media or "text" in body:
                return invalid(f"A {kind} message needs {kind}.id of uploaded media")
        elif kind != "text" or not isinstance(text, dict) or not _filled(text.get("body")):
            return invalid("A text message needs text.body")
        context = body.get("context")
        if context is not None and (not isinstance(context, dict) or not _filled(context.get("message_id"))):
            return invalid("context.message_id must be a message id")
        wamid = self._new_id("wamid.HBgN")
        self.created[wamid] = body
        return Reply(200, {"messaging_product": "whatsapp",
                           "contacts": [{"input": to, "wa_id": self.wa_ids.get(str(to), to)}],
                           "messages": [{"id": wamid}]})


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


class Hangup:
    """A server that reads each request to its end and closes the connection without a word:
    the request arrived, its answer is lost. ``requests`` holds the raw requests."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                while length and len(body) < int(length.group(1)) and (chunk := conn.recv(65536)):
                    body += chunk
                self.requests.append(head + b"\r\n\r\n" + body)

    def __enter__(self) -> Hangup:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(OSError):  # shutting it down wakes the serving thread's accept()
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(5)

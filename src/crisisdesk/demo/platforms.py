"""Where the demo's channels send: a small HTTP server on 127.0.0.1 that answers as the platforms do.

Replies, private replies and moderation leave crisisdesk through the channels' connectors and the
outbox, as in production; the demo's accounts must not reach Meta or Viber, yet a reply that ends
"failed: connection refused" would show nothing of the inbox. So ``api_base`` of Voltaro's
WhatsApp number, Facebook page and Viber bot points here, and this server takes the calls those
connectors make and answers in the documented shape (../shared/docs/CHANNEL-APIS.md §1.5, §2.2,
§3.2): a Graph answer for ``/{version}/{page}/messages`` (private reply), ``/{version}/{number}/messages``
(WhatsApp; files uploaded first to ``/{number}/media`` or a page's ``/message_attachments``),
``/{version}/{comment}/comments`` (public reply) and ``/{version}/{comment}`` with
``is_hidden`` (hide, unhide), a ``DELETE``, and Viber's ``/viber/send_message``. A call without this
run's token is refused the way the platform refuses it (Graph code 190, Viber status 2), so a wrong
configuration shows as it would in production. What was sent is kept, in order, for the summary.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import orjson

MAX_BODY: Final = 120 * 1024 * 1024  # a WhatsApp document may have 100 MB
_GRAPH: Final = re.compile(
    r"^/v\d+\.\d+/(?P<path>[\w.\-:]+(?:/(?P<edge>messages|comments|feed|media|message_attachments))?)$")
VIBER_PREFIX: Final = "/viber"


@dataclass(frozen=True)
class Call:
    """One call a connector made: which platform, what it did, to what, with which text."""

    platform: str  # facebook | whatsapp | viber
    action: str  # reply_public | reply_private | hide | unhide | delete
    target: str  # the comment, the person or the account
    text: str | None
    external_id: str | None  # the id the answer gave the new message or comment
    at: datetime  # wall clock, UTC


class PlatformSink:
    """``with PlatformSink(graph_tokens={...}, viber_token=...) as platforms:``; ``platforms.url`` is
    the channels' ``api_base`` (Viber's: ``platforms.viber_url``)."""

    def __init__(self, *, graph_tokens: Mapping[str, str], viber_token: str, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        #: Bearer token → the account (page or phone number id) it belongs to.
        self.graph_tokens = dict(graph_tokens)
        self.viber_token = viber_token
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "crisisdesk-demo-platforms"

            def do_POST(self) -> None:
                self._answer("POST")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._reply(413, {"error": {"message": "too large", "code": 100}})
                    self.close_connection = True
                    return
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = sink.answer(method, self.path, headers, raw)
                self._reply(status, answer)

            def _reply(self, status: int, answer: dict[str, Any]) -> None:
                raw = orjson.dumps(answer)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the connector gave up; the outbox decides what that means

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the demo shows what was sent; no access log on the terminal

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="demo-platforms", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def viber_url(self) -> str:
        return self.url + VIBER_PREFIX

    def start(self) -> PlatformSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> PlatformSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    # -- answering ----------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Mapping[str, str],
               raw: bytes) -> tuple[int, dict[str, Any]]:
        """The platform's answer to one call (status, JSON body)."""
        if headers.get("content-type", "").startswith("multipart/form-data"):
            return self._upload(path, headers)
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return 400, _graph_error(100, "(#100) the body is not a JSON object")
        if path.startswith(VIBER_PREFIX + "/"):
            return self._viber(path.removeprefix(VIBER_PREFIX + "/"), headers, body)
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token not in self.graph_tokens:
            return 400, _graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        match = _GRAPH.match(path.split("?", 1)[0])
        if match is None:
            return 400, _graph_error(100, f"Unknown path components: {path}")
        node, edge = match["path"].split("/", 1)[0], match["edge"]
        if method == "DELETE" and edge is None:
            self._keep("facebook", "delete", node, None, None)
            return 200, {"success": True}
        if edge is None:
            if not isinstance(body.get("is_hidden"), bool):
                return 400, _graph_error(100, "(#100) is_hidden must be a boolean")
            self._keep("facebook", "hide" if body["is_hidden"] else "unhide", node, None, None)
            return 200, {"success": True}
        text = _text(body)
        if text is None:
            return 400, _graph_error(100, "(#100) a message needs a text")
        if edge == "feed":  # a post on the page: a stakeholder update published by the crisis team
            new = f"{node}_{8_000_000 + next(self._ids)}"
            self._keep("facebook", "publish", node, text, new)
            return 200, {"id": new}
        if edge == "comments":
            new = f"{node.split('_', 1)[0]}_{9_000_000 + next(self._ids)}"
            self._keep("facebook", "reply_public", node, text, new)
            return 200, {"id": new}
        if body.get("messaging_product") == "whatsapp":
            to = str(body.get("to") or "")
            if not to:
                return 400, _graph_error(100, "(#100) the parameter to is required")
            new = f"wamid.demo{next(self._ids):010d}"
            self._keep("whatsapp", "reply_private", to, text, new)
            return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                         "messages": [{"id": new}]}
        recipient = body.get("recipient")
        if not isinstance(recipient, dict) or not recipient:
            return 400, _graph_error(100, "(#100) the parameter recipient is required")
        who = str(next(iter(recipient.values())))
        new = f"m_demo{next(self._ids):010d}"
        self._keep("facebook", "reply_private", who, text, new)
        return 200, {"recipient_id": f"psid-{who}", "message_id": new}

    def _upload(self, path: str, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """A file uploaded before the message that shows it: WhatsApp's ``/{number}/media``
        (answered with a media id) and Messenger's ``/{page}/message_attachments``."""
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token not in self.graph_tokens:
            return 400, _graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        match = _GRAPH.match(path.split("?", 1)[0])
        if match is None or match["edge"] not in ("media", "message_attachments"):
            return 400, _graph_error(100, f"Unknown upload path: {path}")
        new = f"demo-media-{next(self._ids)}"
        return 200, {"id": new} if match["edge"] == "media" else {"attachment_id": new}

    def _viber(self, method: str, headers: Mapping[str, str],
               body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if headers.get("x-viber-auth-token") != self.viber_token:
            return 200, {"status": 2, "status_message": "invalidAuthToken"}
        if method != "send_message":
            return 200, {"status": 0, "status_message": "ok"}
        receiver, text = body.get("receiver"), body.get("text")
        if not receiver or not isinstance(text, str) or not text.strip():
            return 200, {"status": 4, "status_message": "missingData"}
        token = 5_000_000_000 + next(self._ids)
        self._keep("viber", "reply_private", str(receiver), text, str(token))
        return 200, {"status": 0, "status_message": "ok", "message_token": token}

    def _keep(self, platform: str, action: str, target: str, text: str | None,
              external_id: str | None) -> None:
        with self._lock:
            self._calls.append(Call(platform, action, target, text, external_id, datetime.now(UTC)))


def _text(body: Mapping[str, Any]) -> str | None:
    """The text of a comment (``message``), a Send API message or a WhatsApp text."""
    for value in (body.get("message"), body.get("text")):
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict):
            inner = value.get("text") or value.get("body")
            if isinstance(inner, str) and inner.strip():
                return inner
            if isinstance(value.get("attachment"), dict):  # a Messenger file, after the text
                return "[attachment]"
    for kind in ("image", "video", "document"):  # a WhatsApp media message: its caption
        media = body.get(kind)
        if isinstance(media, dict) and media.get("id"):
            caption = media.get("caption")
            return caption if isinstance(caption, str) and caption.strip() else f"[{kind}]"
    return None


def _graph_error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "demo"}}

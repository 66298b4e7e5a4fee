"""A threaded HTTP server on 127.0.0.1 that records every request and answers from a script.

Used as the far end of Slack, Teams, webhook and Telegram deliveries: tests assert on the bytes
that arrived, and script failures (``Reply(500)`` twice, then the default ``200``; ``Reply(429,
headers={"Retry-After": "7"})``; ``Reply(delay=5)`` for a server that hangs past the timeout).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float  # time.monotonic() when the body had arrived

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sit on the request before answering


Responder = Callable[[Recorded], Reply]


class HttpSink:
    """Start with ``with HttpSink() as sink:``; ``sink.url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, default: Reply | None = None, responder: Responder | None = None) -> None:
        self.default = default or Reply()
        self.responder = responder
        self.requests: list[Recorded] = []
        self._script: deque[Reply] = deque()
        self._cond = threading.Condition()
        self._closing = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def do_DELETE(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(self.command, self.path,
                               {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                reply = sink._next_reply(rec)
                if reply.delay and sink._closing.wait(reply.delay):
                    return  # the sink is shutting down: drop the request
                raw = reply.body
                content_type = "text/plain; charset=utf-8"
                if isinstance(raw, dict | list):
                    raw, content_type = orjson.dumps(raw), "application/json"
                elif isinstance(raw, str):
                    raw = raw.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(raw)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (timeout): that is what the test wanted

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then the responder or the default."""
        with self._cond:
            self._script.extend(replies)

    def _next_reply(self, rec: Recorded) -> Reply:
        with self._cond:
            self.requests.append(rec)
            self._cond.notify_all()
            if self._script:
                return self._script.popleft()
        return self.responder(rec) if self.responder else self.default

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Recorded]:
        """Block until ``count`` requests have arrived; returns them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
            return list(self.requests)

    def start(self) -> HttpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

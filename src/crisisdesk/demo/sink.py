"""The demo's notification receiver: a small threaded HTTP server on 127.0.0.1.

``crisisdesk demo`` points every notify target of its workspace here, so the escalation's
deliveries really leave the process (signed webhooks, Slack and Teams payloads over HTTP) without
reaching anybody. Targets are served at ``/<kind>/<name>``: ``/webhook/lead-pager``,
``/slack/social-media``, ``/teams/management``. A webhook is checked like a real receiver checks
it (``crisisdesk.notify.webhook.verify``: HMAC-SHA256 over the timestamp and the raw body, within
the timestamp tolerance); a bad signature is refused with 401 and counted, never recorded as
received. Every accepted message is parsed into a :class:`Received` (situation, kind, headline,
acknowledgement link) so that the demo can show it and its crisis lead can click the link.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import orjson

from crisisdesk.notify import render
from crisisdesk.notify.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

KINDS: Final = frozenset({"webhook", "slack", "teams"})
MAX_BODY: Final = 1_000_000
_PATH: Final = re.compile(r"^/(?P<kind>[a-z]+)/(?P<name>[\w][\w.\-]*)$")
_ACK: Final = re.compile(r"/ack/(?P<sid>\d+)\?t=(?P<token>[\w.\-]+)")
#: Headline kind labels of every language → notification kind ("Neue Lage" → "opened").
_KIND_LABELS: Final = {
    label: key.removeprefix("kind.")
    for strings in render.STRINGS.values() for key, label in strings.items() if key.startswith("kind.")
}


@dataclass(frozen=True)
class Received:
    """One accepted notification, as the demo shows it."""

    target: str  # the target's name (the last part of the path)
    kind: str  # webhook | slack | teams
    received_at: datetime  # wall clock, UTC
    headline: str
    situation: int | None
    notification_kind: str | None  # opened | escalated | resolved …
    ack_url: str | None
    occurred_at: datetime | None  # stream time of the step (webhooks carry it)
    delivery_id: str | None  # X-Crisisdesk-Delivery (webhooks)


@dataclass(frozen=True)
class Refused:
    target: str
    kind: str
    status: int
    reason: str


class NotificationSink:
    """Start with ``with NotificationSink({"lead-pager": secret}) as sink:``; ``sink.url`` is the base.

    ``secrets`` maps webhook target names to their signing secrets; a webhook to a name without
    one is refused (404), as is any other path. ``now`` is the receiver's clock for the signature
    window (seconds since the epoch).
    """

    def __init__(self, secrets: Mapping[str, str] | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 now: Callable[[], float] = time.time) -> None:
        self.secrets = dict(secrets or {})
        self._now = now
        self._received: list[Received] = []
        self._refused: list[Refused] = []
        self._cond = threading.Condition()
        self._seen: set[str] = set()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "crisisdesk-demo-sink"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._reply(413, b"too large")
                    self.close_connection = True
                    return
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, text = sink.accept(self.path, headers, body)
                self._reply(status, text.encode())

            def do_GET(self) -> None:
                self._reply(405, b"POST only")

            def _reply(self, status: int, raw: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the sender gave up; it will retry

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the demo shows what arrived; no access log on the terminal

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="demo-sink", daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> NotificationSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> NotificationSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- what arrived -------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._cond:
            return list(self._received)

    @property
    def refused(self) -> list[Refused]:
        with self._cond:
            return list(self._refused)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until ``count`` notifications were accepted (or ``timeout``); returns them all."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._received) >= count, timeout)
            return list(self._received)

    # -- receiving ----------------------------------------------------------------------------

    def accept(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """Check and record one POST; returns the HTTP status and body to answer with."""
        match = _PATH.match(path)
        if match is None or match["kind"] not in KINDS:
            return 404, "no such target"
        kind, name = match["kind"], match["name"]
        if kind == "webhook":
            problem = self._check_signature(name, headers, body)
            if problem is not None:
                status, reason = problem
                with self._cond:
                    self._refused.append(Refused(name, kind, status, reason))
                return status, reason
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 400, "not JSON"
        if not isinstance(payload, dict):
            return 400, "expected a JSON object"
        record = _parse(name, kind, payload, headers.get(DELIVERY_HEADER.lower()))
        with self._cond:
            if record.delivery_id is not None:
                if record.delivery_id in self._seen:
                    return 200, "ok (duplicate)"  # at-least-once delivery: dedupe on the id
                self._seen.add(record.delivery_id)
            self._received.append(record)
            self._cond.notify_all()
        return 200, "ok" if kind != "teams" else "1"

    def _check_signature(self, name: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str] | None:
        secret = self.secrets.get(name)
        if secret is None:
            return 404, "no such webhook"
        timestamp = headers.get(TIMESTAMP_HEADER.lower(), "")
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        if not timestamp or not signature:
            return 401, "unsigned"
        if not verify(secret, body=body, timestamp=timestamp, signature=signature, now=self._now()):
            return 401, "bad signature or stale timestamp"
        return None


def _parse(name: str, kind: str, payload: dict[str, Any], delivery: str | None) -> Received:
    """The facts the demo shows, from any of the three payload shapes."""
    now = datetime.now(UTC)
    if kind == "webhook":
        note = payload.get("notification") if isinstance(payload.get("notification"), dict) else {}
        assert isinstance(note, dict)
        sid = note.get("situation_id")
        occurred = note.get("occurred_at")
        return Received(
            name, kind, now, str(payload.get("text") or note.get("title") or ""),
            sid if isinstance(sid, int) else None, _str(note.get("kind")), _str(note.get("ack_url")),
            datetime.fromisoformat(occurred) if isinstance(occurred, str) else None,
            delivery or _str(payload.get("id")),
        )
    if kind == "slack":
        headline = ""
        for block in payload.get("blocks") or ():
            if isinstance(block, dict) and block.get("type") == "header":
                headline = str((block.get("text") or {}).get("text") or "")
                break
    else:
        headline = str(payload.get("summary") or "")
    link = _ACK.search(orjson.dumps(payload).decode())
    ack = link.group(0) if link else None
    url = _find_url(payload, ack) if ack else None
    return Received(name, kind, now, headline, int(link["sid"]) if link else None, _kind_of(headline),
                    url, None, delivery)


def _kind_of(headline: str) -> str | None:
    """``Hoch · Lage eskaliert: …`` → ``escalated`` (Slack and Teams carry no kind field)."""
    parts = headline.split(" · ", 1)
    label = parts[1].split(":", 1)[0] if len(parts) == 2 else ""
    return _KIND_LABELS.get(label)


def _find_url(value: Any, ack: str) -> str | None:
    """The whole acknowledgement URL wherever the payload nests it."""
    if isinstance(value, str):
        return value if value.startswith("http") and ack in value else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = _find_url(item, ack)
        if found:
            return found
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None

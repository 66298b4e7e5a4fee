"""A generic JSON webhook, signed so that the receiver can trust it and refuse replays.

Signature scheme (docs/notifications.md has a receiver snippet)::

    X-Crisisdesk-Timestamp: <unix seconds of this attempt>
    X-Crisisdesk-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.".encode() + raw_body)>

The timestamp is inside the signed bytes, so an old request cannot be replayed with a fresh
timestamp; a receiver rejects timestamps further than five minutes from its clock. Every attempt
of one delivery carries the same ``X-Crisisdesk-Delivery`` id (and ``id`` in the body): delivery is
at-least-once, receivers dedupe on it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from crisisdesk.notify import render
from crisisdesk.notify.base import (
    DeliveryContext,
    DeliveryResult,
    SenderDeps,
    context_key,
    excerpt,
    post_json,
)
from crisisdesk.notify.schemas import Notification, NotificationKind, WebhookTarget

SIGNATURE_HEADER = "X-Crisisdesk-Signature"
TIMESTAMP_HEADER = "X-Crisisdesk-Timestamp"
DELIVERY_HEADER = "X-Crisisdesk-Delivery"
EVENT_HEADER = "X-Crisisdesk-Event"
#: How far a receiver should let the timestamp differ from its own clock.
TOLERANCE_SECONDS = 300
SCHEMA_VERSION = 1


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of ``X-Crisisdesk-Signature`` for these raw body bytes."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str, *, body: bytes, timestamp: str, signature: str, now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: check the timestamp window, then compare in constant time."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def event_name(n: Notification) -> str:
    """``situation.opened`` …, ``inbox.notice`` for a notice about a conversation, or
    ``workspace.reminder`` for a reminder about the plans, ``crisis.update`` for a stakeholder update."""
    if n.kind is NotificationKind.REMINDER:
        return "workspace.reminder"
    if n.kind is NotificationKind.UPDATE:
        return "crisis.update"
    return "inbox.notice" if n.kind is NotificationKind.INBOX else f"situation.{n.kind.value}"


def body(n: Notification, *, key: str) -> dict[str, Any]:
    """The JSON document: the notification as stored, plus an id and a one-line text."""
    return {
        "version": SCHEMA_VERSION,
        "id": key,
        "event": event_name(n),
        "text": render.headline(n),
        "notification": n.model_dump(mode="json"),
    }


class WebhookSender:
    def __init__(self, deps: SenderDeps) -> None:
        self.deps = deps

    def send(
        self, notification: Notification, target: WebhookTarget, *, context: DeliveryContext | None = None
    ) -> DeliveryResult:
        key = context_key(notification, context)
        raw = orjson.dumps(body(notification, key=key))
        timestamp = int(self.deps.clock.now().timestamp())
        headers = {
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(target.secret.get_secret_value(), timestamp, raw),
            DELIVERY_HEADER: key,
            EVENT_HEADER: event_name(notification),
        }
        response = post_json(self.deps, target.url, body=raw, timeout=target.timeout,
                             what=f"webhook {_host(target.url)}", headers=headers)
        return DeliveryResult(detail=f"HTTP {response.status_code} {excerpt(response.text, 40)}".rstrip())


def _host(url: str) -> str:
    """Scheme and host only: paths and queries of webhook URLs often hold tokens."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}"

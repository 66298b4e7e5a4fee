"""The one protocol every notification channel implements, and how failures are classified.

A sender either returns a :class:`DeliveryResult` or raises one of two errors: a
:class:`RetryableError` (the target may accept the same message later: timeouts, connection
errors, HTTP 429 and 5xx, SMTP 4xx) or a :class:`PermanentError` (sending it again cannot help:
HTTP 4xx, SMTP 5xx, a rejected token). The dispatcher owns the retry schedule; a sender never
sleeps and never retries by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

import httpx

from crisisdesk.core.clock import Clock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.notify.schemas import Notification, SmtpConfig

#: The longest Retry-After we honour; a target asking for more is retried after this.
MAX_RETRY_AFTER = 3600.0


class DeliveryError(CrisisdeskError):
    """A delivery attempt failed; the message is safe to log (no secrets, no full URLs)."""


class RetryableError(DeliveryError):
    """Try again later; ``retry_after`` (seconds) is the target's own wish, when it said one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Sending the same message again cannot succeed; the delivery is marked failed."""


@dataclass(frozen=True)
class DeliveryResult:
    """What the target said when it accepted the message."""

    detail: str = "accepted"
    remote_id: str | None = None  # Telegram message_id, the e-mail Message-ID


@dataclass(frozen=True)
class DeliveryContext:
    """Per-delivery facts a sender may need beyond the message and the target."""

    key: str  # the outbox's dedupe key: the same for every attempt of one delivery
    attempt: int = 1


T_contra = TypeVar("T_contra", contravariant=True)


class Sender(Protocol[T_contra]):
    """Delivers one notification to one target of its kind."""

    def send(
        self, notification: Notification, target: T_contra, *, context: DeliveryContext | None = None
    ) -> DeliveryResult: ...


def context_key(notification: Notification, context: DeliveryContext | None) -> str:
    """The idempotency key a receiver may dedupe on (stable across retries and restarts)."""
    if context is not None:
        return context.key
    if notification.situation_id is None:
        return f"conversation:{notification.conversation_id}:{notification.kind.value}"
    return f"situation:{notification.situation_id}:{notification.kind.value}"


@dataclass
class SenderDeps:
    """What senders share: one HTTP client (thread-safe), the clock, the SMTP server."""

    http: httpx.Client
    clock: Clock
    smtp: SmtpConfig | None = None
    user_agent: str = "crisisdesk-notify/1"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse an HTTP ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            at = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        seconds = (at - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def excerpt(body: str, limit: int = 200) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def post_json(
    deps: SenderDeps, url: str, *, body: bytes, timeout: float, what: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a JSON body and classify the outcome; returns only 2xx responses.

    ``what`` names the target in errors instead of the URL, which may contain a credential.
    """
    all_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": deps.user_agent}
    all_headers.update(headers or {})
    try:
        response = deps.http.post(url, content=body, headers=all_headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{what}: timed out after {timeout:g} s ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"{what}: {type(exc).__name__}: {excerpt(str(exc))}") from exc
    raise_for_status(response, what=what, now=deps.clock.now())
    return response


def raise_for_status(response: httpx.Response, *, what: str, now: datetime) -> None:
    code = response.status_code
    if 200 <= code < 300:
        return
    message = f"{what}: HTTP {code} {excerpt(response.text)}".rstrip()
    if code == 429 or code >= 500 or code == 408:
        raise RetryableError(
            message, retry_after=retry_after_seconds(response.headers.get("Retry-After"), now)
        )
    raise PermanentError(message)

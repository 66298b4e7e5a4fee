"""Checking that a webhook delivery comes from the platform, over the raw bytes.

Re-serialising parsed JSON changes bytes (key order, ``\\u00e4`` vs ``ä``) and breaks the HMAC,
so every check here takes the body exactly as received, and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from crisisdesk.channels.base import WebhookRejected


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (Starlette's headers and plain dicts alike)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def hmac_sha256_hex(key: str, body: bytes) -> str:
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def check_hmac(header: str | None, *, key: str, body: bytes, prefix: str = "", name: str) -> None:
    """Raise unless ``header`` is ``prefix`` + the lowercase hex HMAC-SHA256 of ``body`` under ``key``."""
    if not header:
        raise WebhookRejected(f"no {name} header: unsigned deliveries are refused")
    if prefix and not header.startswith(prefix):
        raise WebhookRejected(f"{name} does not start with {prefix!r}")
    given = header[len(prefix):].strip().lower()
    if not hmac.compare_digest(given.encode("ascii", "replace"), hmac_sha256_hex(key, body).encode("ascii")):
        raise WebhookRejected(f"{name} does not match the body: forged, or signed with another secret")


def check_token(header: str | None, *, secret: str, name: str) -> None:
    """Raise unless the shared secret sent in ``header`` is ours (Telegram's secret token)."""
    if not header:
        raise WebhookRejected(f"no {name} header: unsigned deliveries are refused")
    if not hmac.compare_digest(header.encode("utf-8", "replace"), secret.encode("utf-8")):
        raise WebhookRejected(f"{name} is not this channel's secret")

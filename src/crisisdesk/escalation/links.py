"""Signed acknowledgement links: whoever holds the link may acknowledge that one situation.

The token is an HMAC-SHA256 over the situation id and an expiry, with the deployment's secret
key, so links in e-mails and chats need no login, cannot be forged for another situation, and
stop working after ``TTL``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

TTL = timedelta(days=7)


def _sign(secret: str, situation_id: int, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"ack:{situation_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode().rstrip("=")


def make_token(secret: str, situation_id: int, now: datetime) -> str:
    expires = int((now + TTL).timestamp())
    return f"{expires}.{_sign(secret, situation_id, expires)}"


def check_token(secret: str, situation_id: int, token: str, now: datetime) -> str | None:
    """None when the token is good; otherwise why not (for the error page)."""
    expires_text, _, mac = token.partition(".")
    if not expires_text.isdigit() or not mac:
        return "the link is malformed"
    if not hmac.compare_digest(mac, _sign(secret, situation_id, int(expires_text))):
        return "the link is not valid for this situation"
    if now.timestamp() > int(expires_text):
        return "the link has expired"
    return None


def ack_url(base_url: str, secret: str, situation_id: int, now: datetime) -> str:
    return f"{base_url.rstrip('/')}/ack/{situation_id}?t={make_token(secret, situation_id, now)}"

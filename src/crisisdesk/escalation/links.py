"""Signed acknowledgement links: whoever holds the link may acknowledge the one escalation step it
was sent for, once, as the recipient it was sent to.

The token is an HMAC-SHA256 with the deployment's secret key over the situation, the escalation,
the step (counted over all rounds), the recipient and an expiry, so links in e-mails and chats
need no login and cannot be forged for another situation, a later escalation of the same
situation (a raised severity starts a new one), or another person. They stop working after
``TTL``; a link is used once (``ack_link_uses``, see :func:`crisisdesk.escalation.actions.use_link`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

TTL = timedelta(days=7)


@dataclass(frozen=True)
class AckLink:
    """What a valid link stands for."""

    situation_id: int
    escalation_id: int
    #: The escalation's step counter when the notification went out (0: the first step).
    step: int
    #: Who the link was sent to: a person's key (``anna``) or ``target:NAME`` for a target
    #: notified directly by a policy. This, not a typed name, is who acknowledges.
    recipient: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, link: AckLink) -> str:
    message = f"ack:{link.situation_id}:{link.escalation_id}:{link.step}:{link.recipient}:{link.expires}"
    return _b64(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()[:18])


def make_token(secret: str, situation_id: int, *, escalation_id: int, step: int, recipient: str,
               now: datetime) -> str:
    """``<escalation>.<step>.<recipient, base64url>.<expires>.<mac>``: only URL-safe characters."""
    link = AckLink(situation_id, escalation_id, step, recipient, int((now + TTL).timestamp()))
    return (f"{escalation_id}.{step}.{_b64(recipient.encode())}.{link.expires}."
            f"{_sign(secret, link)}")


def read_token(secret: str, situation_id: int, token: str, now: datetime) -> AckLink | str:
    """The link the token stands for, or why it does not work (for the page)."""
    parts = token.split(".")
    if len(parts) != 5 or not all(p.isdigit() for p in (parts[0], parts[1], parts[3])) or not parts[4]:
        return "the link is malformed"
    try:
        recipient = _unb64(parts[2]).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "the link is malformed"
    link = AckLink(situation_id, int(parts[0]), int(parts[1]), recipient, int(parts[3]))
    if not recipient or not hmac.compare_digest(parts[4], _sign(secret, link)):
        return "the link is not valid for this situation"
    if now.timestamp() > link.expires:
        return "the link has expired"
    return link


def check_token(secret: str, situation_id: int, token: str, now: datetime) -> str | None:
    """None when the token is good; otherwise why not."""
    found = read_token(secret, situation_id, token, now)
    return found if isinstance(found, str) else None


def ack_url(base_url: str, secret: str, situation_id: int, *, escalation_id: int, step: int,
            recipient: str, now: datetime) -> str:
    token = make_token(secret, situation_id, escalation_id=escalation_id, step=step, recipient=recipient,
                       now=now)
    return f"{base_url.rstrip('/')}/ack/{situation_id}?t={token}"

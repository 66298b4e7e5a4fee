"""How a Mastodon instance refuses a call, as the :class:`PlatformError` the core acts on.

One reading for polling and sending (CHANNEL-APIS §6.3, §6.4): ``429`` waits until
``X-RateLimit-Reset``; ``401`` means the token is dead; ``403`` names a missing scope (a token
made for reading only cannot post: a new token is needed); other 4xx (``404 Record not found``,
``422 Validation failed: …``) cannot succeed when repeated; 5xx may.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.http import retry_after


def until_reset(response: httpx.Response) -> float:
    """Seconds until ``X-RateLimit-Reset`` (an ISO time), else Retry-After, else a minute."""
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(1.0, (moment - datetime.now(UTC)).total_seconds())
        except ValueError:
            pass
    return retry_after(response) or 60.0


def said(response: httpx.Response) -> str | None:
    """The instance's own words (``{"error": "…"}``), if it gave any."""
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error else None


def refusal(response: httpx.Response, what: str = "") -> PlatformError:
    """The error for a non-2xx answer; ``what`` names the call (``POST /api/v1/statuses``)."""
    status = response.status_code
    text = f"{what + ': ' if what else ''}({status}) {said(response) or response.reason_phrase}"
    if status == 429:
        return PlatformError(f"{text}: rate limited", code=429, retry_after=until_reset(response))
    if status == 401:
        return PlatformError(f"{text}: the access token is invalid or was revoked", code=401,
                             permanent=True, reauthorize=True)
    if status == 403 and "scope" in text.lower():
        return PlatformError(f"{text}: the access token lacks this scope (make one with write:statuses "
                             "and write:blocks)", code=403, permanent=True, reauthorize=True)
    return PlatformError(text, code=status, permanent=status < 500, retry_after=retry_after(response))

"""Meta's Graph API, as far as the connectors use it, with Graph errors classified.

Throttling comes back as HTTP 400/403 with a code, rarely as 429, so errors are classified by
``error.code`` (../shared/docs/CHANNEL-APIS.md §1.7, §2.4): 190 is a dead token (reauthorize),
4/17/32/613/80001/341 and WhatsApp's 130429/131056 are rate limits (retry later), 1/2/131000
transient, everything else permanent. Refusals people must act on (a closed 24-hour window, a
number not on WhatsApp) get a reason in plain words after Meta's own message.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.http import client, request_json, retry_after
from crisisdesk.channels.meta.config import MetaChannelConfig

GRAPH = "https://graph.facebook.com"
_THROTTLED = {4, 17, 32, 341, 613, 80001, 80007, 130429, 131056}
_TRANSIENT = {1, 2, 131000}
#: Seconds to wait when a rate limit names no time: Graph's app and page limits last minutes,
#: WhatsApp's throughput limit about a second, its pair limit about one message per 6 s.
_BACKOFF = {130429: 2.0, 131056: 6.0}
_DEFAULT_BACKOFF = 60.0

WINDOW_CLOSED = ("the 24-hour messaging window is closed: the person has not written for 24 hours "
                 "and has to write again before an answer can reach them")
TEMPLATE_NEEDED = "the 24-hour customer service window is closed: a template message is needed"
#: Subcodes of code 10 that mean the Messenger (2018278) or Instagram (2534022) window is closed.
_WINDOW_SUBCODES = {2018278, 2534022}
#: Permanent refusals and what they mean for the people at the desk.
_REASONS = {
    131047: TEMPLATE_NEEDED,
    131026: ("the message cannot be delivered: the number is not on WhatsApp, its app is too old, or "
             "the person has not accepted the current terms"),
    131048: "WhatsApp's spam rate limit: too many of this number's messages were blocked or reported",
    131049: "WhatsApp holds back marketing messages to this person for now",
    551: "this person cannot be reached right now (they may have blocked the account or left)",
    368: "the account is temporarily blocked for policy violations; people must look at it",
    506: "a duplicate of what was just posted",
}


class GraphClient:
    def __init__(self, config: MetaChannelConfig, *, default_base: str = GRAPH) -> None:
        self.base = config.base(default_base)
        self.version = config.graph_version
        self._http = client(self.base, headers={
            "Authorization": f"Bearer {config.access_token.get_secret_value()}"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(self, path: str, **params: str) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, json=body)

    def delete(self, path: str) -> dict[str, Any]:
        return self._call("DELETE", path)

    def upload(self, path: str, fields: dict[str, str], field: str, filename: str, data: bytes,
               content_type: str) -> dict[str, Any]:
        """A multipart/form-data POST with one file (WhatsApp's ``/media``, Messenger's
        ``/message_attachments``)."""
        return self._call("POST", path, data=fields, files={field: (filename, data, content_type)})

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response, data = request_json(self._http, method, f"/{self.version}/{path.lstrip('/')}", **kwargs)
        if response.is_success and isinstance(data, dict):
            return data
        raise graph_error(response, data)


def graph_error(response: httpx.Response, data: Any) -> PlatformError:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return PlatformError(f"HTTP {response.status_code} without a Graph error body",
                             permanent=response.status_code < 500 and response.status_code != 429,
                             retry_after=retry_after(response))
    raw_code = error.get("code")
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    subcode = error.get("error_subcode")
    text = str(error.get("message") or "no message")
    text = text.removeprefix(f"(#{raw_code}) ")  # WhatsApp repeats the code in its message
    message = f"({raw_code}) {text}"
    if subcode:
        message += f" [subcode {subcode}]"
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    if details and details != text:
        message += f" ({details})"
    if code == 190:
        return PlatformError(f"{message}: the access token expired or was revoked; set a new one",
                             code=code, permanent=True, reauthorize=True)
    if code in _THROTTLED or response.status_code == 429:
        wait = retry_after(response) or regain_access(response) or _BACKOFF.get(code or 0, _DEFAULT_BACKOFF)
        return PlatformError(f"{message}: rate limited", code=code, retry_after=wait)
    if code in _TRANSIENT or response.status_code >= 500:
        return PlatformError(message, code=code, retry_after=retry_after(response))
    window_subcode = isinstance(subcode, int) and subcode in _WINDOW_SUBCODES
    if code == 10 and (window_subcode or "allowed window" in text):
        return PlatformError(f"{message}: {WINDOW_CLOSED}", code=code, permanent=True)
    reason = _REASONS.get(code or 0)
    if reason is None and code is not None and 200 <= code <= 299:
        reason = "a permission is missing or was revoked"
    return PlatformError(f"{message}: {reason}" if reason else message, code=code, permanent=True)


def regain_access(response: httpx.Response) -> float | None:
    """Seconds until a throttled page may call again: the largest ``estimated_time_to_regain_access``
    (minutes) in ``X-Business-Use-Case-Usage``; None when the header names none."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    minutes = [entry.get("estimated_time_to_regain_access") for entries in
               (usage.values() if isinstance(usage, dict) else []) if isinstance(entries, list)
               for entry in entries if isinstance(entry, dict)]
    numbers = [float(m) for m in minutes if isinstance(m, int | float) and not isinstance(m, bool) and m > 0]
    return max(numbers) * 60.0 if numbers else None

"""X API v2 over HTTP: reading with the app's bearer token, acting as our account with OAuth 1.0a
user context (:mod:`.oauth1`). Rate-limit headers are read on every answer, and errors (problem
JSON, or the legacy ``{"errors": [{"code": 88}]}``) turned into readable :class:`PlatformError` s:
401 dead credentials, 429 wait until ``x-rate-limit-reset``, 5xx retry, other 4xx (403 duplicate
content, not allowed) permanent with X's own words. See CHANNEL-APIS.md §5.5–5.6."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.http import client, unreachable
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.oauth1 import UserContext

API = "https://api.x.com"
#: Wait after a 429 without a usable reset header (X recommends backing off from one minute).
DEFAULT_THROTTLE = 60.0


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``x-rate-limit-*`` of one answer; ``reset`` is a Unix time in seconds."""

    limit: int | None
    remaining: int | None
    reset: float | None

    @classmethod
    def of(cls, response: httpx.Response) -> RateLimit:
        def number(name: str) -> int | None:
            try:
                return int(response.headers[name])
            except (KeyError, ValueError):
                return None
        reset = number("x-rate-limit-reset")
        return cls(number("x-rate-limit-limit"), number("x-rate-limit-remaining"),
                   float(reset) if reset is not None else None)

    def seconds_to_reset(self, now: float | None = None) -> float | None:
        if self.reset is None:
            return None
        return max(1.0, self.reset - (time.time() if now is None else now))

    def describe(self) -> str:
        if self.remaining is None:
            return "not reported"
        reset = (datetime.fromtimestamp(self.reset, UTC).strftime("%H:%M:%S UTC")
                 if self.reset is not None else "?")
        return f"{self.remaining} of {self.limit if self.limit is not None else '?'} left, resets {reset}"


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: the raw bytes (stored as they came), the decoded JSON, the limits."""

    raw: bytes
    data: dict[str, Any]
    limits: RateLimit


def problem(data: Any) -> str:
    """X's error body in words: ``title: detail`` of problem JSON, plus the legacy or per-parameter
    ``errors[].message`` (a 400 for a bad query says what is wrong only there)."""
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    title, detail = data.get("title"), data.get("detail")
    if title or detail:
        same = title == detail or not (title and detail)
        parts.append(str(title or detail) if same else f"{title}: {detail}")
    for error in data.get("errors") or []:
        if not isinstance(error, dict):
            continue
        message = error.get("message") or error.get("detail")
        code = error.get("code")
        if message and str(message) not in parts[0:1]:
            parts.append(f"({code}) {message}" if code is not None else str(message))
    return "; ".join(parts)


def _legacy_codes(data: Any) -> set[int]:
    if not isinstance(data, dict):
        return set()
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    return {e["code"] for e in errors if isinstance(e.get("code"), int)}


#: What a 401 means, by the credentials the call was made with.
_DEAD = {
    "app": "the bearer token is invalid or was revoked: create a new one in the developer portal",
    "user": "the user-context keys (api_key, api_secret, access_token, access_token_secret) are invalid "
            "or were revoked: generate new ones in the developer portal, with read and write permission",
}


class XApi:
    def __init__(self, config: XConfig) -> None:
        self.base = config.base(API)
        self._token = config.bearer_token
        keys = config.user_context
        #: Our account's OAuth 1.0a keys; None when the channel only listens.
        self.user = UserContext(*(k.get_secret_value() for k in keys)) if keys is not None else None

    def get(self, path: str, params: dict[str, str | int]) -> Answer:
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        try:
            with client(self.base, headers=headers) as http:
                response = http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise unreachable(self.base, exc) from exc
        return self.answer(response)

    def act(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        """A call as our account (user context): posting, hiding, deleting, ``/2/users/me``."""
        if self.user is None:
            raise PlatformError("this X channel has no user-context keys (api_key, api_secret, access_token, "
                                "access_token_secret): it can only listen", permanent=True)
        headers = {"Authorization": self.user.authorization(method, f"{self.base}{path}")}
        try:
            with client(self.base, headers=headers) as http:
                response = http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise unreachable(self.base, exc) from exc
        return self.answer(response, credentials="user")

    def answer(self, response: httpx.Response, *, credentials: str = "app") -> Answer:
        limits = RateLimit.of(response)
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        status = response.status_code
        if response.is_success and isinstance(data, dict):
            return Answer(response.content, data, limits)
        said = problem(data) or (response.text[:200].strip() or "no explanation")
        text = f"HTTP {status}: {said}"
        codes = _legacy_codes(data)
        if status == 429 or 88 in codes:
            wait = limits.seconds_to_reset() or DEFAULT_THROTTLE
            raise PlatformError(f"{text} (rate limited, next try in {wait:.0f} s)", code=status,
                                retry_after=wait)
        if status == 401 or 89 in codes or 32 in codes:
            raise PlatformError(f"{text} ({_DEAD[credentials]})", code=status, permanent=True,
                                reauthorize=True)
        if status >= 500 or status in (408, 409):
            raise PlatformError(text, code=status)
        if response.is_success:  # 2xx without a JSON object: not X speaking
            raise PlatformError(f"HTTP {status} without a JSON answer from X", code=status)
        raise PlatformError(text, code=status, permanent=True)

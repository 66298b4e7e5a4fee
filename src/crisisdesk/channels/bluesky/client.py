"""XRPC calls with an app-password session (``com.atproto.server.createSession``).

Sessions are expensive to create (the PDS allows few per day), so the session is kept in memory
and renewed with ``refreshSession`` when the access token expires (``400``/``401`` with
``ExpiredToken``); only a refused refresh creates a new session. Tokens are never written to the
database: a restart logs in again. A token still expired after the renewal needs a new login
(``reauthorize``).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.http import client, retry_after, unreachable

API = "https://bsky.social"
_EXPIRED = ("ExpiredToken", "InvalidToken")


def _said(response: httpx.Response) -> tuple[str, str]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return "", response.reason_phrase
    error = str(data.get("error") or "")
    return error, str(data.get("message") or error or response.reason_phrase)


def _until_reset(response: httpx.Response) -> float:
    """Seconds until ``RateLimit-Reset`` (Unix seconds), else Retry-After, else a minute."""
    reset = response.headers.get("RateLimit-Reset")
    if reset:
        try:
            return max(1.0, float(reset) - time.time())
        except ValueError:
            pass
    return retry_after(response) or 60.0


def xrpc_error(nsid: str, response: httpx.Response) -> PlatformError:
    error, message = _said(response)
    text = f"{nsid}: ({response.status_code}{' ' + error if error else ''}) {message}"
    if response.status_code == 429:
        return PlatformError(f"{text}: rate limited", code=429, retry_after=_until_reset(response))
    if response.status_code == 401 or error in ("AuthenticationRequired", "AccountTakedown", *_EXPIRED):
        return PlatformError(f"{text}: the handle or app password is wrong or was revoked", code=error or 401,
                             permanent=True, reauthorize=True)
    return PlatformError(text, code=error or response.status_code,
                         permanent=400 <= response.status_code < 500, retry_after=retry_after(response))


class Xrpc:
    def __init__(self, config: BlueskyConfig) -> None:
        self.config = config
        self.base = config.base(API)
        self.did: str | None = None
        self.handle: str | None = None
        self._access: str | None = None
        self._refresh: str | None = None

    def _send(self, method: str, nsid: str, *, token: str | None = None, params: Any = None,
              json: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            with client(self.base, headers=headers) as http:
                return http.request(method, f"/xrpc/{nsid}", params=params, json=json)
        except httpx.HTTPError as exc:
            raise unreachable(self.base, exc) from exc

    def _take(self, data: Any, nsid: str) -> None:
        if not isinstance(data, dict) or not data.get("accessJwt") or not data.get("did"):
            raise PlatformError(f"{nsid} answered without a session", permanent=True)
        self._access, self._refresh = str(data["accessJwt"]), str(data.get("refreshJwt") or "") or None
        self.did, self.handle = str(data["did"]), str(data.get("handle") or self.config.handle)

    def login(self) -> None:
        nsid = "com.atproto.server.createSession"
        response = self._send("POST", nsid, json={
            "identifier": self.config.handle, "password": self.config.app_password.get_secret_value()})
        if not response.is_success:
            raise xrpc_error(nsid, response)
        self._take(response.json(), nsid)

    def _renew(self) -> None:
        """Refresh the session, or log in again when the refresh token is refused too."""
        nsid = "com.atproto.server.refreshSession"
        if self._refresh:
            response = self._send("POST", nsid, token=self._refresh)
            if response.is_success:
                self._take(response.json(), nsid)
                return
            if response.status_code == 429:
                raise xrpc_error(nsid, response)
        self.login()

    def call(self, method: str, nsid: str, *, params: Any = None, json: Any = None) -> Any:
        """One call with the session (logged in first if there is none, renewed once if the access
        token expired); the answer's JSON, or the :class:`PlatformError` for the refusal."""
        if self._access is None:
            self.login()
        response = self._send(method, nsid, token=self._access, params=params, json=json)
        if response.status_code in (400, 401) and _said(response)[0] in (*_EXPIRED, "AuthenticationRequired"):
            self._renew()
            response = self._send(method, nsid, token=self._access, params=params, json=json)
        if not response.is_success:
            raise xrpc_error(nsid, response)
        try:
            return response.json()
        except ValueError:
            raise PlatformError(f"{nsid} did not answer with JSON", retry_after=60.0) from None

    def get(self, nsid: str, params: Any = None) -> Any:
        return self.call("GET", nsid, params=params)

    def procedure(self, nsid: str, body: dict[str, Any]) -> Any:
        """An XRPC procedure (a POST with a JSON body), such as ``com.atproto.repo.createRecord``."""
        return self.call("POST", nsid, json=body)

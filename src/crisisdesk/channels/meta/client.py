"""Meta's Graph API, as far as the connectors use it, with Graph errors classified.

Throttling comes back as HTTP 400/403 with a code, rarely as 429, so errors are classified by
``error.code`` (../shared/docs/CHANNEL-APIS.md §1.7): 190 is a dead token (reauthorize), 4/17/32/
613/80001/341 are rate limits (retry later), 1/2 transient, everything else permanent.
"""

from __future__ import annotations

from typing import Any

import httpx

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.http import client, request_json, retry_after
from crisisdesk.channels.meta.config import MetaChannelConfig

GRAPH = "https://graph.facebook.com"
_THROTTLED = {4, 17, 32, 341, 613, 80001, 80007, 130429, 131056}
_TRANSIENT = {1, 2, 131000}


class GraphClient:
    def __init__(self, config: MetaChannelConfig, *, default_base: str = GRAPH) -> None:
        self.base = config.base(default_base)
        self.version = config.graph_version
        self._http = client(self.base, headers={
            "Authorization": f"Bearer {config.access_token.get_secret_value()}"})

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, **params: str) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, json=body)

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
    code = error.get("code")
    message = f"({code}) {error.get('message', 'no message')}"
    if error.get("error_subcode"):
        message += f" [subcode {error['error_subcode']}]"
    if code == 190:
        return PlatformError(f"{message}: the access token expired or was revoked; set a new one",
                             code=code, permanent=True, reauthorize=True)
    if code in _THROTTLED or response.status_code == 429:
        return PlatformError(f"{message}: rate limited", code=code, retry_after=retry_after(response) or 60.0)
    if code in _TRANSIENT or response.status_code >= 500:
        return PlatformError(message, code=code, retry_after=retry_after(response))
    return PlatformError(message, code=code, permanent=True)

"""The Viber REST bot API: POST JSON with ``X-Viber-Auth-Token``; HTTP stays 200 and ``status``
says what happened (0 ok, 2 a bad token, 12 too many requests, … see CHANNEL-APIS.md §3.3).

Every status Viber names is permanent (the same call gets the same answer) except the two rate
limits, 12 and 18, retried after a minute; a status it does not name is its "general error",
retried with the caller's backoff."""

from __future__ import annotations

from typing import Any

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.http import client, request_json
from crisisdesk.channels.viber.config import ViberConfig

API = "https://chatapi.viber.com/pa"
_RETRY = {12, 18}
_NAMES = {1: "invalidUrl", 2: "invalidAuthToken", 3: "badData", 4: "missingData", 5: "receiverNotRegistered",
          6: "receiverNotSubscribed", 7: "publicAccountBlocked", 8: "publicAccountNotFound",
          9: "publicAccountSuspended", 10: "webhookNotSet", 11: "receiverNoSuitableDevice",
          12: "tooManyRequests", 13: "apiVersionNotSupported", 14: "incompatibleWithVersion",
          15: "publicAccountNotAuthorized", 16: "inboxMessageStateMismatch", 17: "unsupportedMessageType",
          18: "messageRateExceeded", 19: "editMessageFailed", 20: "unsupportedMedia"}
#: What to do about a status, for the people who read the error.
_HINTS = {2: "the auth token is wrong or was replaced: set the bot's current one",
          5: "the person has no Viber account (any more)",
          6: "the person has not subscribed to the bot or unsubscribed: they must write to it first",
          7: "the bot is blocked", 9: "the bot is suspended",
          10: "set the bot's webhook first (Viber sends nothing for a bot without one)"}


class ViberApi:
    def __init__(self, config: ViberConfig) -> None:
        self.base = config.base(API)
        self._http = client(self.base, headers={"X-Viber-Auth-Token": config.auth_token.get_secret_value()})

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response, data = request_json(self._http, "POST", f"/{method}", json=body or {})
        if not isinstance(data, dict) or not isinstance(data.get("status"), int):
            raise PlatformError(f"HTTP {response.status_code} without a Viber answer",
                                permanent=response.status_code < 500)
        status = data["status"]
        if status == 0:
            return data
        text = f"({status} {_NAMES.get(status, 'error')}) {data.get('status_message', '')}".strip()
        if status in _HINTS:
            text += f": {_HINTS[status]}"
        if status in _RETRY:
            raise PlatformError(text, code=status, retry_after=60.0)
        raise PlatformError(text, code=status, permanent=status in _NAMES, reauthorize=status == 2)

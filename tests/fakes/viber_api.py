"""The Viber REST bot API as a responder for :class:`HttpSink`: the auth token header, HTTP 200
always, and ``status`` codes as Viber documents them."""

from __future__ import annotations

from typing import Any

from tests.fakes.http_sink import Recorded, Reply


class ViberApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("x-viber-auth-token") != self.token:
            return Reply(200, {"status": 2, "status_message": "invalidAuthToken"})
        method = rec.path.rsplit("/", 1)[-1]
        if method == "get_account_info":
            return Reply(200, {"status": 0, "status_message": "ok", "id": "pa:75346594275468546724",
                               "name": "Voltaro Service", "uri": "voltaro", "webhook": "https://example.org/wh",
                               "subscribers_count": 12})
        return Reply(200, {"status": 3, "status_message": f"unknown method {method}"})

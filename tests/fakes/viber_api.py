"""The Viber REST bot API as a responder for :class:`HttpSink`: the auth token header, HTTP 200
always, and ``status`` codes as Viber documents them (CHANNEL-APIS.md §3.2–3.3).

``send_message`` checks the receiver, the type, the text (7,000 characters) and the sender name
(required, 28 characters); it reaches only ``subscribers`` (status 6 for anyone else) and answers
a ``message_token`` larger than 2^53, as Viber's are. :meth:`ViberApi.fail_next` scripts statuses
(12 too many requests, …) after the token was checked.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.http_sink import Recorded, Reply

#: Viber's message tokens do not fit in a double: a client that reads them as floats loses digits.
FIRST_TOKEN = 5491234567890123457


def status(code: int, message: str) -> Reply:
    return Reply(200, {"status": code, "status_message": message})


class ViberApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.subscribers: set[str] = set()
        self._failures: list[Reply] = []
        self._tokens = itertools.count(FIRST_TOKEN)

    def fail_next(self, *replies: Reply) -> None:
        self._failures.extend(replies)

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("x-viber-auth-token") != self.token:
            return status(2, "invalidAuthToken")
        if self._failures:
            return self._failures.pop(0)
        method = rec.path.rsplit("/", 1)[-1]
        if method == "get_account_info":
            return Reply(200, {"status": 0, "status_message": "ok", "id": "pa:75346594275468546724",
                               "name": "Voltaro Service", "uri": "voltaro", "webhook": "https://example.org/wh",
                               "subscribers_count": 12})
        if method == "send_message":
            return self._send(rec.json())
        return status(3, f"unknown method {method}")

    def _send(self, body: dict[str, Any]) -> Reply:
        for field in ("receiver", "type", "sender"):
            if field not in body:
                return status(4, f"missing {field}")
        sender = body["sender"]
        if not isinstance(sender, dict) or not 1 <= len(str(sender.get("name") or "")) <= 28:
            return status(3, "sender name must be 1-28 characters")
        if body["type"] != "text":
            return status(3, f"this fake sends text only, not {body['type']}")
        text = body.get("text")
        if not isinstance(text, str) or not text or len(text) > 7000:
            return status(3, "text must be 1-7000 characters")
        if body["receiver"] not in self.subscribers:
            return status(6, "receiverNotSubscribed")
        self.messages.append(body)
        return Reply(200, {"status": 0, "status_message": "ok", "message_token": next(self._tokens),
                           "chat_hostname": "SN-CHAT-03_", "billing_status": 1})

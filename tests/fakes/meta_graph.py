"""The part of Meta's Graph API the connectors call, as a responder for :class:`HttpSink`.

Objects are looked up by id under ``/v<N>.0/``; the bearer token must be the one given; errors
have the Graph shape ``{"error": {"message", "type", "code", "fbtrace_id"}}`` and come with HTTP
400 (as Meta sends throttling and token errors), or as scripted with :meth:`fail_with`.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.http_sink import Recorded, Reply


def graph_error(code: int, message: str, *, status: int = 400, subcode: int | None = None) -> Reply:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error})


class GraphApi:
    def __init__(self, token: str, objects: dict[str, dict[str, Any]]) -> None:
        self.token = token
        self.objects = objects
        self.failure: Reply | None = None

    def fail_with(self, reply: Reply | None) -> None:
        self.failure = reply

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return graph_error(190, "Error validating access token: Session has expired", subcode=463)
        if self.failure is not None:
            return self.failure
        match = re.fullmatch(r"/v\d+\.\d+/(\w+)(?:\?(.*))?", rec.path)
        if rec.method != "GET" or not match or match.group(1) not in self.objects:
            return graph_error(100, "Unsupported get request. Object does not exist")
        found = self.objects[match.group(1)]
        fields = re.search(r"fields=([^&]+)", match.group(2) or "")
        wanted = set(fields.group(1).replace("%2C", ",").split(",")) if fields else set(found)
        return Reply(200, {k: v for k, v in found.items() if k in wanted or k == "id"})

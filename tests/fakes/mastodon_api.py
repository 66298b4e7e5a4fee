"""A Mastodon instance on 127.0.0.1, as a responder for :class:`HttpSink` (CHANNEL-APIS §6).

Speaks what the connector polls: ``verify_credentials``, ``/api/v1/notifications`` (``types[]``)
and ``/api/v1/timelines/tag/:tag``, with the instance's paging (newest first; ``since_id`` = the
newest page above an id, ``min_id`` = the page right after it, ``max_id`` = older; ``Link``
headers with ``rel="next"``/``rel="prev"``), the ``X-RateLimit-*`` headers and ``429`` when the
budget is spent, and ``401`` for a wrong token.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.http_sink import Recorded, Reply


class MastodonApi:
    def __init__(self, token: str, account: dict[str, Any], *, base: str = "") -> None:
        self.token = token
        self.account = account
        self.base = base  # the sink's URL, for Link headers
        self.statuses_by_tag: dict[str, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.remaining = 300  # requests left in the window; below 0 answers 429
        self.reset = datetime.now(UTC) + timedelta(minutes=5)
        self.max_limit = 40
        self.honour_types = True  # False: an instance before 3.5, which ignores types[]
        self._ids = itertools.count(110_000_000_000_000_001)

    def next_id(self) -> str:
        return str(next(self._ids))

    def publish(self, status: dict[str, Any], *, tags: tuple[str, ...] = (), mention: bool = False) -> str:
        """Put a status on the tags' timelines and, if ``mention``, a mention notification."""
        status.setdefault("id", self.next_id())
        for tag in tags:
            self.statuses_by_tag.setdefault(tag.lower(), []).append(status)
        if mention:
            self.notifications.append({"id": self.next_id(), "type": "mention",
                                       "created_at": status["created_at"], "account": status["account"],
                                       "status": status})
        return str(status["id"])

    def notify(self, kind: str, account: dict[str, Any]) -> None:
        """A notification without a status (a follow, …)."""
        self.notifications.append({"id": self.next_id(), "type": kind,
                                   "created_at": "2026-12-04T10:00:00.000Z", "account": account})

    def __call__(self, rec: Recorded) -> Reply:
        reset = self.reset.isoformat().replace("+00:00", "Z")
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Reset": reset}
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "The access token is invalid"}, headers=headers)
        self.remaining -= 1
        headers["X-RateLimit-Remaining"] = str(max(0, self.remaining))
        if self.remaining < 0:
            return Reply(429, {"error": "Too many requests"}, headers=headers)
        url = urlsplit(rec.path)
        query = parse_qs(url.query)
        if url.path == "/api/v1/accounts/verify_credentials":
            return Reply(200, self.account, headers=headers)
        if url.path == "/api/v1/notifications":
            types = query.get("types[]") if self.honour_types else None
            items = [n for n in self.notifications if not types or n["type"] in types]
        elif url.path.startswith("/api/v1/timelines/tag/"):
            items = list(self.statuses_by_tag.get(unquote(url.path.rsplit("/", 1)[1]).lower(), []))
        else:
            return Reply(404, {"error": "Record not found"}, headers=headers)
        page = self._page(items, query)
        if page:
            link = f"{self.base}{url.path}?"
            headers["Link"] = (f'<{link}max_id={page[-1]["id"]}>; rel="next", '
                               f'<{link}min_id={page[0]["id"]}>; rel="prev"')
        return Reply(200, page, headers=headers)

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
        limit = min(int(query.get("limit", ["20"])[0]), self.max_limit)
        ordered = sorted(items, key=lambda i: int(i["id"]))  # oldest first
        if "max_id" in query:
            ordered = [i for i in ordered if int(i["id"]) < int(query["max_id"][0])]
        if "since_id" in query:
            ordered = [i for i in ordered if int(i["id"]) > int(query["since_id"][0])]
        if "min_id" in query:  # the page right after min_id
            chosen = [i for i in ordered if int(i["id"]) > int(query["min_id"][0])][:limit]
        else:  # the newest page
            chosen = ordered[-limit:]
        return list(reversed(chosen))

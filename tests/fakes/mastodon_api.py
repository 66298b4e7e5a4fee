"""A Mastodon instance on 127.0.0.1, as a responder for :class:`HttpSink` (CHANNEL-APIS §6).

Speaks what the connector polls: ``verify_credentials``, ``/api/v1/notifications`` (``types[]``)
and ``/api/v1/timelines/tag/:tag``, with the instance's paging (newest first; ``since_id`` = the
newest page above an id, ``min_id`` = the page right after it, ``max_id`` = older; ``Link``
headers with ``rel="next"``/``rel="prev"``), the ``X-RateLimit-*`` headers and ``429`` when the
budget is spent, and ``401`` for a wrong token.

And what it sends (§6.3): ``POST /api/v1/statuses`` (JSON or form; ``422 Validation failed: …``
for a blank or too long text (a link counts as 23 characters) or an unknown visibility, ``404``
for an unknown ``in_reply_to_id``;
an ``Idempotency-Key`` seen before answers with the status made the first time),
``DELETE /api/v1/statuses/:id`` (our own statuses only, else ``404 Record not found``) and
``POST /api/v1/accounts/:id/block`` (accounts the instance knows); writes need a ``write`` scope
(``403 This action is outside the authorized scopes``).
"""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.http_sink import Recorded, Reply
from tests.fakes.multipart import parse_form


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
        self.scopes = {"read", "write"}
        self.max_chars = 500
        self.created: dict[str, dict[str, Any]] = {}  # statuses made through the API, by id
        self.keys: dict[str, str] = {}  # Idempotency-Key -> the status id it made
        self.deleted: list[str] = []
        self.blocked: list[str] = []
        self.media: dict[str, dict[str, Any]] = {}  # uploaded attachments by id (with their bytes)
        #: How many looks a new upload stays "processing" (202, url null) before it is ready.
        self.processing_polls = 0

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
        if rec.method != "GET":
            return self._write(rec, url.path, headers)
        if url.path.startswith("/api/v1/media/"):
            media = self.media.get(url.path.rsplit("/", 1)[1])
            if media is None:
                return Reply(404, {"error": "Record not found"}, headers=headers)
            return self._media_answer(media, headers)
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

    # -- writes --------------------------------------------------------------------------
    def _known_statuses(self) -> dict[str, dict[str, Any]]:
        found = {str(s["id"]): s for tag in self.statuses_by_tag.values() for s in tag}
        found.update({str(n["status"]["id"]): n["status"] for n in self.notifications if n.get("status")})
        found.update(self.created)
        return found

    def _known_accounts(self) -> set[str]:
        found = {str(s["account"]["id"]) for s in self._known_statuses().values() if s.get("account")}
        return found | {str(n["account"]["id"]) for n in self.notifications} | {str(self.account["id"])}

    def _write(self, rec: Recorded, path: str, headers: dict[str, str]) -> Reply:
        if not self.scopes & {"write", "write:statuses", "write:blocks"}:
            return Reply(403, {"error": "This action is outside the authorized scopes"}, headers=headers)
        if rec.method == "POST" and path == "/api/v1/statuses":
            return self._create(rec, headers)
        if rec.method == "POST" and path == "/api/v2/media":
            return self._upload(rec, headers)
        if rec.method == "DELETE" and path.startswith("/api/v1/statuses/"):
            ident = unquote(path.rsplit("/", 1)[1])
            status = self.created.get(ident)
            if status is None or status["account"]["id"] != self.account["id"]:
                return Reply(404, {"error": "Record not found"}, headers=headers)
            del self.created[ident]
            self.deleted.append(ident)
            return Reply(200, {**status, "text": status["content"]}, headers=headers)
        match = re.fullmatch(r"/api/v1/accounts/([^/]+)/block", path)
        if rec.method == "POST" and match:
            account = unquote(match.group(1))
            if account not in self._known_accounts():
                return Reply(404, {"error": "Record not found"}, headers=headers)
            self.blocked.append(account)
            return Reply(200, {"id": account, "following": False, "blocking": True, "muting": False},
                         headers=headers)
        return Reply(404, {"error": "Record not found"}, headers=headers)

    def _upload(self, rec: Recorded, headers: dict[str, str]) -> Reply:
        form = parse_form(rec)
        upload = form[1].get("file") if form else None
        if upload is None:
            return Reply(422, {"error": "Validation failed: File can't be blank"}, headers=headers)
        if upload.content_type.split("/")[0] not in ("image", "video", "audio"):
            return Reply(422, {"error": "Validation failed: File content type is invalid"}, headers=headers)
        ident = self.next_id()
        media = {"id": ident, "type": upload.content_type.split("/")[0], "upload": upload,
                 "polls_left": self.processing_polls, "used": False}
        self.media[ident] = media
        return self._media_answer(media, headers, created=True)

    def _media_answer(self, media: dict[str, Any], headers: dict[str, str], *,
                      created: bool = False) -> Reply:
        if not created and media["polls_left"] > 0:
            media["polls_left"] -= 1
        ready = media["polls_left"] == 0
        body = {"id": media["id"], "type": media["type"], "description": None,
                "url": f"https://files.social.example/{media['id']}" if ready else None}
        return Reply(200 if ready else (202 if created else 206), body, headers=headers)

    def _create(self, rec: Recorded, headers: dict[str, str]) -> Reply:
        key = rec.headers.get("idempotency-key")
        if key and key in self.keys:
            return Reply(200, self.created.get(self.keys[key]) or {"id": self.keys[key]}, headers=headers)
        media_ids: list[str] = []
        if rec.headers.get("content-type", "").startswith("application/json"):
            media_ids = [str(i) for i in rec.json().get("media_ids") or []]
            form = {k: str(v) if v is not None else None for k, v in rec.json().items() if k != "media_ids"}
        else:
            form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
        text = form.get("status") or ""
        visibility = form.get("visibility") or "public"
        if not text.strip():
            return Reply(422, {"error": "Validation failed: Text can't be blank"}, headers=headers)
        if len(re.sub(r"https?://\S+", "x" * 23, text)) > self.max_chars:  # a link counts as 23
            limit = f"Validation failed: Text character limit of {self.max_chars} exceeded"
            return Reply(422, {"error": limit}, headers=headers)
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Reply(422, {"error": "Validation failed: Visibility is not included in the list"},
                         headers=headers)
        if len(media_ids) > 4:
            return Reply(422, {"error": "Validation failed: Media attachments are too many"}, headers=headers)
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["used"]:
                unknown = {"error": "Validation failed: Media attachment is unknown"}
                return Reply(422, unknown, headers=headers)
            if media["polls_left"] > 0:
                return Reply(422, {"error": "Cannot attach files that have not finished processing. "
                                            "Try again in a moment!"}, headers=headers)
        parent = form.get("in_reply_to_id")
        if parent and parent not in self._known_statuses():
            return Reply(404, {"error": "The post you are trying to reply to does not appear to exist."},
                         headers=headers)
        ident = self.next_id()
        status = {"id": ident, "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                  "content": f"<p>{html.escape(text)}</p>", "visibility": visibility,
                  "in_reply_to_id": parent, "account": self.account, "language": form.get("language"),
                  "media_attachments": [{k: v for k, v in self.media[m].items() if k != "upload"}
                                        for m in media_ids],
                  "url": f"https://social.example/@{self.account['acct']}/{ident}",
                  "uri": f"https://social.example/users/{self.account['acct']}/statuses/{ident}"}
        for media_id in media_ids:
            self.media[media_id]["used"] = True
        self.created[ident] = status
        if key:
            self.keys[key] = ident
        return Reply(200, status, headers=headers)

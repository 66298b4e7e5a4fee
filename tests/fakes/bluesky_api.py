"""A Bluesky PDS (proxying the AppView) on 127.0.0.1, as a responder for :class:`HttpSink`.

Speaks what the connector calls: ``com.atproto.server.createSession`` / ``refreshSession`` (app
password in, access and refresh JWTs out; an expired access token answers ``400 ExpiredToken``),
``app.bsky.feed.searchPosts`` (``q`` as a case-insensitive substring, ``sort=latest`` by the
earlier of createdAt and indexedAt, ``since`` inclusive, ``limit``, opaque ``cursor``),
``app.bsky.notification.listNotifications`` (newest first, ``reasons``, ``cursor``) and
``app.bsky.actor.getProfile``; ``RateLimit-*`` headers and ``429`` when the budget is spent.

And the writes to our own repository: ``com.atproto.repo.createRecord`` (``app.bsky.feed.post``
checked as the lexicon says: text at most 300 graphemes, ``createdAt``, a ``reply`` whose root and
parent are strong references with ``uri`` and ``cid``, facets with byte ranges inside the text;
``app.bsky.graph.block`` with a DID subject; ``400 InvalidRequest`` otherwise) and
``com.atproto.repo.deleteRecord``; another account's ``repo`` answers ``401``.
"""

from __future__ import annotations

import base64
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from tests.fakes.http_sink import Recorded, Reply


def _jwt(kind: str, n: int) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()
    return f"{part({'alg': 'ES256K', 'typ': kind})}.{part({'n': n})}.signature"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyApi:
    def __init__(self, handle: str, password: str, did: str, profile: dict[str, Any]) -> None:
        self.handle, self.password, self.did, self.profile = handle, password, did, profile
        self.posts: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.access: dict[str, bool] = {}  # token -> still valid
        self.refresh: set[str] = set()
        self.sessions = 0  # createSession calls that succeeded
        self.refreshes = 0
        self.remaining = 3000
        self.reset = time.time() + 300
        self.honour_reasons = True
        self._n = itertools.count(1)
        self.records: dict[str, dict[str, Any]] = {}  # at:// URI -> record written through the API
        self.deleted: list[str] = []

    # -- content -------------------------------------------------------------------------
    def publish(self, text: str, *, author: dict[str, Any], reply_to: dict[str, Any] | None = None,
                langs: list[str] | None = None, created: datetime | None = None,
                indexed: datetime | None = None, notify: str | None = None,
                embed: dict[str, Any] | None = None) -> dict[str, Any]:
        """A post (a view as search returns it); ``notify`` adds a notification with that reason."""
        n = next(self._n)
        created = created or datetime.now(UTC)
        uri = f"at://{author['did']}/app.bsky.feed.post/3lrk{n:08d}"
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": stamp(created),
                                  "langs": langs if langs is not None else ["de"]}
        if reply_to is not None:
            root = (reply_to["record"].get("reply") or {}).get("root") or {"uri": reply_to["uri"],
                                                                            "cid": reply_to["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": reply_to["uri"], "cid": reply_to["cid"]}}
        view: dict[str, Any] = {"uri": uri, "cid": f"bafy{n}", "author": author, "record": record,
                                "replyCount": 0, "repostCount": n % 3, "likeCount": n % 5, "quoteCount": 0,
                                "indexedAt": stamp(indexed or datetime.now(UTC)), "labels": []}
        if embed is not None:
            view["embed"] = embed
        self.posts.append(view)
        if notify:
            self.notifications.append({"uri": uri, "cid": view["cid"], "author": author, "reason": notify,
                                       "record": record, "isRead": False, "indexedAt": view["indexedAt"],
                                       "labels": []})
        return view

    def like(self, author: dict[str, Any], subject: dict[str, Any]) -> None:
        n = next(self._n)
        self.notifications.append({
            "uri": f"at://{author['did']}/app.bsky.feed.like/3lk{n}", "cid": f"bafyl{n}", "author": author,
            "reason": "like", "reasonSubject": subject["uri"], "isRead": False,
            "record": {"$type": "app.bsky.feed.like", "subject": {"uri": subject["uri"]},
                       "createdAt": stamp(datetime.now(UTC))},
            "indexedAt": stamp(datetime.now(UTC)), "labels": []})

    def expire_access(self) -> None:
        for token in self.access:
            self.access[token] = False

    # -- HTTP ----------------------------------------------------------------------------
    def __call__(self, rec: Recorded) -> Reply:
        self.remaining -= 1
        headers = {"RateLimit-Limit": "3000", "RateLimit-Remaining": str(max(0, self.remaining)),
                   "RateLimit-Reset": str(int(self.reset)), "RateLimit-Policy": "3000;w=300"}
        if self.remaining < 0:
            return Reply(429, _error("RateLimitExceeded", "Rate Limit Exceeded"), headers=headers)
        url = urlsplit(rec.path)
        nsid = url.path.removeprefix("/xrpc/")
        query = parse_qs(url.query)
        token = rec.headers.get("authorization", "").removeprefix("Bearer ")
        if nsid == "com.atproto.server.createSession" and rec.method == "POST":
            data = rec.json()
            if data.get("identifier") not in (self.handle, self.did) or data.get("password") != self.password:
                return Reply(401, _error("AuthenticationRequired", "Invalid identifier or password"),
                             headers=headers)
            self.sessions += 1
            return Reply(200, self._session(), headers=headers)
        if nsid == "com.atproto.server.refreshSession" and rec.method == "POST":
            if token not in self.refresh:
                return Reply(400, _error("ExpiredToken", "Token has been revoked"), headers=headers)
            self.refresh.discard(token)
            self.refreshes += 1
            return Reply(200, self._session(), headers=headers)
        if not token:
            return Reply(401, {"error": "AuthenticationRequired", "message": "Authentication Required"},
                         headers=headers)
        if token not in self.access:
            return Reply(400, {"error": "InvalidToken", "message": "Bad token"}, headers=headers)
        if not self.access[token]:
            return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"}, headers=headers)
        if nsid == "app.bsky.feed.searchPosts":
            return Reply(200, self._search(query), headers=headers)
        if nsid == "app.bsky.notification.listNotifications":
            reasons = query.get("reasons") if self.honour_reasons else None
            items = [n for n in self.notifications if not reasons or n["reason"] in reasons]
            items.sort(key=lambda n: n["indexedAt"], reverse=True)
            page, cursor = self._page(items, query)
            answer = {"notifications": page, **({"cursor": cursor} if cursor else {})}
            return Reply(200, answer, headers=headers)
        if nsid in ("com.atproto.repo.createRecord", "com.atproto.repo.deleteRecord") and rec.body:
            return self._write(nsid, rec.json(), headers)
        if nsid == "app.bsky.actor.getProfile":
            if query.get("actor", [""])[0] not in (self.did, self.handle):
                return Reply(400, _error("InvalidRequest", "Profile not found"), headers=headers)
            return Reply(200, self.profile, headers=headers)
        return Reply(501, _error("MethodNotImplemented", "Method Not Implemented"), headers=headers)

    def _write(self, nsid: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        if body.get("repo") not in (self.did, self.handle):
            return Reply(401, _error("AuthenticationRequired", "Authentication Required"), headers=headers)
        collection = str(body.get("collection") or "")
        n = next(self._n)
        commit = {"cid": f"bafyc{n}", "rev": f"3lrev{n:08d}"}
        if nsid == "com.atproto.repo.deleteRecord":
            uri = f"at://{self.did}/{collection}/{body.get('rkey')}"
            if self.records.pop(uri, None) is not None:
                self.deleted.append(uri)
            return Reply(200, {"commit": commit}, headers=headers)
        record = body.get("record") or {}
        problem = _invalid(collection, record)
        if problem:
            return Reply(400, _error("InvalidRequest", f"Invalid {collection} record: {problem}"),
                         headers=headers)
        uri = f"at://{self.did}/{collection}/3lsent{n:07d}"
        self.records[uri] = record
        return Reply(200, {"uri": uri, "cid": f"bafyrei{n}", "commit": commit, "validationStatus": "valid"},
                     headers=headers)

    def _session(self) -> dict[str, Any]:
        n = next(self._n)
        access, refresh = _jwt("at+jwt", n), _jwt("refresh+jwt", n)
        self.access[access] = True
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.handle, "did": self.did,
                "active": True}

    def _search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        q = query.get("q", [""])[0].lower()
        since = query.get("since", [None])[0]
        floor = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None

        def sort_at(view: dict[str, Any]) -> datetime:
            return min(datetime.fromisoformat(view["record"]["createdAt"].replace("Z", "+00:00")),
                       datetime.fromisoformat(view["indexedAt"].replace("Z", "+00:00")))
        hits = [p for p in self.posts
                if q in p["record"]["text"].lower() and (floor is None or sort_at(p) >= floor)]
        hits.sort(key=sort_at, reverse=True)
        page, cursor = self._page(hits, query)
        return {"posts": page, "hitsTotal": len(hits), **({"cursor": cursor} if cursor else {})}

    @staticmethod
    def _page(items: list[dict[str, Any]],
              query: dict[str, list[str]]) -> tuple[list[dict[str, Any]], str | None]:
        limit = min(int(query.get("limit", ["25"])[0]), 100)
        start = int(query.get("cursor", ["0"])[0])
        page = items[start:start + limit]
        return page, str(start + limit) if start + limit < len(items) else None


def _strong_ref(value: Any) -> bool:
    return (isinstance(value, dict) and str(value.get("uri", "")).startswith("at://")
            and isinstance(value.get("cid"), str) and bool(value["cid"]))


def _invalid(collection: str, record: dict[str, Any]) -> str | None:
    """What the lexicon refuses in a record, or None."""
    if record.get("$type") != collection:
        return f"Record/$type must be {collection}"
    if not isinstance(record.get("createdAt"), str):
        return "Record must have the property \"createdAt\""
    if collection == "app.bsky.graph.block":
        return None if str(record.get("subject", "")).startswith("did:") else "Record/subject must be a did"
    if collection != "app.bsky.feed.post":
        return "Lexicon not found"
    text = record.get("text")
    if not isinstance(text, str):
        return "Record must have the property \"text\""
    if len(text) > 300:
        return "Record/text must not be longer than 300 graphemes"
    reply = record.get("reply")
    if reply is not None and not (_strong_ref(reply.get("root")) and _strong_ref(reply.get("parent"))):
        return "Record/reply/parent must have the property \"cid\""
    size = len(text.encode())
    for facet in record.get("facets") or []:
        index = facet.get("index") or {}
        if not 0 <= index.get("byteStart", -1) < index.get("byteEnd", -1) <= size:
            return "Record/facets/index is out of the text"
    return None


def _error(error: str, message: str) -> dict[str, str]:
    return {"error": error, "message": message}


def ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)

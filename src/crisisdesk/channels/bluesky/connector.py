"""Polls Bluesky through the account's PDS: ``app.bsky.feed.searchPosts`` (``sort=latest``) per
query and ``app.bsky.notification.listNotifications`` for mentions, replies and quotes.

Why the PDS and not the public AppView (public.api.bsky.app): unauthenticated post search has been
switched off there since 2025 (bluesky-social/atproto#3423); the PDS proxies ``app.bsky.*`` calls
to the AppView with our session. One address (``api_base``) therefore serves everything.

Cursor per source: ``since`` is the newest time seen (search orders by the earlier of createdAt and
indexedAt, notifications by indexedAt); each poll pages from the newest back (``cursor``) until it
passes ``since`` minus ``OVERLAP`` (search is also told that time as its ``since``; notifications
have no such filter) and skips the URIs it has already stored (``seen``: those a later poll can
meet again, at most ``SEEN``). When ``MAX_PAGES`` are not enough, the page cursor is kept
(``resume``) and the next poll goes on from there before it moves ``since``: nothing in between is
skipped. The first poll of a source takes its newest page only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson

from crisisdesk.channels.base import Capability, CheckResult, Delivery, Fetched, PlatformError
from crisisdesk.channels.bluesky.client import Xrpc
from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.bluesky.mapping import POST_REASONS, map_body, parse_time, sort_at
from crisisdesk.channels.bluesky.sending import block_record, post_record, record_key, reply_record
from crisisdesk.channels.outgoing import Action, Outbound, Sent

LIMIT = 100
MAX_PAGES = 10
SEEN = 2000
#: Read again behind ``since`` each poll, for posts the search indexed late (seen ones are skipped).
OVERLAP = timedelta(minutes=2)
NOTIFICATIONS = "notifications"

Page = Callable[[str | None, str | None], tuple[list[dict[str, Any]], str | None]]


class BlueskyConnector:
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.POLL, Capability.REPLY_PUBLIC, Capability.DELETE, Capability.BLOCK, Capability.PUBLISH})

    def __init__(self, config: BlueskyConfig) -> None:
        self.config = config
        self.xrpc = Xrpc(config)

    @property
    def key(self) -> str:
        return self.config.key

    def _search(self, query: str) -> Page:
        def page(since: str | None, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params = {"q": query, "sort": "latest", "limit": str(LIMIT)}
            if since:
                params["since"] = since
            if cursor:
                params["cursor"] = cursor
            data = self.xrpc.get("app.bsky.feed.searchPosts", params)
            return _items(data, "posts"), (data.get("cursor") or None) if isinstance(data, dict) else None
        return page

    def _notifications(self, since: str | None,
                       cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        params: list[tuple[str, str]] = [("limit", str(LIMIT)), *(("reasons", r) for r in POST_REASONS)]
        if cursor:
            params.append(("cursor", cursor))
        data = self.xrpc.get("app.bsky.notification.listNotifications", params)
        return _items(data, "notifications"), (data.get("cursor") or None) if isinstance(data, dict) else None

    def fetch(self, cursor: dict[str, Any] | None) -> Fetched:
        if self.xrpc.did is None:
            self.xrpc.login()
        state: dict[str, Any] = {k: dict(v) for k, v in (cursor or {}).items() if isinstance(v, dict)}
        bodies: list[bytes] = []
        wait = float(self.config.interval)
        sources: list[tuple[str, str | None, Page]] = [(NOTIFICATIONS, None, self._notifications)]
        sources += [(f"search:{q}", q, self._search(q)) for q in self.config.queries]
        try:
            for key, query, page in sources:
                if not self._walk(key, query, page, state, bodies):
                    wait = 1.0  # pages are left over: go on at once
        except PlatformError as exc:
            if exc.code != 429 or not bodies:
                raise
            wait = exc.retry_after or wait  # keep what came; the rest after the reset
        return Fetched(bodies, state, wait)

    def _walk(self, key: str, query: str | None, page: Page, state: dict[str, Any],
              bodies: list[bytes]) -> bool:
        """New items of one source into ``bodies``, its state updated after every page; False if
        pages are left over for the next poll."""
        old: dict[str, Any] = state.get(key) or {}
        since: str | None = old.get("since")
        floor = parse_time(since) - OVERLAP if since else None
        seen: dict[str, str] = dict(old.get("seen") or {})  # URI -> its time (ISO), to prune
        known = set(seen)
        resume: str | None = old.get("resume")
        top = parse_time(old["top"]) if old.get("top") else None
        source = "search" if query is not None else NOTIFICATIONS
        for _ in range(MAX_PAGES):
            items, after = page(floor.isoformat().replace("+00:00", "Z") if floor else None, resume)
            fresh = []
            oldest: datetime | None = None
            for item in items:
                at = sort_at(item, indexed_only=query is None)
                if at is not None:
                    top = at if top is None or at > top else top
                    oldest = at if oldest is None or at < oldest else oldest
                uri = str(item.get("uri") or "")
                if uri and uri not in known and (floor is None or at is None or at >= floor):
                    known.add(uri)
                    seen[uri] = _stamp(at) if at else ""
                    fresh.append(item)
            if fresh:
                envelope = {"source": source, "query": query, "me": self.xrpc.did, "items": fresh}
                bodies.append(orjson.dumps(envelope))
            finished = since is None or not after or not items or (
                floor is not None and oldest is not None and oldest < floor)
            if finished:
                # nothing at all yet: from now (less the overlap, for a clock ahead of the server's)
                newest = top or (parse_time(since) if since else datetime.now(UTC) - OVERLAP)
                state[key] = {"since": newest.isoformat(), "seen": _recent(seen, newest - OVERLAP)}
                return True
            resume = after
            state[key] = {"since": since, "resume": resume, "top": top.isoformat() if top else None,
                          "seen": _recent(seen, floor)}
        return False

    def parse(self, body: bytes) -> Delivery:
        return map_body(body, channel=self.key)

    def send(self, outbound: Outbound) -> Sent:
        """A reply, a new post or a block as a new record in our repository, a deletion of one of
        ours (sending.py); everything the call needs is checked before the first request."""
        action, now = outbound.action, datetime.now(UTC)
        if action is Action.REPLY_PUBLIC:
            return self._create(outbound, reply_record(outbound, now))
        if action is Action.PUBLISH:
            return self._create(outbound, post_record(outbound, now))
        if action is Action.BLOCK:
            created = self._create(outbound, block_record(outbound, now))
            return Sent(None, {"block": created.external_id or "", **created.details})
        if action is Action.DELETE:
            return self._delete(outbound)
        raise PlatformError(f"Bluesky cannot {action.value} (no such call for an app password session)",
                            code="unsupported", permanent=True)

    def _create(self, outbound: Outbound, record: dict[str, Any]) -> Sent:
        nsid = "com.atproto.repo.createRecord"
        if self.xrpc.did is None:
            self.xrpc.login()
        data = self.xrpc.procedure(nsid, {"repo": self.xrpc.did, "collection": record["$type"],
                                          "record": record})
        if not isinstance(data, dict) or not data.get("uri"):
            raise PlatformError(f"{nsid} answered without the new record's uri", retry_after=30.0)
        return Sent(str(data["uri"]), {"cid": str(data.get("cid") or "")})

    def _delete(self, outbound: Outbound) -> Sent:
        repo, collection, rkey = record_key(outbound)
        if self.xrpc.did is None:
            self.xrpc.login()
        if repo not in (self.xrpc.did, self.xrpc.handle):
            raise PlatformError(f"Bluesky delete: {outbound.target} is in {repo}'s repository, not ours "
                                f"({self.xrpc.did}): only our own posts can be deleted",
                                code="not_ours", permanent=True)
        self.xrpc.procedure("com.atproto.repo.deleteRecord",
                            {"repo": self.xrpc.did, "collection": collection, "rkey": rkey})
        return Sent(None)

    def check(self) -> CheckResult:
        self.xrpc.login()
        profile = self.xrpc.get("app.bsky.actor.getProfile", {"actor": self.xrpc.did})
        if not isinstance(profile, dict):
            raise PlatformError("app.bsky.actor.getProfile did not answer with a profile")
        details = {"did": str(self.xrpc.did), "name": str(profile.get("displayName") or ""),
                   "followers": str(profile.get("followersCount", "?")),
                   "posts": str(profile.get("postsCount", "?")),
                   "queries": ", ".join(self.config.queries) or "none"}
        return CheckResult(f"@{profile.get('handle') or self.xrpc.handle}", details)


def _stamp(moment: datetime) -> str:
    """A time as a string that sorts like the time (UTC, microseconds always written)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _recent(seen: dict[str, str], floor: datetime | None) -> dict[str, str]:
    """The seen URIs a later poll can meet again: not older than ``floor``, the newest ``SEEN``."""
    limit = _stamp(floor) if floor else ""
    kept = [(uri, at) for uri, at in seen.items() if not at or at >= limit]
    return dict(sorted(kept, key=lambda k: k[1])[-SEEN:])


def _items(data: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get(field), list):
        raise PlatformError(f"the answer has no {field} list", retry_after=60.0)
    return [i for i in data[field] if isinstance(i, dict)]

"""Listening on X by polling recent search (``GET /2/tweets/search/recent``, CHANNEL-APIS.md §5.4).

The cursor is the newest tweet id stored (``since_id``). One poll follows ``next_token`` until X
has no more pages, so a burst larger than a page is not cut off, and the new ``since_id`` is only
written together with all the pages it covers. When the rate limit runs out in the middle, the
pages so far are stored with a cursor that resumes at the next page (same ``since_id``, the
``next_token``, the newest id seen), and the poll waits for ``x-rate-limit-reset``. Pages are
stored oldest first, so that posts are processed in the order they were written (an edit after
the version it replaces). The very first
poll has no ``since_id``: it reaches back ``backfill_minutes`` with ``start_time``, and keeps that
start until a tweet is found, so a quiet first hour skips nothing.

What a channel can do depends on its keys: with the bearer token alone it only listens; with
the four user-context keys it also replies, posts as our account, hides replies and deletes our posts
(:mod:`.sending`). The two are two classes, each with fixed capabilities as every connector
has; ``XConnector(config)`` gives the one the configuration can serve, so the registry keeps one
entry for X.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from crisisdesk.channels.base import Capability, CheckResult, Delivery, Fetched, PlatformError
from crisisdesk.channels.outgoing import NEEDS, Outbound, Sent
from crisisdesk.channels.x.client import XApi, problem
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.mapping import map_page
from crisisdesk.channels.x.sending import send

log = logging.getLogger(__name__)

SEARCH = "/2/tweets/search/recent"
TWEET_FIELDS = ("created_at,author_id,conversation_id,in_reply_to_user_id,lang,public_metrics,"
                "referenced_tweets,entities,note_tweet,attachments,edit_history_tweet_ids")
#: ``referenced_tweets.id.author_id``: the author of a retweeted original, for its ``RT @author:``.
EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id,attachments.media_keys"
USER_FIELDS = "username,name,public_metrics,verified"
MEDIA_FIELDS = "type,url,preview_image_url,alt_text,variants"
#: Recent search covers 7 days; a start_time a minute inside that is still accepted.
WINDOW = 7 * 24 * 3600 - 60


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two tweet ids (snowflakes grow with time; compare as numbers)."""
    if a is None or b is None:
        return a or b
    return a if int(a) >= int(b) else b


class XConnector:
    """Reads an X search (our mentions and/or a query) with an app-only bearer token."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.POLL})

    def __new__(cls, config: XConfig) -> XConnector:
        if cls is XConnector and config.user_context is not None:
            return super().__new__(XActingConnector)
        return super().__new__(cls)

    def __init__(self, config: XConfig) -> None:
        self.config = config
        self.api = XApi(config)

    @property
    def key(self) -> str:
        return self.config.key

    def _params(self, *, since_id: str | None, start_time: str | None,
                token: str | None) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "query": self.config.search_query, "max_results": self.config.max_results,
            "tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS,
            "media.fields": MEDIA_FIELDS}
        if since_id is not None:
            params["since_id"] = since_id
        elif start_time is not None:
            params["start_time"] = start_time
        if token is not None:
            params["next_token"] = token
        return params

    def fetch(self, cursor: dict[str, Any] | None) -> Fetched:
        cursor = dict(cursor or {})
        now = time.time()
        since_id: str | None = cursor.get("since_id")
        start_time: str | None = cursor.get("start_time")
        token: str | None = cursor.get("next_token")
        newest: str | None = cursor.get("newest")
        if since_id is None:
            floor = now - WINDOW
            start = now - self.config.backfill_minutes * 60
            if start_time is not None:
                start = datetime.fromisoformat(start_time).timestamp()
            start_time = _stamp(max(floor, start))
        bodies: list[bytes] = []
        wait = float(self.config.interval)
        while True:
            try:
                params = self._params(since_id=since_id, start_time=start_time, token=token)
                answer = self.api.get(SEARCH, params)
            except PlatformError as exc:
                if not bodies and exc.code == 400 and token is not None:
                    log.warning("channel %s: X refused the saved next_token, polling again from the "
                                "cursor: %s", self.key, exc)
                    token = None  # the pages it would have given come again; posts are stored once by id
                    continue
                if not bodies and exc.code == 400 and since_id is not None and "since_id" in str(exc):
                    log.warning("channel %s: since_id is older than recent search reaches (7 days): "
                                "reading the last 7 days", self.key)
                    since_id, start_time, token = None, _stamp(now - WINDOW), None
                    continue
                if bodies and not exc.permanent:  # keep the pages we have; resume at the failed page
                    resume = {"since_id": since_id, "start_time": start_time, "next_token": token,
                              "newest": newest}
                    return Fetched(bodies[::-1], resume, exc.retry_after or wait)
                raise
            data = answer.data.get("data")
            meta: dict[str, Any] = answer.data["meta"] if isinstance(answer.data.get("meta"), dict) else {}
            if data or answer.data.get("errors"):
                bodies.append(answer.raw)
            for tweet in data if isinstance(data, list) else []:
                if isinstance(tweet, dict) and str(tweet.get("id", "")).isdigit():
                    newest = _newer(newest, str(tweet["id"]))
            token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
            if token is None:
                break
            if answer.limits.remaining == 0:  # more pages, but none may be asked for until the reset
                reset = answer.limits.seconds_to_reset() or wait
                log.info("channel %s: rate limit reached mid-poll, resuming in %.0f s", self.key, reset)
                resume = {"since_id": since_id, "start_time": start_time, "next_token": token,
                          "newest": newest}
                return Fetched(bodies[::-1], resume, reset)
        if answer.limits.remaining == 0:
            wait = max(wait, answer.limits.seconds_to_reset() or wait)
        new_cursor: dict[str, Any] = {"since_id": newest or since_id}
        if new_cursor["since_id"] is None:
            new_cursor = {"start_time": start_time}  # nothing found yet: keep the first poll's window
        return Fetched(bodies[::-1], new_cursor, wait)

    def parse(self, body: bytes) -> Delivery:
        return map_page(body, channel=self.key, account=self.config.account)

    def check(self) -> CheckResult:
        answer = self.api.get(SEARCH, {"query": self.config.search_query, "max_results": 10})
        count = (answer.data.get("meta") or {}).get("result_count")
        details = {"bearer token": "valid", "query": f"accepted: {self.config.search_query}",
                   "recent posts found": str(count if count is not None else "?"),
                   "search rate limit": answer.limits.describe()}
        account = "app-only bearer token"
        if self.config.account:
            found = self.api.get(f"/2/users/by/username/{self.config.account}",
                                 {"user.fields": "public_metrics,verified"})
            user = found.data.get("data")
            if not isinstance(user, dict):
                raise PlatformError(f"@{self.config.account}: {problem(found.data) or 'no such user'}",
                                    permanent=True)
            account = f"@{user.get('username', self.config.account)} ({user.get('id')})"
            followers = (user.get("public_metrics") or {}).get("followers_count")
            details["followers"] = str(followers if followers is not None else "?")
        if self.api.user is not None:
            me = self.api.act("GET", "/2/users/me").data.get("data")
            if not isinstance(me, dict):
                raise PlatformError("/2/users/me answered without the account", permanent=True)
            details["replies as"] = f"@{me.get('username')} ({me.get('id')})"
            if self.config.account and str(me.get("username", "")).lower() != self.config.account.lower():
                details["warning"] = (f"the user-context keys belong to @{me.get('username')}, "
                                      f"not to account @{self.config.account}")
        return CheckResult(account, details)

    def send(self, outbound: Outbound) -> Sent:
        if NEEDS[outbound.action] not in self.capabilities:
            why = ("this channel has no user-context keys, it only listens" if self.api.user is None
                   else "crisisdesk does not do that on X")
            raise PlatformError(f"X channel {self.key} cannot {outbound.action.value}: {why}", permanent=True)
        return send(self.api, outbound, account=self.config.account)


class XActingConnector(XConnector):
    """An X channel with user-context keys: it listens, and acts as our account."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.POLL, Capability.REPLY_PUBLIC, Capability.HIDE, Capability.DELETE, Capability.PUBLISH})

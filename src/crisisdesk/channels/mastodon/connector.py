"""Polls a Mastodon instance: our mentions (``/api/v1/notifications?types[]=mention``) and each
hashtag's timeline (``/api/v1/timelines/tag/:tag``).

Paging: ``since_id`` returns the *newest* page above the id, so with more new items than one page
the ones in between would be skipped. ``min_id`` returns the page *right after* the id; following
the ``rel="prev"`` link (whose ``min_id`` is the newest id of the page) walks forward without a gap
until a page is short. The cursor keeps that id per source. The first poll of a source takes only
its newest page (no backfill of history). At most ``MAX_PAGES`` pages per source and poll; if more
are waiting, the next poll follows at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlparse

import httpx
import orjson

from crisisdesk.channels.attachments import read_all
from crisisdesk.channels.base import Capability, CheckResult, Delivery, Fetched, PlatformError
from crisisdesk.channels.http import client, unreachable
from crisisdesk.channels.mastodon import media
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.errors import refusal, until_reset
from crisisdesk.channels.mastodon.mapping import map_body, statuses_of
from crisisdesk.channels.mastodon.sending import call_for, sent_from
from crisisdesk.channels.outgoing import AttachmentLimits, Outbound, Sent

LIMIT = 40  # the most /timelines/tag returns per page
MAX_PAGES = 10
#: Roots of the statuses seen last, kept in the cursor to thread replies (see mapping.py).
ROOTS = 1000
NOTIFICATIONS = "notifications"
#: One page of one source: its name, the items and the instance's bytes.
_Page = tuple[str, list[Any], bytes]


class _RateLimited(Exception):
    def __init__(self, wait: float, text: str) -> None:
        super().__init__(text)
        self.wait = wait


def _newest(response: httpx.Response, items: list[Any]) -> str | None:
    """The id to continue from: the ``min_id`` of the ``rel="prev"`` link, else the largest id
    (Mastodon ids are decimal strings: longer is larger)."""
    prev = response.links.get("prev", {}).get("url")
    if prev:
        found = parse_qs(urlparse(prev).query).get("min_id")
        if found:
            return found[0]
    ids = [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")]
    return max(ids, key=lambda i: (len(i), i)) if ids else None


class MastodonConnector:
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.POLL, Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.DELETE,
        Capability.BLOCK, Capability.ATTACHMENTS, Capability.PUBLISH})
    #: Up to 4 images, videos or audio files per status (media.py).
    attachment_limits: ClassVar[AttachmentLimits] = media.ATTACHMENTS
    #: Seconds between looks at a file the instance still processes.
    media_pause: float = 1.0

    def __init__(self, config: MastodonConfig) -> None:
        self.config = config
        self.base = config.base(config.base_url)
        self.host = (urlparse(config.base_url).netloc or config.base_url).lower()
        self._me: str | None = None

    @property
    def key(self) -> str:
        return self.config.key

    def _request(self, method: str, path: str, *, params: list[tuple[str, str]] | None = None,
                 json: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 files: dict[str, tuple[str, bytes, str]] | None = None) -> httpx.Response:
        token = self.config.access_token.get_secret_value()
        try:
            with client(self.base, headers={"Authorization": f"Bearer {token}", **(headers or {})}) as http:
                return http.request(method, path, params=tuple(params or ()), json=json, files=files)
        except httpx.HTTPError as exc:
            raise unreachable(self.base, exc) from exc

    def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> httpx.Response:
        response = self._request("GET", path, params=params)
        if response.is_success:
            return response
        error = refusal(response)
        if error.code == 429:
            raise _RateLimited(error.retry_after or 60.0, str(error))
        raise error

    def _call(self, path: str, params: list[tuple[str, str]] | None = None) -> httpx.Response:
        try:
            return self._get(path, params)
        except _RateLimited as exc:
            raise PlatformError(str(exc), code=429, retry_after=exc.wait) from None

    def _account(self) -> dict[str, Any]:
        data = self._call("/api/v1/accounts/verify_credentials").json()
        if not isinstance(data, dict) or not data.get("id"):
            raise PlatformError("verify_credentials did not answer with an account", permanent=True)
        return data

    def _sources(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        found = [(NOTIFICATIONS, "/api/v1/notifications", [("types[]", "mention")])]
        found += [(f"tag:{tag}", f"/api/v1/timelines/tag/{quote(tag, safe='')}", [])
                  for tag in self.config.hashtags]
        return found

    def fetch(self, cursor: dict[str, Any] | None) -> Fetched:
        if self._me is None:
            self._me = str(self._account()["id"])
        since: dict[str, str] = dict((cursor or {}).get("since") or {})
        roots: dict[str, str] = dict((cursor or {}).get("roots") or {})
        pages: list[_Page] = []
        wait = float(self.config.interval)
        try:
            for source, path, params in self._sources():
                if not self._walk(source, path, params, since, pages):
                    wait = 1.0  # more pages are waiting
        except _RateLimited as exc:
            if not pages:
                raise PlatformError(str(exc), code=429, retry_after=exc.wait) from None
            wait = exc.wait  # keep what came; the rest after the reset
        bodies = self._bodies(pages, roots)
        keep = dict(list(roots.items())[-ROOTS:])
        return Fetched(bodies, {"since": since, "roots": keep}, wait)

    def _bodies(self, pages: list[_Page], roots: dict[str, str]) -> list[bytes]:
        """Each page wrapped (mapping.py): the roots first found over all pages of the poll, oldest
        status first, so that a mention replying to a hashtag post polled later still finds it."""
        found = [(i, s) for i, (source, items, _) in enumerate(pages)
                 for s in statuses_of(source, items, Delivery())]
        page_roots: list[dict[str, str]] = [{} for _ in pages]
        for index, status in sorted(found, key=lambda f: (len(str(f[1]["id"])), str(f[1]["id"]))):
            ident, parent = str(status["id"]), status.get("in_reply_to_id")
            roots[ident] = page_roots[index][ident] = roots.get(str(parent), str(parent)) if parent else ident
        bodies = []
        for (source, _, content), mine in zip(pages, page_roots, strict=True):
            envelope = {"source": source, "me": self._me, "roots": mine}
            bodies.append(orjson.dumps(envelope)[:-1] + b',"page":' + content + b"}")
        return bodies

    def _walk(self, source: str, path: str, params: list[tuple[str, str]], since: dict[str, str],
              pages: list[_Page]) -> bool:
        """Pages of one source from its cursor into ``pages``; False if pages are left over."""
        for _ in range(MAX_PAGES):
            start = since.get(source)
            query = [*params, ("limit", str(LIMIT))] + ([("min_id", start)] if start else [])
            response = self._get(path, query)
            try:
                items = response.json()
            except ValueError:
                raise PlatformError(f"{path} did not answer with JSON", retry_after=60.0) from None
            if not isinstance(items, list):
                raise PlatformError(f"{path} did not answer with a list", retry_after=60.0)
            if not items:
                return True
            pages.append((source, items, response.content))
            newest = _newest(response, items)
            if newest is None:  # a page without ids: nothing to go on from
                raise PlatformError(f"{path} answered a page without status ids", retry_after=60.0)
            since[source] = newest
            if response.headers.get("X-RateLimit-Remaining") == "0":
                raise _RateLimited(until_reset(response), f"{path}: no requests left until the reset")
            if start is None or len(items) < LIMIT:
                return True
        return False

    def parse(self, body: bytes) -> Delivery:
        return map_body(body, host=self.host, channel=self.key)

    def send(self, outbound: Outbound) -> Sent:
        """A reply, a new status, a deletion or a block (see sending.py); a refused call as its
        PlatformError."""
        call = call_for(outbound, max_characters=self.config.max_characters)
        if outbound.attachments and call.body is not None:
            ids = [media.upload(self._request, f, data, pause=self.media_pause)
                   for f, data in read_all(outbound.attachments)]
            call = replace(call, body={**call.body, "media_ids": ids})
        headers = {"Idempotency-Key": call.idempotency_key} if call.idempotency_key else None
        response = self._request(call.method, call.path, json=call.body, headers=headers)
        if not response.is_success:
            raise refusal(response, f"{call.method} {call.path}")
        return sent_from(call, response)

    def check(self) -> CheckResult:
        account = self._account()
        details = {"instance": self.host, "name": str(account.get("display_name") or ""),
                   "followers": str(account.get("followers_count", "?")),
                   "hashtags": ", ".join(f"#{t}" for t in self.config.hashtags) or "none"}
        return CheckResult(f"@{account.get('acct')}", details)

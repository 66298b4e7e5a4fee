from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import feedparser
import httpx
import orjson

from crisisdesk.channels.base import Capability, CheckResult, Delivery, Fetched, PlatformError
from crisisdesk.channels.http import client, retry_after, unreachable
from crisisdesk.channels.rss.config import RssConfig
from crisisdesk.channels.rss.mapping import entry_id, map_body

#: Entry ids remembered per feed, so that an entry seen once is not stored again (feeds keep
#: their last 10–100 entries; a few hundred is plenty).
SEEN = 500
_KEEP = ("id", "guid", "link", "title", "summary", "published", "published_parsed", "updated",
         "updated_parsed", "author", "tags")


class RssConnector:
    """Fetches a feed with conditional GET and stores each entry it has not seen before."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.POLL})

    def __init__(self, config: RssConfig) -> None:
        self.config = config

    @property
    def key(self) -> str:
        return self.config.key

    def _get(self, cursor: dict[str, Any]) -> httpx.Response:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("modified"):
            headers["If-Modified-Since"] = cursor["modified"]
        try:
            with client(self.config.url) as http:
                return http.get(self.config.url, headers=headers)
        except httpx.HTTPError as exc:
            raise unreachable(self.config.url, exc) from exc

    def _parse(self, response: httpx.Response) -> Any:
        if response.status_code in (429, 503) or response.status_code >= 500:
            raise PlatformError(f"{self.config.url} answered HTTP {response.status_code}",
                                retry_after=retry_after(response) or float(self.config.interval))
        if not response.is_success:
            raise PlatformError(f"{self.config.url} answered HTTP {response.status_code}",
                                permanent=response.status_code in (401, 403, 404, 410))
        # feedparser reads the declared encoding (XML prolog or HTTP header) from the raw bytes. It
        # resolves relative links ("/news/1") against Content-Location: the address the feed came from.
        headers = {k.lower(): v for k, v in response.headers.items()}
        headers.setdefault("content-location", str(response.url))
        parsed = feedparser.parse(response.content, response_headers=headers)
        # bozo alone is no proof: a feed feedparser recognised (it has a version) is also flagged when
        # served as text/html or octet-stream, for an encoding it overrode or an entity it read past
        # (&nbsp;), and may simply have no entries right now.
        if not parsed.entries and parsed.get("bozo") and not parsed.get("version"):
            raise PlatformError(f"{self.config.url} is not a feed: {parsed.get('bozo_exception')}",
                                permanent=True)
        return parsed

    def fetch(self, cursor: dict[str, Any] | None) -> Fetched:
        cursor = dict(cursor or {})
        response = self._get(cursor)
        if response.status_code == 304:
            return Fetched([], cursor, self.config.interval)
        parsed = self._parse(response)
        seen: list[str] = list(cursor.get("seen") or [])
        known = set(seen)
        now = datetime.now(UTC).isoformat()
        feed = {"title": parsed.feed.get("title"), "link": parsed.feed.get("link")}
        bodies = []
        for entry in parsed.entries:
            ident = entry_id(entry)
            if ident is None or ident in known:
                continue
            known.add(ident)
            seen.append(ident)
            # dict.get: feedparser's own lookup maps missing keys onto others, with a warning
            kept: dict[str, Any] = {k: dict.get(entry, k) for k in _KEEP if dict.get(entry, k) is not None}
            for when in ("published_parsed", "updated_parsed"):  # time.struct_time: keep the numbers
                if when in kept:
                    kept[when] = list(kept[when])[:6]
            if "tags" in kept:
                kept["tags"] = [t.get("term") for t in kept["tags"] if isinstance(t, dict)]
            # feedparser keeps enclosures among the links (rel="enclosure"): its own lookup finds them
            enclosures = [dict(e) for e in entry.get("enclosures") or [] if isinstance(e, dict)]
            if enclosures:
                kept["enclosures"] = enclosures
            for key in ("media_content", "media_thumbnail"):  # Media RSS (media:content, media:thumbnail)
                found = [dict(m) for m in dict.get(entry, key) or [] if isinstance(m, dict)]
                if found:
                    kept[key] = found
            source = dict.get(entry, "source")  # <source url="…">name</source>: the outlet (Google News)
            if isinstance(source, dict) and isinstance(source.get("title"), str):
                kept["source"] = {"title": source["title"], "href": source.get("href")}
            bodies.append(orjson.dumps({"feed": feed, "entry": kept, "seen": now, "name": self.config.name,
                                        "reach": self.config.reach},
                                       default=str))
        cursor.update(seen=seen[-SEEN:], etag=response.headers.get("ETag"),
                      modified=response.headers.get("Last-Modified"))
        return Fetched(bodies, cursor, self.config.interval)

    def parse(self, body: bytes) -> Delivery:
        return map_body(body, channel=self.key)

    def check(self) -> CheckResult:
        parsed = self._parse(self._get({}))
        details = {"entries": str(len(parsed.entries)), "format": str(parsed.get("version") or "?"),
                   "encoding": str(parsed.get("encoding") or "?")}
        return CheckResult(str(parsed.feed.get("title") or self.config.url), details)

"""A news site's feed on 127.0.0.1, as a responder for :class:`HttpSink`: serves the current
document with an ETag and Last-Modified, and answers ``304`` when the client sends them back."""

from __future__ import annotations

import hashlib

from tests.fakes.http_sink import Recorded, Reply


class FeedServer:
    def __init__(self, document: bytes, *, content_type: str = "application/rss+xml") -> None:
        self.content_type = content_type
        self.status: int | None = None  # set to answer every request with this status instead
        self.publish(document)

    def publish(self, document: bytes) -> None:
        self.document = document
        self.etag = '"' + hashlib.sha256(document).hexdigest()[:16] + '"'

    def __call__(self, rec: Recorded) -> Reply:
        if self.status is not None:
            return Reply(self.status, "unavailable", headers={"Retry-After": "120"})
        if rec.headers.get("if-none-match") == self.etag:
            return Reply(304, b"", headers={"ETag": self.etag})
        return Reply(200, self.document, headers={
            "ETag": self.etag, "Last-Modified": "Fri, 04 Dec 2026 10:00:00 GMT",
            "X-Content-Type": self.content_type})

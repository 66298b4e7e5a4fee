"""The demo's press feed: an RSS 2.0 feed of the articles published so far, on 127.0.0.1.

Voltaro's press coverage reaches crisisdesk the way a media-monitoring feed would: the demo
publishes each article when the replay reaches it, and the workspace's ``rss`` channel fetches
the feed (conditional GET: the feed answers ``304`` while nothing changed) and stores the entries
it has not seen. Like a real feed it lists only its newest ``KEEP`` entries; the channel's cursor
remembers what it stored, so an entry is never stored twice.
"""

from __future__ import annotations

import hashlib
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from xml.sax.saxutils import escape

from crisisdesk.demo.payloads import Article

PATH: Final = "/voltaro-press.xml"
TITLE: Final = "Voltaro in the press"
#: Entries the feed lists (the newest); real feeds keep 10–100.
KEEP: Final = 50


class NewsFeed:
    """Start with ``with NewsFeed() as feed:``; ``feed.url`` goes into the rss channel's block."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._articles: list[Article] = []
        self._body = b""
        self._etag = ""
        self.unchanged = 0  # fetches answered 304
        feed = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "crisisdesk-demo-feed"

            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != PATH:
                    self._reply(404, b"no such feed", {})
                    return
                body, etag = feed.current()
                with feed._lock:
                    fresh = self.headers.get("If-None-Match") != etag
                    feed.unchanged += not fresh
                headers = {"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"}
                if fresh:
                    self._reply(200, body, headers)
                else:
                    self._reply(304, b"", headers)

            def _reply(self, status: int, raw: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    if raw:
                        self.wfile.write(raw)
                except OSError:
                    pass  # the reader went away; it will fetch again

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="demo-feed", daemon=True)
        self._render()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def publish(self, article: Article) -> None:
        with self._lock:
            self._articles.append(article)
            self._articles = self._articles[-KEEP:]
            self._render()

    def current(self) -> tuple[bytes, str]:
        with self._lock:
            return self._body, self._etag

    def _render(self) -> None:
        items = "".join(_item(a) for a in reversed(self._articles))  # newest first
        base = self.url.removesuffix(PATH)
        self._body = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{escape(TITLE)}</title><link>{escape(base)}/</link>"
            "<description>Articles about Voltaro from the outlets we follow</description>"
            f"{items}</channel></rss>\n"
        ).encode()
        self._etag = '"' + hashlib.sha256(self._body).hexdigest()[:32] + '"'

    def start(self) -> NewsFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> NewsFeed:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _item(article: Article) -> str:
    parts = [f"<title>{escape(article.title)}</title>",
             f'<guid isPermaLink="false">{escape(article.guid)}</guid>',
             f"<pubDate>{format_datetime(article.published, usegmt=True)}</pubDate>",
             f"<dc:creator>{escape(article.outlet)}</dc:creator>"]
    if article.link:
        parts.append(f"<link>{escape(article.link)}</link>")
    if article.summary:
        parts.append(f"<description>{escape(article.summary)}</description>")
    return "<item>" + "".join(parts) + "</item>"

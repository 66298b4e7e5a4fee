"""News feeds: RSS 2.0, Atom and a Latin-1 feed from a local server, conditional GET, entries
stored once across polls and restarts, failures recorded with backoff, posts matched by monitors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.models import ChannelCursor
from crisisdesk.channels.polling import backoff, poll_once
from crisisdesk.channels.rss.config import RssConfig
from crisisdesk.channels.rss.connector import RssConnector
from crisisdesk.channels.service import pending
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.fakes.feed_server import FeedServer
from tests.fakes.http_sink import HttpSink

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tagesblatt</title><link>https://tagesblatt.example/</link>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://tagesblatt.example/{n}</link>
<guid>https://tagesblatt.example/{n}</guid><pubDate>Fri, 04 Dec 2026 0{n}:00:00 +0100</pubDate>
<description>&lt;p&gt;{summary}&lt;/p&gt;</description></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tech-Ticker</title><id>urn:tt</id>
<updated>2026-12-04T09:00:00Z</updated>
<entry><id>urn:tt:1</id><title>Voltaro ruft Akkus zurück</title><updated>2026-12-04T09:00:00Z</updated>
<link rel="alternate" href="https://tt.example/1"/><summary>Brandgefahr bei Modell X2</summary></entry>
</feed>"""


def rss(*items: tuple[int, str, str]) -> bytes:
    return RSS.format(items="".join(ITEM.format(n=n, title=t, summary=s) for n, t, s in items)).encode()


@pytest.fixture
def feed() -> Iterator[tuple[HttpSink, FeedServer]]:
    server = FeedServer(rss((1, "Voltaro: Akku-Brände in Berlin", "Drei Fälle gemeldet")))
    with HttpSink(responder=server) as sink:
        yield sink, server


def connector(url: str, key: str = "tagesblatt") -> RssConnector:
    return RssConnector(RssConfig(key=key, url=url, interval=60))


def test_conditional_get_and_entries_stored_once(feed: tuple[HttpSink, FeedServer], engine: Engine) -> None:
    sink, server = feed
    rss_feed = connector(sink.url + "/feed.xml")
    clock = SystemClock()
    assert poll_once(rss_feed, engine=engine, clock=clock) == 60
    first = rss_feed.fetch(None)
    assert len(first.bodies) == 1 and first.cursor["etag"] == server.etag
    poll_once(rss_feed, engine=engine, clock=clock)  # unchanged: 304
    assert sink.requests[-1].headers.get("if-none-match") == server.etag
    server.publish(rss((1, "Voltaro: Akku-Brände in Berlin", "Drei Fälle gemeldet"),
                       (2, "Voltaro äußert sich", "Rückruf geprüft")))
    poll_once(rss_feed, engine=engine, clock=clock)
    # A new connector (a restart) goes on from the stored cursor: the old entry is not fetched again.
    restarted = connector(sink.url + "/feed.xml")
    server.publish(rss((2, "Voltaro äußert sich", "Rückruf geprüft"), (3, "Dritter Artikel", "Text")))
    poll_once(restarted, engine=engine, clock=clock)
    posts: list[dict[str, Any]] = []

    for delivery in pending(engine, channels=["tagesblatt"]):
        posts.extend(p.post for p in rss_feed.parse(delivery.body).posts)
    assert [p["id"] for p in posts] == ["https://tagesblatt.example/1", "https://tagesblatt.example/2",
                                        "https://tagesblatt.example/3"]
    first_post = posts[0]
    assert first_post["text"] == "Voltaro: Akku-Brände in Berlin\n\nDrei Fälle gemeldet"
    assert first_post["created_at"] == "2026-12-04T00:00:00+00:00"  # 01:00 +0100
    assert first_post["kind"] == "article" and first_post["platform"] == "news"
    assert first_post["author"]["name"] == "Tagesblatt"


def test_atom_and_a_latin1_feed(engine: Engine) -> None:
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Lokal</title>'
             '<item><title>Rückruf für Roller</title><guid>g1</guid><description>Größere Mängel</description>'
             '</item></channel></rss>').encode("latin-1")
    for document, expected in ((ATOM.encode(), "Voltaro ruft Akkus zurück\n\nBrandgefahr bei Modell X2"),
                               (latin, "Rückruf für Roller\n\nGrößere Mängel")):
        with HttpSink(responder=FeedServer(document)) as sink:
            source = connector(sink.url)
            (body,) = source.fetch(None).bodies
            (post,) = source.parse(body).posts
            assert post.post["text"] == expected


def test_failures_are_recorded_and_backed_off(feed: tuple[HttpSink, FeedServer], engine: Engine) -> None:
    sink, server = feed
    source = connector(sink.url)
    server.status = 503
    assert poll_once(source, engine=engine, clock=SystemClock()) == 120  # the server's Retry-After
    server.status = 404
    assert poll_once(source, engine=engine, clock=SystemClock()) == backoff(2, None) == 10
    with engine.connect() as conn:
        row = conn.execute(select(ChannelCursor)).one()
    assert row.failures == 2 and "HTTP 404" in (row.last_error or "")
    server.status = None
    poll_once(source, engine=engine, clock=SystemClock())
    with engine.connect() as conn:
        assert conn.execute(select(ChannelCursor.failures)).scalar_one() == 0
    with HttpSink(responder=FeedServer(b"<html><body>not a feed</body></html>")) as html, \
            pytest.raises(PlatformError, match="not a feed"):
        connector(html.url).fetch(None)


def test_the_service_polls_feeds_into_matched_posts(feed: tuple[HttpSink, FeedServer],
                                                    workspace_file: Path) -> None:
    sink, _ = feed
    workspace_file.write_text(
        "monitors:\n  - name: voltaro\n    query: voltaro\n"
        f"channels:\n  - key: tagesblatt\n    platform: rss\n    url: {sink.url}/feed\n    interval: 30\n",
        encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    try:
        runtime.start_channels()
        assert runtime.pollers is not None and runtime.pollers.running == ["tagesblatt"]
        deadline = time.monotonic() + 10
        while True:
            with runtime.engine.connect() as conn:
                found = conn.execute(select(Post.text, Post.channel).where(Post.platform == "news")).all()
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        titles = [(r.channel, r.text.split("\n")[0]) for r in found]
        assert titles == [("tagesblatt", "Voltaro: Akku-Brände in Berlin")]
    finally:
        runtime.close()


def test_a_feed_declared_with_its_reach_gives_its_articles_that_reach() -> None:
    import orjson

    from crisisdesk.channels.rss.mapping import map_body

    body = orjson.dumps({"feed": {"title": "Tagesblatt", "link": "https://tagesblatt.example"},
                         "entry": {"id": "a1", "title": "Akkus brennen", "link": "https://tagesblatt.example/a1"},
                         "seen": "2026-12-01T10:00:00+00:00", "name": None, "reach": 900_000})
    (post,) = map_body(body, channel="press").posts
    assert post.post["author"]["followers"] == 900_000
    unsized = orjson.dumps({"feed": {}, "entry": {"id": "a2", "title": "x"},
                            "seen": "2026-12-01T10:00:00+00:00"})
    assert "followers" not in map_body(unsized, channel="press").posts[0].post["author"]

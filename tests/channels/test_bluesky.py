"""Bluesky against a loopback PDS: post views and notifications mapped (replies, languages,
images, our own posts), search and notifications paged across polls and a restart, sessions
refreshed or renewed, rate limits and a wrong app password, ``channels check``, and posts through
the service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crisisdesk.channels.base import InboundPost, PlatformError
from crisisdesk.channels.bluesky import connector as bluesky_connector
from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.bluesky.connector import BlueskyConnector
from crisisdesk.channels.models import ChannelCursor
from crisisdesk.channels.polling import poll_once
from crisisdesk.channels.service import pending
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.fakes.bluesky_api import BlueskyApi, ago
from tests.fakes.http_sink import HttpSink

HANDLE, PASSWORD, DID = "voltaro.bsky.social", "abcd-efgh-ijkl-mnop", "did:plc:voltaro0000000000000000"
US = {"did": DID, "handle": HANDLE, "displayName": "Voltaro Support"}
FAN = {"did": "did:plc:kim000000000000000000000", "handle": "kim.bsky.social", "displayName": "Kim"}
PROFILE = {**US, "followersCount": 321, "followsCount": 5, "postsCount": 42}


@pytest.fixture
def pds() -> Iterator[tuple[HttpSink, BlueskyApi]]:
    api = BlueskyApi(HANDLE, PASSWORD, DID, PROFILE)
    with HttpSink(responder=api) as sink:
        yield sink, api


def connector(url: str, *, password: str = PASSWORD,
              queries: tuple[str, ...] = ("voltaro",)) -> BlueskyConnector:
    return BlueskyConnector(BlueskyConfig(key="sky", handle=HANDLE, app_password=password,
                                          queries=list(queries), api_base=url))


def posts_of(source: BlueskyConnector, bodies: list[bytes]) -> list[InboundPost]:
    return [p for body in bodies for p in source.parse(body).posts]


def test_posts_and_notifications_map_to_posts(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    images = {"$type": "app.bsky.embed.images#view",
              "images": [{"thumb": "https://cdn/t.jpg", "fullsize": "https://cdn/f.jpg", "alt": "Rauch"}]}
    top = api.publish("Voltaro Akku brennt!", author=FAN, langs=["de", "en"], embed=images)
    answer = api.publish("Voltaro: wir melden uns", author=US, reply_to=top)
    deeper = api.publish("Voltaro, danke – aber wann?", author={**FAN, "handle": "handle.invalid"},
                         reply_to=answer, langs=[], notify="reply")
    api.publish("@voltaro.bsky.social schau mal", author=FAN, notify="mention")
    api.like(FAN, answer)
    api.honour_reasons = False  # as a PDS that ignores reasons: the like is kept as unparsed
    source = connector(sink.url)
    fetched = source.fetch(None)
    parsed = [source.parse(b) for b in fetched.bodies]
    assert [u.what for d in parsed for u in d.unparsed] == ["notification like"]
    found = posts_of(source, fetched.bodies)
    first = next(p for p in found if p.post["id"] == top["uri"])
    rkey = top["uri"].rsplit("/", 1)[1]
    assert first.post["url"] == f"https://bsky.app/profile/kim.bsky.social/post/{rkey}"
    assert first.post["lang"] == "de" and first.post["kind"] == "post" and first.public
    assert first.post["author"] == {"id": FAN["did"], "handle": "kim.bsky.social", "name": "Kim",
                                    "followers": None}
    assert first.post["metrics"] == {"likes": top["likeCount"], "shares": top["repostCount"], "replies": 0}
    created = datetime.fromisoformat(top["record"]["createdAt"])
    assert datetime.fromisoformat(first.post["created_at"]) == created
    assert first.thread == f"bluesky:{top['uri']}" and first.post["in_reply_to"] is None
    assert [(a.type, a.url, a.name) for a in first.attachments] == [("image", "https://cdn/f.jpg", "Rauch")]
    ours = next(p for p in found if p.post["id"] == answer["uri"])
    assert ours.own and not first.own and ours.post["in_reply_to"] == top["uri"]
    replies = [p for p in found if p.post["id"] == deeper["uri"]]
    assert len(replies) == 2  # in the search and in the notifications: the pipeline stores it once
    reply = replies[0]
    assert reply.thread == first.thread and reply.post["in_reply_to"] == answer["uri"]
    assert reply.post["kind"] == "reply" and reply.post["lang"] is None
    rkey = deeper["uri"].rsplit("/", 1)[1]
    assert reply.post["url"] == f"https://bsky.app/profile/{FAN['did']}/post/{rkey}"
    mention = next(p for p in found if p.post["text"].startswith("@voltaro"))
    assert "metrics" not in mention.post and mention.thread == f"bluesky:{mention.post['id']}"
    login, *calls = sink.requests
    assert login.path == "/xrpc/com.atproto.server.createSession" and login.json() == {
        "identifier": HANDLE, "password": PASSWORD}
    token = calls[0].headers["authorization"]
    assert token.startswith("Bearer ey") and all(c.headers["authorization"] == token for c in calls)
    assert any("sort=latest" in c.path and "q=voltaro" in c.path for c in calls)


def test_polls_go_on_from_the_cursor_across_polls_and_a_restart(pds: tuple[HttpSink, BlueskyApi],
                                                              engine: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sink, api = pds
    clock = SystemClock()
    published = [api.publish(f"voltaro alt {n}", author=FAN, created=ago(6000 - n))["uri"] for n in range(3)]
    source = connector(sink.url)
    assert poll_once(source, engine=engine, clock=clock) == 60
    # More than MAX_PAGES pages between polls: the rest follows on the next poll, from the page cursor.
    monkeypatch.setattr(bluesky_connector, "MAX_PAGES", 2)
    published += [api.publish(f"voltaro neu {n}", author=FAN, created=ago(3000 - n * 10),
                              notify="mention" if n % 50 == 0 else None)["uri"] for n in range(250)]
    assert poll_once(source, engine=engine, clock=clock) == 1.0
    with engine.connect() as conn:
        cursor = conn.execute(select(ChannelCursor.cursor)).scalar_one()
    assert cursor["search:voltaro"]["resume"] == "200"
    assert poll_once(source, engine=engine, clock=clock) == 60
    assert poll_once(source, engine=engine, clock=clock) == 60  # nothing new
    restarted = connector(sink.url)
    published += [api.publish(f"voltaro danach {n}", author=FAN)["uri"] for n in range(3)]
    poll_once(restarted, engine=engine, clock=clock)
    searched: list[str] = []
    mentions: list[str] = []
    for delivery in pending(engine, channels=["sky"], limit=1000):
        ids = [p.post["id"] for p in restarted.parse(delivery.body).posts]
        (mentions if b'"source":"notifications"' in delivery.body else searched).extend(ids)
    assert sorted(searched) == sorted(published) and len(searched) == len(set(searched))
    assert len(mentions) == 5 == len(set(mentions))
    searches = [r.path for r in sink.requests if "searchPosts" in r.path]
    assert "since=" not in searches[0] and all("since=" in s for s in searches[1:])
    assert api.sessions == 2  # one per connector: the session is reused between polls
    with engine.connect() as conn:
        cursor = conn.execute(select(ChannelCursor.cursor)).scalar_one()
    assert sorted(cursor["search:voltaro"]["seen"]) == sorted(published[-3:])  # older ones pruned


def test_sessions_are_refreshed_then_renewed(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    source = connector(sink.url)
    source.fetch(None)
    api.expire_access()
    source.fetch(None)
    assert (api.sessions, api.refreshes) == (1, 1)
    api.expire_access()
    api.refresh.clear()  # the refresh token is refused too: log in again
    source.fetch(None)
    assert (api.sessions, api.refreshes) == (2, 1)
    with pytest.raises(PlatformError) as caught:
        connector(sink.url, password="wrong-pass").fetch(None)
    assert caught.value.reauthorize and caught.value.permanent
    assert "Invalid identifier or password" in str(caught.value)


def test_rate_limits_wait_until_the_reset(pds: tuple[HttpSink, BlueskyApi], engine: Engine) -> None:
    sink, api = pds
    api.reset = time.time() + 90
    api.remaining = 0
    source = connector(sink.url)
    with pytest.raises(PlatformError) as caught:
        source.fetch(None)
    assert caught.value.code == 429 and 80 < (caught.value.retry_after or 0) <= 90
    assert 80 < poll_once(source, engine=engine, clock=SystemClock()) <= 90
    # The budget ends during a poll: what came is kept, the next poll waits for the reset.
    api.remaining = 2  # login and notifications, then the search is refused
    api.publish("@voltaro.bsky.social hallo", author=FAN, notify="mention")
    fetched = connector(sink.url).fetch(None)
    assert len(posts_of(source, fetched.bodies)) == 1 and 80 < fetched.wait <= 90
    assert "notifications" in fetched.cursor and "search:voltaro" not in fetched.cursor


def test_config_refuses_bad_blocks() -> None:
    from pydantic import ValidationError
    for bad, where in (({"queries": [" "]}, "queries"), ({"interval": 1}, "interval"),
                       ({"api_base": "bsky.social"}, "api_base")):
        with pytest.raises(ValidationError, match=where):
            BlueskyConfig.model_validate({"key": "b", "handle": HANDLE, "app_password": "x", **bad})
    config = BlueskyConfig.model_validate({"key": "b", "handle": "@" + HANDLE, "app_password": "x"})
    assert config.handle == HANDLE and config.base("https://bsky.social") == "https://bsky.social"


def test_cli_check_names_the_account(pds: tuple[HttpSink, BlueskyApi], workspace_file: Path) -> None:
    sink, _ = pds
    runner = CliRunner()
    for password, code, expected in ((PASSWORD, 0, "sky: bluesky account @voltaro.bsky.social"),
                                     ("wrong", 1, "handle or app password is wrong")):
        workspace_file.write_text(
            f"channels:\n  - key: sky\n    platform: bluesky\n    handle: {HANDLE}\n"
            f"    app_password: {password}\n    queries: [voltaro]\n    api_base: {sink.url}\n",
            encoding="utf-8")
        result = runner.invoke(app, ["channels", "check", "sky", "--config", str(workspace_file)])
        assert result.exit_code == code and expected in result.output, result.output
        if code == 0:
            assert "followers: 321" in result.output and f"did: {DID}" in result.output


def test_the_service_polls_search_into_matched_posts(pds: tuple[HttpSink, BlueskyApi],
                                                     workspace_file: Path) -> None:
    sink, api = pds
    view = api.publish("Voltaro Akku raucht", author=FAN)
    workspace_file.write_text(
        "monitors:\n  - name: voltaro\n    query: voltaro\n"
        f"channels:\n  - key: sky\n    platform: bluesky\n    handle: {HANDLE}\n"
        f"    app_password: {PASSWORD}\n"
        f"    queries: [voltaro]\n    api_base: {sink.url}\n", encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    try:
        runtime.start_channels()
        assert runtime.pollers is not None and runtime.pollers.running == ["sky"]
        deadline = time.monotonic() + 10
        found: list[Any] = []
        while not found and time.monotonic() < deadline:
            with runtime.engine.connect() as conn:
                found = list(conn.execute(select(Post.text, Post.channel, Post.lang, Post.raw)
                                          .where(Post.platform == "bluesky")).all())
            time.sleep(0.05)
        assert [(r.channel, r.text, r.lang) for r in found] == [("sky", "Voltaro Akku raucht", "de")]
        # the stored raw post keeps what a reply needs (the CIDs), which no column holds
        parent = {"uri": view["uri"], "cid": view["cid"]}
        assert orjson.loads(found[0].raw)["reply_ref"] == {"root": parent, "parent": parent}
    finally:
        runtime.close()


def test_unreadable_items_are_kept_not_raised() -> None:
    from crisisdesk.channels.base import PayloadError
    source = connector("https://bsky.example")
    body = (b'{"source":"search","query":"v","me":null,"items":[1,{"uri":"at://x/app.bsky.feed.post/1"},'
            b'{"uri":"at://x/app.bsky.feed.post/2","record":{"text":"t","createdAt":"soon"}},'
            b'{"uri":"at://x/app.bsky.feed.post/3","record":{"text":"t","createdAt":"2026-12-04T10:00:00Z",'
            b'"reply":"parent"}}]}')
    parsed = source.parse(body)
    assert parsed.posts == [] and [u.what.split(":")[0] for u in parsed.unparsed] == [
        "not a Bluesky object", "not a post", "post not readable", "post not readable"]
    for bad in (b"[", b'{"items": 3}'):
        with pytest.raises(PayloadError):
            source.parse(bad)

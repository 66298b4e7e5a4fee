"""Mastodon against a loopback instance: statuses mapped (HTML, boosts, content warnings, direct
messages, replies, edits), mentions and hashtags paged with min_id across polls and a restart,
rate limits and a dead token, ``channels check``, and posts through the service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crisisdesk.channels.base import InboundPost, PlatformError
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.models import ChannelCursor
from crisisdesk.channels.polling import poll_once
from crisisdesk.channels.service import pending
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi

TOKEN = "mastodon-user-token"
US = {"id": "1", "username": "voltaro", "acct": "voltaro", "display_name": "Voltaro Support",
      "followers_count": 1234, "url": "https://social.example/@voltaro"}
FAN = {"id": "77", "username": "kim", "acct": "kim@other.example", "display_name": "Kim",
       "followers_count": 12}


def status(content: str, *, account: dict[str, Any] = FAN, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "created_at": "2026-12-04T10:00:00.000Z", "content": content, "visibility": "public",
        "language": "de", "url": None, "uri": "https://other.example/statuses/1", "account": account,
        "in_reply_to_id": None, "spoiler_text": "", "sensitive": False, "favourites_count": 3,
        "reblogs_count": 1, "replies_count": 2, "reblog": None, "edited_at": None, "media_attachments": []}
    found.update(extra)
    return found


@pytest.fixture
def instance() -> Iterator[tuple[HttpSink, MastodonApi]]:
    api = MastodonApi(TOKEN, US)
    with HttpSink(responder=api) as sink:
        api.base = sink.url
        yield sink, api


def connector(url: str, *, token: str = TOKEN, tags: list[str] | None = None) -> MastodonConnector:
    return MastodonConnector(MastodonConfig(key="masto", base_url=url, access_token=token,
                                            hashtags=["#Voltaro"] if tags is None else tags))


def posts_of(source: MastodonConnector, bodies: list[bytes]) -> list[InboundPost]:
    return [p for body in bodies for p in source.parse(body).posts]


def test_statuses_map_to_posts(instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    html = ('<p>Mein <a href="https://other.example/tags/voltaro" class="mention hashtag" rel="tag">#<span>'
            'Voltaro</span></a> Akku brennt &amp; raucht!<br>Wer hilft? <span class="h-card"><a href="https://'
            'social.example/@voltaro" class="u-url mention">@<span>voltaro</span></a></span></p><p>Bild: <a '
            'href="https://img.example/very/long/path"><span class="invisible">https://</span><span class='
            '"ellipsis">img.example/very/</span><span class="invisible">long/path</span></a></p>')
    first = api.publish(status(html, url="https://other.example/@kim/1",
                               media_attachments=[{"id": "m1", "type": "image", "url": "https://img/1.png",
                                                   "description": "Rauch"}]), tags=("voltaro",))
    reply = api.publish(status("<p>Kommt das öfter vor?</p>", in_reply_to_id=first, spoiler_text="Brand",
                               edited_at="2026-12-04T10:05:00.000Z", language="en"), tags=("voltaro",))
    api.publish(status("<p>@voltaro Bitte per DM</p>", visibility="direct", in_reply_to_id=reply),
                mention=True)
    api.publish(status("<p>Nur für Follower</p>", visibility="private"), mention=True)
    inner = status("<p>Geteilt: Voltaro Rückruf</p>")
    inner["id"] = "555"
    api.publish(status("", reblog=inner), tags=("voltaro",))
    api.publish(status("", reblog=inner), tags=("voltaro",))  # boosted twice: one post
    api.publish(status("<p>Unsere Antwort</p>", account=US, in_reply_to_id=first), tags=("voltaro",))
    api.notify("follow", FAN)
    api.honour_types = False
    source = connector(sink.url)
    fetched = source.fetch(None)
    parsed = [source.parse(b) for b in fetched.bodies]
    posts = {p.post["id"]: p for d in parsed for p in d.posts}
    assert [u.what for d in parsed for u in d.unparsed] == ["notification follow"]
    one = posts[first]
    assert one.post["text"] == ("Mein #Voltaro Akku brennt & raucht!\nWer hilft? @voltaro\n\n"
                                "Bild: https://img.example/very/long/path")
    assert one.post["author"] == {"id": "77", "handle": "kim@other.example", "name": "Kim", "followers": 12}
    assert one.post["metrics"] == {"likes": 3, "shares": 1, "replies": 2}
    assert one.post["created_at"] == "2026-12-04T10:00:00+00:00" and one.post["lang"] == "de"
    assert one.post["url"] == "https://other.example/@kim/1" and one.post["kind"] == "post"
    host = sink.url.removeprefix("http://")
    assert one.thread == f"mastodon:{host}:{first}" and one.public and not one.edited
    assert [(a.type, a.url, a.name) for a in one.attachments] == [("image", "https://img/1.png", "Rauch")]
    two = posts[reply]
    assert two.post["text"] == "Brand\n\nKommt das öfter vor?" and two.edited and two.post["lang"] == "en"
    assert two.post["in_reply_to"] == first and two.thread == one.thread and two.post["kind"] == "reply"
    direct = next(p for p in posts.values() if p.post["text"] == "@voltaro Bitte per DM")
    assert not direct.public and direct.post["kind"] == "message"
    assert direct.thread == one.thread  # its parent's root, known from the earlier page of the poll
    assert not next(p for p in posts.values() if p.post["text"] == "Nur für Follower").public
    boosted = [p for p in posts_of(source, fetched.bodies) if p.post["id"] == "555"]
    assert len(boosted) == 1 and boosted[0].post["text"] == "Geteilt: Voltaro Rückruf"
    ours = next(p for p in posts.values() if p.post["text"] == "Unsere Antwort")
    assert ours.own and not two.own
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in sink.requests)
    assert any(r.path.startswith("/api/v1/notifications?types%5B%5D=mention") for r in sink.requests)


def test_polls_page_forward_across_polls_and_a_restart(instance: tuple[HttpSink, MastodonApi],
                                                       engine: Engine) -> None:
    sink, api = instance
    clock = SystemClock()
    published = [api.publish(status(f"<p>alt {n}</p>"), tags=("voltaro",)) for n in range(2)]
    source = connector(sink.url)
    assert poll_once(source, engine=engine, clock=clock) == 60
    # More than two pages between polls: min_id walks forward from the cursor, nothing skipped.
    published += [api.publish(status(f"<p>neu {n}</p>"), tags=("voltaro",), mention=n % 10 == 0)
                  for n in range(95)]
    assert poll_once(source, engine=engine, clock=clock) == 60
    tag_requests = [r.path for r in sink.requests if "/timelines/tag/" in r.path]
    assert len(tag_requests) == 4 and all("min_id=" in p for p in tag_requests[1:])
    assert poll_once(source, engine=engine, clock=clock) == 60  # nothing new
    restarted = connector(sink.url)
    published += [api.publish(status(f"<p>danach {n}</p>"), tags=("voltaro",)) for n in range(3)]
    poll_once(restarted, engine=engine, clock=clock)
    seen: list[str] = []
    mentions = 0
    for delivery in pending(engine, channels=["masto"], limit=1000):
        parsed = restarted.parse(delivery.body).posts
        if b'"source":"notifications"' in delivery.body:
            mentions += len(parsed)
        else:
            seen += [p.post["id"] for p in parsed]
    assert sorted(seen, key=int) == published and len(seen) == len(set(seen))
    assert mentions == 10
    with engine.connect() as conn:
        cursor = conn.execute(select(ChannelCursor.cursor)).scalar_one()
    assert cursor["since"]["tag:Voltaro"] == published[-1]


def test_rate_limits_wait_until_the_reset(instance: tuple[HttpSink, MastodonApi], engine: Engine) -> None:
    sink, api = instance
    api.reset = datetime.now(UTC) + timedelta(seconds=120)
    api.remaining = 0
    source = connector(sink.url)
    with pytest.raises(PlatformError) as caught:
        source.fetch(None)
    assert caught.value.code == 429 and 100 < (caught.value.retry_after or 0) <= 120
    assert 100 < poll_once(source, engine=engine, clock=SystemClock()) <= 120
    # The budget ends during a poll: what came is kept, the next poll waits for the reset.
    api.remaining = 3
    api.publish(status("<p>eins</p>"), tags=("voltaro",))
    fetched = connector(sink.url).fetch(None)
    assert len(posts_of(source, fetched.bodies)) == 1 and 100 < fetched.wait <= 120
    assert "tag:Voltaro" in fetched.cursor["since"]


def test_a_dead_token_asks_for_new_credentials(instance: tuple[HttpSink, MastodonApi],
                                               engine: Engine) -> None:
    sink, _ = instance
    source = connector(sink.url, token="revoked")
    with pytest.raises(PlatformError) as caught:
        source.fetch(None)
    assert caught.value.reauthorize and caught.value.permanent and caught.value.code == 401
    assert "The access token is invalid" in str(caught.value)
    poll_once(source, engine=engine, clock=SystemClock())
    with engine.connect() as conn:
        row = conn.execute(select(ChannelCursor)).one()
    assert row.failures == 1 and "access token is invalid" in (row.last_error or "")


def test_config_refuses_bad_blocks() -> None:
    from pydantic import ValidationError
    for bad, where in (({"base_url": "mastodon.social"}, "base_url"),
                       ({"hashtags": ["two words"]}, "hashtags"), ({"interval": 5}, "interval")):
        data = {"key": "m", "base_url": "https://mastodon.social", "access_token": "t", **bad}
        with pytest.raises(ValidationError, match=where):
            MastodonConfig.model_validate(data)
    config = MastodonConfig.model_validate({"key": "m", "base_url": "https://mastodon.social/",
                                            "access_token": "t", "hashtags": ["#a", "A", "b"]})
    assert config.hashtags == ["a", "b"] and config.base_url == "https://mastodon.social"


def test_cli_check_names_the_account(instance: tuple[HttpSink, MastodonApi], workspace_file: Path) -> None:
    sink, _ = instance
    runner = CliRunner()
    for token, code, expected in ((TOKEN, 0, "masto: mastodon account @voltaro"),
                                  ("wrong", 1, "access token is invalid or was revoked")):
        workspace_file.write_text(
            f"channels:\n  - key: masto\n    platform: mastodon\n    base_url: {sink.url}\n"
            f"    access_token: {token}\n    hashtags: [voltaro]\n", encoding="utf-8")
        result = runner.invoke(app, ["channels", "check", "masto", "--config", str(workspace_file)])
        assert result.exit_code == code and expected in result.output, result.output
    workspace_file.write_text(
        f"channels:\n  - key: masto\n    platform: mastodon\n    base_url: {sink.url}\n"
        f"    access_token: {TOKEN}\n", encoding="utf-8")
    result = runner.invoke(app, ["channels", "check", "masto", "--config", str(workspace_file)])
    assert "followers: 1234" in result.output and "hashtags: none" in result.output, result.output


def test_the_service_polls_mentions_into_matched_posts(instance: tuple[HttpSink, MastodonApi],
                                                       workspace_file: Path) -> None:
    sink, api = instance
    api.publish(status("<p>@voltaro mein Akku raucht</p>"), mention=True)
    api.publish(status("<p>Voltaro Rückruf?</p>"), tags=("voltaro",))
    workspace_file.write_text(
        "monitors:\n  - name: voltaro\n    query: voltaro\n"
        f"channels:\n  - key: masto\n    platform: mastodon\n    base_url: {sink.url}\n"
        f"    access_token: {TOKEN}\n    hashtags: [voltaro]\n", encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    try:
        runtime.start_channels()
        assert runtime.pollers is not None and runtime.pollers.running == ["masto"]
        deadline = time.monotonic() + 10
        while True:
            with runtime.engine.connect() as conn:
                found = conn.execute(select(Post.text, Post.channel).where(Post.platform == "mastodon")).all()
            if len(found) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert sorted((r.channel, r.text) for r in found) == [
            ("masto", "@voltaro mein Akku raucht"), ("masto", "Voltaro Rückruf?")]
    finally:
        runtime.close()


def test_unreadable_items_are_kept_not_raised() -> None:
    from crisisdesk.channels.base import PayloadError
    source = connector("https://social.example")
    body = (b'{"source":"tag:voltaro","me":"1","roots":{},"page":[42,{"id":"9"},'
            b'{"id":"8","created_at":"2026-12-04T10:00:00Z","account":"kim","content":"<p>x</p>"},'
            b'{"id":"7","created_at":"yesterday","content":"<p>y</p>"}]}')
    parsed = source.parse(body)
    assert parsed.posts == [] and len(parsed.unparsed) == 4
    assert sorted(u.what.split(":")[0] for u in parsed.unparsed) == [
        "not a Mastodon object", "status not readable", "status not readable", "status without id or time"]
    for bad in (b"<html>", b'{"page": {}}'):
        with pytest.raises(PayloadError):
            source.parse(bad)

"""X API v2 recent search against a loopback server that speaks it: documented tweet shapes
mapped, pages followed within a poll, the since_id cursor across polls and restarts (nothing
repeated, nothing skipped), rate limits waited out until x-rate-limit-reset, X's errors in words,
`channels check`, and tweets arriving through the running service as matched posts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.models import ChannelCursor
from crisisdesk.channels.polling import poll_once
from crisisdesk.channels.service import load_cursor, pending
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.connector import XConnector
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.posts.models import Author, Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.models import Monitor, MonitorMatch
from crisisdesk.workspace import load_workspace, parse_config
from tests.fakes.http_sink import HttpSink
from tests.fakes.x_api import XApi, invalid_request, problem

TOKEN = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"  # noqa: E501 (a made-up token)
US = "1450000000000000001"


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def x() -> Iterator[tuple[HttpSink, XApi]]:
    api = XApi(TOKEN)
    api.user(US, "Voltaro", name="Voltaro Service", followers=1234, verified=True)
    api.user("2244994945", "kunde_k", name="Kim K", followers=87)
    with HttpSink(responder=api) as sink:
        yield sink, api


def connector(base: str, **fields: Any) -> XConnector:
    values: dict[str, Any] = {"key": "x-voltaro", "bearer_token": TOKEN, "account": "voltaro",
                              "query": "voltaro lang:de", "api_base": base, **fields}
    return XConnector(XConfig(**values))


def page(data: list[dict[str, Any]], users: list[dict[str, Any]], tweets: list[dict[str, Any]] | None = None,
         **extra: Any) -> bytes:
    includes: dict[str, Any] = {"users": users}
    if tweets:
        includes["tweets"] = tweets
    return orjson.dumps({"data": data, "includes": includes, "meta": {"result_count": len(data)}, **extra})


def stored_ids(engine: Engine, source: XConnector) -> list[str]:
    return [p.post["id"] for d in pending(engine, channels=[source.key]) for p in source.parse(d.body).posts]


def test_documented_tweet_shapes_are_mapped() -> None:
    kim = {"id": "2244994945", "username": "kunde_k", "name": "Kim K", "verified": False,
           "public_metrics": {"followers_count": 87, "following_count": 3, "tweet_count": 9,
                              "listed_count": 0}}
    press = {"id": "99", "username": "presse", "name": "Presse",
             "public_metrics": {"followers_count": 50000}}
    us = {"id": US, "username": "Voltaro", "name": "Voltaro Service", "verified": True,
          "public_metrics": {"followers_count": 1234}}
    metrics = {"retweet_count": 2, "reply_count": 1, "like_count": 7, "quote_count": 3,
               "impression_count": 400, "bookmark_count": 6}
    original = {"id": "1800000000000000001",
                "text": "@Voltaro mein Akku ist heute Nacht geplatzt. Sehr gefährlich!",
                "author_id": "2244994945", "created_at": "2026-12-04T09:00:00.000Z",
                "conversation_id": "1800000000000000001", "lang": "de", "public_metrics": metrics}
    reply = {"id": "1800000000000000002", "text": "@kunde_k Das tut uns leid, bitte schreib uns eine DM.",
             "author_id": US, "created_at": "2026-12-04T09:05:00.000Z",
             "conversation_id": "1800000000000000001",
             "in_reply_to_user_id": "2244994945", "lang": "de",
             "referenced_tweets": [{"type": "replied_to", "id": "1800000000000000001"}],
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0}}
    quote = {"id": "1800000000000000003", "text": "Das ist schon der dritte Fall diese Woche.",
             "author_id": "99", "created_at": "2026-12-04T09:10:00.000Z",
             "conversation_id": "1800000000000000003",
             "lang": "und", "referenced_tweets": [{"type": "quoted", "id": "1800000000000000001"}],
             "public_metrics": metrics}
    retweet = {"id": "1800000000000000004", "text": "RT @kunde_k: @Voltaro mein Akku ist heute Nacht gepl…",
               "author_id": "99", "created_at": "2026-12-04T09:11:00+00:00",
               "conversation_id": "1800000000000000004",
               "lang": "de", "referenced_tweets": [{"type": "retweeted", "id": "1800000000000000001"}]}
    orphan = {"id": "1800000000000000005", "text": "Voltaro brennt", "author_id": "555",
              "created_at": "2026-12-04T09:12:00.000Z"}
    broken = {"id": "1800000000000000006", "text": "ohne Zeit"}
    edit = {**original, "id": "1800000000000000007", "text": "@Voltaro mein Akku ist geplatzt. Gefährlich!",
            "edit_history_tweet_ids": ["1800000000000000001", "1800000000000000007"]}
    body = page([edit, orphan, retweet, quote, reply, original, broken], [kim, press, us], [original],
                errors=[{"title": "Authorization Error", "detail": "Sorry, you are not authorized to see the "
                         "Post with id: [17].", "type": "https://api.twitter.com/2/problems/not-authorized-for-resource"}])
    delivery = connector("http://127.0.0.1:9").parse(body)
    assert [p.post["id"][-1] for p in delivery.posts] == ["1", "2", "3", "4", "5", "1"]  # oldest first
    edited = delivery.posts[-1]
    assert edited.edited and edited.post["text"] == edit["text"]
    assert edited.post["url"] == "https://x.com/kunde_k/status/1800000000000000007"
    posts = {p.post["id"][-1]: p for p in delivery.posts[:-1]}
    assert not posts["1"].edited
    first = posts["1"].post
    assert first == {
        "platform": "x", "id": "1800000000000000001", "created_at": "2026-12-04T09:00:00+00:00",
        "text": original["text"], "kind": "post", "channel": "x-voltaro", "lang": "de",
        "url": "https://x.com/kunde_k/status/1800000000000000001", "in_reply_to": None,
        "conversation_id": "1800000000000000001",
        "author": {"id": "2244994945", "handle": "kunde_k", "name": "Kim K", "followers": 87,
                   "verified": False},
        "metrics": {"likes": 7, "shares": 5, "replies": 1, "views": 400, "saves": 6}}
    assert posts["1"].thread == "x:1800000000000000001" and posts["1"].public and not posts["1"].own
    # our own reply: stored for the thread, not counted as a customer's post
    assert posts["2"].own and posts["2"].post["kind"] == "reply"
    assert posts["2"].post["in_reply_to"] == "1800000000000000001"
    assert posts["2"].thread == "x:1800000000000000001"
    assert posts["2"].post["metrics"] == {"likes": 1, "shares": 0, "replies": 0}  # no impression_count
    assert posts["3"].post["kind"] == "post" and posts["3"].post["lang"] is None  # und
    assert posts["3"].post["author"]["followers"] == 50000 and "verified" not in posts["3"].post["author"]
    assert posts["4"].post["text"] == f"RT @kunde_k: {original['text']}"  # the full original, not X's cut
    assert posts["4"].post["metrics"] is None and posts["4"].thread == "x:1800000000000000004"
    assert posts["5"].post["author"] == {"id": "555"}
    assert posts["5"].post["url"] == "https://x.com/i/web/status/1800000000000000005"
    assert posts["5"].post["conversation_id"] == "1800000000000000005"  # none given: its own thread
    assert [u.what for u in delivery.unparsed] == ["tweet without id, text or created_at",
                                                   "X reported: Authorization Error"]
    # a retweet whose original X did not include keeps X's own text
    alone = connector("http://127.0.0.1:9").parse(page([retweet], [press]))
    assert alone.posts[0].post["text"] == retweet["text"]


def test_pages_within_a_poll_and_the_cursor_across_polls_and_a_restart(x: tuple[HttpSink, XApi],
                                                                      engine: Engine) -> None:
    _, api = x
    api.post("1700000000000000000", "2244994945", "zu alt für den ersten Abruf", ago(120))
    for n in range(25):  # a burst: more than two pages of max_results=10
        api.post(str(1800000000000000000 + n), "2244994945", f"Voltaro Beschwerde {n}", ago(50 - n))
    source = connector(api_base(x), max_results=10)
    clock = SystemClock()
    assert poll_once(source, engine=engine, clock=clock) == 60
    first, second, third = api.searches
    assert "start_time" in first and "since_id" not in first and "next_token" not in first
    assert first["query"] == "(voltaro lang:de) OR @voltaro" and first["max_results"] == "10"
    assert first["expansions"] == ("author_id,referenced_tweets.id,referenced_tweets.id.author_id,"
                                   "attachments.media_keys")
    assert "public_metrics" in first["tweet.fields"] and "username" in first["user.fields"]
    assert "note_tweet" in first["tweet.fields"] and "alt_text" in first["media.fields"]
    assert second["next_token"] and third["next_token"] != second["next_token"]
    assert second["start_time"] == first["start_time"]
    assert load_cursor(engine, source.key) == {"since_id": "1800000000000000024"}
    poll_once(source, engine=engine, clock=clock)  # nothing new: one request, nothing stored
    assert api.searches[-1]["since_id"] == "1800000000000000024" and len(api.searches) == 4
    for n in range(25, 28):
        api.post(str(1800000000000000000 + n), US if n == 27 else "2244994945", f"neu {n}", ago(1))
    restarted = connector(api_base(x), max_results=10)
    poll_once(restarted, engine=engine, clock=clock)
    ids = stored_ids(engine, restarted)  # every post once, oldest first (pages stored in that order)
    assert ids == [str(1800000000000000000 + n) for n in range(28)]
    assert load_cursor(engine, source.key) == {"since_id": "1800000000000000027"}


def api_base(x: tuple[HttpSink, XApi]) -> str:
    return x[0].url


def test_a_quiet_first_poll_keeps_its_window(x: tuple[HttpSink, XApi], engine: Engine) -> None:
    _, api = x
    source = connector(api_base(x))
    poll_once(source, engine=engine, clock=SystemClock())
    kept = load_cursor(engine, source.key)
    assert kept == {"start_time": api.searches[0]["start_time"]}
    api.post("1800000000000000001", "2244994945", "jetzt", ago(1))
    poll_once(source, engine=engine, clock=SystemClock())
    assert api.searches[1]["start_time"] == kept["start_time"]
    assert stored_ids(engine, source) == ["1800000000000000001"]


def test_rate_limit_runs_out_mid_poll_and_the_next_poll_resumes(engine: Engine) -> None:
    api = XApi(TOKEN, limit=2)
    api.user("2244994945", "kunde_k")
    for n in range(25):
        api.post(str(1800000000000000000 + n), "2244994945", f"Beschwerde {n}", ago(30 - n))
    with HttpSink(responder=api) as sink:
        source = connector(sink.url, max_results=10)
        wait = poll_once(source, engine=engine, clock=SystemClock())
        assert api.reset - time.time() - 2 <= wait <= api.reset - time.time() + 1 and wait > 800
        cursor = load_cursor(engine, source.key)
        assert cursor is not None and cursor["next_token"] and cursor["newest"] == "1800000000000000024"
        assert len(stored_ids(engine, source)) == 20
        api.remaining = api.limit  # the window has reset
        assert poll_once(source, engine=engine, clock=SystemClock()) == 60
        assert api.searches[-1]["next_token"] == cursor["next_token"]
        assert load_cursor(engine, source.key) == {"since_id": "1800000000000000024"}
        ids = stored_ids(engine, source)
        assert sorted(ids) == [str(1800000000000000000 + n) for n in range(25)] and len(ids) == 25


def test_429_waits_until_the_reset(x: tuple[HttpSink, XApi], engine: Engine) -> None:
    _, api = x
    source = connector(api_base(x))
    api.throttle(120)
    assert 118 <= poll_once(source, engine=engine, clock=SystemClock()) <= 121
    with engine.connect() as conn:
        row = conn.execute(select(ChannelCursor)).one()
    assert row.failures == 1 and "HTTP 429" in (row.last_error or "")
    api.throttle(5, legacy=True)
    with pytest.raises(PlatformError, match=r"\(88\) Rate limit exceeded") as caught:
        source.fetch(None)
    assert caught.value.retry_after is not None and 3 <= caught.value.retry_after <= 6
    assert not caught.value.permanent
    api.throttle(-1000)  # a reset already past: still at least a second
    with pytest.raises(PlatformError) as past:
        source.fetch(None)
    assert past.value.retry_after == 1.0


def test_errors_in_xs_words(x: tuple[HttpSink, XApi]) -> None:
    sink, _ = x
    with pytest.raises(PlatformError, match="invalid or was revoked") as dead:
        connector(sink.url, bearer_token="revoked").fetch(None)
    assert dead.value.permanent and dead.value.reauthorize and dead.value.code == 401
    with pytest.raises(PlatformError, match="Unbalanced parentheses") as bad:
        connector(sink.url, query="(voltaro OR akku").fetch(None)
    assert bad.value.permanent and not bad.value.reauthorize and "Invalid Request" in str(bad.value)
    sink.script(problem(503, "Service Unavailable", "Service Unavailable"))
    with pytest.raises(PlatformError, match="HTTP 503: Service Unavailable") as busy:
        connector(sink.url).fetch(None)
    assert not busy.value.permanent
    sink.script(problem(403, "Client Forbidden", "This request must be made using an approved developer "
                        "account that is enrolled in the requested endpoint.",
                        "https://api.twitter.com/2/problems/client-forbidden", reason="client-not-enrolled"))
    with pytest.raises(PlatformError, match="enrolled in the requested endpoint") as forbidden:
        connector(sink.url).fetch(None)
    assert forbidden.value.permanent


def test_a_since_id_older_than_seven_days_falls_back_to_the_window(x: tuple[HttpSink, XApi],
                                                                   engine: Engine) -> None:
    sink, api = x
    api.post("1800000000000000001", "2244994945", "neu", ago(5))
    sink.script(invalid_request("Invalid 'since_id':'17'. 'since_id' must be a tweet id created after "
                                "2026-11-27T15:00Z"))
    source = connector(sink.url)
    fetched = source.fetch({"since_id": "17"})
    assert fetched.cursor == {"since_id": "1800000000000000001"} and len(fetched.bodies) == 1
    assert "since_id" not in api.searches[-1] and "start_time" in api.searches[-1]
    # a saved next_token X no longer accepts: the poll starts again from the since_id
    api.post("1800000000000000002", "2244994945", "neuer", ago(1))
    again = source.fetch({"since_id": "1800000000000000001", "next_token": "abgelaufen", "newest": None})
    assert api.searches[-2]["next_token"] == "abgelaufen" and "next_token" not in api.searches[-1]
    assert again.cursor == {"since_id": "1800000000000000002"} and len(again.bodies) == 1


def test_the_last_request_of_the_window_waits_for_the_reset() -> None:
    api = XApi(TOKEN, limit=1)
    api.post("1800000000000000001", "2244994945", "eins", ago(5))
    with HttpSink(responder=api) as sink:
        fetched = connector(sink.url).fetch(None)
    assert fetched.cursor == {"since_id": "1800000000000000001"}
    assert fetched.wait > 800 and abs(fetched.wait - (api.reset - time.time())) < 2


def workspace(ws: Path, base: str, *, token: str = TOKEN, account: str = "voltaro", extra: str = "") -> None:
    ws.write_text("monitors:\n  - name: voltaro\n    query: 'voltaro OR @voltaro'\n"
                  f"channels:\n  - key: xv\n    platform: x\n    bearer_token: '{token}'\n"
                  f"    account: {account}\n    query: 'voltaro lang:de'\n    api_base: {base}\n{extra}",
                  encoding="utf-8")


def test_channels_check_through_the_cli(x: tuple[HttpSink, XApi], workspace_file: Path) -> None:
    sink, api = x
    runner = CliRunner()
    workspace(workspace_file, sink.url)
    result = runner.invoke(app, ["channels", "check", "xv", "--config", str(workspace_file)])
    assert result.exit_code == 0, result.output
    assert f"x account @Voltaro ({US})" in result.output and "followers: 1234" in result.output
    assert "bearer token: valid" in result.output
    assert "accepted: (voltaro lang:de) OR @voltaro" in result.output
    assert f"of {api.limit} left" in result.output
    assert api.searches[0]["max_results"] == "10"
    assert sink.requests[1].path.startswith("/2/users/by/username/voltaro")
    workspace(workspace_file, sink.url, account="niemand_hier")
    result = runner.invoke(app, ["channels", "check", "xv", "--config", str(workspace_file)])
    assert result.exit_code == 1 and "Could not find user with username" in result.output, result.output
    workspace(workspace_file, sink.url, token="revoked")
    result = runner.invoke(app, ["channels", "check", "xv", "--config", str(workspace_file)])
    assert result.exit_code == 1 and "HTTP 401: Unauthorized" in result.output, result.output


@pytest.mark.parametrize(("block", "expected"), [
    ("    bearer_token: t\n", "give account (our handle, its mentions are searched) or query"),
    ("    bearer_token: t\n    account: voltaro\n    api_key: k\n    access_token: a\n",
     "api_secret, access_token_secret missing"),
    ("    bearer_token: t\n    query: '" + "voltaro OR " * 47 + "akku'\n", "X accepts 512"),
    ("    bearer_token: t\n    query: 'a b c d'\n    max_query_length: 5\n", "X accepts 5"),
    ("    bearer_token: t\n    account: voltaro\n    max_results: 5\n", "max_results"),
    ("    bearer_token: t\n    account: voltaro\n    interval: 10\n", "interval"),
    ("    bearer_token: t\n    account: 'volt aro'\n", "is not an X handle"),
    ("    account: voltaro\n", "bearer_token"),
])
def test_config_errors_name_the_problem(block: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"channels:\n  - key: xv\n    platform: x\n{block}", path="crisisdesk.yaml")
    assert expected in str(caught.value) and "channels" in str(caught.value), str(caught.value)


def test_config_accepts_a_handle_with_at_and_a_full_user_context() -> None:
    config = XConfig(key="xv", bearer_token="t", account="@Voltaro", api_key="k", api_secret="s",
                     access_token="a", access_token_secret="b")
    assert config.search_query == "@Voltaro" and config.user_context is not None
    assert XConfig(key="xv", bearer_token="t", query="akku").search_query == "akku"


def test_the_service_polls_x_into_matched_posts(x: tuple[HttpSink, XApi], workspace_file: Path) -> None:
    sink, api = x
    api.post("1800000000000000001", "2244994945", "@Voltaro mein Akku ist geplatzt", ago(3))
    api.post("1800000000000000002", US, "@kunde_k Das tut uns leid", ago(2),
             conversation_id="1800000000000000001",
             referenced_tweets=[{"type": "replied_to", "id": "1800000000000000001"}])
    workspace(workspace_file, sink.url, extra="    interval: 15\n")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    try:
        runtime.start_channels()
        assert runtime.pollers is not None and runtime.pollers.running == ["xv"]
        deadline = time.monotonic() + 10
        while True:
            with runtime.engine.connect() as conn:
                found = conn.execute(
                    select(Post.external_id, Post.channel, Author.handle, Monitor.name)
                    .join(Author, Author.id == Post.author_id)
                    .join(MonitorMatch, MonitorMatch.post_id == Post.id)
                    .join(Monitor, Monitor.id == MonitorMatch.monitor_id)
                    .where(Post.platform == "x")).all()
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        # our own reply is kept for the thread, not stored as a customer's post
        assert [tuple(r) for r in found] == [("1800000000000000001", "xv", "kunde_k", "voltaro")]
    finally:
        runtime.close()

"""Voltaro's own channels in the demo: service messages, page comments and press articles arrive
as signed webhooks and from a polled feed, are stored as deliveries and processed into posts with
their channel and thread; a forged delivery is refused; nothing is lost on the way."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest
from rich.console import Console
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crisisdesk.channels.base import Capability, WebhookConnector
from crisisdesk.channels.models import ChannelDelivery, DeliveryStatus, UnparsedItem
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.rss.config import RssConfig
from crisisdesk.channels.rss.connector import RssConnector
from crisisdesk.cli.main import app
from crisisdesk.demo.dashboard import LiveDashboard
from crisisdesk.demo.dashboard_channels import ChannelBoard
from crisisdesk.demo.feed import NewsFeed
from crisisdesk.demo.own_channels import (
    CHANNELS,
    FACEBOOK,
    PHONE_NUMBER_ID,
    PRESS,
    VIBER,
    WHATSAPP,
    ChannelSecrets,
    DemoChannel,
    Router,
    Way,
    expected,
)
from crisisdesk.demo.payloads import WEBHOOKS, Article, meta_headers, signed_delivery, whatsapp_message
from crisisdesk.demo.people import FACEBOOK_PAGE
from crisisdesk.demo.scenario import generate_scenario
from crisisdesk.demo.web import DemoWebServer, bind
from crisisdesk.demo.workspace import workspace_yaml
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import load_settings
from crisisdesk.workspace import load_workspace, parse_config

SEED, CALM, CRISIS = 7, 1, 1


@pytest.fixture(scope="module")
def scenario() -> list[dict[str, Any]]:
    return list(generate_scenario(seed=SEED, calm_days=CALM, crisis_days=CRISIS))


def utc(value: str | datetime) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def routed(scenario: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    router = Router()
    out: dict[str, list[dict[str, Any]]] = {c.key: [] for c in CHANNELS}
    for post in scenario:
        channel = router.route(post)
        if channel is not None:
            out[channel.key].append(post)
    return out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One short demo without the web app (its channels still get their webhooks), kept."""
    root = tmp_path_factory.mktemp("demo") / "ws"
    result = CliRunner().invoke(app, ["demo", "--speed", "max", "--no-live", "--no-web", "--seed", str(SEED),
                                      "--calm-days", str(CALM), "--crisis-days", str(CRISIS),
                                      "--keep", str(root)])
    assert result.exit_code == 0, result.output
    return result.output, root


@pytest.fixture
def kept(demo_run: tuple[str, Path]) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{demo_run[1] / 'crisisdesk.db'}")
    yield engine
    engine.dispose()


def test_every_channel_item_of_the_scenario_arrives_as_a_delivery_and_a_post(
        demo_run: tuple[str, Path], kept: Engine, scenario: list[dict[str, Any]]) -> None:
    want = expected(scenario)
    assert all(want[c.key] > 0 for c in CHANNELS), want
    with kept.connect() as conn:
        deliveries = Counter(dict(conn.execute(select(ChannelDelivery.channel, func.count())
                                               .group_by(ChannelDelivery.channel)).all()))
        statuses = set(conn.execute(select(ChannelDelivery.status).distinct()).scalars())
        unparsed = conn.execute(select(func.count()).select_from(UnparsedItem)).scalar_one()
        # every post that came through a channel names the delivery whose bytes carried it
        posts = Counter(dict(conn.execute(
            select(ChannelDelivery.channel, func.count()).join(Post, Post.delivery_id == ChannelDelivery.id)
            .where(Post.channel == ChannelDelivery.channel).group_by(ChannelDelivery.channel)).all()))
        strays = conn.execute(select(func.count()).select_from(Post).where(
            Post.delivery_id.is_(None), Post.channel.in_([c.key for c in CHANNELS]))).scalar_one()
    assert deliveries == want  # one delivery per message, comment and article
    assert statuses == {DeliveryStatus.PROCESSED.value}
    assert unparsed == 0
    assert posts == want
    assert strays == 0
    out = demo_run[0]
    total = sum(want.values())
    assert f"channel items: {total:,} in the scenario, {total:,} delivered, {total:,} received, " \
           f"{total:,} posts; refused 0" in out
    for channel in CHANNELS:  # the summary's table: received, processed, posts, unparsed, failed
        n = f"{want[channel.key]:,}"
        row = rf"{channel.key}\s+│ {channel.platform} {channel.way}\s+│\s+{n} │\s+{n} │\s+{n} │\s+0 │\s+0"
        assert re.search(row, out), channel.key


def test_channel_posts_carry_channel_thread_and_the_platform_time(
        kept: Engine, scenario: list[dict[str, Any]]) -> None:
    by_channel = routed(scenario)
    with kept.connect() as conn:
        rows = conn.execute(select(Post.platform, Post.external_id, Post.channel, Post.conversation_id,
                                   Post.visibility, Post.kind, Post.created_at, Post.text)
                            .where(Post.delivery_id.is_not(None))).all()
    stored = {c.key: [r for r in rows if r.channel == c.key] for c in CHANNELS}
    wa, viber, fb, press = (stored[c.key] for c in (WHATSAPP, VIBER, FACEBOOK, PRESS))
    assert all(r.conversation_id.startswith(f"whatsapp:{PHONE_NUMBER_ID}:") and r.visibility == "private"
               and r.kind == "message" for r in wa)
    assert all(r.conversation_id.startswith(f"viber:{VIBER.key}:") and r.visibility == "private"
               for r in viber)
    # one thread per top-level comment and its replies
    assert all(r.conversation_id.startswith(f"facebook:{FACEBOOK_PAGE}:comment:")
               and r.visibility == "public" and r.kind in {"comment", "reply"} for r in fb)
    assert len({r.conversation_id for r in fb}) == sum(r.kind == "comment" for r in fb)
    assert all(r.platform == "news" and r.kind == "article" and r.visibility == "public" for r in press)
    # one thread per person writing to the number or the bot
    for channel, rows_of in ((WHATSAPP, wa), (VIBER, viber)):
        people = {p["author"]["id"] for p in by_channel[channel.key]}
        assert len({r.conversation_id for r in rows_of}) == len(people)
    # the platform's timestamp is the post's time; ids and texts are the scenario's
    for channel, rows_of in ((WHATSAPP, wa), (FACEBOOK, fb), (PRESS, press)):
        want = {(p["id"], utc(p["created_at"])) for p in by_channel[channel.key]}
        assert {(r.external_id, utc(r.created_at)) for r in rows_of} == want, channel.key
    texts = {p["id"]: p["text"] for p in by_channel[WHATSAPP.key] + by_channel[FACEBOOK.key]}
    assert all(texts[r.external_id] == r.text for r in wa + fb)
    viber_times = sorted(utc(p["created_at"]) for p in by_channel[VIBER.key])
    assert sorted(utc(r.created_at) for r in viber) == viber_times


def test_channels_list_shows_what_arrived(demo_run: tuple[str, Path], scenario: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["channels", "list", "--config", str(demo_run[1] / "crisisdesk.yaml")])
    assert result.exit_code == 0, result.output
    want = expected(scenario)
    for channel in CHANNELS:
        # the state is the channel's health: every channel of the demo is receiving
        row = rf"{channel.key}\s+│ {channel.platform}\s+│ receiving\s+│ {want[channel.key]}\s+│ 0\s+│ 0\s+│ 0"
        assert re.search(row, result.output), channel.key


def test_the_demo_keeps_its_channel_secrets_off_the_terminal(demo_run: tuple[str, Path]) -> None:
    text = (demo_run[1] / "crisisdesk.yaml").read_text(encoding="utf-8")
    config = parse_config(text, path="crisisdesk.yaml")
    secrets = [getattr(c, name).get_secret_value() for c in config.channels
               for name in ("app_secret", "verify_token", "access_token", "auth_token") if hasattr(c, name)]
    assert len(secrets) == 7 and all(len(s) >= 24 for s in secrets)
    assert not any(s in demo_run[0] for s in secrets)


@pytest.fixture
def live_demo(tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, str, ChannelSecrets]]:
    """The demo workspace's runtime behind the demo's web app, as ``crisisdesk demo`` builds them."""
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    credentials = ChannelSecrets.generate()
    path = tmp_path / "crisisdesk.yaml"
    with NewsFeed() as feed:
        path.write_text(workspace_yaml(channels=credentials, feed_url=feed.url), encoding="utf-8")
        settings = load_settings().model_copy(update={"database_url": None})
        runtime = build_runtime(load_workspace(path, settings), settings)
        try:
            with DemoWebServer(runtime, bind(0)) as server:
                yield runtime, server.url, credentials
        finally:
            runtime.close()


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ChannelDelivery)).scalar_one())


def test_a_forged_delivery_to_the_demo_webhook_is_refused_and_nothing_stored(
        live_demo: tuple[Runtime, str, ChannelSecrets], scenario: list[dict[str, Any]]) -> None:
    runtime, url, credentials = live_demo
    message = routed(scenario)[WHATSAPP.key][0]
    body, headers = signed_delivery(WHATSAPP, message, credentials)
    forged = whatsapp_message({**message, "text": "Bitte überweisen Sie 500 € an …"})
    viber_body, viber_headers = signed_delivery(VIBER, routed(scenario)[VIBER.key][0], credentials)
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as http:
        attempts = [
            http.post(f"/webhooks/{WHATSAPP.key}", content=body,
                      headers=meta_headers(body, "not-this-runs-app-secret")),  # another secret
            http.post(f"/webhooks/{WHATSAPP.key}", content=forged, headers=headers),  # someone else's body
            http.post(f"/webhooks/{WHATSAPP.key}", content=body,
                      headers={"Content-Type": "application/json"}),  # unsigned
            http.post(f"/webhooks/{VIBER.key}", content=viber_body,
                      headers=meta_headers(viber_body, credentials.meta_app_secret)),  # Meta's way at Viber
            http.post(f"/webhooks/{FACEBOOK.key}", content=body,
                      headers=meta_headers(body, credentials.viber_token)),
        ]
        assert [r.status_code for r in attempts] == [401] * 5
        assert stored(runtime.engine) == 0
        genuine = http.post(f"/webhooks/{WHATSAPP.key}", content=body, headers=headers)
        again = http.post(f"/webhooks/{WHATSAPP.key}", content=body, headers=headers)
        viber = http.post(f"/webhooks/{VIBER.key}", content=viber_body, headers=viber_headers)
    assert genuine.json() == {"ok": True, "duplicate": False}
    assert again.json() == {"ok": True, "duplicate": True}
    assert viber.status_code == 200
    assert stored(runtime.engine) == 2
    report = runtime.process_deliveries()
    assert report.by_channel == {WHATSAPP.key: 1, VIBER.key: 1}
    with runtime.engine.connect() as conn:
        texts = set(conn.execute(select(Post.text)).scalars())
    assert message["text"] in texts and not any("überweisen" in t for t in texts)


@pytest.mark.parametrize("channel", [c for c in CHANNELS if c.way is Way.WEBHOOK], ids=lambda c: c.platform)
def test_the_demos_deliveries_are_what_the_connectors_read(
        channel: DemoChannel, scenario: list[dict[str, Any]], tmp_path: Path) -> None:
    """Every item of a webhook channel, built and signed by the demo, verifies and parses into the
    post it came from: the platform's time, the author as the contact, the text, our channel."""
    assert channel.key in WEBHOOKS  # every webhook channel has its payload and signature
    credentials = ChannelSecrets.generate()
    config = parse_config(workspace_yaml(channels=credentials, feed_url="http://127.0.0.1:9/feed.xml"),
                          path="crisisdesk.yaml")
    block = next(c for c in config.channels if c.key == channel.key)
    connector = cast(WebhookConnector, connector_for(block))
    assert Capability.WEBHOOK in connector.capabilities
    items = routed(scenario)[channel.key]
    for post in items:
        body, headers = signed_delivery(channel, post, credentials)
        connector.verify(headers, body)
        delivery = connector.parse(body)
        assert not delivery.unparsed, delivery.unparsed
        [inbound] = delivery.posts
        got = inbound.post
        assert datetime.fromisoformat(got["created_at"]) == datetime.fromisoformat(post["created_at"])
        assert got["text"] == post["text"]
        assert got["author"]["name"] == post["author"]["name"]
        assert got["channel"] == channel.key and inbound.thread
        assert inbound.public is (channel == FACEBOOK) and not inbound.own
    # the same person is the same contact (one thread) every time they write
    threads: dict[str, set[str]] = {}
    for post in items:
        thread = connector.parse(signed_delivery(channel, post, credentials)[0]).posts[0].thread
        threads.setdefault(post["author"]["id"], set()).add(str(thread))
    if channel != FACEBOOK:  # on the page, a thread is the post commented on, not the person
        assert all(len(t) == 1 for t in threads.values())
        assert len({t for ts in threads.values() for t in ts}) == len(threads)


def test_the_news_feed_answers_304_until_an_article_is_published(scenario: list[dict[str, Any]]) -> None:
    articles = [Article.of(p) for p in routed(scenario)[PRESS.key][:3]]
    with NewsFeed() as feed:
        rss = RssConnector(RssConfig(key=PRESS.key, url=feed.url))
        first = rss.fetch(None)
        assert first.bodies == []
        feed.publish(articles[0])
        feed.publish(articles[1])
        second = rss.fetch(first.cursor)
        unchanged = rss.fetch(second.cursor)
        feed.publish(articles[2])
        third = rss.fetch(unchanged.cursor)
    assert [orjson.loads(b)["entry"]["id"] for b in second.bodies] == [articles[1].guid, articles[0].guid]
    assert unchanged.bodies == [] and feed.unchanged == 1
    assert [orjson.loads(b)["entry"]["id"] for b in third.bodies] == [articles[2].guid]
    post = rss.parse(third.bodies[0]).posts[0].post
    assert datetime.fromisoformat(post["created_at"]) == articles[2].published
    assert post["url"] == articles[2].link and post["author"]["handle"] == articles[2].outlet


def test_the_dashboard_shows_the_channels_only_when_there_are_some() -> None:
    def render(dashboard: LiveDashboard) -> str:
        out = io.StringIO()
        Console(file=out, width=120).print(dashboard)
        return out.getvalue()

    dashboard = LiveDashboard(["voltaro"])
    assert "Voltaro's channels" not in render(dashboard)
    dashboard.channels = ChannelBoard(CHANNELS)
    row = dashboard.channels.rows[WHATSAPP.key]
    row.received, row.processed, row.waiting, row.posts, row.unparsed = 12, 11, 1, 10, 2
    shown = render(dashboard)
    assert "Voltaro's channels" in shown
    assert re.search(r"voltaro-wa\s+│ whatsapp webhook\s+│\s+12 │\s+11 \(\+1\) │\s+10 │\s+2 │\s+0", shown)
    assert dashboard.summary()["channels"][WHATSAPP.key]["unparsed"] == 2

"""Channel health end to end: a poller whose token the (loopback) Mastodon instance no longer
accepts opens one alert, which the escalation policy sends to a signed webhook; it stays one alert
while the token is dead, and resolves (with a notice to whoever was told) once a poll works again.
Also: a poller held back by 429s, a busy webhook channel that goes silent, an alert a person
resolved by hand, a channel switched off, and ``channels list``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.api.app import create_app
from crisisdesk.audit.service import Actor
from crisisdesk.channels.base import PollingConnector
from crisisdesk.channels.health_alerts import open_alerts
from crisisdesk.channels.outbox import OutboundRequest, enqueue
from crisisdesk.channels.outgoing import Action
from crisisdesk.channels.polling import poll_once
from crisisdesk.channels.service import store_delivery
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.detection.manual import resolve
from crisisdesk.detection.models import Situation
from crisisdesk.detection.service import get_situation, list_situations
from crisisdesk.escalation.models import Escalation
from crisisdesk.notify.webhook import verify
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.accounts.fixtures import FakeClock
from tests.channels.payloads import BOT_TOKEN, TG_SECRET
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi
from tests.fakes.telegram_bot import TelegramBotApi

TOKEN = "mastodon-user-token"
SECRET = "hook-secret-0123456789"
US = {"id": "1", "username": "voltaro", "acct": "voltaro", "display_name": "Voltaro", "followers_count": 5}


def config_text(hook: str, masto: str, *, detection: bool = True, extra: str = "") -> str:
    return f"""
monitors:
  - {{name: akku, query: akku}}
detection:
  enabled: {str(detection).lower()}
notify:
  targets:
    ops-hook: {{kind: webhook, url: "{hook}/hook", secret: {SECRET}}}
people:
  olga: {{name: Olga, targets: [ops-hook]}}
roles:
  crisis_lead: [olga]
escalation:
  base_url: http://crisis.example.org
  policies:
    - severity: 3
      steps:
        - {{notify: ["role:crisis_lead"], wait_minutes: 10}}
channels:
  - key: masto
    platform: mastodon
    base_url: {masto}
    access_token: {TOKEN}
    hashtags: [Voltaro]
{extra}"""


@dataclass
class Desk:
    runtime: Runtime
    clock: FakeClock
    api: MastodonApi
    hooks: HttpSink
    workspace: Path

    def poll(self) -> float:
        connector = cast(PollingConnector, self.runtime.connectors()["masto"])
        return poll_once(connector, engine=self.runtime.engine, clock=self.clock)

    def health(self) -> list[dict[str, Any]]:
        return self.runtime.health_monitor().run_once()

    def situations(self) -> list[dict[str, Any]]:
        with self.runtime.engine.connect() as conn:
            return [s for s in list_situations(conn) if s["monitor"].startswith("channel:")]

    def hooks_of(self, event: str, count: int) -> list[Any]:
        """The signed webhook deliveries of ``event`` once ``count`` of them arrived."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [r for r in self.hooks.requests if r.headers.get("x-crisisdesk-event") == event]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} × {event} expected; got {[r.headers for r in self.hooks.requests]}")


def desk_for(workspace_file: Path, text: str, clock: FakeClock, api: MastodonApi, hooks: HttpSink) -> Desk:
    workspace_file.write_text(text, encoding="utf-8")
    settings = Settings()
    runtime = build_runtime(load_workspace(workspace_file, settings), settings, clock=clock, deliver=True)
    runtime.start_notifications()
    return Desk(runtime, clock, api, hooks, workspace_file)


@pytest.fixture
def servers() -> Iterator[tuple[MastodonApi, HttpSink, HttpSink]]:
    api = MastodonApi(TOKEN, US)
    with HttpSink(responder=api) as instance, HttpSink() as hooks:
        api.base = instance.url
        yield api, instance, hooks


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(params=[True, False], ids=["with-detection", "detection-off"])
def desk(request: pytest.FixtureRequest, workspace_file: Path, clock: FakeClock,
         servers: tuple[MastodonApi, HttpSink, HttpSink]) -> Iterator[Desk]:
    api, instance, hooks = servers
    desk = desk_for(workspace_file, config_text(hooks.url, instance.url, detection=request.param), clock, api,
                    hooks)
    yield desk
    desk.runtime.close()


def test_a_dead_token_opens_one_alert_that_escalates_and_resolves_when_polls_work(desk: Desk) -> None:
    assert desk.poll() > 0 and desk.health() == []  # healthy: nothing to say
    desk.api.token = "the-token-was-revoked"  # the instance no longer accepts ours
    desk.clock.advance(minutes=1)
    desk.poll()
    events = desk.health()
    opened = [e for e in events if e["event"] == "alert.opened"]
    assert len(opened) == 1, events
    alert = opened[0]
    assert (alert["monitor"], alert["cause"], alert["severity"], alert["channel"]) == \
        ("channel:masto", "credentials", 3, "masto")
    assert alert["notified"] == ["olga"] and alert["targets"] == ["ops-hook"]
    assert "401" in alert["summary"] and "masto" in alert["summary"]

    [hook] = desk.hooks_of("situation.opened", 1)
    assert verify(SECRET, body=hook.body, timestamp=hook.headers["x-crisisdesk-timestamp"],
                  signature=hook.headers["x-crisisdesk-signature"], now=time.time())
    note = hook.json()["notification"]
    assert note["monitor"] == "channel:masto" and "401" in note["summary"]
    assert note["ack_url"].startswith(f"http://crisis.example.org/ack/{alert['situation']}?t=")

    # Olga acknowledges through the notification's signed link, as for any situation.
    link = urlsplit(note["ack_url"])
    with TestClient(create_app(desk.runtime, api_token="service-token")) as web:
        assert "channel:masto" in web.get(f"{link.path}?{link.query}").text
        acked = web.post(link.path, data={"t": parse_qs(link.query)["t"][0]})
        assert acked.status_code == 200, acked.text
    with desk.runtime.engine.connect() as conn:
        assert conn.execute(select(Situation.acknowledged_by)).scalar_one() == "Olga"
        assert conn.execute(select(Escalation.status)).scalar_one() == "acknowledged"

    for _ in range(3):  # the token stays dead: polls fail, and it stays one alert
        desk.clock.advance(minutes=2)
        desk.poll()
        assert [e["event"] for e in desk.health() if e["event"].startswith("alert.")] == []
    [listed] = desk.situations()
    assert (listed["id"], listed["status"], listed["cause"]) == (alert["situation"], "open", "credentials")
    assert "401" in listed["summaries"]["de"] and "Zugangsdaten" in listed["summaries"]["de"]

    listing = CliRunner().invoke(app, ["channels", "list", "--config", str(desk.workspace)],
                                 terminal_width=200)
    assert listing.exit_code == 0, listing.output
    assert "credentials dead" in next(row for row in listing.output.splitlines() if " masto " in row)

    desk.api.token = TOKEN  # new credentials that work
    desk.clock.advance(minutes=1)
    desk.poll()
    resolved = [e for e in desk.health() if e["event"] == "alert.resolved"]
    assert [e["situation"] for e in resolved] == [alert["situation"]]
    assert desk.situations()[0]["status"] == "resolved"
    with desk.runtime.engine.connect() as conn:
        assert conn.execute(select(Situation.status)).scalars().all() == ["resolved"]
        assert open_alerts(conn) == {}
    [notice] = desk.hooks_of("situation.resolved", 1)
    assert "masto" in notice.json()["notification"]["summary"]
    assert desk.health() == []  # healthy stays quiet


def test_a_poller_held_back_for_asking_too_often_is_rate_limited_not_failing(desk: Desk) -> None:
    desk.poll()
    desk.api.remaining = -1000  # every request answered 429 until the window resets
    for _ in range(4):
        desk.clock.advance(minutes=10)
        desk.poll()
        events = desk.health()
        if events:
            break
    assert [(e["event"], e["cause"]) for e in events if e["event"].startswith("alert.")] == \
        [("alert.opened", "rate_limited")]
    with desk.runtime.engine.connect() as conn:
        found = get_situation(conn, events[0]["situation"])
    assert found is not None and found["explanation"]["detail"]["minutes"] >= 30
    desk.api.remaining = 300
    desk.clock.advance(minutes=10)
    desk.poll()
    assert [e["event"] for e in desk.health() if e["event"].startswith("alert.")] == ["alert.resolved"]


def test_an_alert_resolved_by_hand_stays_resolved_while_the_problem_lasts(desk: Desk) -> None:
    desk.api.token = "revoked"
    desk.poll()
    [opened] = [e for e in desk.health() if e["event"] == "alert.opened"]

    def by_hand(conn: Connection, _detector: object) -> list[dict[str, Any]]:
        return [resolve(conn, opened["situation"], reason="we know, the new token comes tomorrow",
                        by="olga", at=desk.clock.now())]

    desk.runtime.runner.with_detector(by_hand)
    desk.clock.advance(minutes=5)
    desk.poll()
    assert desk.health() == []  # a person decided: not opened again while it lasts
    desk.api.token = TOKEN
    desk.clock.advance(minutes=1)
    desk.poll()
    assert desk.health() == []
    desk.api.token = "revoked again"  # a new problem: a new alert
    desk.clock.advance(minutes=1)
    desk.poll()
    [again] = [e for e in desk.health() if e["event"] == "alert.opened"]
    assert again["situation"] != opened["situation"]


def test_a_busy_webhook_channel_that_goes_silent(workspace_file: Path, clock: FakeClock,
                                                 servers: tuple[MastodonApi, HttpSink, HttpSink]) -> None:
    api, instance, hooks = servers
    extra = """  - key: tg
    platform: telegram
    bot_token: "123:abc"
    secret_token: a-secret-token-0123
    api_base: http://127.0.0.1:9
    health: {check_hours: 0, severity: 2}
"""
    desk = desk_for(workspace_file, config_text(hooks.url, instance.url, extra=extra), clock, api, hooks)
    try:
        now = clock.now()
        engine = desk.runtime.engine
        for minutes in range(0, 24 * 60, 5):  # every 5 minutes for a day, until 40 minutes ago
            at = now - timedelta(minutes=40 + minutes)
            store_delivery(engine, channel="tg", body=json.dumps({"update_id": minutes}).encode(), now=at)
        [opened] = [e for e in desk.health() if e["event"] == "alert.opened"]
        assert (opened["monitor"], opened["cause"], opened["severity"]) == ("channel:tg", "silent", 2)
        assert "no delivery for 40 minutes, usually 11.7 an hour (7 at this time yesterday)" in \
            opened["summaries"]["en"]
        store_delivery(engine, channel="tg", body=b'{"update_id": 99999}', now=now)  # it speaks again
        assert [e["event"] for e in desk.health() if e["event"].startswith("alert.")] == ["alert.resolved"]

        # The channel switched off (a configuration saved while it runs): its alerts end as well.
        clock.advance(hours=2)
        assert [e["cause"] for e in desk.health() if e["event"] == "alert.opened"] == ["silent"]
        off = config_text(hooks.url, instance.url, extra=extra.replace("    health:", "    enabled: false\n"
                                                                           "    health:"))
        assert desk.runtime.apply_config(parse_config(off, path="crisisdesk.yaml"), None)
        assert [e["event"] for e in desk.health() if e["event"].startswith("alert.")] == ["alert.resolved"]
        with engine.connect() as conn:
            statuses = conn.execute(select(Situation.status)).scalars().all()
        assert statuses == ["resolved", "resolved"]
    finally:
        desk.runtime.close()


def test_the_service_raises_the_alert_when_the_outbox_hears_the_token_is_dead(workspace_file: Path) -> None:
    """``crisisdesk serve``'s own threads: the outbox sender reports the refusal, the health thread
    is woken and opens the alert (nothing called by hand but the request to send)."""
    api = TelegramBotApi(BOT_TOKEN)
    api.message(987654321, 42)
    with HttpSink(responder=api) as bot:
        workspace_file.write_text(f"""
monitors:
  - {{name: akku, query: akku}}
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot.url}
""", encoding="utf-8")
        settings = Settings()
        runtime = build_runtime(load_workspace(workspace_file, settings), settings, clock=SystemClock())
        try:
            runtime.start_channels()
            bot.wait_for(1)  # the health thread checked the new channel's credentials at start (getMe)
            assert bot.requests[0].path.endswith("/getMe")
            api.token = "123456789:revoked"
            with Session(runtime.engine) as session, session.begin():
                enqueue(session, OutboundRequest(channel="voltaro-tg", action=Action.REPLY_PRIVATE,
                                                 idempotency_key="k-1", target="987654321:42",
                                                 recipient="987654321", thread="telegram:123456789:987654321",
                                                 text="Wir melden uns."),
                        connectors=runtime.connectors(), actor=Actor.system(), now=SystemClock().now())
            runtime.outbox_queued()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with runtime.engine.connect() as conn:
                    alerts = open_alerts(conn)
                if alerts:
                    break
                time.sleep(0.05)
            assert list(alerts) == [("voltaro-tg", "credentials")]
        finally:
            runtime.close()

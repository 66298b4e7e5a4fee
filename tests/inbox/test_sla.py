"""Ticket SLAs on the real app, both databases, a loopback Telegram Bot API and a signed webhook:
messages become tickets (a rule) with due times counted in business hours; a priority change, our
answer, a new message, resolving and reopening move them; an overdue target opens one situation
that the escalation policy sends to the webhook, and it resolves when the answer reaches the
platform. Also: the business calendar's arithmetic, the rules' business_hours condition, the
view "SLA soon due" with its count and its pages, and the configuration's errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.errors import ConfigError
from crisisdesk.detection.models import Situation
from crisisdesk.inbox.calendar import BusinessCalendar, BusinessHours
from crisisdesk.inbox.sla_alerts import MONITOR
from crisisdesk.notify.webhook import verify
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.accounts.fixtures import FakeClock
from tests.channels.payloads import BOT_TOKEN, TG_SECRET, tg_update
from tests.channels.test_outbox_flow import token
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi

BERLIN = ZoneInfo("Europe/Berlin")
SECRET = "hook-secret-0123456789"
ANNA, JONAS = 111222333, 444555666


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Berlin wall time, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


# -- the calendar ---------------------------------------------------------------------------------
HOURS = BusinessHours(holidays=[date(2026, 12, 24), date(2026, 12, 25)])


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (berlin(2026, 12, 8, 10, 0), 45, berlin(2026, 12, 8, 10, 45)),  # inside the day
        (berlin(2026, 12, 8, 17, 50), 30, berlin(2026, 12, 9, 8, 20)),  # across the night
        (berlin(2026, 12, 8, 6, 0), 10, berlin(2026, 12, 8, 8, 10)),  # before opening
        (berlin(2026, 12, 4, 17, 30), 60, berlin(2026, 12, 7, 8, 30)),  # across the weekend
        (berlin(2026, 12, 5, 11, 0), 30, berlin(2026, 12, 7, 8, 30)),  # from a Saturday
        (berlin(2026, 12, 23, 17, 30), 60, berlin(2026, 12, 28, 8, 30)),  # two holidays, a weekend
        (berlin(2026, 12, 8, 10, 0), 3 * 600, berlin(2026, 12, 11, 10, 0)),  # three whole days
        (berlin(2026, 3, 27, 17, 0), 180, datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),  # into summer time
        (berlin(2026, 10, 23, 17, 0), 120, datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),  # into winter time
        (berlin(2026, 12, 5, 11, 0), 0, berlin(2026, 12, 5, 11, 0)),
    ],
)
def test_business_minutes_skip_nights_weekends_holidays_and_follow_the_clock_change(
    start: datetime, minutes: int, due: datetime
) -> None:
    calendar = BusinessCalendar(HOURS)
    assert calendar.add(start, minutes) == due
    if minutes:
        assert calendar.minutes_between(start, due) == minutes


def test_open_and_closed_including_a_night_shift_across_the_clock_change() -> None:
    calendar = BusinessCalendar(HOURS)
    assert calendar.is_open(berlin(2026, 12, 7, 8, 0)) and calendar.is_open(berlin(2026, 12, 7, 17, 59))
    assert not calendar.is_open(berlin(2026, 12, 7, 18, 0)) and not calendar.is_open(berlin(2026, 12, 5, 12))
    assert not calendar.is_open(berlin(2026, 12, 24, 10, 0))  # a holiday
    shift = {"days": ["sat"], "start": "22:00", "end": "06:00"}
    night = BusinessCalendar(BusinessHours.model_validate(shift))
    assert night.is_open(berlin(2026, 3, 29, 5, 30))  # Sunday morning: Saturday's shift
    assert not night.is_open(berlin(2026, 3, 29, 22, 30))  # Sunday evening: no shift starts
    # 22:00 to 06:00 over the night the clocks go forward is seven hours, not eight.
    assert night.minutes_between(berlin(2026, 3, 28, 0, 0), berlin(2026, 3, 30, 0, 0)) == 7 * 60
    assert night.add(berlin(2026, 3, 28, 21, 0), 8 * 60) == berlin(2026, 4, 4, 23, 0)


def test_configuration_defaults_and_errors_name_their_place() -> None:
    config = parse_config("inbox: {sla: {enabled: true, targets: {urgent: {first_response: 15}}}}", path="w")
    sla = config.inbox.sla
    assert (sla.target("urgent", "first_response"), sla.target("urgent", "resolution")) == (15, 480)
    assert sla.target("low", "next_response") == 960 and sla.severity_of("high") == 3
    assert config.inbox.business_hours.timezone == "Europe/Berlin"
    for text, place in [
        ("inbox: {sla: {targets: {urgent: {first_response: 0}}}}", "inbox.sla.targets.urgent.first_response"),
        ("inbox: {sla: {targets: {asap: {}}}}", "inbox.sla.targets.asap"),
        ("inbox: {sla: {severity: {low: 9}}}", "inbox.sla.severity"),
        ("inbox: {business_hours: {holidays: [soon]}}", "inbox.business_hours.holidays[0]"),
        (
            "inbox: {rules: [{name: r, when: {business_hours: maybe}, then: [{tag: x}]}]}",
            "inbox.rules[0].when.business_hours",
        ),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_config(text, path="w")
        assert place in str(caught.value)


# -- end to end -----------------------------------------------------------------------------------
def config_text(bot: str, hook: str) -> str:
    return f"""
monitors:
  - {{name: akku, query: akku}}
detection: {{enabled: false}}
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
    - severity: 1
      steps:
        - {{notify: ["role:crisis_lead"], wait_minutes: 10}}
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "{BOT_TOKEN}"
    secret_token: {TG_SECRET}
    api_base: {bot}
inbox:
  business_hours: {{holidays: [2026-12-24]}}
  sla:
    enabled: true
    warn_before_minutes: 15
    targets:
      normal: {{first_response: 30, next_response: 60, resolution: 240}}
      urgent: {{first_response: 15, next_response: 20, resolution: 120}}
  rules:
    - name: complaints-are-tickets
      when: {{query: 'akku OR lieferung'}}
      then: [{{ticket: true}}]
    - name: after-hours
      when: {{business_hours: false}}
      then: [{{tag: after-hours}}]
"""


@dataclass
class Desk:
    runtime: Runtime
    client: TestClient
    clock: FakeClock
    api: TelegramBotApi
    sink: HttpSink
    hooks: HttpSink
    agent: dict[str, str]

    def say(self, update_id: int, chat: int, text: str, at: datetime, name: tuple[str, str]) -> None:
        self.api.message(chat, update_id)
        update = tg_update(
            update_id,
            text=text,
            message_id=update_id,
            date=int(at.timestamp()),
            chat={"id": chat, "type": "private", "first_name": name[0]},
        )
        update["message"]["from"] = {
            "id": chat,
            "is_bot": False,
            "first_name": name[0],
            "last_name": name[1],
            "language_code": "de",
        }
        r = self.client.post(
            "/webhooks/voltaro-tg",
            content=json.dumps(update).encode(),
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text
        self.runtime.process_deliveries()

    def page(self, **params: Any) -> dict[str, Any]:
        r = self.client.get("/api/v1/conversations", params=params, headers=self.agent)
        assert r.status_code == 200, r.text
        page: dict[str, Any] = r.json()
        return page

    def one(self, cid: int) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(f"/api/v1/conversations/{cid}", headers=self.agent).json()
        return found

    def patch(self, cid: int, **change: Any) -> dict[str, Any]:
        r = self.client.patch(f"/api/v1/conversations/{cid}", json=change, headers=self.agent)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    def alerts(self) -> list[dict[str, Any]]:
        return [e for e in self.runtime.check_sla() if e["event"] in ("alert.opened", "alert.resolved")]

    def hooks_of(self, event: str, count: int) -> list[Any]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [r for r in self.hooks.requests if r.headers.get("x-crisisdesk-event") == event]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} × {event} expected; got {[r.headers for r in self.hooks.requests]}")


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@pytest.fixture
def desk(workspace_file: Path) -> Iterator[Desk]:
    api = TelegramBotApi(BOT_TOKEN)
    clock = FakeClock(berlin(2026, 12, 5, 11, 0))  # a Saturday
    with HttpSink(responder=api) as sink, HttpSink() as hooks:
        workspace_file.write_text(config_text(sink.url, hooks.url), encoding="utf-8")
        workspace = load_workspace(workspace_file, Settings())
        runtime = build_runtime(workspace, Settings(), clock=clock, deliver=True)
        runtime.start_notifications()
        with TestClient(create_app(runtime, api_token="t")) as client:
            yield Desk(runtime, client, clock, api, sink, hooks, token(client, Role.AGENT))
        runtime.close()


def test_a_ticket_breaches_once_escalates_and_resolves_when_the_answer_is_sent(desk: Desk) -> None:
    desk.clock.advance(hours=46)  # Monday, 09:00 in Berlin
    monday = berlin(2026, 12, 7, 9, 0)
    desk.say(10, ANNA, "Mein Akku ist geplatzt!", monday, ("Anna", "Weber"))
    page = desk.page()
    [anna] = page["items"]
    assert anna["ticket"] == "2026-0001" and "after-hours" not in anna["tags"]
    assert at(anna["first_response_due"]) == monday + timedelta(minutes=30)
    assert at(anna["resolution_due"]) == monday + timedelta(minutes=240)
    assert at(anna["sla_due"]) == monday + timedelta(minutes=30) and anna["next_response_due"] is None
    assert anna["sla_breached"] == [] and page["counts"]["sla_due"] == 0  # due in 30, warned 15 before
    assert desk.alerts() == []

    desk.clock.advance(minutes=20)
    soon = desk.page(view="sla_due")
    assert [c["id"] for c in soon["items"]] == [anna["id"]] and soon["counts"]["sla_due"] == 1

    urgent = desk.patch(anna["id"], priority="urgent")  # 15 minutes for the first answer: 5 late
    assert at(urgent["first_response_due"]) == monday + timedelta(minutes=15)
    assert at(urgent["resolution_due"]) == monday + timedelta(minutes=120)
    assert urgent["sla_breached"] == ["first_response"]

    [opened] = desk.alerts()
    assert (opened["event"], opened["monitor"], opened["cause"], opened["severity"]) == (
        "alert.opened",
        MONITOR,
        "sla_first_reply",
        4,
    )
    assert opened["summaries"] == {
        "de": "Ticket 2026-0001 (Anna Weber): erste Antwort seit 5 Min. überfällig",
        "en": "Ticket 2026-0001 (Anna Weber): first response overdue by 5 min",
    }
    assert opened["notified"] == ["olga"] and opened["targets"] == ["ops-hook"]
    [hook] = desk.hooks_of("situation.opened", 1)
    assert verify(
        SECRET,
        body=hook.body,
        timestamp=hook.headers["x-crisisdesk-timestamp"],
        signature=hook.headers["x-crisisdesk-signature"],
        now=time.time(),
    )
    note = hook.json()["notification"]
    assert note["monitor"] == MONITOR and "2026-0001" in note["summary"]
    assert note["ack_url"].startswith(f"http://crisis.example.org/ack/{opened['situation']}?t=")
    with desk.runtime.engine.connect() as conn:
        explanation = json.loads(conn.execute(select(Situation.explanation)).scalar_one())
    assert explanation["conversation"] == anna["id"] and explanation["target"] == "first_response"

    desk.clock.advance(minutes=1)
    assert desk.alerts() == []  # still late, still one alert
    [breach] = [e for e in desk.one(anna["id"])["events"] if e["kind"] == "sla.breached"]
    assert breach["body"]["target"] == "first_response" and breach["body"]["situation"] == opened["situation"]

    sent = desk.client.post(
        f"/api/v1/conversations/{anna['id']}/messages",
        json={"text": "Das tut uns leid, Frau Weber. Wir rufen Sie gleich an."},
        headers=desk.agent,
    )
    assert sent.status_code == 202, sent.text
    assert desk.one(anna["id"])["first_response_due"] is not None  # queued is not answered
    OutboxSender(
        lambda: desk.runtime.engine, desk.runtime.connectors, clock=desk.clock, on_sent=desk.runtime.answered
    ).run_once()
    assert len([r for r in desk.sink.requests if r.path.endswith("/sendMessage")]) == 1
    answered = desk.one(anna["id"])
    assert answered["first_response_due"] is None and answered["sla_breached"] == []
    assert at(answered["sla_due"]) == monday + timedelta(minutes=120)  # the resolution is left
    [resolved] = desk.alerts()
    assert (resolved["event"], resolved["situation"]) == ("alert.resolved", opened["situation"])
    assert "2026-0001" in desk.hooks_of("situation.resolved", 1)[0].json()["notification"]["summary"]
    with desk.runtime.engine.connect() as conn:
        assert conn.execute(select(Situation.status)).scalars().all() == ["resolved"]

    # Anna writes again: our next answer is due 20 business minutes later.
    desk.clock.advance(minutes=10)
    again = desk.clock.now()
    desk.say(11, ANNA, "Und wann kommt der Rückruf?", again, ("Anna", "Weber"))
    assert at(desk.one(anna["id"])["next_response_due"]) == again + timedelta(minutes=20)

    done = desk.patch(anna["id"], status="resolved")  # resolving ends every target
    assert [done[k] for k in ("first_response_due", "next_response_due", "resolution_due", "sla_due")] == [
        None
    ] * 4
    desk.clock.advance(hours=9)  # 18:36: after hours
    desk.say(12, ANNA, "Geht schon wieder nicht", desk.clock.now(), ("Anna", "Weber"))
    reopened = desk.one(anna["id"])
    assert reopened["status"] == "open" and "after-hours" in reopened["tags"]
    tuesday = berlin(2026, 12, 8, 8, 0)  # the clocks start again at the next opening
    assert at(reopened["resolution_due"]) == tuesday + timedelta(minutes=120)
    assert at(reopened["next_response_due"]) == tuesday + timedelta(minutes=20)
    assert desk.alerts() == []


def test_weekend_tickets_count_from_monday_and_the_soon_due_view_sorts_by_due_time(desk: Desk) -> None:
    saturday = berlin(2026, 12, 5, 11, 0)
    desk.say(20, JONAS, "Wann kommt meine Lieferung?", saturday, ("Jonas", "Berg"))
    [jonas] = desk.page()["items"]
    assert "after-hours" in jonas["tags"]  # a Saturday message
    monday = berlin(2026, 12, 7, 8, 0)
    assert at(jonas["first_response_due"]) == monday + timedelta(minutes=30)
    assert at(jonas["resolution_due"]) == monday + timedelta(minutes=240)

    desk.clock.advance(hours=45)  # Monday 08:00
    desk.say(21, ANNA, "Akku defekt", monday, ("Anna", "Weber"))
    anna = next(c for c in desk.page()["items"] if c["id"] != jonas["id"])
    assert anna["ticket"] == "2026-0002" and "after-hours" not in anna["tags"]
    desk.patch(anna["id"], priority="urgent")  # due 08:15, before Jonas's 08:30

    desk.clock.advance(minutes=5)  # 08:05: Anna's within 15 minutes, Jonas's not yet
    soon = desk.page(view="sla_due")
    assert [c["id"] for c in soon["items"]] == [anna["id"]] and soon["counts"]["sla_due"] == 1
    desk.clock.advance(minutes=15)  # 08:20: Anna's overdue, Jonas's soon
    first = desk.page(view="sla_due", limit=1)
    assert [c["id"] for c in first["items"]] == [anna["id"]] and first["counts"]["sla_due"] == 2
    second = desk.page(view="sla_due", limit=1, after=first["next"])
    assert [c["id"] for c in second["items"]] == [jonas["id"]] and second["next"] is None
    assert [c["sla_breached"] for c in (first["items"][0], second["items"][0])] == [["first_response"], []]

    [alert] = desk.alerts()  # only Anna's is late
    assert alert["ticket"] == "2026-0002" and alert["severity"] == 4

    desk.patch(anna["id"], priority="low")  # due much later now: no longer overdue
    [resolved] = desk.alerts()
    assert (resolved["event"], resolved["situation"]) == ("alert.resolved", alert["situation"])
    desk.patch(anna["id"], priority="urgent")  # the same due time again: reported once already
    assert desk.alerts() == []


def signed_in(desk: Desk, lang: str) -> TestClient:
    """The agent in a browser, in ``lang`` (the user ``token`` made)."""
    c = TestClient(desk.client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    r = c.post(
        "/login",
        data={"email": "agent@example.org", "password": "a long enough password", "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


def test_the_pages_show_tickets_due_times_and_breaches_in_german_and_english(desk: Desk) -> None:
    desk.clock.advance(hours=46)  # Monday, 09:00 in Berlin
    desk.say(30, ANNA, "Akku kaputt", desk.clock.now(), ("Anna", "Weber"))
    [anna] = desk.page()["items"]
    desk.clock.advance(minutes=40)  # the first answer is 10 minutes late
    [opened] = desk.alerts()
    texts = {
        "de": (
            "SLA bald fällig",
            "Ticket 2026-0001",
            "Erste Antwort: seit 10 Minuten überfällig",
            "Lösung: fällig in",
            "SLA überschritten",
            "SLA: erste Antwort überfällig",
        ),
        "en": (
            "SLA soon due",
            "Ticket 2026-0001",
            "First response: overdue by 10 minutes",
            "Resolution: due in",
            "SLA breached",
            "SLA: first response overdue",
        ),
    }
    for lang, (view, ticket, late, resolution, event, cause) in texts.items():
        browser = signed_in(desk, lang)
        listed = browser.get("/inbox", params={"view": "sla_due"})
        assert listed.status_code == 200 and view in listed.text and ticket in listed.text
        assert 'class="tag sla sla-breached"' in listed.text and f'id="c-{anna["id"]}"' in listed.text
        page = browser.get(f"/inbox/{anna['id']}")
        assert page.status_code == 200, page.text
        for text in (ticket, late, resolution, event):
            assert text in page.text, (lang, text)
        assert f'href="/situations/{opened["situation"]}"' in page.text
        situation = browser.get(f"/situations/{opened['situation']}")
        assert situation.status_code == 200 and cause in situation.text and MONITOR in situation.text


def test_only_tickets_have_due_times_and_a_conversation_made_a_ticket_late_is_not_overdue_at_once(
    desk: Desk,
) -> None:
    desk.clock.advance(hours=46)  # Monday, 09:00 in Berlin
    desk.say(40, JONAS, "Hallo, kurze Frage", desk.clock.now(), ("Jonas", "Berg"))
    [jonas] = desk.page()["items"]
    assert jonas["ticket"] is None and jonas["sla_due"] is None and jonas["first_response_due"] is None
    desk.clock.advance(hours=2)  # nobody answered for two hours: no SLA, nothing overdue
    assert desk.alerts() == [] and desk.page()["counts"]["sla_due"] == 0
    ticket = desk.patch(jonas["id"], ticket=True)
    assert ticket["ticket"] == "2026-0001"
    assert at(ticket["first_response_due"]) == desk.clock.now() + timedelta(minutes=30)
    assert at(ticket["resolution_due"]) == desk.clock.now() + timedelta(minutes=240)
    assert desk.patch(jonas["id"], ticket=True)["ticket"] == "2026-0001"  # a ticket stays one
    bad = desk.client.patch(
        f"/api/v1/conversations/{jonas['id']}", json={"ticket": False}, headers=desk.agent
    )
    assert bad.status_code == 422
    assert desk.alerts() == []

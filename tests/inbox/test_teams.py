"""Teams, notices and situations in the inbox, on the real app, a loopback Graph API and a
loopback webhook target: round robin among the members on shift (passing over one off shift,
one without an account and one at capacity), a rule's ``notify`` reaching a role's webhook as an
inbox notice, a note's @mention reaching the person and their "mentions" view, the "my team"
view, rules on situations and the inbox of one situation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions
from crisisdesk.accounts.roles import Role
from crisisdesk.audit.service import Actor
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.detection.models import Situation
from crisisdesk.inbox.models import Conversation, RuleRun
from crisisdesk.inbox.notices import mentioned
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.models import Monitor
from crisisdesk.workspace import load_workspace, parse_config
from tests.accounts.fixtures import FAST_HASHER
from tests.channels.payloads import APP_SECRET, PAGE_ID, VERIFY_TOKEN, fb_comment, meta_body, meta_signature
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend

SECRET = "hook-secret-0123456789"


def config(graph: str, hooks: str) -> str:
    # A shift that never covers now: yesterday's weekday only, for one minute.
    yesterday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() - 1) % 7]
    return f"""
monitors:
  - {{name: akku, query: akku}}
notify:
  targets:
    care-hook: {{kind: webhook, url: "{hooks}/care", secret: {SECRET}}}
    ben-hook: {{kind: webhook, url: "{hooks}/ben", secret: {SECRET}}}
people:
  carla: {{name: Carla, targets: [care-hook]}}
  ben: {{name: Ben Braun, targets: [ben-hook], email: ben@example.org}}
roles:
  care_lead: [carla]
channels:
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: page-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {graph}
inbox:
  teams:
    care:
      title: Kundenservice
      max_open: 2
      members:
        - anna@example.org
        - user: nightowl@example.org
          shift: {{days: [{yesterday}], start: "03:00", end: "03:01", timezone: UTC}}
        - gone@example.org
        - ben@example.org
  rules:
    - name: care-takes-complaints
      when: {{query: akku}}
      then:
        - assign_round_robin: care
    - name: urgent-to-lead
      when: {{query: brand OR feuer}}
      then:
        - notify: {{to: ["role:care_lead"], text: {{de: "Brandgefahr gemeldet", en: "Fire reported"}}}}
    - name: in-crisis
      when: {{in_situation: true}}
      then:
        - tag: crisis
"""


@pytest.fixture
def servers() -> Iterator[tuple[HttpSink, GraphSend, HttpSink]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    with HttpSink(responder=api) as graph, HttpSink() as hooks:
        yield graph, api, hooks


@pytest.fixture
def runtime(workspace_file: Path, servers: tuple[HttpSink, GraphSend, HttpSink]) -> Iterator[Runtime]:
    graph, _, hooks = servers
    workspace_file.write_text(config(graph.url, hooks.url), encoding="utf-8")
    runtime = build_runtime(
        load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock(), deliver=True
    )
    runtime.start_notifications()
    with Session(runtime.engine) as s, s.begin():
        for email in ("anna@example.org", "nightowl@example.org", "ben@example.org"):
            actions.create_user(
                s,
                email=email,
                name=email.split("@")[0].title(),
                role=Role.AGENT,
                password="a long enough password",
                actor=Actor.system(),
                clock=SystemClock(),
                hasher=FAST_HASHER,
            )
    yield runtime
    runtime.close()


def deliver(
    client: TestClient, runtime: Runtime, comment: str, text: str, *, author: str, name: str, ago: int = 0
) -> None:
    """A signed comment webhook written ``ago`` seconds ago (situations judge by when a message was
    written)."""
    now = int(time.time()) - ago
    body = meta_body(
        "page",
        [
            {
                "id": PAGE_ID,
                "time": now,
                "changes": [fb_comment(comment, text, author=author, name=name, created=now)],
            }
        ],
    )
    r = client.post(
        "/webhooks/voltaro-fb",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    runtime.process_deliveries()


def login(client: TestClient, runtime: Runtime, email: str) -> dict[str, str]:
    with Session(runtime.engine) as s, s.begin():
        from crisisdesk.accounts.models import User

        user = s.scalars(select(User).where(User.email == email)).one()
        created = actions.create_token(s, user, "test", actor=Actor.system(), clock=SystemClock())
        return {"Authorization": f"Bearer {created.secret}"}


def arrived(hooks: HttpSink, path: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [r for r in hooks.requests if r.path == path]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} deliveries to {path} expected; got {[r.path for r in hooks.requests]}")


def assignee_emails(runtime: Runtime) -> list[str | None]:
    from crisisdesk.accounts.models import User

    with Session(runtime.engine) as s:
        rows = s.execute(
            select(Conversation.id, User.email)
            .outerjoin(User, User.id == Conversation.assignee_user_id)
            .order_by(Conversation.id)
        ).all()
        return [email for _, email in rows]


def test_round_robin_gives_work_to_members_on_shift_in_turn_up_to_their_capacity(
    runtime: Runtime, servers: tuple[HttpSink, GraphSend, HttpSink]
) -> None:
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        for i in range(5):
            deliver(
                client, runtime, str(10 + i), f"Mein Akku Nummer {i} ist defekt", author=f"7{i}", name=f"P{i}"
            )
    # anna, ben, anna, ben; then both have max_open (2) open conversations: left to the team.
    assert assignee_emails(runtime) == [
        "anna@example.org",
        "ben@example.org",
        "anna@example.org",
        "ben@example.org",
        None,
    ]
    with Session(runtime.engine) as s:
        teams = s.scalars(select(Conversation.team).order_by(Conversation.id)).all()
        assert teams == ["care"] * 5
        runs = s.scalars(
            select(RuleRun).where(RuleRun.rule == "care-takes-complaints").order_by(RuleRun.id)
        ).all()
        first, last = runs[0].actions[0], runs[-1].actions[0]
        assert first["ok"] is True and first["assigned"] == "anna@example.org"
        assert last["ok"] is False and "nobody of team 'care'" in last["error"]
        assert last["passed"] == {
            "anna@example.org": "2 open (max_open 2)",
            "nightowl@example.org": "off shift",
            "gone@example.org": "no active account",
            "ben@example.org": "2 open (max_open 2)",
        }


def test_a_rule_notifies_a_role_and_a_mention_reaches_the_person_and_their_view(
    runtime: Runtime, servers: tuple[HttpSink, GraphSend, HttpSink]
) -> None:
    from crisisdesk.api.app import create_app

    _, _, hooks = servers
    with TestClient(create_app(runtime, api_token="t")) as client:
        deliver(client, runtime, "20", "Feuer! Euer Akku hat gebrannt", author="801", name="Jana Roth")
        notice = arrived(hooks, "/care", 1)[0]
        assert notice.headers["x-crisisdesk-event"] == "inbox.notice"
        body = notice.json()
        with Session(runtime.engine) as s:
            cid = s.scalars(select(Conversation.id)).one()
        assert body["notification"]["kind"] == "inbox" and body["notification"]["conversation_id"] == cid
        assert body["notification"]["summary"] == "Fire reported"
        assert body["notification"]["ack_url"].endswith(f"/inbox/{cid}")

        anna, ben = login(client, runtime, "anna@example.org"), login(client, runtime, "ben@example.org")
        assert client.get("/api/v1/conversations?view=mentions", headers=ben).json()["items"] == []
        note = client.post(
            f"/api/v1/conversations/{cid}/notes",
            headers=anna,
            json={"text": "@ben bitte übernehmen, @nobody kennt keiner"},
        )
        assert note.status_code == 201, note.text
        assert note.json()["body"] == {"mentions": ["ben@example.org"]}
        mention = arrived(hooks, "/ben", 1)[0].json()["notification"]
        assert mention["title"].startswith("anna@example.org") and "bitte übernehmen" in mention["summary"]
        page = client.get("/api/v1/conversations?view=mentions", headers=ben).json()
        assert [c["id"] for c in page["items"]] == [cid] and page["counts"]["mentions"] == 1
        assert client.get("/api/v1/conversations?view=mentions", headers=anna).json()["items"] == []
        # "my team": the conversation went to team care by round robin; Ben and Anna are members.
        assert [
            c["id"] for c in client.get("/api/v1/conversations?view=team", headers=ben).json()["items"]
        ] == [cid]


def test_rules_on_situations_and_the_inbox_of_one_situation(
    runtime: Runtime, servers: tuple[HttpSink, GraphSend, HttpSink]
) -> None:
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        deliver(client, runtime, "30", "Mein Akku ist kaputt", author="901", name="Ole", ago=60)
        now = datetime.now(UTC) - timedelta(seconds=30)
        with runtime.engine.begin() as conn:
            monitor = conn.execute(select(Monitor.id).where(Monitor.name == "akku")).scalar_one()
            sid = conn.execute(
                insert(Situation)
                .values(
                    monitor_id=monitor,
                    cause="volume",
                    status="open",
                    severity=3,
                    opened_at=now,
                    updated_at=now,
                    explanation='{"summary": "Battery fires", '
                    '"summaries": {"de": "Akku-Brände", "en": "Battery fires"}}',
                )
                .returning(Situation.id)
            ).scalar_one()
        deliver(client, runtime, "31", "Noch ein Akku kaputt", author="902", name="Pia")
        deliver(client, runtime, "32", "Schöner Tag heute", author="903", name="Udo")  # not the monitor's
        with Session(runtime.engine) as s:
            tags = dict(s.execute(select(Conversation.thread, Conversation.tags)).all())
        tagged = sorted(t for t, v in tags.items() if "crisis" in v)
        assert len(tagged) == 1 and tagged[0].endswith("31")
        lead = login(client, runtime, "anna@example.org")
        listed = client.get(f"/api/v1/conversations?situation={sid}", headers=lead)
        assert listed.status_code == 200, listed.text
        # The hour before it opened belongs to it too: both "akku" conversations, not the other one.
        assert len(listed.json()["items"]) == 2
        assert client.get("/api/v1/conversations?situation=999999", headers=lead).status_code == 404
        from crisisdesk.inbox.texts import values_for

        with Session(runtime.engine) as s:
            summaries = {
                c.thread[-2:]: (
                    values_for(s, c, lang="de")["situation.summary"],
                    values_for(s, c, lang="en")["situation.summary"],
                )
                for c in s.scalars(select(Conversation))
            }
        detail = client.get(f"/api/v1/conversations/{listed.json()['items'][0]['id']}", headers=lead).json()
        assert detail["monitors"] == ["akku"]
        assert [(x["id"], x["monitor"], x["severity"]) for x in detail["situations"]] == [(sid, "akku", 3)]
        other = next(
            c
            for c in client.get("/api/v1/conversations", headers=lead).json()["items"]
            if c["id"] not in {i["id"] for i in listed.json()["items"]}
        )
        assert client.get(f"/api/v1/conversations/{other['id']}", headers=lead).json()["situations"] == []
        page = client.get(f"/inbox/{listed.json()['items'][0]['id']}", headers=lead)
        assert page.status_code == 200 and f'href="/situations/{sid}"' in page.text
        assert summaries == {
            "30": ("Akku-Brände", "Battery fires"),
            "31": ("Akku-Brände", "Battery fires"),
            "32": ("", ""),
        }
        tried = client.post(
            "/api/v1/inbox/rules/dry-run",
            headers=login_lead(client, runtime),
            json={"name": "in-crisis", "days": 1},
        )
        assert tried.status_code == 200, tried.text
        assert len(tried.json()["matched"]) == 1  # the situation opened between the two messages
        page = client.get(f"/inbox?situation={sid}", headers=lead)
        assert page.status_code == 200


def login_lead(client: TestClient, runtime: Runtime) -> dict[str, str]:
    from tests.channels.test_outbox_flow import token

    return token(client, Role.CRISIS_LEAD)


def test_mentions_are_read_from_the_note() -> None:
    assert mentioned("@Ben bitte, und @anna@example.org; mail an x@y.de. @ben nochmal.") == [
        "ben",
        "anna@example.org",
    ]


@pytest.mark.parametrize(
    ("inbox", "words"),
    [
        ("rules: [{name: r, then: [{assign_round_robin: night}]}]", "no team 'night'"),
        ("rules: [{name: r, then: [{notify: {to: [boss]}}]}]", "write role:NAME"),
        (
            "rules: [{name: r, then: [{notify: {to: ['role:boss']}}]}]",
            "inbox.rules[0].then[0].notify.to[0]: unknown role 'boss'",
        ),
        ("teams: {care: {members: [a@b.de, A@b.de]}}", "given twice"),
        ("teams: {'bad team': {members: [a@b.de]}}", "team name"),
    ],
)
def test_broken_teams_and_notices_are_refused_with_their_place(inbox: str, words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f"inbox:\n  {inbox}\n", path="crisisdesk.yaml")
    assert words in str(refused.value)


def test_teams_shift_boundaries() -> None:
    from crisisdesk.inbox.team_config import TeamConfig
    from crisisdesk.inbox.teams import on_shift

    team = TeamConfig.model_validate(
        {
            "members": [
                "a@x.de",
                {
                    "user": "b@x.de",
                    "shift": {"days": ["mon"], "start": "22:00", "end": "06:00", "timezone": "Europe/Berlin"},
                },
            ]
        }
    )
    monday_late = datetime(2026, 12, 7, 22, 30, tzinfo=UTC) - timedelta(hours=1)  # 22:30 in Berlin
    tuesday_early = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)  # 05:00 Berlin: Monday's night shift
    tuesday_late = datetime(2026, 12, 8, 22, 30, tzinfo=UTC)
    assert on_shift(team, monday_late) == ["a@x.de", "b@x.de"]
    assert on_shift(team, tuesday_early) == ["a@x.de", "b@x.de"]
    assert on_shift(team, tuesday_late) == ["a@x.de"]

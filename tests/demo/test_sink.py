"""The demo's notification sink: checks webhook signatures like a real receiver, parses every shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from crisisdesk.demo.sink import NotificationSink
from crisisdesk.notify import slack, teams, webhook
from crisisdesk.notify.schemas import Lang, Notification, NotificationKind

SECRET = "demo-secret-0123456789"
ACK = "http://127.0.0.1:8000/ack/7?t=1790000000.abcDEF_-12"


def note(kind: NotificationKind = NotificationKind.ESCALATED, lang: Lang = "de") -> Notification:
    return Notification(situation_id=7, monitor="voltaro", severity=3, kind=kind, title="voltaro: Krise",
                        ack_url=ACK, lang=lang,
                        occurred_at=datetime(2026, 11, 4, 13, 17, tzinfo=UTC))


@pytest.fixture
def sink() -> Iterator[NotificationSink]:
    with NotificationSink({"lead-pager": SECRET}) as s:
        yield s


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {webhook.TIMESTAMP_HEADER: str(ts), webhook.SIGNATURE_HEADER: webhook.sign(secret, ts, body),
            webhook.DELIVERY_HEADER: "situation:7:step:1:lead-pager", "Content-Type": "application/json"}


def test_signed_webhook_is_received_and_parsed(sink: NotificationSink) -> None:
    body = orjson.dumps(webhook.body(note(), key="situation:7:step:1:lead-pager"))
    response = httpx.post(f"{sink.url}/webhook/lead-pager", content=body, headers=signed(body))
    assert response.status_code == 200
    [got] = sink.received
    assert (got.target, got.kind, got.situation, got.notification_kind) == ("lead-pager", "webhook", 7,
                                                                           "escalated")
    assert got.ack_url == ACK
    assert got.occurred_at == datetime(2026, 11, 4, 13, 17, tzinfo=UTC)
    assert "Lage eskaliert" in got.headline
    # at-least-once delivery: the same delivery id again is answered but not recorded twice
    again = httpx.post(f"{sink.url}/webhook/lead-pager", content=body, headers=signed(body))
    assert again.status_code == 200 and len(sink.received) == 1


@pytest.mark.parametrize("headers", [
    signed(b"{}", secret="not-the-secret-at-all"),  # signed with another key
    signed(b'{"other": "body"}'),  # signature of other bytes
    signed(b"{}", timestamp=int(time.time()) - 3600),  # stale: a replay
    {"Content-Type": "application/json"},  # unsigned
])
def test_bad_signatures_are_refused(sink: NotificationSink, headers: dict[str, str]) -> None:
    response = httpx.post(f"{sink.url}/webhook/lead-pager", content=b"{}", headers=headers)
    assert response.status_code == 401
    assert sink.received == []
    assert [(r.target, r.status) for r in sink.refused] == [("lead-pager", 401)]


def test_unknown_targets_and_methods(sink: NotificationSink) -> None:
    body = orjson.dumps(webhook.body(note(), key="k"))
    assert httpx.post(f"{sink.url}/webhook/nobody", content=body, headers=signed(body)).status_code == 404
    assert httpx.post(f"{sink.url}/fax/lead-pager", content=body).status_code == 404
    assert httpx.get(f"{sink.url}/slack/social-media").status_code == 405
    assert httpx.post(f"{sink.url}/slack/social-media", content=b"not json").status_code == 400
    assert sink.received == []


def test_slack_and_teams_payloads_give_kind_and_link(sink: NotificationSink) -> None:
    opened = note(NotificationKind.OPENED, lang="en")
    assert httpx.post(f"{sink.url}/slack/social-media", content=orjson.dumps(slack.payload(opened))
                      ).status_code == 200
    response = httpx.post(f"{sink.url}/teams/management", content=orjson.dumps(teams.payload(note())))
    assert response.status_code == 200
    got = sink.wait_for(2)
    assert [(r.target, r.kind, r.notification_kind, r.situation, r.ack_url) for r in got] == [
        ("social-media", "slack", "opened", 7, ACK), ("management", "teams", "escalated", 7, ACK)]
    assert got[0].headline.startswith("crisis") or "New situation" in got[0].headline

"""The durable outbox and the dispatcher, on SQLite and PostgreSQL, against local servers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.notify import (
    Delivery,
    DeliveryStatus,
    Dispatcher,
    RetryPolicy,
    SlackTarget,
    TargetConfig,
    TargetKind,
    TelegramTarget,
    WebhookTarget,
    delivery_key,
    due,
    enqueue,
    enqueue_for_targets,
    service,
)
from tests.fakes.http_sink import HttpSink, Reply
from tests.fakes.telegram_bot import TelegramBotApi, flood
from tests.notify.samples import BOT_TOKEN, SECRET, FakeClock, notification

KEY = delivery_key(situation_id=42, step=1, target_name="ops")


def slack_target(sink: HttpSink) -> SlackTarget:
    return SlackTarget(webhook_url=SecretStr(sink.url + "/services/x"), timeout=2)


def add(engine: Engine, clock: FakeClock, *, key: str = KEY, target_name: str = "ops",
        kind: TargetKind = TargetKind.SLACK) -> None:
    with Session(engine) as session, session.begin():
        enqueue(session, key=key, target_name=target_name, kind=kind, notification=notification(),
                clock=clock)


def row(engine: Engine, key: str = KEY) -> Delivery:
    with Session(engine) as session:
        return session.scalars(select(Delivery).where(Delivery.key == key)).one()


def dispatcher(engine: Engine, targets: Mapping[str, TargetConfig], clock: FakeClock,
               **kw: object) -> Dispatcher:
    return Dispatcher(engine, targets, clock=clock, sleep=clock.sleep, jitter=lambda: 1.0, **kw)  # type: ignore[arg-type]


def test_enqueue_is_idempotent_on_the_key(engine: Engine, clock: FakeClock) -> None:
    add(engine, clock)
    clock.advance(60)
    add(engine, clock)  # the same step again, e.g. after a restart: nothing new
    with Session(engine) as session, session.begin():
        first = enqueue(session, key=KEY, target_name="ops", kind="slack", notification=notification(),
                        clock=clock)
        again = enqueue(session, key=KEY, target_name="ops", kind="slack", notification=notification(),
                        clock=clock)
        assert first.id == again.id
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
    r = row(engine)
    assert (r.status, r.attempts, r.kind, r.situation_id) == ("pending", 0, "slack", 42)
    assert r.created_at == r.next_attempt_at == clock.now() - timedelta(seconds=60)
    assert r.payload == notification().model_dump(mode="json")


def test_enqueue_for_targets_and_due(engine: Engine, clock: FakeClock, sink: HttpSink) -> None:
    targets: dict[str, TargetConfig] = {
        "ops": slack_target(sink),
        "siem": WebhookTarget(url=sink.url, secret=SecretStr(SECRET)),
    }
    with Session(engine) as session, session.begin():
        rows = enqueue_for_targets(session, step_key="situation:42:step:1", targets=targets,
                                   notification=notification(), clock=clock)
        assert [(r.key, r.kind) for r in rows] == [
            ("situation:42:step:1:ops", "slack"), ("situation:42:step:1:siem", "webhook")]
    with Session(engine) as session:
        assert len(due(session, clock.now())) == 2
        assert due(session, clock.now() - timedelta(seconds=1)) == []


def test_retry_with_backoff_then_success(
    engine: Engine, clock: FakeClock, sink: HttpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crisisdesk.notify")
    sink.script(Reply(500, "internal_error"), Reply(502, "bad gateway"))
    add(engine, clock)
    with dispatcher(engine, {"ops": slack_target(sink)}, clock, policy=RetryPolicy(base=2)) as d:
        outcomes = d.drain()
    assert [o.status for o in outcomes] == ["pending", "pending", "sent"]
    assert clock.slept == [2.0, 4.0]  # 2 * 2**(n-1), jitter pinned to its maximum
    assert len({r.body for r in sink.requests}) == 1  # the same bytes every time
    r = row(engine)
    assert (r.status, r.attempts) == ("sent", 3)
    assert r.sent_at == clock.now()
    assert r.last_error is not None and "HTTP 502" in r.last_error
    messages = [rec.getMessage() for rec in caplog.records]
    assert any("attempt 1 failed" in m and "retry in 2.0 s" in m and "HTTP 500" in m for m in messages)
    assert any("attempt 3 sent" in m for m in messages)


def test_retry_after_and_telegram_retry_after_are_honoured(
    engine: Engine, clock: FakeClock, sink: HttpSink
) -> None:
    bot = TelegramBotApi(BOT_TOKEN)
    sink.responder = bot
    sink.script(Reply(429, {"ok": False}, headers={"Retry-After": "30"}), flood(retry_after=17))
    tg = TelegramTarget.model_validate({"bot_token": BOT_TOKEN, "chat_id": 5, "api_base_url": sink.url})
    add(engine, clock, target_name="tg", kind=TargetKind.TELEGRAM)
    with dispatcher(engine, {"tg": tg}, clock) as d:
        d.drain()
    assert clock.slept == [30.0, 17.0]
    assert row(engine).status == "sent" and len(bot.messages) == 1


def test_permanent_error_fails_at_once(engine: Engine, clock: FakeClock, sink: HttpSink) -> None:
    sink.script(Reply(403, "action_prohibited"))
    add(engine, clock)
    with dispatcher(engine, {"ops": slack_target(sink)}, clock) as d:
        outcomes = d.drain()
    assert [o.status for o in outcomes] == ["failed"]
    assert len(sink.requests) == 1 and clock.slept == []
    r = row(engine)
    assert (r.status, r.attempts) == ("failed", 1)
    assert r.last_error == "Slack webhook: HTTP 403 action_prohibited"


def test_gives_up_after_max_attempts(engine: Engine, clock: FakeClock, sink: HttpSink) -> None:
    sink.default = Reply(503, "down")
    add(engine, clock)
    with dispatcher(engine, {"ops": slack_target(sink)}, clock, policy=RetryPolicy(max_attempts=3)) as d:
        d.drain()
    assert len(sink.requests) == 3
    r = row(engine)
    assert (r.status, r.attempts) == ("failed", 3)
    assert r.last_error == "gave up after 3 attempts: Slack webhook: HTTP 503 down"


def test_unconfigured_target_fails(engine: Engine, clock: FakeClock) -> None:
    add(engine, clock, target_name="gone")
    with dispatcher(engine, {}, clock) as d:
        d.drain()
    assert row(engine).last_error == "target 'gone' is not configured (any more)"


def test_sent_is_never_sent_again(engine: Engine, clock: FakeClock, sink: HttpSink) -> None:
    add(engine, clock)
    with dispatcher(engine, {"ops": slack_target(sink)}, clock) as d:
        d.drain()
    add(engine, clock)  # the step runs again
    clock.advance(3600)
    with dispatcher(engine, {"ops": slack_target(sink)}, clock) as d:  # "after a restart"
        assert d.recover() == 0
        assert d.drain() == []
    assert len(sink.requests) == 1


def _die_while_sending(engine: Engine, clock: FakeClock) -> None:
    """What a process that crashes mid-send leaves behind: a committed claim."""
    with Session(engine) as session, session.begin():
        (r,) = service.due(session, clock.now())
        assert service.claim(session, r, now=clock.now(), lease=timedelta(minutes=2))


def test_restart_sends_interrupted_deliveries_again(engine: Engine, clock: FakeClock, sink: HttpSink) -> None:
    add(engine, clock)
    add(engine, clock, key="other-sent")
    with dispatcher(engine, {"ops": slack_target(sink)}, clock) as d:
        d.drain()  # both sent
    add(engine, clock, key="k-crash")
    _die_while_sending(engine, clock)
    assert row(engine, "k-crash").status == "sending"
    with dispatcher(engine, {"ops": slack_target(sink)}, clock) as d:
        assert d.recover() == 1  # what start() does
        outcomes = d.run_once()
    assert [o.key for o in outcomes] == ["k-crash"]
    r = row(engine, "k-crash")
    assert (r.status, r.attempts) == ("sent", 2)
    assert r.last_error is not None and "attempt 1 was interrupted" in r.last_error
    assert len(sink.requests) == 3


def test_expired_claim_is_taken_over_without_recover(
    engine: Engine, clock: FakeClock, sink: HttpSink
) -> None:
    """With several dispatchers on one database: no recover at start, the claim expires instead."""
    add(engine, clock)
    _die_while_sending(engine, clock)
    with dispatcher(engine, {"ops": slack_target(sink)}, clock, recover_on_start=False) as d:
        assert d.run_once() == []  # the claim still holds: maybe another process is sending
        clock.advance(121)
        assert [o.status for o in d.run_once()] == [DeliveryStatus.SENT]
    r = row(engine)
    assert (r.status, r.attempts) == ("sent", 2)
    assert r.last_error is not None and "interrupted" in r.last_error

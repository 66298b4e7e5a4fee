"""The channel outbox on both databases: idempotent requests, capability checks, retries with the
platform's Retry-After, permanent refusals, interrupted calls, forward-only delivery states, audit.

The connector here is a small scripted one: these tests are about the outbox, not a platform (each
platform's ``send`` is tested against its loopback server in its own test file)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import (
    Capability,
    CheckResult,
    Delivery,
    DeliveryState,
    PlatformError,
    StatusReport,
    Watermark,
)
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action, Outbound, Sent
from crisisdesk.channels.sending import LEASE, OutboxSender
from crisisdesk.notify.dispatcher import RetryPolicy
from crisisdesk.posts.models import Author, Post

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


class Scripted:
    """Answers each send with the next scripted outcome (a platform id, or an error to raise)."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.HIDE})

    def __init__(self) -> None:
        self.calls: list[Outbound] = []
        self.script: list[str | Exception] = []

    @property
    def key(self) -> str:
        return "chan"

    def parse(self, body: bytes) -> Delivery:
        return Delivery()

    def check(self) -> CheckResult:
        return CheckResult("test")

    def send(self, outbound: Outbound) -> Sent:
        self.calls.append(outbound)
        outcome = self.script.pop(0) if self.script else f"ext-{len(self.calls)}"
        if isinstance(outcome, Exception):
            raise outcome
        return Sent(outcome)


@pytest.fixture
def connector() -> Scripted:
    return Scripted()


def connectors(c: Scripted) -> Mapping[str, Scripted]:
    return {"chan": c}


def stored_post(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        author = Author(platform="telegram", external_id="4711", handle="anna", name="Anna", first_seen=T0,
                        updated_at=T0)
        session.add(author)
        session.flush()
        post = Post(platform="telegram", external_id="77", kind="message", created_at=T0,
                    text="Mein Akku brennt", channel="chan", conversation_id="telegram:1:4711",
                    author_id=author.id,
                    raw='{"platform": "telegram", "id": "77", "text": "Mein Akku brennt"}',
                    content_hash="x", ingested_at=T0, updated_at=T0)
        session.add(post)
        session.flush()
        return post.id


def ask(engine: Engine, c: Scripted, **kw: object) -> tuple[OutboxItem, bool]:
    values: dict[str, object] = {"channel": "chan", "action": Action.REPLY_PRIVATE,
                                 "idempotency_key": "key-0001", "text": "Das tut uns leid, Anna."}
    values.update(kw)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return outbox.enqueue(session, outbox.OutboundRequest(**values),  # type: ignore[arg-type]
                              connectors=connectors(c), actor=Actor("anna@example.org"), now=T0)


def row(engine: Engine, item_id: int) -> OutboxItem:
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        return found


def sender(engine: Engine, c: Scripted, clock: Clock, **kw: object) -> OutboxSender:
    return OutboxSender(lambda: engine, lambda: connectors(c), clock=clock,
                        policy=RetryPolicy(max_attempts=3, base=10.0, cap=60.0), **kw)  # type: ignore[arg-type]


def test_request_from_a_post_is_sent_once_with_what_the_post_knows(
        engine: Engine, connector: Scripted) -> None:
    post_id = stored_post(engine)
    item, created = ask(engine, connector, post_id=post_id)
    again, created_again = ask(engine, connector, post_id=post_id)
    assert created and not created_again and again.id == item.id  # the same key: one request
    with pytest.raises(outbox.OutboxError) as conflict:
        ask(engine, connector, post_id=post_id, text="Something else")
    assert conflict.value.status == 409

    outcomes = sender(engine, connector, Clock()).run_once()
    assert [o.status for o in outcomes] == [OutboxStatus.SENT]
    call = connector.calls[0]
    assert (call.action, call.target, call.thread, call.recipient) == (
        Action.REPLY_PRIVATE, "77", "telegram:1:4711", "4711")
    assert call.context["post"]["text"] == "Mein Akku brennt"
    assert call.idempotency_key == "chan:key-0001"
    done = row(engine, item.id)
    assert (done.status, done.external_id, done.delivery_state) == ("sent", "ext-1", "sent")
    assert sender(engine, connector, Clock()).run_once() == []  # a sent item is never sent again
    with Session(engine) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        who = session.scalars(select(AuditEntry.actor).order_by(AuditEntry.id)).all()
    assert actions == ["outbound.queued", "outbound.sent"]
    assert who == ["anna@example.org", "system"]


@pytest.mark.parametrize(("kw", "status", "words"), [
    ({"channel": "nope"}, 404, "no enabled channel 'nope'"),
    ({"action": Action.DELETE}, 422, "cannot delete (it can: hide, reply_private, reply_public, unhide)"),
    ({"text": "   "}, 422, "reply_private needs a text"),
    ({"post_id": 999_999}, 404, "no post 999999"),
])
def test_refused_requests_name_the_problem_and_store_nothing(
        engine: Engine, connector: Scripted, kw: dict[str, object], status: int, words: str) -> None:
    with pytest.raises(outbox.OutboxError) as refused:
        ask(engine, connector, **kw)
    assert refused.value.status == status and words in str(refused.value)
    with Session(engine) as session:
        assert session.scalars(select(OutboxItem)).all() == []
        assert session.scalars(select(AuditEntry)).all() == []


def test_transient_errors_wait_for_retry_after_then_give_up(engine: Engine, connector: Scripted) -> None:
    clock = Clock()
    item, _ = ask(engine, connector, target="77", recipient="4711")
    connector.script = [PlatformError("rate limited", code=4, retry_after=120.0),
                        PlatformError("HTTP 502"), PlatformError("HTTP 502")]
    s = sender(engine, connector, clock)
    assert [o.status for o in s.run_once()] == [OutboxStatus.QUEUED]
    waiting = row(engine, item.id)
    assert waiting.next_attempt_at == T0 + timedelta(seconds=120)  # the platform's Retry-After
    assert waiting.error_code == "4" and "rate limited" in (waiting.last_error or "")
    clock.at = T0 + timedelta(seconds=119)
    assert s.run_once() == []  # not before
    clock.at = T0 + timedelta(seconds=120)
    assert [o.status for o in s.run_once()] == [OutboxStatus.QUEUED]
    clock.at += timedelta(hours=1)
    last = s.run_once()
    assert [o.status for o in last] == [OutboxStatus.FAILED]
    failed = row(engine, item.id)
    assert failed.attempts == 3 and (failed.last_error or "").startswith("gave up after 3 attempts")
    assert len(connector.calls) == 3


def test_permanent_errors_fail_at_once_and_dead_credentials_are_reported(
        engine: Engine, connector: Scripted) -> None:
    reported: list[tuple[str, str]] = []
    item, _ = ask(engine, connector, target="77", recipient="4711")
    other, _ = ask(engine, connector, target="78", recipient="4711", idempotency_key="key-0002")
    connector.script = [PlatformError("(10) outside of allowed window: the 24-hour window is closed", code=10,
                                      permanent=True),
                        PlatformError("(190) token expired", code=190, permanent=True, reauthorize=True)]
    outcomes = sender(engine, connector, Clock(),
                      on_reauthorize=lambda c, m: reported.append((c, m))).run_once()
    assert [o.status for o in outcomes] == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    assert "24-hour window" in (row(engine, item.id).last_error or "")
    assert row(engine, other.id).error_code == "190"
    assert reported == [("chan", "(190) token expired")]
    with Session(engine) as session:
        failed = session.scalars(select(AuditEntry.action)
                                 .where(AuditEntry.action == "outbound.failed")).all()
    assert failed == ["outbound.failed", "outbound.failed"]


def test_an_interrupted_call_is_uncertain_not_repeated_until_a_person_retries(
        engine: Engine, connector: Scripted) -> None:
    clock = Clock()
    item, _ = ask(engine, connector, target="77", recipient="4711")
    with Session(engine) as session, session.begin():  # a sender claimed it and died during the call
        claimed = session.get(OutboxItem, item.id)
        assert claimed is not None and outbox.claim(session, claimed, now=T0)
    clock.at = T0 + LEASE + timedelta(seconds=1)
    assert sender(engine, connector, clock).run_once() == []
    assert row(engine, item.id).status == OutboxStatus.UNCERTAIN and connector.calls == []
    with Session(engine) as session, session.begin():
        outbox.retry(session, item.id, actor=Actor("lead@example.org"), now=clock.now())
        with pytest.raises(outbox.OutboxError):  # queued now: not again
            outbox.retry(session, item.id, actor=Actor("lead@example.org"), now=clock.now())
    assert [o.status for o in sender(engine, connector, clock).run_once()] == [OutboxStatus.SENT]


def test_delivery_states_only_move_forward(engine: Engine, connector: Scripted) -> None:
    first, _ = ask(engine, connector, target="77", recipient="4711", thread="t1")
    second, _ = ask(engine, connector, target="78", recipient="4711", thread="t1", idempotency_key="key-0002")
    sender(engine, connector, Clock()).run_once()
    at = T0 + timedelta(minutes=1)
    with Session(engine) as session, session.begin():
        changed = outbox.apply_statuses(session, "chan", [
            StatusReport("ext-1", DeliveryState.READ, at),
            StatusReport("ext-1", DeliveryState.DELIVERED, at),  # late, out of order
            StatusReport("unknown", DeliveryState.READ, at),
        ], [])
    assert changed == 1
    assert row(engine, first.id).delivery_state == "read"
    with Session(engine) as session, session.begin():  # Messenger: everything up to a time was read
        outbox.apply_statuses(session, "chan", [],
                              [Watermark("t1", DeliveryState.DELIVERED, T0 + timedelta(hours=1))])
    assert row(engine, first.id).delivery_state == "read"  # not back to delivered
    assert row(engine, second.id).delivery_state == "delivered"
    with Session(engine) as session, session.begin():
        outbox.apply_statuses(
            session, "chan", [StatusReport("ext-2", DeliveryState.FAILED, at, "(131047) re-engagement")], [])
    failed = row(engine, second.id)
    assert failed.delivery_state == "failed" and "131047" in (failed.last_error or "")

"""The background dispatcher: a hanging target does not delay others; kick() sends at once."""

from __future__ import annotations

import time

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.core.clock import SystemClock
from crisisdesk.notify import Dispatcher, SlackTarget, TargetConfig, TargetKind, WebhookTarget, enqueue
from crisisdesk.notify.service import counts
from tests.fakes.http_sink import HttpSink, Reply
from tests.notify.samples import SECRET, notification


def test_hanging_target_does_not_delay_another(engine: Engine) -> None:
    clock = SystemClock()
    with HttpSink(default=Reply(delay=5)) as slow, HttpSink() as fast:
        targets: dict[str, TargetConfig] = {
            "slow": WebhookTarget(url=slow.url + "/hook", secret=SecretStr(SECRET), timeout=1.0),
            "fast": SlackTarget(webhook_url=SecretStr(fast.url + "/services/x"), timeout=1.0),
        }
        with Session(engine) as session, session.begin():
            for i in range(6):  # a backlog for the hanging target, enqueued first
                enqueue(session, key=f"slow-{i}", target_name="slow", kind=TargetKind.WEBHOOK,
                        notification=notification(), clock=clock)
        d = Dispatcher(engine, targets, clock=clock, workers=4, per_target=2, poll_interval=5.0)
        try:
            d.start()
            slow.wait_for(2, timeout=2)  # both slots of "slow" are stuck now
            with Session(engine) as session, session.begin():
                enqueue(session, key="fast-1", target_name="fast", kind=TargetKind.SLACK,
                        notification=notification(), clock=clock)
            kicked = time.monotonic()
            d.kick()
            (got,) = fast.wait_for(1, timeout=2)
            assert got.at - kicked < 0.5, "the fast target waited for the hanging one"
            assert len(slow.requests) == 2  # per_target kept the backlog from taking every worker
        finally:
            d.close()


def test_kick_sends_without_waiting_for_the_poll(engine: Engine) -> None:
    clock = SystemClock()
    with HttpSink() as sink:
        target = SlackTarget(webhook_url=SecretStr(sink.url + "/services/x"))
        with Dispatcher(engine, {"ops": target}, clock=clock, poll_interval=30.0) as d:
            d.start()
            time.sleep(0.1)  # the loop is idle, waiting for its 30 s poll
            latencies = []
            for i in range(5):
                with Session(engine) as session, session.begin():
                    enqueue(session, key=f"k{i}", target_name="ops", kind="slack",
                            notification=notification(), clock=clock)
                start = time.monotonic()
                d.kick()
                got = sink.wait_for(i + 1, timeout=2)[-1]
                latencies.append(got.at - start)
            assert max(latencies) < 0.5, latencies


def test_stop_waits_for_sends_in_flight(engine: Engine) -> None:
    clock = SystemClock()
    with HttpSink(default=Reply(delay=0.5)) as sink:
        target = SlackTarget(webhook_url=SecretStr(sink.url + "/services/x"), timeout=5)
        with Dispatcher(engine, {"ops": target}, clock=clock) as d:
            d.start()
            with Session(engine) as session, session.begin():
                enqueue(session, key="k", target_name="ops", kind="slack", notification=notification(),
                        clock=clock)
            d.kick()
            sink.wait_for(1)
            d.stop()
            with Session(engine) as session:
                assert counts(session) == {"sent": 1}
            assert d.drain() == []

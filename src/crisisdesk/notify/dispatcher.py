"""Sends what the outbox holds: claims due deliveries, sends each in a worker thread, records.

Delivery is at-least-once: a row is claimed (``sending``) and committed before the send, and the
outcome is committed after it. A process that dies in between leaves a ``sending`` row, which is
sent again at restart (``recover_on_start``) or when its claim expires; ``last_error`` says so.
A ``sent`` row is never claimed again.

Isolation: every send runs in a small thread pool, and at most ``per_target`` sends of one target
run at once, so one slow or hanging target holds at most that many workers and never delays
another target. Every attempt has the target's timeout.

Latency: the background thread sleeps on an event; ``kick()`` after committing new deliveries
wakes it at once, so a notification leaves within milliseconds of its commit. Without kicks it
polls every ``poll_interval`` seconds (and wakes for the earliest scheduled retry).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.db import log_failure
from crisisdesk.notify import service
from crisisdesk.notify.base import (
    DeliveryContext,
    DeliveryError,
    PermanentError,
    RetryableError,
    Sender,
    SenderDeps,
)
from crisisdesk.notify.models import DeliveryStatus
from crisisdesk.notify.registry import build_senders
from crisisdesk.notify.schemas import Notification, SmtpConfig, TargetConfig, TargetKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``base * 2**(attempt-1)``, capped, times 0.5–1.0.

    A target's own wish (``Retry-After``, Telegram's ``retry_after``) replaces the computed delay.
    """

    max_attempts: int = 8
    base: float = 2.0
    cap: float = 900.0

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        if retry_after is not None:
            return max(retry_after, 0.0)
        return float(min(self.cap, self.base * 2.0 ** (attempt - 1)) * (0.5 + 0.5 * jitter))


@dataclass(frozen=True)
class Attempt:
    """The outcome of one attempt, as logged."""

    delivery_id: int
    key: str
    target_name: str
    attempt: int
    status: DeliveryStatus  # sent, pending (retry later) or failed
    detail: str
    next_attempt_at: datetime | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    key: str
    target_name: str
    attempt: int
    payload: dict[str, Any]


class Dispatcher:
    """Delivers the outbox to the configured targets.

    ``run_once()`` and ``drain()`` are for tests, replays and one-shot CLI use; ``start()`` runs
    the same loop in a background thread until ``stop()``.
    """

    def __init__(
        self,
        engine: Engine,
        targets: Mapping[str, TargetConfig],
        *,
        smtp: SmtpConfig | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        policy: RetryPolicy | None = None,
        workers: int = 8,
        per_target: int = 2,
        batch: int = 100,
        poll_interval: float = 1.0,
        recover_on_start: bool = True,
        http: httpx.Client | None = None,
        senders: Mapping[TargetKind, Sender[Any]] | None = None,
    ) -> None:
        self.engine = engine
        self.targets = dict(targets)
        self.clock: Clock = clock or SystemClock()
        self.sleep = sleep
        self.jitter = jitter
        self.policy = policy or RetryPolicy()
        self.per_target = per_target
        self.batch = batch
        self.poll_interval = poll_interval
        self.recover_on_start = recover_on_start
        self._own_http = http is None
        self._http = http or httpx.Client(follow_redirects=False)
        self._deps = SenderDeps(http=self._http, clock=self.clock, smtp=smtp)
        self.senders: dict[TargetKind, Sender[Any]] = dict(senders) if senders else build_senders(self._deps)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._workers = workers
        self._lock = threading.Lock()
        self._in_flight: dict[int, str] = {}  # delivery id -> target name
        self._futures: set[Future[Attempt]] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def kick(self) -> None:
        """New work was committed: look at the outbox now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        if self.recover_on_start:
            self.recover()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="notify-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming new work and wait up to ``timeout`` s for sends in flight to be recorded."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._lock:
            in_flight = list(self._futures)
        if in_flight:
            wait(in_flight, timeout=max(deadline - time.monotonic(), 0.0))

    def close(self) -> None:
        self.stop()
        self._pool.shutdown(wait=True)
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def reconfigure(self, targets: Mapping[str, TargetConfig], *, smtp: SmtpConfig | None = None) -> None:
        """Deliver to a saved configuration's targets and SMTP server from now on.

        Safe while sends run: each attempt looks its target up once, so one in flight finishes
        with what it started with; the next attempt of a delivery whose target was removed fails
        for good ("not configured any more"), like one enqueued for an unknown target.
        """
        with self._lock:
            self.targets = dict(targets)  # replaced, never mutated: readers need no lock
            self._deps.smtp = smtp
        self._wake.set()  # deliveries held back for a target may be sendable now

    def recover(self) -> int:
        """Make deliveries left ``sending`` by a dead process due again (see ``service.recover``)."""
        with Session(self.engine) as session, session.begin():
            rows = service.recover(session, now=self.clock.now())
            for row in rows:
                log.warning("notify %s -> %s: attempt %d was interrupted; will send again",
                            row.key, row.target_name, row.attempts)
        return len(rows)

    # -- one-shot use ---------------------------------------------------------------------------

    def run_once(self) -> list[Attempt]:
        """Attempt every delivery due now (each once), wait for all of them, return the outcomes."""
        outcomes: list[Attempt] = []
        pending: set[Future[Attempt]] = set()
        tried: set[int] = set()
        while True:
            for delivery_id, future in self._claim_and_submit(exclude=tried):
                tried.add(delivery_id)
                pending.add(future)
            if not pending:
                return outcomes
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            outcomes += [f.result() for f in done]

    def drain(self, *, max_rounds: int = 1000) -> list[Attempt]:
        """Run until nothing is left to do, sleeping (the injected ``sleep``) until retries are due."""
        outcomes: list[Attempt] = []
        for _ in range(max_rounds):
            with self._lock:
                in_flight = list(self._futures)
            wait(in_flight)  # sends the background loop started: their rows are not due yet
            outcomes += self.run_once()
            with Session(self.engine) as session:
                next_at = service.next_due_at(session)
            if next_at is None:
                return outcomes
            self.sleep(max((next_at - self.clock.now()).total_seconds(), 0.0))
        raise RuntimeError(f"outbox not drained after {max_rounds} rounds")

    # -- the background loop --------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            submitted = 0
            next_at: datetime | None = None
            try:
                submitted = len(self._claim_and_submit())
                with Session(self.engine) as session:
                    next_at = service.next_due_at(session)
            except Exception as exc:  # an outage is said once (db.DatabaseWatch), a bug every time
                log_failure(self.engine, exc, log,
                            "notify dispatcher: reading the outbox failed; trying again")
            timeout = self.poll_interval
            if next_at is not None:
                timeout = min(timeout, max((next_at - self.clock.now()).total_seconds(), 0.0))
            if timeout <= 0 and submitted:
                continue  # more may be due than one batch held
            # Due rows that could not be claimed wait for a free slot: a finishing send wakes us.
            self._wake.wait(timeout if timeout > 0 else self.poll_interval)

    # -- claiming and sending -------------------------------------------------------------------

    def _in_flight_ids(self) -> set[int]:
        with self._lock:
            return set(self._in_flight)

    def _free_slots(self) -> int:
        with self._lock:
            return self._workers - len(self._in_flight)

    def _lease(self, target_name: str) -> timedelta:
        target = self.targets.get(target_name)
        timeout = target.timeout if target is not None else 10.0
        # connect + write + read + pool, twice for Telegram's chat migration, plus slack
        return timedelta(seconds=8 * timeout + 30)

    def _claim_and_submit(self, exclude: set[int] | None = None) -> list[tuple[int, Future[Attempt]]]:
        free = self._free_slots()
        if free <= 0:
            return []
        now = self.clock.now()
        jobs: list[_Job] = []
        with self._lock:
            busy = Counter(self._in_flight.values())
            in_flight = set(self._in_flight)
        with Session(self.engine) as session, session.begin():
            for row in service.due(session, now, limit=self.batch):
                if len(jobs) >= free:
                    break
                if row.id in in_flight or (exclude and row.id in exclude):
                    continue
                if busy[row.target_name] >= self.per_target:
                    continue
                if not service.claim(session, row, now=now, lease=self._lease(row.target_name)):
                    continue
                jobs.append(_Job(row.id, row.key, row.target_name, row.attempts, dict(row.payload)))
                busy[row.target_name] += 1
        # Claims are committed before any send starts: a crash from here on leaves 'sending' rows.
        submitted = []
        for job in jobs:
            with self._lock:
                self._in_flight[job.delivery_id] = job.target_name
                future = self._pool.submit(self._attempt, job)
                self._futures.add(future)
            future.add_done_callback(self._forget)
            submitted.append((job.delivery_id, future))
        return submitted

    def _forget(self, future: Future[Attempt]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _attempt(self, job: _Job) -> Attempt:
        try:
            return self._attempt_inner(job)
        finally:
            with self._lock:
                self._in_flight.pop(job.delivery_id, None)
            self._wake.set()  # a slot is free; a retry may be scheduled

    def _attempt_inner(self, job: _Job) -> Attempt:
        started = time.monotonic()
        target = self.targets.get(job.target_name)
        error: DeliveryError
        try:
            if target is None:
                raise PermanentError(f"target {job.target_name!r} is not configured (any more)")
            notification = Notification.model_validate(job.payload)
            sender = self.senders[target.kind]
            result = sender.send(notification, target,
                                 context=DeliveryContext(key=job.key, attempt=job.attempt))
        except DeliveryError as exc:
            error = exc
        except ValidationError as exc:
            error = PermanentError(f"stored notification is not valid any more: {exc.error_count()} errors")
        except Exception as exc:  # a bug in a sender: retry (bounded), and show the traceback
            log.exception("notify %s -> %s: sender crashed", job.key, job.target_name)
            error = RetryableError(f"internal error: {type(exc).__name__}: {exc}")
        else:
            return self._record_sent(job, result.detail, result.remote_id, time.monotonic() - started)
        return self._record_failure(job, error, time.monotonic() - started)

    def _audit(self, session: Session, job: _Job, outcome: str, detail: str) -> None:
        """Every notification that left (or finally failed) is an outbound action in the audit log."""
        record(session, actor=Actor.system(), action=AuditAction.NOTIFICATION_SENT, at=self.clock.now(),
               target_type="delivery", target_id=job.delivery_id,
               after={"target": job.target_name, "key": job.key, "outcome": outcome,
                      "attempt": job.attempt, "detail": detail[:500]})

    def _record_sent(self, job: _Job, detail: str, remote_id: str | None, seconds: float) -> Attempt:
        with Session(self.engine) as session, session.begin():
            current = service.mark_sent(session, job.delivery_id, attempt=job.attempt,
                                        now=self.clock.now(), remote_id=remote_id)
            self._audit(session, job, "sent", detail)
        log.info("notify %s -> %s: attempt %d sent in %.0f ms (%s)%s", job.key, job.target_name,
                 job.attempt, seconds * 1000, detail, "" if current else " [claim had expired]")
        return Attempt(job.delivery_id, job.key, job.target_name, job.attempt, DeliveryStatus.SENT,
                       detail, seconds=seconds)

    def _record_failure(self, job: _Job, error: DeliveryError, seconds: float) -> Attempt:
        message = str(error)
        if isinstance(error, RetryableError) and job.attempt < self.policy.max_attempts:
            delay = self.policy.delay(job.attempt, error.retry_after, self.jitter())
            next_at = self.clock.now() + timedelta(seconds=delay)
            with Session(self.engine) as session, session.begin():
                service.mark_retry(session, job.delivery_id, attempt=job.attempt, error=message,
                                   next_attempt_at=next_at)
            log.warning("notify %s -> %s: attempt %d failed in %.0f ms, retry in %.1f s: %s", job.key,
                        job.target_name, job.attempt, seconds * 1000, delay, message)
            return Attempt(job.delivery_id, job.key, job.target_name, job.attempt,
                           DeliveryStatus.PENDING, message, next_attempt_at=next_at, seconds=seconds)
        if isinstance(error, RetryableError):
            message = f"gave up after {job.attempt} attempts: {message}"
        with Session(self.engine) as session, session.begin():
            service.mark_failed(session, job.delivery_id, attempt=job.attempt, error=message)
            self._audit(session, job, "failed", message)
        log.error("notify %s -> %s: attempt %d failed for good: %s", job.key, job.target_name,
                  job.attempt, message)
        return Attempt(job.delivery_id, job.key, job.target_name, job.attempt, DeliveryStatus.FAILED,
                       message, seconds=seconds)

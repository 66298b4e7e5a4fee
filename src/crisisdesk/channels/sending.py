"""Sends what the channel outbox holds: claims due items, calls the connector, records the outcome.

One background thread, woken when something is queued: outbound calls are rare next to inbound
ones, and one caller per process keeps a platform's rate limit simple to honour (a ``Retry-After``
holds that item back; the others go on). Errors are classified by the connector
(:class:`~crisisdesk.channels.base.PlatformError`): permanent ones fail the item at once with the
platform's reason, transient ones are retried with backoff up to ``max_attempts``. Every final
outcome is an audit entry (an outbound action) and a failure because of dead credentials is also
reported to ``on_reauthorize`` (channel health).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.channels import attachment_store, outbox
from crisisdesk.channels.attachment_store import AttachmentStore
from crisisdesk.channels.background import RoundLoop
from crisisdesk.channels.base import Connector, PlatformError
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import NEEDS, Action, Outbound, SendingConnector, Sent, attachment_limits
from crisisdesk.core.clock import Clock
from crisisdesk.db import log_failure
from crisisdesk.notify.dispatcher import RetryPolicy

log = logging.getLogger(__name__)

#: A call that has not come back after this long is taken as interrupted (its sender died).
LEASE = timedelta(minutes=5)
NO_STORE = Path("/nonexistent/crisisdesk-attachment-store")


@dataclass(frozen=True, slots=True)
class Outcome:
    item_id: int
    channel: str
    status: OutboxStatus
    detail: str


class OutboxSender(RoundLoop):
    """``run_once()`` for tests and one-shot use; ``start()`` runs it in a thread until ``stop()``."""

    thread_name = "channel-outbox"

    def __init__(self, engine: Callable[[], Engine], connectors: Callable[[], Mapping[str, Connector]], *,
                 clock: Clock, policy: RetryPolicy | None = None, interval: float = 5.0,
                 on_reauthorize: Callable[[str, str], None] | None = None,
                 on_sent: Callable[[Session, int, datetime], None] | None = None,
                 attachments: AttachmentStore | None = None,
                 hold: Callable[[Session], outbox.Hold | None] | None = None,
                 approval: Callable[[Session, OutboxItem, datetime], bool] | None = None) -> None:
        super().__init__(interval)
        #: What to keep back this round (crisis mode pauses announcements and marketing replies).
        self._hold = hold
        #: Asked in the claiming transaction for every due item: True keeps it from being sent (the
        #: crisis approval gate holds a public reply whose crisis reached the approval level since).
        self._approval = approval
        #: Where the files of replies are read from (the same store the uploads went to).
        self._attachments = attachments
        self._engine = engine
        self._connectors = connectors
        self.clock = clock
        self.policy = policy or RetryPolicy(max_attempts=6, base=5.0, cap=900.0)
        self._on_reauthorize = on_reauthorize
        #: Runs in the transaction that records a success (the inbox marks the conversation answered).
        self._on_sent = on_sent

    def _round(self) -> float | None:
        timeout = self._interval
        try:
            self.run_once()
            with Session(self._engine()) as session:
                hold = self._hold(session) if self._hold is not None else None
                next_at = outbox.next_due_at(session, channels=sorted(self._connectors()), hold=hold)
            if next_at is not None:
                timeout = min(timeout, max((next_at - self.clock.now()).total_seconds(), 0.05))
        except Exception as exc:  # the database may be away: the next round retries
            log_failure(self._engine(), exc, log, "channel outbox: sending failed; trying again")
        return timeout

    def run_once(self) -> list[Outcome]:
        """Attempt every item due now, one after the other; return what happened.

        Each item is claimed in its own transaction right before its call, never a whole round's at
        once: a sender that dies (``kill -9``, a machine lost) leaves at most the one call it was
        making uncertain, and every other due item is still queued for the next sender."""
        connectors = self._connectors()
        engine = self._engine()
        with Session(engine) as session, session.begin():
            for row in outbox.mark_interrupted(session, now=self.clock.now(), lease=LEASE):
                log.warning("outbox %d (%s %s): interrupted; marked uncertain", row.id, row.channel,
                            row.action)
        outcomes: list[Outcome] = []
        tried: set[int] = set()
        while (job := self._claim_next(engine, connectors, tried, outcomes)) is not None:
            item_id, channel, attempt, call = job
            outcomes.append(self._attempt(engine, connectors.get(channel), item_id, channel, attempt, call))
        return outcomes

    def _claim_next(self, engine: Engine, connectors: Mapping[str, Connector], tried: set[int],
                    outcomes: list[Outcome]) -> tuple[int, str, int, Outbound] | None:
        """Claim the oldest due item not tried this round (committed before any call: a crash from
        here leaves it 'sending', then uncertain); items the approval gate holds go to ``outcomes``."""
        now = self.clock.now()
        with Session(engine) as session, session.begin():
            hold = self._hold(session) if self._hold is not None else None
            for row in outbox.due(session, now, channels=sorted(connectors), hold=hold):
                if row.id in tried:
                    continue
                tried.add(row.id)
                if self._approval is not None and self._approval(session, row, now):
                    outcomes.append(Outcome(row.id, row.channel, OutboxStatus.AWAITING_APPROVAL,
                                            "held for a spokesperson's approval"))
                elif outbox.claim(session, row, now=now):
                    # Without a store the files cannot be read: the connector's read refuses them
                    # (permanent), never a reply sent without the files it promised.
                    store = self._attachments or AttachmentStore(NO_STORE)
                    files = attachment_store.of_items(session, store, [row.id])
                    return row.id, row.channel, row.attempts + 1, outbox.outbound(row, files.get(row.id, ()))
        return None

    def _attempt(self, engine: Engine, connector: Connector | None, item_id: int, channel: str, attempt: int,
                 call: Outbound) -> Outcome:
        try:
            if connector is None or NEEDS[call.action] not in connector.capabilities:
                raise PlatformError(f"channel {channel!r} is gone or cannot {call.action.value} any more",
                                    permanent=True)
            if call.attachments and attachment_limits(connector) is None:
                raise PlatformError(f"channel {channel!r} cannot send attachments any more", permanent=True)
            sent = cast(SendingConnector, connector).send(call)
        except PlatformError as exc:
            return self._failed(engine, item_id, channel, attempt, call.action, exc)
        except Exception as exc:  # a bug in a connector: retried (bounded) with the traceback logged
            log.exception("outbox %d (%s): the connector crashed", item_id, channel)
            return self._failed(engine, item_id, channel, attempt, call.action,
                                PlatformError(f"internal error: {type(exc).__name__}: {exc}"))
        return self._sent(engine, item_id, channel, attempt, call.action, sent)

    def _sent(self, engine: Engine, item_id: int, channel: str, attempt: int, action: Action,
              sent: Sent) -> Outcome:
        now = self.clock.now()
        with Session(engine) as session, session.begin():
            outbox.mark_sent(session, item_id, external_id=sent.external_id, now=now)
            if self._on_sent is not None:
                self._on_sent(session, item_id, now)
            record(session, actor=Actor.system(), action=AuditAction.OUTBOUND_SENT, at=now,
                   target_type="outbox", target_id=item_id, after={"channel": channel, "action": action.value,
                                             "external_id": sent.external_id, "attempt": attempt,
                                             **sent.details})
        log.info("outbox %d (%s %s): sent, platform id %s", item_id, channel, action.value, sent.external_id)
        return Outcome(item_id, channel, OutboxStatus.SENT, sent.external_id or "done")

    def _failed(self, engine: Engine, item_id: int, channel: str, attempt: int, action: Action,
                error: PlatformError) -> Outcome:
        now = self.clock.now()
        code = None if error.code is None else str(error.code)
        message = str(error)
        if not error.permanent and attempt < self.policy.max_attempts:
            delay = self.policy.delay(attempt, error.retry_after, random.random())  # noqa: S311 (jitter)
            with Session(engine) as session, session.begin():
                outbox.mark_retry(session, item_id, error=message, code=code,
                                  next_at=now + timedelta(seconds=delay))
            log.warning("outbox %d (%s %s): attempt %d failed, retry in %.0f s: %s", item_id, channel,
                        action.value, attempt, delay, message)
            return Outcome(item_id, channel, OutboxStatus.QUEUED, message)
        if not error.permanent:
            message = f"gave up after {attempt} attempts: {message}"
        with Session(engine) as session, session.begin():
            outbox.mark_failed(session, item_id, error=message, code=code)
            record(session, actor=Actor.system(), action=AuditAction.OUTBOUND_FAILED, at=now,
                   target_type="outbox", target_id=item_id,
                   after={"channel": channel, "action": action.value, "attempt": attempt,
                          "error": message[:500], "code": code})
        log.error("outbox %d (%s %s): failed: %s", item_id, channel, action.value, message)
        if error.reauthorize and self._on_reauthorize is not None:
            self._on_reauthorize(channel, message)
        return Outcome(item_id, channel, OutboxStatus.FAILED, message)

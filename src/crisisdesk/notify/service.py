"""Reads and writes of the notification outbox.

State machine of one delivery::

    pending --claim--> sending --ok--> sent
       ^                  |----retryable, attempts left--> pending (next_attempt_at = backoff)
       |                  |----permanent / out of attempts--> failed
       +--claim expired or recover() (the process died mid-send)--+

Every transition out of ``sending`` is guarded by the attempt number it belongs to, so a worker
whose claim expired (and whose delivery another worker took over) cannot overwrite the newer
outcome, and a ``sent`` row is never sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisisdesk.core.clock import Clock
from crisisdesk.notify.models import Delivery, DeliveryStatus
from crisisdesk.notify.schemas import Notification, TargetConfig, TargetKind

INTERRUPTED = "attempt {attempt} was interrupted (the process stopped while sending); sent again, " \
    "the target may have received it twice"


def delivery_key(*, situation_id: int, step: str | int, target_name: str) -> str:
    """The conventional dedupe key: one delivery per situation, escalation step and target."""
    return f"situation:{situation_id}:step:{step}:{target_name}"


def enqueue(
    session: Session, *, key: str, target_name: str, kind: TargetKind | str,
    notification: Notification, clock: Clock,
) -> Delivery:
    """Add a delivery unless one with ``key`` exists; returns the row either way.

    Runs inside the caller's transaction: commit it together with the step that caused it, then
    ``Dispatcher.kick()`` so that it leaves at once.
    """
    now = clock.now()
    values = {
        "key": key,
        "situation_id": notification.situation_id,
        "target_name": target_name,
        "kind": TargetKind(kind).value,
        "payload": notification.model_dump(mode="json"),
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(Delivery).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    elif session.scalar(select(Delivery.id).where(Delivery.key == key)) is None:
        try:
            with session.begin_nested():
                session.add(Delivery(**values))
        except IntegrityError:
            pass  # a concurrent enqueue of the same key won
    delivery = session.scalars(select(Delivery).where(Delivery.key == key)).one()
    return delivery


def enqueue_for_targets(
    session: Session, *, step_key: str, targets: Mapping[str, TargetConfig],
    notification: Notification, clock: Clock,
) -> list[Delivery]:
    """One delivery per target, keyed ``<step_key>:<target name>``."""
    return [
        enqueue(session, key=f"{step_key}:{name}", target_name=name, kind=target.kind,
                notification=notification, clock=clock)
        for name, target in sorted(targets.items())
    ]


def due(session: Session, now: datetime, *, limit: int = 100) -> list[Delivery]:
    """Deliveries to attempt now: pending ones whose time has come and expired claims."""
    stmt = (
        select(Delivery)
        .where(Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
               Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def next_due_at(session: Session) -> datetime | None:
    """When the earliest unfinished delivery becomes due (None when there is none)."""
    return session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]))
    )


def claim(session: Session, delivery: Delivery, *, now: datetime, lease: timedelta) -> bool:
    """Take a due delivery for one attempt; False when someone else took it first.

    A delivery found in ``sending`` had its claim expire: the attempt before was interrupted.
    That is written to ``last_error`` (the target may see the message twice).
    """
    seen_status, seen_attempts = delivery.status, delivery.attempts
    values: dict[str, object] = {
        "status": DeliveryStatus.SENDING.value,
        "attempts": seen_attempts + 1,
        "claimed_at": now,
        "next_attempt_at": now + lease,
    }
    if seen_status == DeliveryStatus.SENDING.value:
        values["last_error"] = INTERRUPTED.format(attempt=seen_attempts)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == seen_status,
               Delivery.attempts == seen_attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    claimed = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    if claimed:
        session.refresh(delivery)
    return claimed


def _finish(session: Session, delivery_id: int, attempt: int, **values: object) -> bool:
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING.value,
               Delivery.attempts == attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def mark_sent(
    session: Session, delivery_id: int, *, attempt: int, now: datetime, remote_id: str | None
) -> bool:
    return _finish(session, delivery_id, attempt, status=DeliveryStatus.SENT.value, sent_at=now,
                   remote_id=remote_id)


def mark_retry(
    session: Session, delivery_id: int, *, attempt: int, error: str, next_attempt_at: datetime
) -> bool:
    return _finish(session, delivery_id, attempt, status=DeliveryStatus.PENDING.value,
                   last_error=error, next_attempt_at=next_attempt_at)


def mark_failed(session: Session, delivery_id: int, *, attempt: int, error: str) -> bool:
    return _finish(session, delivery_id, attempt, status=DeliveryStatus.FAILED.value, last_error=error)


def recover(session: Session, *, now: datetime) -> list[Delivery]:
    """Return every ``sending`` delivery to ``pending``, due now; for a process that (re)starts.

    Only safe when no other dispatcher shares the database; with several, rely on claims
    expiring instead (``Dispatcher(recover_on_start=False)``).
    """
    rows = list(session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.SENDING.value)))
    for row in rows:
        row.status = DeliveryStatus.PENDING.value
        row.next_attempt_at = now
        row.last_error = INTERRUPTED.format(attempt=row.attempts)
    session.flush()
    return rows


def deliveries_for(session: Session, *, situation_id: int) -> list[Delivery]:
    """The delivery log of one situation, oldest first."""
    return list(session.scalars(
        select(Delivery).where(Delivery.situation_id == situation_id).order_by(Delivery.id)))


def counts(session: Session) -> dict[str, int]:
    """Deliveries per status, for health checks."""
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: int(n) for status, n in rows}

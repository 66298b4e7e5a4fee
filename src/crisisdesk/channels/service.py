"""Storing deliveries durably, finding the pending ones, and recording what came of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from crisisdesk.channels.base import Unparsed
from crisisdesk.channels.models import (
    ChannelCursor,
    ChannelDelivery,
    ChannelHealth,
    DeliveryStatus,
    UnparsedItem,
)
from crisisdesk.db import UTCDateTime


@dataclass(frozen=True, slots=True)
class Stored:
    id: int | None  # None: the same bytes were stored before
    duplicate: bool


def _insert_new(conn: Connection) -> Insert:
    """An insert that skips rows whose (channel, digest) is stored already, on either database
    (a failed insert would abort a whole PostgreSQL transaction)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(ChannelDelivery).on_conflict_do_nothing(index_elements=["channel", "digest"])
    return sqlite.insert(ChannelDelivery).on_conflict_do_nothing(index_elements=["channel", "digest"])


def add_delivery(conn: Connection, *, channel: str, body: bytes, now: datetime) -> Stored:
    new_id = conn.execute(_insert_new(conn).values(
        channel=channel, received_at=now, digest=hashlib.sha256(body).hexdigest(), body=body,
        status=DeliveryStatus.PENDING).returning(ChannelDelivery.id)).scalar_one_or_none()
    return Stored(new_id, duplicate=new_id is None)


def store_delivery(engine: Engine, *, channel: str, body: bytes, now: datetime) -> Stored:
    """Keep the raw body (one transaction, committed on return); the same bytes twice are one row."""
    with engine.begin() as conn:
        return add_delivery(conn, channel=channel, body=body, now=now)


def load_cursor(engine: Engine, channel: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return conn.execute(select(ChannelCursor.cursor).where(ChannelCursor.channel == channel)) \
            .scalar_one_or_none()


def _upsert_cursor(conn: Connection, channel: str, values: dict[str, Any], *,
                   changes: dict[str, Any]) -> None:
    """Insert the channel's row with ``values`` or update the stored one with ``changes`` (values
    or expressions over the stored row)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ChannelCursor).values(channel=channel, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["channel"], set_=changes))


def store_fetched(engine: Engine, *, channel: str, bodies: Sequence[bytes], cursor: dict[str, Any],
                  now: datetime) -> int:
    """A poll's bodies and its new cursor in one transaction; returns how many bodies were new."""
    with engine.begin() as conn:
        new = sum(not add_delivery(conn, channel=channel, body=b, now=now).duplicate for b in bodies)
        values = {"cursor": cursor, "updated_at": now, "last_ok_at": now, "failures": 0,
                  "limited_since": None}
        _upsert_cursor(conn, channel, values, changes=values)
    return new


def record_failure(engine: Engine, *, channel: str, error: str, now: datetime, rate_limited: bool = False,
                   reauthorize: bool = False) -> int:
    """Note a failed poll (the cursor stays); returns the failures in a row, this one included.

    ``rate_limited``: the platform refused because we asked too often; the run of such refusals
    starts ``limited_since`` (any other failure ends it). ``reauthorize``: the platform said the
    credentials are dead (kept for channel health, see :func:`record_credentials`)."""
    values = {"updated_at": now, "last_error": error[:2000], "last_error_at": now}
    since = func.coalesce(ChannelCursor.limited_since, literal(now, UTCDateTime())) if rate_limited else None
    with engine.begin() as conn:
        first = {**values, "failures": 1, "limited_since": now if rate_limited else None}
        _upsert_cursor(conn, channel, first,
                       changes={**values, "failures": ChannelCursor.failures + 1, "limited_since": since})
        if reauthorize:
            record_credentials(conn, channel=channel, error=error, source="poll", now=now)
        return int(conn.execute(select(ChannelCursor.failures)
                                .where(ChannelCursor.channel == channel)).scalar_one())


def upsert_health(conn: Connection, channel: str, values: dict[str, Any]) -> None:
    """Insert the channel's health row with ``values`` (``updated_at`` among them) or update it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ChannelHealth).values(channel=channel, updated_at=values["updated_at"], **{
        k: v for k, v in values.items() if k != "updated_at"})
    conn.execute(stmt.on_conflict_do_update(index_elements=["channel"], set_=values))


def record_credentials(conn: Connection, *, channel: str, error: str, source: str, now: datetime) -> None:
    """The platform said the channel's credentials are dead (``source``: poll, send or check).

    The word stands until a poll, a send or a check works after it (see channels/health.py)."""
    upsert_health(conn, channel, {"credentials_error": error[:2000], "credentials_error_at": now,
                                   "credentials_source": source, "updated_at": now})


def record_check(conn: Connection, *, channel: str, ok: bool, now: datetime) -> None:
    """A check of the credentials ran; ``ok``: the platform accepted them (a refusal that says the
    credentials are dead is :func:`record_credentials` besides)."""
    values: dict[str, Any] = {"checked_at": now, "updated_at": now}
    if ok:
        values["checked_ok_at"] = now
    upsert_health(conn, channel, values)


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    id: int
    channel: str
    body: bytes


def pending(engine: Engine, *, channels: Sequence[str], limit: int = 100) -> list[PendingDelivery]:
    """The oldest unprocessed deliveries of the given channels (a removed channel's wait)."""
    if not channels:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            select(ChannelDelivery.id, ChannelDelivery.channel, ChannelDelivery.body)
            .where(ChannelDelivery.status == DeliveryStatus.PENDING, ChannelDelivery.channel.in_(channels))
            .order_by(ChannelDelivery.id).limit(limit)).all()
    return [PendingDelivery(r.id, r.channel, bytes(r.body)) for r in rows]


Outcome = tuple[PendingDelivery, dict[str, int], Sequence[Unparsed], str | None]


def finish_many(engine: Engine, outcomes: Sequence[Outcome], *, now: datetime) -> None:
    """Mark deliveries processed (or failed, with their error) and keep their unparsed parts, in
    one transaction. ``outcomes``: (delivery, counts, unparsed parts, error or None)."""
    with engine.begin() as conn:
        rows = [{"delivery_id": d.id, "channel": d.channel, "at": now, "what": u.what[:200],
                 "raw": jsonable(u.raw)} for d, _, unparsed, _ in outcomes for u in unparsed]
        if rows:
            conn.execute(insert(UnparsedItem), rows)
        for delivery, counts, _, error in outcomes:
            conn.execute(update(ChannelDelivery).where(ChannelDelivery.id == delivery.id).values(
                status=DeliveryStatus.FAILED if error else DeliveryStatus.PROCESSED, processed_at=now,
                counts=counts, error=error))


def jsonable(raw: Any) -> Any:
    """Unparsed parts come from JSON, so they are JSON; anything else is kept as its text."""
    if raw is None or isinstance(raw, str | int | float | bool | list | dict):
        return raw
    return repr(raw)


@dataclass(frozen=True, slots=True)
class ChannelCounts:
    deliveries: int
    pending: int
    failed: int
    unparsed: int
    last_received: datetime | None
    #: For polled channels: the last poll's error (None after a success), and failures in a row.
    last_error: str | None = None
    failures: int = 0


def channel_counts(conn: Connection, channel: str) -> ChannelCounts:
    by_status: dict[str, int] = {r[0]: r[1] for r in conn.execute(
        select(ChannelDelivery.status, func.count()).where(ChannelDelivery.channel == channel)
        .group_by(ChannelDelivery.status))}
    last = conn.execute(select(func.max(ChannelDelivery.received_at))
                        .where(ChannelDelivery.channel == channel)).scalar_one()
    unparsed = conn.execute(select(func.count()).select_from(UnparsedItem)
                            .where(UnparsedItem.channel == channel)).scalar_one()
    poll = conn.execute(select(ChannelCursor.last_error, ChannelCursor.failures)
                        .where(ChannelCursor.channel == channel)).one_or_none()
    failing = poll is not None and poll.failures > 0
    return ChannelCounts(sum(by_status.values()), by_status.get(DeliveryStatus.PENDING, 0),
                         by_status.get(DeliveryStatus.FAILED, 0), unparsed, last,
                         poll.last_error if poll is not None and failing else None,
                         poll.failures if poll is not None else 0)

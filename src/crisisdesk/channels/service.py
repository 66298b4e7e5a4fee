"""Storing deliveries durably, finding the pending ones, and recording what came of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from crisisdesk.channels.base import Unparsed
from crisisdesk.channels.models import ChannelDelivery, DeliveryStatus, UnparsedItem


@dataclass(frozen=True, slots=True)
class Stored:
    id: int | None  # None: the same bytes were stored before
    duplicate: bool


def store_delivery(engine: Engine, *, channel: str, body: bytes, now: datetime) -> Stored:
    """Keep the raw body (one transaction, committed on return); the same bytes twice are one row."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        with engine.begin() as conn:
            new_id = conn.execute(insert(ChannelDelivery).values(
                channel=channel, received_at=now, digest=digest, body=body,
                status=DeliveryStatus.PENDING).returning(ChannelDelivery.id)).scalar_one()
    except IntegrityError:
        return Stored(None, duplicate=True)
    return Stored(new_id, duplicate=False)


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


def finish(engine: Engine, delivery: PendingDelivery, *, now: datetime, counts: dict[str, int],
           unparsed: Sequence[Unparsed], error: str | None = None) -> None:
    """Mark a delivery processed (or failed, with its error) and keep its unparsed parts."""
    with engine.begin() as conn:
        if unparsed:
            conn.execute(insert(UnparsedItem), [
                {"delivery_id": delivery.id, "channel": delivery.channel, "at": now,
                 "what": u.what[:200], "raw": _jsonable(u.raw)} for u in unparsed])
        conn.execute(update(ChannelDelivery).where(ChannelDelivery.id == delivery.id).values(
            status=DeliveryStatus.FAILED if error else DeliveryStatus.PROCESSED, processed_at=now,
            counts=counts, error=error))


def _jsonable(raw: Any) -> Any:
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


def channel_counts(conn: Connection, channel: str) -> ChannelCounts:
    by_status: dict[str, int] = {r[0]: r[1] for r in conn.execute(
        select(ChannelDelivery.status, func.count()).where(ChannelDelivery.channel == channel)
        .group_by(ChannelDelivery.status))}
    last = conn.execute(select(func.max(ChannelDelivery.received_at))
                        .where(ChannelDelivery.channel == channel)).scalar_one()
    unparsed = conn.execute(select(func.count()).select_from(UnparsedItem)
                            .where(UnparsedItem.channel == channel)).scalar_one()
    return ChannelCounts(sum(by_status.values()), by_status.get(DeliveryStatus.PENDING, 0),
                         by_status.get(DeliveryStatus.FAILED, 0), unparsed, last)

"""Fetching what a delivery only names: Instagram's @mention webhooks carry two ids, not the text.

The processor records each :class:`~crisisdesk.channels.base.Lookup` a parsed delivery lists
(one row per channel and item: a webhook delivered twice fetches once) and then asks
:func:`run_due`, in the same thread, to fetch those that are due. The platform's answer is stored
as a delivery of its own and mapped by the connector's ``parse`` like any other, so the item
reaches the pipeline, the inbox and the analytics by the usual road and the raw answer is kept.

A refusal that retrying cannot cure (the comment was deleted, comments are off) ends the lookup as
failed, and the delivery that named the item gets an unparsed part with the platform's reason, so
the channel's "unparsed" count shows it. Anything else (a rate limit, an outage, an unreachable
platform) is tried again after a pause that doubles each time, up to :data:`MOST_ATTEMPTS`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row

from crisisdesk.channels import service
from crisisdesk.channels.base import Capability, Connector, Lookup, LookupConnector, PlatformError
from crisisdesk.channels.models import ChannelLookup, LookupStatus, UnparsedItem

log = logging.getLogger(__name__)

#: Attempts before a lookup is given up (the pauses add up to about a day).
MOST_ATTEMPTS = 10
#: The first pause after a failed attempt, doubled each time, and the longest.
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(hours=4)
#: How long a claimed lookup is left alone: a process that died during the call leaves it due again.
CLAIM = timedelta(minutes=5)


def looks_up(connector: Connector) -> bool:
    return Capability.LOOK_UP in connector.capabilities


def _digest(lookup: Lookup) -> str:
    named = orjson.dumps([lookup.what, dict(lookup.ids)], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(named).hexdigest()


def record(conn: Connection, *, channel: str, delivery_id: int, lookups: Sequence[Lookup],
           now: datetime) -> None:
    """Remember the items to fetch, due at once; one already known (from an earlier delivery) is
    left as it is."""
    if not lookups:
        return
    rows = {digest: {"channel": channel, "delivery_id": delivery_id, "digest": digest,
                     "what": lk.what[:64], "ids": dict(lk.ids), "raw": service.jsonable(lk.raw),
                     "status": LookupStatus.PENDING, "attempts": 0, "created_at": now, "due_at": now}
            for lk in lookups for digest in [_digest(lk)]}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(ChannelLookup).on_conflict_do_nothing(index_elements=["channel", "digest"]),
                 list(rows.values()))


def pause(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: what the platform asked for, else
    :data:`FIRST_PAUSE` doubled per attempt, never more than :data:`LONGEST_PAUSE`."""
    if retry_after is not None and retry_after > 0:
        return min(timedelta(seconds=retry_after), LONGEST_PAUSE)
    return min(FIRST_PAUSE * (1 << min(max(attempts - 1, 0), 20)), LONGEST_PAUSE)


def run_due(engine: Engine, connectors: Mapping[str, Connector], *, now: datetime, limit: int = 20) -> int:
    """Fetch up to ``limit`` due lookups of the configured channels that can look up; returns how
    many answers were stored as deliveries (the caller processes them next)."""
    channels = sorted(key for key, c in connectors.items() if looks_up(c))
    if not channels:
        return 0
    with engine.connect() as conn:
        due = conn.execute(select(ChannelLookup).where(
            ChannelLookup.status == LookupStatus.PENDING, ChannelLookup.due_at <= now,
            ChannelLookup.channel.in_(channels)).order_by(ChannelLookup.due_at, ChannelLookup.id)
            .limit(limit)).all()
    stored = 0
    for row in due:
        if not _claim(engine, row.id, row.due_at, now):
            continue  # another process took it
        connector = cast(LookupConnector, connectors[row.channel])
        lookup = Lookup(row.what, row.ids, row.raw)
        try:
            body = connector.look_up(lookup, now=now)
        except PlatformError as exc:
            _failed(engine, row, str(exc), now=now, final=exc.permanent and not exc.reauthorize,
                    retry_after=exc.retry_after)
            continue
        except Exception as exc:  # a connector's bug or an odd answer: tried again later, logged
            log.exception("channel %s: looking up %s %s failed", row.channel, row.what, row.ids)
            _failed(engine, row, f"{type(exc).__name__}: {exc}", now=now, final=False, retry_after=None)
            continue
        with engine.begin() as conn:
            service.add_delivery(conn, channel=row.channel, body=body, now=now)
            conn.execute(update(ChannelLookup).where(ChannelLookup.id == row.id).values(
                status=LookupStatus.DONE, attempts=row.attempts + 1, done_at=now, error=None))
        stored += 1
    return stored


def _claim(engine: Engine, lookup_id: int, due_at: datetime, now: datetime) -> bool:
    with engine.begin() as conn:
        return conn.execute(update(ChannelLookup).where(
            ChannelLookup.id == lookup_id, ChannelLookup.status == LookupStatus.PENDING,
            ChannelLookup.due_at == due_at).values(due_at=now + CLAIM)).rowcount == 1


def _failed(engine: Engine, row: Row[Any], error: str, *, now: datetime, final: bool,
            retry_after: float | None) -> None:
    attempts = row.attempts + 1
    final = final or attempts >= MOST_ATTEMPTS
    with engine.begin() as conn:
        conn.execute(update(ChannelLookup).where(ChannelLookup.id == row.id).values(
            attempts=attempts, error=error,
            status=LookupStatus.FAILED if final else LookupStatus.PENDING,
            done_at=now if final else None,
            due_at=row.due_at if final else now + pause(attempts, retry_after)))
        if final:
            conn.execute(insert(UnparsedItem).values(
                delivery_id=row.delivery_id, channel=row.channel, at=now,
                what=f"{row.what} {', '.join(row.ids.values())} could not be fetched: {error}"[:200],
                raw={"lookup": row.what, "ids": row.ids, "named_by": row.raw, "attempts": attempts}))
    if final:
        log.warning("channel %s: gave up fetching %s %s after %d attempt(s): %s",
                    row.channel, row.what, row.ids, attempts, error)

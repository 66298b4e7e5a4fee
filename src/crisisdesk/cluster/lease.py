"""A duty held by exactly one process at a time, with fencing.

The pipeline's store-and-detect stage keeps state in memory (the detection engine's rings and open
situations) and must never run in two processes at once. Its owner holds a lease row in the
database: taken when free or expired, renewed every third of its time to live, and checked inside
every transaction the owner commits (:meth:`Lease.fence`). The check locks the row, so a process
taking over an expired lease waits for the old owner's transaction to end, and the old owner's
next transaction finds a newer epoch and rolls back (:class:`LeaseLost`). What the old owner
committed is what the new owner reads when it rebuilds its state: nothing is applied twice and
nothing is lost in between.

Times are the database's own clock on PostgreSQL (the processes' clocks may differ between
machines); SQLite, one machine by nature, uses the process clock.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from crisisdesk.cluster.models import ClusterLease

log = logging.getLogger(__name__)

#: The lease of the pipeline's store, detection and escalation stage (and the chores of time).
PIPELINE = "pipeline"

_t = cast(Table, ClusterLease.__table__)
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class LeaseLost(RuntimeError):
    """This process no longer holds the lease: its transaction must not commit."""


def db_now(conn: Connection) -> datetime:
    """The database server's time (PostgreSQL), else this process's: one clock for every holder."""
    if conn.dialect.name == "postgresql":
        value = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    return datetime.now(UTC)


@dataclass
class Lease:
    engine: Engine
    name: str
    holder: str
    ttl: float = 15.0
    #: The epoch this process holds, None while it holds none.
    epoch: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def held(self) -> bool:
        return self.epoch is not None

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, or renew it if this process holds it.
        Returns whether this process holds it now. Safe against any number of racing processes:
        every change is a compare-and-set on the epoch seen."""
        with self._lock, self.engine.begin() as conn:
            now = db_now(conn)
            until = now + timedelta(seconds=self.ttl)
            row = conn.execute(select(_t.c.holder, _t.c.epoch, _t.c.expires_at).where(_t.c.name == self.name)
                               ).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(_t).values(name=self.name, holder=self.holder, epoch=1,
                                                       generation=0, expires_at=until, acquired_at=now))
                except IntegrityError:  # another process inserted it first
                    self.epoch = None
                    return False
                self._took(1)
                return True
            mine = row.holder == self.holder and row.epoch == self.epoch
            if not mine and row.expires_at > now:
                self.epoch = None
                return False
            epoch = row.epoch if mine else row.epoch + 1
            values = {"expires_at": until} if mine else {"holder": self.holder, "epoch": epoch,
                                                          "expires_at": until, "acquired_at": now}
            done = conn.execute(update(_t).where(_t.c.name == self.name, _t.c.epoch == row.epoch,
                                                 _t.c.holder == row.holder).values(**values)).rowcount
            if done != 1:
                self.epoch = None
                return False
            if not mine:
                self._took(epoch)
            return True

    def _took(self, epoch: int) -> None:
        self.epoch = epoch
        log.info("%s now holds the %s lease (epoch %d)", self.holder, self.name, epoch)

    def renew(self) -> bool:
        """Extend the lease; False (and no longer held) when another process took it meanwhile."""
        epoch = self.epoch
        if epoch is None:
            return False
        with self._lock, self.engine.begin() as conn:
            now = db_now(conn)
            done = conn.execute(update(_t).where(_t.c.name == self.name, _t.c.holder == self.holder,
                                                 _t.c.epoch == epoch, _t.c.expires_at > now)
                                .values(expires_at=now + timedelta(seconds=self.ttl))).rowcount
            if done != 1:
                self.epoch = None
                log.warning("%s lost the %s lease (epoch %d)", self.holder, self.name, epoch)
                return False
            return True

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so the next owner need not wait for it to expire."""
        epoch, self.epoch = self.epoch, None
        if epoch is None:
            return
        with self._lock, self.engine.begin() as conn:
            conn.execute(update(_t).where(_t.c.name == self.name, _t.c.holder == self.holder,
                                          _t.c.epoch == epoch).values(expires_at=_LONG_AGO))

    def fence(self, conn: Connection) -> None:
        """Inside a transaction about to write: raise :class:`LeaseLost` unless this process still
        holds the lease. The row stays locked until the transaction ends (PostgreSQL), so nobody
        can take the lease between this check and the commit."""
        epoch = self.epoch
        stmt = select(_t.c.holder, _t.c.epoch, _t.c.expires_at).where(_t.c.name == self.name)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).first()
        if epoch is None or row is None or row.holder != self.holder or row.epoch != epoch \
                or row.expires_at <= db_now(conn):
            self.epoch = None
            raise LeaseLost(f"{self.holder} no longer holds the {self.name} lease (epoch {epoch})")


def generation(conn: Connection, name: str = PIPELINE) -> int:
    """How many times other processes changed the state the lease's holder keeps in memory."""
    return int(conn.execute(select(_t.c.generation).where(_t.c.name == name)).scalar() or 0)


def bump(conn: Connection, name: str = PIPELINE) -> None:
    """In the transaction of a change made outside the holder (a person's change on a front end):
    wait for the holder's transaction in progress (the row lock), and tell the holder to re-read
    its state before its next batch."""
    conn.execute(update(_t).where(_t.c.name == name).values(generation=_t.c.generation + 1))


def holder_of(conn: Connection, name: str = PIPELINE) -> tuple[str, int, datetime] | None:
    """Who holds the lease, with which epoch, until when (None: never taken)."""
    row = conn.execute(select(_t.c.holder, _t.c.epoch, _t.c.expires_at).where(_t.c.name == name)).first()
    return None if row is None else (row.holder, int(row.epoch), row.expires_at)

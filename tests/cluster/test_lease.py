"""The pipeline lease on SQLite and PostgreSQL: one holder at a time, taken over on expiry, fenced."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from crisisdesk.cluster.lease import Lease, LeaseLost, bump, generation, holder_of


def test_one_holder_at_a_time_and_a_takeover_after_expiry(engine: Engine) -> None:
    a, b = Lease(engine, "pipeline", "a", ttl=0.5), Lease(engine, "pipeline", "b", ttl=0.5)
    assert a.acquire() and a.epoch == 1
    assert not b.acquire() and not b.held
    assert a.acquire() and a.epoch == 1  # renewing keeps the epoch
    time.sleep(0.7)
    assert b.acquire() and b.epoch == 2
    assert not a.renew() and not a.held
    with pytest.raises(LeaseLost), engine.begin() as conn:
        a.fence(conn)
    with engine.begin() as conn:
        b.fence(conn)  # the holder passes
        assert holder_of(conn)[:2] == ("b", 2)  # type: ignore[index]


def test_a_released_lease_is_taken_at_once(engine: Engine) -> None:
    a, b = Lease(engine, "pipeline", "a", ttl=60), Lease(engine, "pipeline", "b", ttl=60)
    assert a.acquire()
    a.release()
    assert b.acquire() and b.epoch == 2


def test_racing_processes_end_with_exactly_one_holder(engine: Engine) -> None:
    leases = [Lease(engine, "pipeline", f"w{i}", ttl=60) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda lease: _try(lease), leases))
    assert sum(results) == 1
    assert sum(lease.held for lease in leases) == 1


def _try(lease: Lease) -> bool:
    try:
        return lease.acquire()
    except Exception:  # SQLite: "database is locked" for a loser is a lost race, not a second holder
        return False


def test_generation_counts_changes_made_elsewhere(engine: Engine) -> None:
    owner = Lease(engine, "pipeline", "owner", ttl=60)
    owner.acquire()
    with engine.begin() as conn:
        assert generation(conn) == 0
        bump(conn)
        bump(conn)
    with engine.connect() as conn:
        assert generation(conn) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_taker_waits_for_the_old_owners_transaction_and_the_old_owner_cannot_commit_after(
        engine: Engine) -> None:
    old, new = Lease(engine, "pipeline", "old", ttl=0.3), Lease(engine, "pipeline", "new", ttl=60)
    assert old.acquire()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE effects (n int)"))
    took = threading.Event()
    with engine.begin() as conn:
        old.fence(conn)  # still valid: the row is locked until this transaction ends
        time.sleep(0.4)  # the lease expires meanwhile
        taker = threading.Thread(target=lambda: _take(new, took))
        taker.start()
        time.sleep(0.3)
        assert not took.is_set()  # the taker waits for the row lock
        conn.execute(text("INSERT INTO effects VALUES (1)"))
    taker.join(5)
    assert took.is_set() and new.epoch == 2
    with pytest.raises(LeaseLost):
        _fenced_insert(engine, old)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM effects")).scalars().all() == [1]


def _fenced_insert(engine: Engine, lease: Lease) -> None:
    with engine.begin() as conn:
        lease.fence(conn)
        conn.execute(text("INSERT INTO effects VALUES (2)"))


def _take(lease: Lease, took: threading.Event) -> None:
    if lease.acquire():
        took.set()

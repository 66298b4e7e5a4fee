"""Engine, metadata naming convention, column types and migrations.

SQLite is the embedded default (WAL, so the web service can read while an import writes);
PostgreSQL is the server database. Both run the same Alembic migrations.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A 64-bit key on PostgreSQL that is still SQLite's fast rowid alias.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend.

    SQLite has no timezone type and hands back naive values; without this a comparison between a
    stored and a fresh datetime raises, or worse, silently compares local with UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; crisisdesk stores aware UTC only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600), unless it exists.

    The database holds the configuration's secrets (SMTP password, webhook secrets, bot tokens)
    and the accounts; SQLite would create it with the umask's mode (usually 0644, readable by
    every local user) and gives its -wal and -shm files the mode of the database file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (FileExistsError, FileNotFoundError):  # there already; or no folder: SQLite says so
        return
    os.close(fd)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None: in memory)."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


#: Every engine this process made, so that a forked child can let go of them (:func:`forget_engines`)
#: and a parent about to fork can close its idle connections first (:func:`close_idle_connections`).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def close_idle_connections() -> None:
    """Close the pooled (idle) connections of every engine, so that a child forked next inherits
    no database socket; the pools open new ones when next asked."""
    for engine in list(_ENGINES):
        engine.dispose()


def forget_engines() -> None:
    """In a forked child: drop the parent's pooled connections without closing them (closing
    would end the parent's sessions), as SQLAlchemy documents for multiprocessing; the child never
    uses a connection of its parent's."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


def pool_size() -> int:
    """Connections a process keeps open to PostgreSQL, ``CRISISDESK_DATABASE_POOL_SIZE`` (default
    20; SQLAlchemy's own default is 5, with 10 more made on demand and closed again).

    A web process answers from a pool of 40 threads, so under a storm of webhooks 5 meant opening
    and closing a connection for most requests, each a new backend process on the server:
    measured with bench/bench_webhooks.py (distributed, 200/s), see docs/benchmarks.md."""
    from crisisdesk.settings import Settings

    return Settings().database_pool_size


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the pragmas and JSON codec crisisdesk relies on; a new SQLite file is
    created 0600 (see :func:`create_private_file`)."""
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            create_private_file(path)
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # 32 MB of page cache (default 2 MB): indexes of a few million posts stay in memory.
            cur.execute("PRAGMA cache_size=-32000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _ENGINES.add(engine)
        return engine
    engine = create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_pre_ping=True,
        pool_size=pool_size(),
    )
    _ENGINES.add(engine)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (cheap when it is already there)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    # Alembic keeps its context in module globals: one migration at a time in a process. Processes
    # starting together (a compose file's front ends and workers) take turns on PostgreSQL's lock.
    with _MIGRATING, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_MIGRATING = threading.Lock()
#: The advisory lock key migrations take on PostgreSQL ("cdmigr" in ASCII).
_MIGRATION_LOCK = 0x63646D696772


def describe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- outages ----------------------------------------------------------------------------------

log = logging.getLogger(__name__)


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is away (refused or dropped connections, a server shutting
    down, a pool that hands out nothing), not that a statement or the data is wrong."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _reason(exc: BaseException) -> str:
    """One line: the driver's first line, without SQL or parameters."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {lines[0]}" if lines else type(inner).__name__


class DatabaseWatch:
    """Whether the database answered last time; says so in the log only when that changes, so an
    outage is one line when it starts and one when it ends, not a traceback per request or tick.

    Whoever meets an outage calls :meth:`failed`; the outage ends with the first statement that
    completes on the engine (an engine event: a request, the ticker or the notifier may notice).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._down_since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._failures += 1
            if self._down_since is not None:
                return
            self._down_since = self._clock()
        log.error("database unavailable (%s); requests get 503 and background work retries until "
                  "it answers again", _reason(exc))

    def answered(self) -> None:
        if self._down_since is None:  # the common case: no lock on every statement
            return
        with self._lock:
            if self._down_since is None:
                return
            lasted, failures = self._clock() - self._down_since, self._failures
            self._down_since, self._failures = None, 0
        log.warning("database reachable again after %.0f s (%d failed requests or steps)", lasted, failures)


_watches: weakref.WeakKeyDictionary[Engine, DatabaseWatch] = weakref.WeakKeyDictionary()
_watches_lock = threading.Lock()


def database_watch(engine: Engine) -> DatabaseWatch:
    """The one watch of ``engine`` (shared by the HTTP app, the ticker and the notifier)."""
    with _watches_lock:
        watch = _watches.get(engine)
        if watch is None:
            watch = _watches[engine] = DatabaseWatch()
            found = watch

            def completed(*_args: Any) -> None:
                found.answered()

            event.listen(engine, "after_cursor_execute", completed)
        return watch


def log_failure(engine: Engine, exc: BaseException, logger: logging.Logger, message: str) -> None:
    """For background loops: an outage is said once (:class:`DatabaseWatch`), anything else is
    logged with its traceback as ``message``."""
    if is_outage(exc):
        database_watch(engine).failed(exc)
    else:
        logger.error(message, exc_info=exc)

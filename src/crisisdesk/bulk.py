"""Bulk reads and writes straight to the database driver, for the ingest hot path.

SQLAlchemy Core spends more time per row on parameter processing than SQLite spends inserting
it. The pipeline moves thousands of rows per batch, so these helpers build the SQL once per call
from our own table metadata and hand plain tuples to the driver. Values must already be in
storage form: use :func:`time_param` for datetimes. Everything else goes through Core/ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table

#: SQLite's default limit on bound variables per statement (3.32+); PostgreSQL allows 65535.
_MAX_VARIABLES = 32_000
_IN_CHUNK = 512


def time_param(conn: Connection) -> Callable[[datetime], Any]:
    """How an aware UTC datetime goes to the driver, the way ``db.UTCDateTime`` stores it.

    Callers pass UTC values (the normalize stage guarantees it), so no conversion is needed.
    """
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's SQLite DATETIME text format, so ORM and Core reads see the same values.
        return lambda dt: dt.isoformat(" ", "microseconds")[:26]  # without the "+00:00"
    return lambda dt: dt


def _sizes(n: int, largest: int) -> list[int]:
    """Split ``n`` rows into statement sizes from a fixed set (``largest`` and powers of two).

    The driver caches prepared statements by their text; a statement per distinct row count would
    fill that cache with large one-off statements (memory that grows with the import). With this
    split each table sees at most a dozen statement shapes.
    """
    out = [largest] * (n // largest)
    rest = n % largest
    bit = 1 << max(rest.bit_length() - 1, 0)
    while rest:
        if rest >= bit:
            out.append(bit)
            rest -= bit
        bit >>= 1
    return out


def _cursor(conn: Connection) -> Any:
    """The driver's own cursor inside the connection's transaction: rows come back as plain
    tuples, without the per-row result processing that costs more than the query here."""
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    returning: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """Insert rows with multi-row VALUES statements; returns the ``returning`` columns (any order).

    With ``ignore_conflicts`` a row that hits a unique constraint is skipped (and not returned).
    """
    if not rows:
        return []
    mark = _mark(conn)
    one = f"({', '.join([mark] * len(columns))})"
    if not returning and not ignore_conflicts:
        # One statement text, whatever the row count: the driver's executemany loops in C.
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {one}",  # noqa: S608 - own names
            list(rows),
        )
        return []
    per_statement = max(1, min(512, _MAX_VARIABLES // len(columns)))
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "  # noqa: S608 - our own names
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += f" RETURNING {', '.join(returning)}"
    if conn.dialect.name == "postgresql":
        return _insert_pipelined(conn, head + one + tail, rows, returning=bool(returning))
    out: list[tuple[Any, ...]] = []
    start = 0
    cursor = _cursor(conn)
    try:
        for size in _sizes(len(rows), per_statement):
            chunk = rows[start : start + size]
            start += size
            cursor.execute(head + ", ".join([one] * size) + tail, [v for row in chunk for v in row])
            if returning:
                out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out


def _insert_pipelined(conn: Connection, statement: str, rows: Sequence[tuple[Any, ...]], *,
                      returning: bool) -> list[tuple[Any, ...]]:
    """psycopg's executemany of a one-row statement: the rows go in one pipeline (one round trip),
    and the statement's text is parsed once. A multi-row VALUES statement with thousands of
    placeholders is longer than psycopg caches, so it would be parsed again for every batch
    (a third of the time of storing a batch, measured)."""
    cursor = _cursor(conn)
    out: list[tuple[Any, ...]] = []
    try:
        cursor.executemany(statement, rows, returning=returning)
        if returning:
            while True:
                out.extend(cursor.fetchall())
                if not cursor.nextset():
                    break
    finally:
        cursor.close()
    return out


def select_by_keys(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    keys: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Rows among ``keys`` (platform, external_id) that exist, as ``key -> columns``.

    Looks up per platform with ``external_id IN (…)``: SQLite scans the whole table for a
    row-value ``(platform, external_id) IN (…)``, while this is an index search on both databases.
    """
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in dict.fromkeys(keys):
        by_platform.setdefault(platform, []).append(external_id)
    mark = _mark(conn)
    cols = ", ".join(["external_id", *columns])
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    cursor = _cursor(conn)
    try:
        for platform, ids in by_platform.items():
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                # Pad the list to a power of two with a repeated id: few statement shapes (_sizes).
                chunk = chunk + [chunk[-1]] * ((1 << (len(chunk) - 1).bit_length()) - len(chunk))
                cursor.execute(
                    f"SELECT {cols} FROM {table.name} "  # noqa: S608 - our own names
                    f"WHERE platform = {mark} AND external_id IN ({', '.join([mark] * len(chunk))})",
                    [platform, *chunk],
                )
                for row in cursor.fetchall():
                    out[(platform, row[0])] = row[1:]
    finally:
        cursor.close()
    return out


def upsert_add(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Insert rows (``keys`` then ``fields``); where the key exists, add the fields to it.

    For additive counters (rollups): ``ON CONFLICT (keys) DO UPDATE SET f = table.f +
    excluded.f`` is the same SQL on SQLite and PostgreSQL, and one executemany over a fixed
    statement keeps the per-row cost in the driver.
    """
    if not rows:
        return
    mark = _mark(conn)
    columns = [*keys, *fields]
    updates = ", ".join(f"{f} = {table.name}.{f} + excluded.{f}" for f in fields)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
        list(rows),
    )

"""Copying a workspace's database into another (``crisisdesk migrate-to``): the embedded SQLite
file into the PostgreSQL server of the distributed mode.

The target is migrated to the newest schema first and must be empty. Tables are copied in the order
of their foreign keys (no table refers to itself), each in batches ordered by primary key, with the
values as SQLAlchemy reads them (so the target's types and conversions apply: times stay UTC, JSON
stays JSON), in one transaction: a copy that fails leaves the target empty. Afterwards
PostgreSQL's id sequences are moved past the copied ids, and every table's rows are counted on
both sides: the copy is good only when every count agrees.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import Base, migrate
from crisisdesk.models import __all__ as _every_model  # noqa: F401  (every table registered)

log = logging.getLogger(__name__)

#: (table, rows copied so far in it, rows it has) after each batch.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    return list(Base.metadata.sorted_tables)


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def not_empty(target: Engine) -> list[str]:
    with target.connect() as conn:
        return [t.name for t in tables() if _count(conn, t)]


def copy_database(source: Engine, target: Engine, *, batch: int = 2000,
                  progress: Progress | None = None) -> list[TableCount]:
    """Copy every row of ``source`` into the empty ``target``; returns the counts of both sides."""
    migrate(source)  # an older workspace file is brought up to the schema the target gets
    migrate(target)
    busy = not_empty(target)
    if busy:
        raise CrisisdeskError(f"the target database is not empty ({', '.join(busy[:8])}"
                              f"{' …' if len(busy) > 8 else ''} hold rows); copy into a new, empty database")
    with source.connect() as src, target.begin() as dst:  # all or nothing
        for table in tables():
            total = _count(src, table)
            done = 0
            if progress is not None:
                progress(table.name, 0, total)
            order = list(table.primary_key.columns) or list(table.columns)
            result = src.execution_options(yield_per=batch).execute(select(table).order_by(*order))
            for rows in result.mappings().partitions(batch):
                dst.execute(insert(table), [dict(r) for r in rows])
                done += len(rows)
                if progress is not None:
                    progress(table.name, done, total)
        _advance_sequences(dst)
    return verify(source, target)


def verify(source: Engine, target: Engine) -> list[TableCount]:
    with source.connect() as src, target.connect() as dst:
        return [TableCount(t.name, _count(src, t), _count(dst, t)) for t in tables()]


def _advance_sequences(conn: Connection) -> None:
    """PostgreSQL hands out ids from sequences that the copied rows did not move."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        for column in table.primary_key.columns:
            if not column.autoincrement or not isinstance(column.type, Integer):
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence is None:
                continue
            highest = f"SELECT MAX({column.name}) FROM {table.name}"  # noqa: S608 - our own names
            conn.execute(text(f"SELECT setval(:s, COALESCE(({highest}), 0) + 1, false)"), {"s": sequence})

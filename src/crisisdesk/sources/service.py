"""Monitors in the database, kept in step with the workspace file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from crisisdesk.detection.models import SeriesBucket, SeriesShare, Situation
from crisisdesk.sources.models import Monitor, MonitorMatch

_monitors = cast(Table, Monitor.__table__)
_matches = cast(Table, MonitorMatch.__table__)
_situations = cast(Table, Situation.__table__)
_buckets = cast(Table, SeriesBucket.__table__)
_shares = cast(Table, SeriesShare.__table__)
#: PostgreSQL's advisory lock of a monitor sync: front ends and workers starting at once on an
#: empty database would each insert the configured monitors (a unique violation stopped all but one).
_LOCK = 0x6D6F6E69746F72  # "monitor"


def sync_monitors(engine: Engine, monitors: Sequence[tuple[str, str]], *, now: datetime) -> dict[str, int]:
    """Mirror the configuration's monitors into the table; ones no longer configured are retired.

    A retired monitor that never matched a post nor opened a situation is deleted (the template's
    ``bahn`` replaced before the first import leaves no trace); one with history becomes inactive,
    which hides it from every page but keeps its matches (an after-action review may still need
    them). Returns the ids of the active monitors by name.
    """
    wanted = dict(monitors)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # processes starting together (compose) take turns
            conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
        rows = conn.execute(select(_monitors.c.id, _monitors.c.name, _monitors.c.query,
                                   _monitors.c.active)).all()
        have = {r.name: r for r in rows}
        for name, query in wanted.items():
            row = have.get(name)
            if row is None:
                conn.execute(insert(_monitors).values(name=name, query=query, active=True,
                                                      created_at=now, updated_at=now))
            elif row.query != query or not row.active:
                conn.execute(update(_monitors).where(_monitors.c.id == row.id)
                             .values(query=query, active=True, updated_at=now))
        for name, row in have.items():
            if name in wanted:
                continue
            if _unused(conn, row.id):
                for table in (_buckets, _shares):
                    conn.execute(delete(table).where(table.c.monitor_id == row.id))
                conn.execute(delete(_monitors).where(_monitors.c.id == row.id))
            elif row.active:
                conn.execute(update(_monitors).where(_monitors.c.id == row.id)
                             .values(active=False, updated_at=now))
        ids = conn.execute(select(_monitors.c.name, _monitors.c.id).where(_monitors.c.active)).all()
    return {row.name: row.id for row in ids}


def _unused(conn: Connection, monitor_id: int) -> bool:
    """No post matched the monitor and no situation was opened for it."""
    for table in (_matches, _situations):
        if conn.execute(select(table.c.monitor_id).where(table.c.monitor_id == monitor_id).limit(1)).first():
            return False
    return True


def newest_match(conn: Connection) -> tuple[int, datetime] | None:
    """The active monitor with the newest matched post, and that post's time; None: no post yet.
    One index lookup per monitor (the match table's key leads with monitor and time)."""
    newest = (select(_matches.c.monitor_id, func.max(_matches.c.post_created_at).label("at"))
              .join(_monitors, _monitors.c.id == _matches.c.monitor_id)
              .where(_monitors.c.active).group_by(_matches.c.monitor_id).subquery())
    row = conn.execute(select(newest.c.monitor_id, newest.c.at).order_by(newest.c.at.desc()).limit(1)).first()
    return None if row is None else (int(row.monitor_id), row.at)


def match_counts(engine: Engine) -> dict[str, int]:
    """Matched posts per monitor (all monitors, active or not)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_monitors.c.name, func.count(_matches.c.post_id))
            .select_from(_monitors.outerjoin(_matches, _matches.c.monitor_id == _monitors.c.id))
            .group_by(_monitors.c.name)
        ).all()
    return {name: int(n) for name, n in rows}


def posts_in_range(engine: Engine, monitor: str, start: datetime, end: datetime) -> list[int]:
    """Ids of a monitor's posts created in [start, end), oldest first: the dashboards' core query."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_matches.c.post_id)
            .join(_monitors, _monitors.c.id == _matches.c.monitor_id)
            .where(_monitors.c.name == monitor, _matches.c.post_created_at >= start,
                   _matches.c.post_created_at < end)
            .order_by(_matches.c.post_created_at)
        ).all()
    return [r[0] for r in rows]

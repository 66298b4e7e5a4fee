"""Reading the rollups for dashboards: exact totals over any range, and shares by dimension.

Every read here is a range scan of a rollup table's primary key, ``(monitor_id, resolution,
bucket_start[, dim, key])``, with the monitor(s) and the resolution fixed: the cost depends on
the number of buckets in the range, never on the number of posts.

A total over ``[start, end)`` is assembled from the coarsest buckets that fit (full days, then
full hours at the edges, then minutes at the very edges), so 30 days cost about 30 + 2·23 +
2·59 rows per monitor and are still exact to the minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from crisisdesk.dashboards.schemas import Stats
from crisisdesk.detection.models import SeriesBucket, SeriesShare
from crisisdesk.detection.rollups import RESOLUTIONS

_buckets: Table = SeriesBucket.__table__  # type: ignore[assignment]
_shares: Table = SeriesShare.__table__  # type: ignore[assignment]

Piece = tuple[str, datetime, datetime]


def floor_to(at: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, UTC)


def ceil_to(at: datetime, seconds: int) -> datetime:
    floored = floor_to(at, seconds)
    return floored if floored == at else floored + timedelta(seconds=seconds)


def pieces(start: datetime, end: datetime, levels: Sequence[str] = ("d", "h", "m")) -> list[Piece]:
    """``[start, end)`` as the fewest buckets: ``(resolution, from, to)`` ranges of bucket starts.

    The finest level takes what is left at the edges; a bucket counts when it *starts* inside the
    range, so the finest level is exact to its own size (minutes; hours for shares).
    """
    out: list[Piece] = []

    def split(a: datetime, b: datetime, level: int) -> None:
        if a >= b:
            return
        res = levels[level]
        if level == len(levels) - 1:
            out.append((res, a, b))
            return
        size = RESOLUTIONS[res]
        lo, hi = ceil_to(a, size), floor_to(b, size)
        if lo < hi:
            out.append((res, lo, hi))
            split(a, lo, level + 1)
            split(hi, b, level + 1)
        else:
            split(a, b, level + 1)

    split(start, end, 0)
    return out


def totals(conn: Connection, monitor_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, Stats]:
    """Posts, negative, insulting posts and reach per monitor over ``[start, end)``, exact to the
    minute. One ``GROUP BY monitor_id`` per piece (at most five), each a primary-key range scan."""
    out: dict[int, list[int]] = {mid: [0, 0, 0, 0] for mid in monitor_ids}
    if not monitor_ids:
        return {}
    b = _buckets.c
    for res, a, z in pieces(start, end):
        for mid, volume, negative, insult, reach in conn.execute(
            select(b.monitor_id, func.sum(b.volume), func.sum(b.negative), func.sum(b.insult),
                   func.sum(b.reach))
            .where(b.monitor_id.in_(list(monitor_ids)), b.resolution == res, b.bucket_start >= a,
                   b.bucket_start < z)
            .group_by(b.monitor_id)
        ):
            row = out[mid]
            row[0] += int(volume or 0)
            row[1] += int(negative or 0)
            row[2] += int(insult or 0)
            row[3] += int(reach or 0)
    return {mid: Stats(volume=v, negative=n, insult=i, reach=r) for mid, (v, n, i, r) in out.items()}


def share_totals(conn: Connection, monitor_id: int, start: datetime, end: datetime,
                 dim: str) -> dict[str, tuple[int, int]]:
    """Volume and negative posts per key of ``dim`` (channel, complaint, lang) over ``[start, end)``.

    Shares are kept per hour and day, so the range is widened to whole hours at its edges.
    """
    widened_start, widened_end = floor_to(start, 3600), ceil_to(end, 3600)
    s = _shares.c
    out: dict[str, tuple[int, int]] = {}
    for res, a, z in pieces(widened_start, widened_end, ("d", "h")):
        for key, volume, negative in conn.execute(
            select(s.key, func.sum(s.volume), func.sum(s.negative))
            .where(s.monitor_id == monitor_id, s.resolution == res, s.bucket_start >= a, s.bucket_start < z,
                   s.dim == dim)
            .group_by(s.key)
        ):
            v, n = out.get(key, (0, 0))
            out[key] = (v + int(volume or 0), n + int(negative or 0))
    return out


def share_series(conn: Connection, monitor_id: int, resolution: str, start: datetime, end: datetime,
                 dim: str) -> dict[datetime, dict[str, int]]:
    """Volume per bucket and key of ``dim``: ``{bucket_start: {key: posts}}`` (hour or day buckets)."""
    s = _shares.c
    out: dict[datetime, dict[str, int]] = {}
    for at, key, volume in conn.execute(
        select(s.bucket_start, s.key, s.volume)
        .where(s.monitor_id == monitor_id, s.resolution == resolution, s.bucket_start >= start,
               s.bucket_start < end, s.dim == dim)
    ):
        out.setdefault(at, {})[key] = int(volume)
    return out


def hour_volumes(conn: Connection, monitor_ids: Sequence[int], start: datetime,
                 end: datetime) -> dict[tuple[int, datetime], tuple[int, int]]:
    """``{(monitor, hour): (posts, negative)}`` for the hour buckets starting in ``[start, end]``."""
    b = _buckets.c
    return {
        (int(mid), at): (int(volume), int(negative))
        for mid, at, volume, negative in conn.execute(
            select(b.monitor_id, b.bucket_start, b.volume, b.negative)
            .where(b.monitor_id.in_(list(monitor_ids)), b.resolution == "h", b.bucket_start >= start,
                   b.bucket_start <= end))
    }

"""Rollups: each batch of new posts adds to its monitors' minute, hour and day buckets.

Counting happens in Python per batch (a dict per bucket), then one upsert per table adds the
batch's deltas to the stored counters (``ON CONFLICT … DO UPDATE SET n = n + excluded.n``, on
SQLite and PostgreSQL alike). The upsert is additive, so batches may arrive in any order and
several writers may add to the same bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crisisdesk.bulk import time_param, upsert_add
from crisisdesk.core.shares import Shares
from crisisdesk.detection.config import DetectionConfig
from crisisdesk.detection.models import SeriesBucket, SeriesShare
from crisisdesk.detection.state import MonitorState
from crisisdesk.pipeline.events import NormalizedPost, PostKey

RESOLUTIONS = {"m": 60, "h": 3600, "d": 86400}
BUCKET_FIELDS = ("volume", "negative", "positive", "insult", "reach", "negative_reach", "engagement",
                 "new_authors")
SHARE_FIELDS = ("volume", "negative")
#: Platforms whose posts are press coverage (the ``press`` signal).
PRESS_PLATFORMS = frozenset({"rss", "news"})

_buckets: Table = SeriesBucket.__table__  # type: ignore[assignment]
_shares: Table = SeriesShare.__table__  # type: ignore[assignment]


def floor_time(at: datetime, resolution: str) -> datetime:
    seconds = RESOLUTIONS[resolution]
    epoch = int(at.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(epoch, UTC)


def sentiment_of(post: NormalizedPost) -> str | None:
    s = post.enrichment.get("sentiment")
    return s.get("label") if isinstance(s, dict) else None


def is_insult(post: NormalizedPost) -> bool:
    i = post.enrichment.get("insult")
    return isinstance(i, dict) and i.get("label") == "offense"


def complaint_types(post: NormalizedPost) -> list[str]:
    c = post.enrichment.get("complaint_types")
    return [str(x) for x in c] if isinstance(c, list) else []


def followers(post: NormalizedPost) -> int:
    return (post.author.followers or 0) if post.author is not None else 0


#: Shares (per channel, complaint type, language) are kept per hour and day: charts of shares
#: need no finer grain, and per minute they would be most of the rows written.
SHARE_RESOLUTIONS = ("h", "d")


@dataclass
class RollupDelta:
    """What one batch adds: ``buckets[(monitor, res, start)]`` and ``shares[(…, dim, key)]``.

    Posts are first counted per monitor and minute (one dict update per post), then the minutes
    are rolled up into hours and days, so the per-post work does not grow with the resolutions.
    """

    buckets: dict[tuple[int, str, datetime], list[int]] = field(default_factory=dict)
    shares: dict[tuple[int, str, datetime, str, str], list[int]] = field(default_factory=dict)


def _add(row: list[int] | None, values: list[int] | tuple[int, ...]) -> list[int]:
    if row is None:
        return list(values)
    for i, v in enumerate(values):
        row[i] += v
    return row


def accumulate(posts: Iterable[NormalizedPost], monitor_ids: Mapping[str, int],
               new_authors: set[PostKey]) -> RollupDelta:
    minutes: dict[tuple[int, int], list[int]] = {}  # (monitor, epoch minute) -> counters
    hour_shares: dict[tuple[int, int, str, str], list[int]] = {}  # (monitor, epoch hour, dim, key)
    for post in posts:
        ids = [mid for name in post.monitors if (mid := monitor_ids.get(name)) is not None]
        if not ids:
            continue
        a = post.author
        sentiment = sentiment_of(post)
        negative = sentiment == "negative"
        reach = (a.followers or 0) if a is not None else 0
        values = (1, int(negative), int(sentiment == "positive"), int(is_insult(post)), reach,
                  reach if negative else 0, (post.likes or 0) + (post.shares or 0) + (post.replies or 0),
                  int(a is not None and (a.platform, a.external_id) in new_authors))
        minute = int(post.created_at.timestamp()) // 60
        dims = [("channel", post.platform), *(("complaint", c[:64]) for c in complaint_types(post))]
        if post.lang:
            dims.append(("lang", post.lang[:64]))
        for mid in ids:
            key = (mid, minute)
            minutes[key] = _add(minutes.get(key), values)
            for dim, k in dims:
                skey = (mid, minute // 60, dim, k)
                share = hour_shares.get(skey)
                if share is None:
                    hour_shares[skey] = [1, int(negative)]
                else:
                    share[0] += 1
                    share[1] += int(negative)
    delta = RollupDelta()
    stamps: dict[int, datetime] = {}

    def at(seconds: int) -> datetime:
        stamp = stamps.get(seconds)
        if stamp is None:
            stamps[seconds] = stamp = datetime.fromtimestamp(seconds, UTC)
        return stamp

    for (mid, minute), counters in minutes.items():
        for res, size in RESOLUTIONS.items():
            bucket = (mid, res, at(minute * 60 // size * size))
            delta.buckets[bucket] = _add(delta.buckets.get(bucket), counters)
    for (mid, hour, dim, k), pair in hour_shares.items():
        for res in SHARE_RESOLUTIONS:
            size = RESOLUTIONS[res]
            share_key = (mid, res, at(hour * 3600 // size * size), dim, k)
            delta.shares[share_key] = _add(delta.shares.get(share_key), pair)
    return delta


def write(conn: Connection, delta: RollupDelta) -> None:
    """Add a batch's deltas to the stored buckets (one executemany per table)."""
    t = time_param(conn)
    upsert_add(conn, _buckets, ("monitor_id", "resolution", "bucket_start"), BUCKET_FIELDS,
               [(m, r, t(s), *v) for (m, r, s), v in sorted(delta.buckets.items())])
    upsert_add(conn, _shares, ("monitor_id", "resolution", "bucket_start", "dim", "key"), SHARE_FIELDS,
               [(m, r, t(s), d, k, *v) for (m, r, s, d, k), v in sorted(delta.shares.items())])


@dataclass(frozen=True)
class Point(Shares):
    """One bucket of a monitor's series as dashboards read it."""

    start: datetime
    volume: int
    negative: int
    positive: int
    insult: int
    reach: int
    negative_reach: int
    engagement: int
    new_authors: int

    #: Change of volume against the bucket before (an empty bucket counts as 0): the wave's speed.
    velocity: int = 0


def series(conn: Connection, monitor_id: int, resolution: str, start: datetime,
           end: datetime) -> list[Point]:
    """Stored buckets of ``[start, end)``, oldest first; empty buckets are absent."""
    rows = conn.execute(
        select(_buckets.c.bucket_start, *(_buckets.c[f] for f in BUCKET_FIELDS))
        .where(_buckets.c.monitor_id == monitor_id, _buckets.c.resolution == resolution,
               _buckets.c.bucket_start >= start, _buckets.c.bucket_start < end)
        .order_by(_buckets.c.bucket_start)
    ).all()
    points = [Point(*row) for row in rows]
    size = timedelta(seconds=RESOLUTIONS[resolution]) if resolution != "d" else timedelta(days=1)
    before = conn.execute(
        select(_buckets.c.volume).where(_buckets.c.monitor_id == monitor_id,
                                        _buckets.c.resolution == resolution,
                                        _buckets.c.bucket_start == start - size)
    ).scalar()
    previous, previous_start = int(before or 0), start - size
    for p in points:
        if p.start - previous_start > size:
            previous = 0  # the buckets in between were empty
        object.__setattr__(p, "velocity", p.volume - previous)
        previous, previous_start = p.volume, p.start
    return points


def shares(conn: Connection, monitor_id: int, resolution: str, start: datetime, end: datetime,
           dim: str) -> dict[str, tuple[int, int]]:
    """Volume and negative posts per key of ``dim`` (channel, complaint, lang) over ``[start, end)``."""
    totals: dict[str, tuple[int, int]] = {}
    for key, volume, negative in conn.execute(
        select(_shares.c.key, _shares.c.volume, _shares.c.negative)
        .where(_shares.c.monitor_id == monitor_id, _shares.c.resolution == resolution,
               _shares.c.dim == dim, _shares.c.bucket_start >= start, _shares.c.bucket_start < end)
    ):
        v, n = totals.get(key, (0, 0))
        totals[key] = (v + volume, n + negative)
    return totals


def load_states(conn: Connection, monitor_ids: Iterable[int], now: datetime,
                config: DetectionConfig | None = None) -> dict[int, MonitorState]:
    """Rebuild detector state from the rollups: hours of the last eight days, minutes of the last
    three hours. Counters the rollups do not keep (reach per minute, platforms) start empty.

    With ``config`` (and its CUSUM enabled) the hours of ``cusum.REPLAY_HOURS`` more are read,
    and the CUSUM is moved over the last ``REPLAY_HOURS`` hour by hour as the rows go into the
    rings, exactly as the running engine moved it (see :mod:`.cusum`).
    """
    from crisisdesk.detection import cusum
    from crisisdesk.detection.state import HOURS_KEPT, MINUTES_KEPT, Counts

    states: dict[int, MonitorState] = {mid: MonitorState() for mid in monitor_ids}
    if not states:
        return states
    replay = config is not None and config.enabled and config.cusum.enabled
    now_hour = int(floor_time(now, "h").timestamp()) // 3600
    since_h = floor_time(now, "h") - timedelta(hours=HOURS_KEPT + (cusum.REPLAY_HOURS if replay else 0))
    since_m = floor_time(now, "m") - timedelta(minutes=MINUTES_KEPT)
    if replay:
        for state in states.values():
            state.cusum.hour = now_hour - cusum.REPLAY_HOURS
    for mid, res, start, volume, negative, insult, reach, negative_reach in conn.execute(
        select(_buckets.c.monitor_id, _buckets.c.resolution, _buckets.c.bucket_start, _buckets.c.volume,
               _buckets.c.negative, _buckets.c.insult, _buckets.c.reach, _buckets.c.negative_reach)
        .where(_buckets.c.monitor_id.in_(list(states)),
               ((_buckets.c.resolution == "h") & (_buckets.c.bucket_start >= since_h))
               | ((_buckets.c.resolution == "m") & (_buckets.c.bucket_start >= since_m)))
        .order_by(_buckets.c.bucket_start, _buckets.c.resolution)  # in time order: gaps show
    ):
        state = states[mid]
        index = int(start.timestamp()) // 60
        if res == "h":
            if config is not None and replay and index // 60 > state.cusum.hour:
                cusum.advance(state, index // 60, config)  # the hours before, as the engine did
            state.add_hour(index // 60, volume, negative)
        else:
            # Minutes are only needed for windows; the hour rows already counted them.
            state.add(index, Counts(volume=volume, negative=negative, insult=insult, reach=reach,
                                    negative_reach=negative_reach), count_hour=False)
    if config is not None and replay:
        for state in states.values():
            cusum.advance(state, now_hour, config)
    return states

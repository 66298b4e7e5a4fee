"""What the overview and the monitor page show: read from rollups, bounded, index-friendly.

The charts and numbers come from the rollups (``series_buckets``, ``series_shares``), never from
scanning posts, so a page costs the same with a thousand stored posts as with a hundred million.
The only post reads are bounded samples (surging terms, top authors: at most
``SAMPLE_POSTS`` + ``BASELINE_POSTS`` rows through the ``monitor_matches`` primary key) and the
post list (:mod:`crisisdesk.dashboards.post_list`), which pages by key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crisisdesk.dashboards import reads
from crisisdesk.dashboards.post_list import decode_cursor as decode_cursor
from crisisdesk.dashboards.post_list import post_list as post_list
from crisisdesk.dashboards.sample import sample_posts
from crisisdesk.dashboards.schemas import (
    AuthorReach,
    Breakdown,
    BreakdownPoint,
    ChangeKind,
    MonitorOverview,
    MonitorPage,
    Mover,
    Overview,
    Resolution,
    Series,
    SeriesPoint,
    ShareItem,
    SituationBrief,
    SituationChange,
    SituationMarker,
    SparkPoint,
    Stats,
)
from crisisdesk.detection import rollups
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.detection.terms import Doc, surging
from crisisdesk.sources.models import Monitor

_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]
_monitors: Table = Monitor.__table__  # type: ignore[assignment]

HOUR = timedelta(hours=1)
#: Posts read for surging terms and top authors: the range, and the period of the same length before.
#: Tokenising is most of a monitor page's time (about 25 ms per 1,000 posts); 800 is what
#: detection's own explanations read for a window.
SAMPLE_POSTS, BASELINE_POSTS = 800, 800
#: Upper bounds of the lists a page shows (every query has a LIMIT).
MAX_SITUATIONS, MAX_CHANGES, MAX_MARKERS = 200, 50, 200
#: A mover needs this many posts in one of the two hours: 2 → 5 posts is not news.
MOVER_MIN_POSTS = 10
#: Minute steps the chart may roll minutes into, and the most points it aims for.
MINUTE_STEPS = (1, 5, 10, 15, 30)
MAX_POINTS = 400
COMPLAINT_KEYS = 8


def _monitor_names(conn: Connection, monitors: Sequence[int] | None) -> dict[int, str]:
    """Active monitors (or the given ones, active or not), by name. A handful of rows."""
    q = select(_monitors.c.id, _monitors.c.name).order_by(_monitors.c.name)
    q = q.where(_monitors.c.id.in_(list(monitors))) if monitors is not None else q.where(_monitors.c.active)
    return {int(mid): str(name) for mid, name in conn.execute(q)}


def _brief(row: Any, names: dict[int, str]) -> SituationBrief:
    explanation = json.loads(row.explanation or "{}")
    return SituationBrief(
        id=row.id, monitor_id=row.monitor_id, monitor=names.get(row.monitor_id, "?"), cause=row.cause,
        status=row.status, severity=row.severity, opened_at=row.opened_at, updated_at=row.updated_at,
        resolved_at=row.resolved_at, acknowledged_at=row.acknowledged_at,
        summary=str(explanation.get("summary", "")), summaries=_summaries(explanation),
        top_terms=[str(t) for t in explanation.get("top_terms", [])[:10]],
    )


_KINDS: dict[str, ChangeKind] = {"alert.opened": "opened", "alert.updated": "updated",
                                 "alert.escalated": "escalated", "alert.resolved": "resolved"}


def _changes(conn: Connection, ids: list[int], names: dict[int, str], since: datetime,
             now: datetime) -> list[SituationChange]:
    """Timeline events of the last hour, newest first.

    Only situations that can have one are asked: open ones and those updated (resolving updates)
    since ``since`` — a few rows of ``situations`` (one per crisis episode, found through the
    monitor prefix of ``ix_situations_monitor_cause``); their events through
    ``ix_situation_events_situation`` (situation, at).
    """
    s = _situations.c
    candidates = {row.id: row for row in conn.execute(
        select(s.id, s.monitor_id, s.cause).where(
            s.monitor_id.in_(ids), (s.status == "open") | (s.updated_at >= since))
        .order_by(s.id.desc()).limit(MAX_SITUATIONS))}
    if not candidates:
        return []
    e = _events.c
    out = []
    for row in conn.execute(
        select(e.situation_id, e.event, e.at, e.severity, e.body)
        .where(e.situation_id.in_(list(candidates)), e.at >= since, e.at <= now)
        .order_by(e.at.desc(), e.id.desc()).limit(MAX_CHANGES)
    ):
        kind = _KINDS.get(row.event)
        if kind is None:
            continue
        body = json.loads(row.body or "{}")
        if kind == "opened" and body.get("reopened"):
            kind = "reopened"
        situation = candidates[row.situation_id]
        out.append(SituationChange(
            situation_id=row.situation_id, monitor_id=situation.monitor_id,
            monitor=names.get(situation.monitor_id, "?"), cause=situation.cause, kind=kind, at=row.at,
            severity=row.severity, summary=str(body.get("summary", "")), summaries=_summaries(body),
        ))
    return out


def _movers(rows: list[MonitorOverview], top: int = 3) -> list[Mover]:
    volume, negativity = [], []
    for m in rows:
        before, after = m.previous_hour, m.last_hour
        if max(before.volume, after.volume) < MOVER_MIN_POSTS:
            continue
        if after.volume != before.volume:
            change = (after.volume - before.volume) / max(before.volume, 1)
            volume.append(Mover(monitor_id=m.monitor_id, name=m.name, metric="volume",
                                before=before.volume, after=after.volume, change=change))
        moved = after.negative_share != before.negative_share
        if min(before.volume, after.volume) >= MOVER_MIN_POSTS and moved:
            negativity.append(Mover(monitor_id=m.monitor_id, name=m.name, metric="negative_share",
                                    before=before.negative_share, after=after.negative_share,
                                    change=after.negative_share - before.negative_share))
    volume.sort(key=lambda x: abs(x.change), reverse=True)
    negativity.sort(key=lambda x: abs(x.change), reverse=True)
    return volume[:top] + negativity[:top]


def overview(conn: Connection, *, now: datetime, monitors: Sequence[int] | None = None) -> Overview:
    """Every (active, or the given) monitor's live numbers, open situations and the last hour's changes.

    Reads per monitor: the minute rollups of the last two hours (≤ 120 rows), the hour rollups of
    the last 24 hours (24 rows), the 24-hour totals assembled from hours and edge minutes; all with
    ``monitor_id IN (…)`` on the rollup's primary key, one statement per piece for all monitors.
    """
    names = _monitor_names(conn, monitors)
    ids = list(names)
    if not ids:
        return Overview(now=now, monitors=[], changes=[], movers=[])
    last = reads.totals(conn, ids, now - HOUR, now)
    previous = reads.totals(conn, ids, now - 2 * HOUR, now - HOUR)
    day = reads.totals(conn, ids, now - 24 * HOUR, now)
    spark_start = reads.floor_to(now, 3600) - 23 * HOUR
    hours = reads.hour_volumes(conn, ids, spark_start, now)
    s = _situations.c
    open_rows: dict[int, list[SituationBrief]] = {mid: [] for mid in ids}
    for row in conn.execute(
        select(_situations).where(s.monitor_id.in_(ids), s.status == "open")
        .order_by(s.severity.desc(), s.updated_at.desc()).limit(MAX_SITUATIONS)
    ):
        open_rows[row.monitor_id].append(_brief(row, names))
    out = []
    for mid, name in names.items():
        spark = []
        for i in range(24):
            at = spark_start + i * HOUR
            v, n = hours.get((mid, at), (0, 0))
            spark.append(SparkPoint(start=at, volume=v, negative_share=n / v if v else 0.0))
        before = previous[mid]
        out.append(MonitorOverview(
            monitor_id=mid, name=name, last_hour=last[mid], previous_hour=before, day=day[mid],
            change=last[mid].volume / before.volume - 1 if before.volume else None,
            sparkline=spark, sparkline_partial_last=now > spark_start + 23 * HOUR,
            open_situations=open_rows[mid],
        ))
    out.sort(key=lambda m: (-m.max_severity, -m.last_hour.volume, m.name))
    return Overview(now=now, monitors=out, changes=_changes(conn, ids, names, now - HOUR, now),
                    movers=_movers(out))


def choose_resolution(start: datetime, end: datetime) -> tuple[Resolution, int]:
    """The rollup to read and the step of the chart's points (seconds), for ≤ ~400 points.

    Up to 48 h: minutes, rolled to 1, 5, 10, 15 or 30 minutes (24 h → 5 min, 48 h → 10 min);
    up to 14 days: hours; beyond: days (several days per point past 400 days).
    """
    span = max((end - start).total_seconds(), 60.0)
    if span <= 48 * 3600:
        for minutes in MINUTE_STEPS:
            if span / (minutes * 60) <= MAX_POINTS:
                return "m", minutes * 60
        return "h", 3600  # pragma: no cover - 48 h fits in 30-minute steps
    if span <= 14 * 86400:
        return "h", 3600
    days = max(1, -(-int(span) // (86400 * MAX_POINTS)))
    return "d", days * 86400


def resolution_for_step(step: int) -> Resolution:
    """The coarsest rollup a chosen step (seconds, a multiple of 60) can be summed from."""
    if step % 86400 == 0:
        return "d"
    return "h" if step % 3600 == 0 else "m"


def chart_series(conn: Connection, monitor_id: int, start: datetime, end: datetime,
                 step: int | None = None) -> Series:
    """The monitor's buckets over ``[start, end)`` at the chosen resolution, empty ones included.

    Points start at ``start`` floored to the step; the last one may still be filling. ``step``
    (seconds, a multiple of 60) overrides the step :func:`choose_resolution` picks for the page.
    """
    resolution, step = choose_resolution(start, end) if step is None else (resolution_for_step(step), step)
    first = reads.floor_to(start, step)
    rolled: dict[datetime, list[int]] = {}
    fields = rollups.BUCKET_FIELDS
    for p in rollups.series(conn, monitor_id, resolution, first, end):
        at = reads.floor_to(p.start, step)
        row = rolled.setdefault(at, [0] * len(fields))
        for i, f in enumerate(fields):
            row[i] += getattr(p, f)
    points = []
    at = first
    size = timedelta(seconds=step)
    while at < end:
        values = rolled.get(at)
        points.append(SeriesPoint(start=at, **dict(zip(fields, values, strict=True))) if values
                      else SeriesPoint(start=at))
        at += size
    return Series(resolution=resolution, step_seconds=step, start=first, end=end, points=points)


def monitor_series(conn: Connection, *, monitor_id: int, start: datetime, end: datetime, now: datetime,
                   step: int | None = None) -> tuple[Series, list[SituationMarker]]:
    """The monitor page's volume chart alone: its points and the situations marked on it, for
    ``[start, end)`` clamped to ``now`` exactly as :func:`monitor_page` does (the JSON API's series)."""
    end = min(end, now)
    start = min(start, end)
    return chart_series(conn, monitor_id, start, end, step), _markers(conn, monitor_id, start, end)


def _share_items(values: dict[str, tuple[int, int]], limit: int | None = None) -> list[ShareItem]:
    total = sum(v for v, _ in values.values())
    ordered = sorted(values.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [ShareItem(key=k, volume=v, negative=n, share=v / total if total else 0.0)
            for k, (v, n) in ordered[:limit]]


def _markers(conn: Connection, monitor_id: int, start: datetime, end: datetime) -> list[SituationMarker]:
    """Situations of the monitor that overlap the range (monitor prefix of ix_situations_monitor_cause)."""
    s = _situations.c
    return [
        SituationMarker(id=row.id, cause=row.cause, status=row.status, severity=row.severity,
                        opened_at=row.opened_at, resolved_at=row.resolved_at,
                        summary=str(json.loads(row.explanation or "{}").get("summary", "")),
                        summaries=_summaries(json.loads(row.explanation or "{}")))
        for row in conn.execute(
            select(s.id, s.cause, s.status, s.severity, s.opened_at, s.resolved_at, s.explanation)
            .where(s.monitor_id == monitor_id, s.opened_at < end,
                   s.resolved_at.is_(None) | (s.resolved_at >= start))
            .order_by(s.opened_at).limit(MAX_MARKERS))
    ]


def _complaints_over_time(conn: Connection, monitor_id: int, start: datetime, end: datetime) -> Breakdown:
    resolution: Resolution = "h" if end - start <= timedelta(days=14) else "d"
    size = rollups.RESOLUTIONS[resolution]
    first = reads.floor_to(start, size)
    by_bucket = reads.share_series(conn, monitor_id, resolution, first, end, "complaint")
    totals: dict[str, int] = {}
    for values in by_bucket.values():
        for k, v in values.items():
            totals[k] = totals.get(k, 0) + v
    keys = [k for k, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    shown, rest = keys[:COMPLAINT_KEYS], set(keys[COMPLAINT_KEYS:])
    points = []
    at = first
    while at < end:
        values = by_bucket.get(at, {})
        row = {k: values.get(k, 0) for k in shown}
        if rest:
            row["other"] = sum(v for k, v in values.items() if k in rest)
        points.append(BreakdownPoint(start=at, values=row))
        at += timedelta(seconds=size)
    return Breakdown(resolution=resolution, keys=shown + (["other"] if rest else []), points=points)


def monitor_page(conn: Connection, *, monitor_id: int, start: datetime, end: datetime, now: datetime,
                 compare: Sequence[int] | None = None) -> MonitorPage:
    """Everything the monitor page charts for ``[start, end)``.

    ``compare``: the monitors of the share of voice (a brand and its competitors); default all
    active monitors. The monitor itself is always included. ``end`` is clamped to ``now``.
    Raises ``LookupError`` for an unknown monitor.
    """
    end = min(end, now)
    start = min(start, end)
    names = _monitor_names(conn, None)
    name = names.get(monitor_id) or _monitor_names(conn, [monitor_id]).get(monitor_id)
    if name is None:
        raise LookupError(f"no monitor with id {monitor_id}")
    voice_ids = list(dict.fromkeys([monitor_id, *(compare if compare is not None else names)]))
    voice_names = names | ({} if set(voice_ids) <= set(names) else _monitor_names(conn, voice_ids))
    voice = reads.totals(conn, voice_ids, start, end)
    span = end - start
    window = sample_posts(conn, monitor_id, start, end, SAMPLE_POSTS)
    baseline = sample_posts(conn, monitor_id, start - span, start, BASELINE_POSTS)
    found = surging([Doc(p.text, p.lang) for p in window], [Doc(p.text, p.lang) for p in baseline])
    authors: dict[int, AuthorReach] = {}
    for p in window:
        if p.author_id is None:
            continue
        known = authors.get(p.author_id)
        authors[p.author_id] = (
            known.model_copy(update={"posts": known.posts + 1}) if known
            else AuthorReach(platform=p.platform, handle=p.handle, name=p.name, followers=p.followers,
                             verified=p.verified, posts=1))
    top_authors = sorted(authors.values(), key=lambda a: (-a.followers, -a.posts, a.handle or ""))[:10]
    return MonitorPage(
        monitor_id=monitor_id, name=name, start=start, end=end, now=now,
        totals=voice.get(monitor_id, Stats()),
        series=chart_series(conn, monitor_id, start, end),
        situations=_markers(conn, monitor_id, start, end),
        share_of_voice=_share_items({voice_names.get(mid, str(mid)): (st.volume, st.negative)
                                     for mid, st in voice.items()}),
        complaints=_share_items(reads.share_totals(conn, monitor_id, start, end, "complaint")),
        complaints_over_time=_complaints_over_time(conn, monitor_id, start, end),
        channels=_share_items(reads.share_totals(conn, monitor_id, start, end, "channel")),
        languages=_share_items(reads.share_totals(conn, monitor_id, start, end, "lang"), limit=10),
        surging_terms=found.terms, surging_hashtags=found.hashtags, terms_method=found.method,
        top_authors=top_authors,
        sample_posts=len(window), baseline_posts=len(baseline),
    )


def _summaries(stored: dict[str, Any]) -> dict[str, str]:
    """The summary per language, as detection stores it (older situations have only one)."""
    found = stored.get("summaries")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

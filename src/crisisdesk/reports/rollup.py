"""Keeping analytics' rollups as posts are stored: per UTC day, channel and ours-or-theirs, the count
of posts and the sums of their metrics; and what platforms report about our channels (followers,
reach, impressions) per day.

The store stage calls :func:`record` in the posts' own transaction. A new post adds itself; an
updated post (new metrics, an edit) first takes back what its stored version added, then adds the
new version, so the sums always equal those of the posts as stored: a redelivered identical post
never reaches the store (deduplicated by content hash), and one delivered twice with new metrics
moves the sums by the difference. The upsert is additive, so concurrent writers never lose a count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crisisdesk.bulk import upsert_add
from crisisdesk.pipeline.events import StoredPost
from crisisdesk.posts.service import PreviousPost
from crisisdesk.reports.models import ChannelDay, ChannelInsight

KEYS = ("day", "platform", "channel", "own")
FIELDS = ("posts", "likes", "shares", "replies", "views", "with_views", "saves", "with_saves")

_days: Table = ChannelDay.__table__  # type: ignore[assignment]
_insights: Table = ChannelInsight.__table__  # type: ignore[assignment]

Key = tuple[date, str, str, bool]


def _add(deltas: dict[Key, list[int]], key: Key, sign: int, likes: int | None, shares: int | None,
         replies: int | None, views: int | None, saves: int | None) -> None:
    row = deltas.setdefault(key, [0] * len(FIELDS))
    for i, value in enumerate((1, likes or 0, shares or 0, replies or 0, views or 0, views is not None,
                               saves or 0, saves is not None)):
        row[i] += sign * int(value)


def deltas(stored: Sequence[StoredPost], previous: Mapping[int, PreviousPost]) -> dict[Key, list[int]]:
    """What a batch of stored posts changes in the rollup, by key (all-zero changes left out)."""
    out: dict[Key, list[int]] = {}
    for s in stored:
        p = s.post
        if p.own and p.visibility == "private":
            continue  # our private answers (chat echoes) are conversation, not what we published
        old = previous.get(s.post_id) if s.action == "updated" else None
        if old is not None:
            _add(out, (old.created_at.date(), p.platform, old.channel or "", old.own), -1,
                 old.likes, old.shares, old.replies, old.views, old.saves)
        _add(out, (p.created_at.date(), p.platform, p.channel or "", p.own), 1,
             p.likes, p.shares, p.replies, p.views, p.saves)
    return {k: v for k, v in out.items() if any(v)}


def record(conn: Connection, stored: Sequence[StoredPost], previous: Mapping[int, PreviousPost],
           now: datetime) -> None:
    """Add a stored batch to the rollup, and our own accounts' follower counts to the insights."""
    changes = deltas(stored, previous)
    if changes:
        day = _day_param(conn)
        upsert_add(conn, _days, KEYS, FIELDS, [(day(k[0]), k[1], k[2], k[3], *v)
                                                for k, v in sorted(changes.items())])
    followers: dict[str, int] = {}
    for s in stored:
        p = s.post
        if p.own and p.author is not None and p.author.followers is not None:
            followers[p.channel or p.platform] = p.author.followers
    for channel, count in sorted(followers.items()):
        record_insight(conn, channel, now.date(), now=now, followers=count)


def record_insight(conn: Connection, channel: str, day: date, *, now: datetime,
                   followers: int | None = None, reach: int | None = None,
                   impressions: int | None = None, engagements: int | None = None) -> None:
    """What a platform reported about our channel for a day (a connector's check or insights call):
    the latest word for the day wins, and a figure it did not give keeps what was known."""
    values: dict[str, Any] = {"channel": channel, "day": day, "followers": followers, "reach": reach,
                              "impressions": impressions, "engagements": engagements, "updated_at": now}
    insert = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(_insights).values(values)
    conn.execute(insert.on_conflict_do_update(
        index_elements=["channel", "day"],
        set_={**{name: func.coalesce(insert.excluded[name], _insights.c[name])
                 for name in ("followers", "reach", "impressions", "engagements")},
              "updated_at": insert.excluded.updated_at},
    ))


def _day_param(conn: Connection) -> Any:
    """A date as the driver takes it (SQLite stores ``YYYY-MM-DD`` text, as SQLAlchemy's Date)."""
    if conn.dialect.name == "sqlite":
        return date.isoformat
    return lambda d: d

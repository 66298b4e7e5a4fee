"""A bounded sample of a monitor's posts in a range, for surging terms and top authors.

Words and authors cannot be rolled up (there are too many of them), so the page reads posts, but
never more than ``limit``: the range is cut into up to ``SLICES`` equal slices and the newest
``limit / slices`` posts of each are read, each slice one range scan of the ``monitor_matches``
primary key (monitor, post_created_at, post_id) walked backwards, then the post and its author by
primary key. Slicing keeps a 30-day sample spread over the 30 days instead of the last few hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import MonitorMatch

_posts: Table = Post.__table__  # type: ignore[assignment]
_authors: Table = Author.__table__  # type: ignore[assignment]
_matches: Table = MonitorMatch.__table__  # type: ignore[assignment]

SLICES = 8


@dataclass(frozen=True, slots=True)
class SampledPost:
    text: str
    platform: str
    author_id: int | None
    handle: str | None
    name: str | None
    followers: int
    verified: bool
    lang: str | None = None


def sample_posts(conn: Connection, monitor_id: int, start: datetime, end: datetime,
                 limit: int) -> list[SampledPost]:
    """At most ``limit`` posts of ``[start, end)``, newest first within each of the slices."""
    if end <= start or limit <= 0:
        return []
    slices = SLICES if (end - start).total_seconds() >= 8 * 3600 else 1
    per_slice = max(limit // slices, 1)
    width = (end - start) / slices
    m = _matches.c
    out: list[SampledPost] = []
    for i in range(slices):
        a = start + i * width
        z = end if i == slices - 1 else start + (i + 1) * width
        keys = (select(m.post_id, m.post_created_at)
                .where(m.monitor_id == monitor_id, m.post_created_at >= a, m.post_created_at < z)
                .order_by(m.post_created_at.desc(), m.post_id.desc()).limit(per_slice).subquery())
        rows = conn.execute(
            select(_posts.c.text, _posts.c.platform, _posts.c.author_id, _authors.c.handle, _authors.c.name,
                   _authors.c.followers, _authors.c.verified, _posts.c.lang)
            .select_from(keys.join(_posts, _posts.c.id == keys.c.post_id)
                         .outerjoin(_authors, _authors.c.id == _posts.c.author_id))
        )
        out.extend(SampledPost(text, platform, author_id, handle, name, followers or 0, bool(verified), lang)
                   for text, platform, author_id, handle, name, followers, verified, lang in rows)
    return out

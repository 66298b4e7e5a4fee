"""Reading and writing posts in bulk: the store behind the pipeline.

Everything here works a batch at a time (one round trip per table per batch), because the import
path must stay close to a raw ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from crisisdesk.bulk import insert_rows, select_by_keys, time_param
from crisisdesk.pipeline.events import AuthorRef, NormalizedPost, PostKey, StoredPost
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import MonitorMatch

_KEY_CHUNK = 400
_posts = cast(Table, Post.__table__)
_authors = cast(Table, Author.__table__)
_matches = cast(Table, MonitorMatch.__table__)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_ignoring_conflicts(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = (pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table))
    conn.execute(stmt.on_conflict_do_nothing(), rows)


def known_hashes(conn: Connection, keys: Sequence[PostKey]) -> dict[PostKey, str]:
    """Content hashes of the posts among ``keys`` that are already stored."""
    return {key: row[0] for key, row in select_by_keys(conn, _posts, ("content_hash",), keys).items()}


def _author_ids(conn: Connection, authors: Sequence[AuthorRef], now: datetime) -> dict[PostKey, int]:
    """Ids of the batch's authors, creating the missing ones and refreshing changed profiles."""
    latest: dict[PostKey, AuthorRef] = {}
    for a in authors:
        latest[(a.platform, a.external_id)] = a
    if not latest:
        return {}
    columns = ("id", "handle", "name", "followers", "verified")
    existing = select_by_keys(conn, _authors, columns, latest)
    inserted = [key for key in latest if key not in existing]
    fresh = set(inserted)
    if inserted:
        t = time_param(conn)
        stamp = t(now)
        rows = insert_rows(conn, _authors, _AUTHOR_COLUMNS, [
            (a.platform, a.external_id, a.handle, a.name, a.followers, a.verified, stamp, stamp)
            for a in (latest[key] for key in inserted)
        ], returning=("platform", "external_id", "id"), ignore_conflicts=True)
        for platform, external_id, author_id in rows:
            existing[(platform, external_id)] = (author_id,)
        lost = [key for key in inserted if key not in existing]  # inserted meanwhile by another writer
        if lost:
            existing.update(select_by_keys(conn, _authors, columns, lost))
    changed = [
        {"b_id": existing[key][0], "handle": a.handle, "name": a.name, "followers": a.followers,
         "verified": a.verified, "last_seen": now}
        for key, a in latest.items()
        if key in existing and key not in fresh
        and existing[key][1:] != (a.handle, a.name, a.followers, a.verified)
    ]
    if changed:
        conn.execute(
            update(_authors).where(_authors.c.id == bindparam("b_id")).values(
                handle=bindparam("handle"), name=bindparam("name"), followers=bindparam("followers"),
                verified=bindparam("verified"), last_seen=bindparam("last_seen")),
            changed,
        )
    return {key: v[0] for key, v in existing.items()}


_POST_COLUMNS = (
    "platform", "external_id", "kind", "created_at", "text", "lang", "url", "in_reply_to",
    "conversation_id", "channel", "author_id", "likes", "shares", "replies", "views", "raw",
    "content_hash", "version", "ingested_at", "updated_at",
)
_MATCH_COLUMNS = ("monitor_id", "post_id", "post_created_at")
_AUTHOR_COLUMNS = ("platform", "external_id", "handle", "name", "followers", "verified", "first_seen",
                   "last_seen")


def _row(p: NormalizedPost, author_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "platform": p.platform, "external_id": p.external_id, "kind": p.kind,
        "created_at": p.created_at, "text": p.text, "lang": p.lang, "url": p.url,
        "in_reply_to": p.in_reply_to, "conversation_id": p.conversation_id, "channel": p.channel,
        "author_id": author_id, "likes": p.likes, "shares": p.shares, "replies": p.replies,
        "views": p.views, "raw": p.raw, "content_hash": p.content_hash, "version": 1,
        "ingested_at": now, "updated_at": now,
    }


def _post_ids(conn: Connection, keys: Sequence[PostKey]) -> dict[PostKey, int]:
    return {key: row[0] for key, row in select_by_keys(conn, _posts, ("id",), keys).items()}


def write_posts(
    conn: Connection,
    new: Sequence[NormalizedPost],
    changed: Sequence[NormalizedPost],
    monitor_ids: Mapping[str, int],
    now: datetime,
) -> list[StoredPost]:
    """Insert new posts, update changed ones, and (re)write their monitor matches."""
    authors = [p.author for p in (*new, *changed) if p.author is not None]
    author_ids = _author_ids(conn, authors, now)

    def aid(p: NormalizedPost) -> int | None:
        return author_ids.get((p.author.platform, p.author.external_id)) if p.author else None

    t = time_param(conn)
    stored: list[StoredPost] = []
    created_at = {p.key: t(p.created_at) for p in (*new, *changed)}  # converted once, used twice
    if new:
        # Ids come back by key, not by position: neither database promises RETURNING order.
        stamp = t(now)
        returned = insert_rows(conn, _posts, _POST_COLUMNS, [
            (p.platform, p.external_id, p.kind, created_at[p.key], p.text, p.lang, p.url, p.in_reply_to,
             p.conversation_id, p.channel, aid(p), p.likes, p.shares, p.replies, p.views, p.raw,
             p.content_hash, 1, stamp, stamp)
            for p in new
        ], returning=("platform", "external_id", "id"))
        new_ids = {(platform, external_id): post_id for platform, external_id, post_id in returned}
        stored.extend(StoredPost(p, new_ids[p.key], "created") for p in new)
    if changed:
        ids = _post_ids(conn, [p.key for p in changed])
        rows = []
        for p in changed:
            row = _row(p, aid(p), now)
            del row["ingested_at"], row["version"], row["platform"], row["external_id"]
            row["b_id"] = ids[p.key]
            rows.append(row)
        conn.execute(
            update(_posts).where(_posts.c.id == bindparam("b_id"))
            .values({k: bindparam(k) for k in rows[0] if k != "b_id"} | {"version": _posts.c.version + 1}),
            rows,
        )
        changed_ids = [ids[p.key] for p in changed]
        for chunk in _chunks(changed_ids, _KEY_CHUNK):
            conn.execute(delete(_matches).where(_matches.c.post_id.in_(chunk)))
        stored.extend(StoredPost(p, ids[p.key], "updated") for p in changed)
    insert_rows(conn, _matches, _MATCH_COLUMNS, [
        (monitor_ids[name], s.post_id, created_at[s.post.key])
        for s in stored if s.post.monitors for name in s.post.monitors if name in monitor_ids
    ])
    return stored


def count_posts(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_posts)).scalar_one())

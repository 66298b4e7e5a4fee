"""Reading and writing posts in bulk: the store behind the pipeline.

Everything here works a batch at a time (one round trip per table per batch), because the import
path must stay close to a raw ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

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
    out: dict[PostKey, str] = {}
    unique = list(dict.fromkeys(keys))
    for chunk in _chunks(unique, _KEY_CHUNK):
        rows = conn.execute(
            select(_posts.c.platform, _posts.c.external_id, _posts.c.content_hash).where(
                tuple_(_posts.c.platform, _posts.c.external_id).in_(chunk)
            )
        )
        for platform, external_id, content_hash in rows:
            out[(platform, external_id)] = content_hash
    return out


def _author_ids(conn: Connection, authors: Sequence[AuthorRef], now: datetime) -> dict[PostKey, int]:
    """Ids of the batch's authors, creating the missing ones and refreshing changed profiles."""
    latest: dict[PostKey, AuthorRef] = {}
    for a in authors:
        latest[(a.platform, a.external_id)] = a
    if not latest:
        return {}
    keys = list(latest)
    existing: dict[PostKey, tuple[int, str | None, str | None, int | None, bool | None]] = {}
    for chunk in _chunks(keys, _KEY_CHUNK):
        rows = conn.execute(
            select(_authors.c.platform, _authors.c.external_id, _authors.c.id, _authors.c.handle,
                   _authors.c.name, _authors.c.followers, _authors.c.verified)
            .where(tuple_(_authors.c.platform, _authors.c.external_id).in_(chunk))
        )
        for r in rows:
            existing[(r[0], r[1])] = (r[2], r[3], r[4], r[5], r[6])
    missing = [
        {"platform": a.platform, "external_id": a.external_id, "handle": a.handle, "name": a.name,
         "followers": a.followers, "verified": a.verified, "first_seen": now, "last_seen": now}
        for key, a in latest.items() if key not in existing
    ]
    _insert_ignoring_conflicts(conn, _authors, missing)
    inserted = {(m["platform"], m["external_id"]) for m in missing}
    if missing:
        for chunk in _chunks([(m["platform"], m["external_id"]) for m in missing], _KEY_CHUNK):
            new_rows = conn.execute(
                select(_authors.c.platform, _authors.c.external_id, _authors.c.id)
                .where(tuple_(_authors.c.platform, _authors.c.external_id).in_(chunk))
            )
            for platform, external_id, author_id in new_rows:
                existing[(platform, external_id)] = (author_id, None, None, None, None)
    changed = [
        {"b_id": existing[key][0], "handle": a.handle, "name": a.name, "followers": a.followers,
         "verified": a.verified, "last_seen": now}
        for key, a in latest.items()
        if key in existing and key not in inserted
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


def _row(p: NormalizedPost, author_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "platform": p.platform, "external_id": p.external_id, "kind": p.kind,
        "created_at": p.created_at, "text": p.text, "lang": p.lang, "url": p.url,
        "in_reply_to": p.in_reply_to, "conversation_id": p.conversation_id, "channel": p.channel,
        "author_id": author_id, "likes": p.likes, "shares": p.shares, "replies": p.replies,
        "views": p.views, "raw": p.raw, "content_hash": p.content_hash, "version": 1,
        "ingested_at": now, "updated_at": now,
    }


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

    stored: list[StoredPost] = []
    if new:
        result = conn.execute(
            insert(_posts).returning(_posts.c.id, sort_by_parameter_order=True),
            [_row(p, aid(p), now) for p in new],
        )
        stored.extend(StoredPost(p, post_id, "created") for p, (post_id,) in zip(new, result, strict=True))
    if changed:
        ids: dict[PostKey, int] = {}
        for chunk in _chunks([p.key for p in changed], _KEY_CHUNK):
            for platform, external_id, post_id in conn.execute(
                select(_posts.c.platform, _posts.c.external_id, _posts.c.id)
                .where(tuple_(_posts.c.platform, _posts.c.external_id).in_(chunk))
            ):
                ids[(platform, external_id)] = post_id
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
    match_rows = [
        {"monitor_id": monitor_ids[name], "post_id": s.post_id, "post_created_at": s.post.created_at}
        for s in stored for name in s.post.monitors if name in monitor_ids
    ]
    if match_rows:
        conn.execute(insert(_matches), match_rows)
    return stored


def count_posts(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_posts)).scalar_one())

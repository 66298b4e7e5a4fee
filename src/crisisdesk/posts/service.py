"""Reading and writing posts in bulk: the store behind the pipeline.

Everything here works a batch at a time (one round trip per table per batch), because the import
path must stay close to a raw ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table, bindparam, delete, func, select, update
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


def known_hashes(conn: Connection, keys: Sequence[PostKey]) -> dict[PostKey, str]:
    """Content hashes of the posts among ``keys`` that are already stored."""
    return {key: row[0] for key, row in select_by_keys(conn, _posts, ("content_hash",), keys).items()}


#: An author as the store knows it: (id, handle, name, followers, verified).
AuthorRow = tuple[int, str | None, str | None, int | None, bool | None]


class AuthorCache:
    """Ids and profiles of authors this process has written or read, bounded in size.

    Busy authors post again and again in a crisis; without the cache each batch would look them
    up again. Entries are only added after a commit (:meth:`remember`), so an id from a rolled-back
    transaction never leaks into a later batch. Ids never change, so another writer can at worst
    make a cached profile stale, which costs one redundant profile update.
    """

    def __init__(self, max_size: int = 50_000) -> None:
        self.max_size = max_size
        self._rows: dict[PostKey, AuthorRow] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: PostKey) -> AuthorRow | None:
        return self._rows.get(key)

    def remember(self, rows: Mapping[PostKey, AuthorRow]) -> None:
        self._rows.update(rows)
        if len(self._rows) > self.max_size:  # drop the oldest half: cheap, and keeps recent authors
            for key in list(self._rows)[: len(self._rows) // 2]:
                del self._rows[key]


def _author_rows(
    conn: Connection, authors: Sequence[AuthorRef], now: datetime, cache: AuthorCache | None,
    created: set[PostKey] | None = None,
) -> dict[PostKey, AuthorRow]:
    """Rows of the batch's authors: creates the missing ones (their keys go to ``created``) and
    refreshes changed profiles."""
    latest: dict[PostKey, AuthorRef] = {}
    for a in authors:
        latest[(a.platform, a.external_id)] = a
    if not latest:
        return {}
    known: dict[PostKey, AuthorRow] = {}
    unknown: list[PostKey] = []
    for key in latest:
        row = cache.get(key) if cache is not None else None
        if row is None:
            unknown.append(key)
        else:
            known[key] = row
    columns = ("id", "handle", "name", "followers", "verified")
    if unknown:
        known.update(select_by_keys(conn, _authors, columns, unknown))
    missing = [key for key in latest if key not in known]
    if missing:
        stamp = time_param(conn)(now)
        rows = insert_rows(conn, _authors, _AUTHOR_COLUMNS, [
            (a.platform, a.external_id, a.handle, a.name, a.followers, a.verified, stamp, stamp)
            for a in (latest[key] for key in missing)
        ], returning=("platform", "external_id", "id"), ignore_conflicts=True)
        for platform, external_id, author_id in rows:
            a = latest[(platform, external_id)]
            known[(platform, external_id)] = (author_id, a.handle, a.name, a.followers, a.verified)
            if created is not None:
                created.add((platform, external_id))
        lost = [key for key in missing if key not in known]  # inserted meanwhile by another writer
        if lost:
            known.update(select_by_keys(conn, _authors, columns, lost))
    changed = []
    for key, a in latest.items():
        row = known[key]
        profile = (a.handle, a.name, a.followers, a.verified)
        if row[1:] != profile:
            changed.append({"b_id": row[0], "handle": a.handle, "name": a.name,
                            "followers": a.followers, "verified": a.verified, "updated_at": now})
            known[key] = (row[0], *profile)
    if changed:
        conn.execute(
            update(_authors).where(_authors.c.id == bindparam("b_id")).values(
                handle=bindparam("handle"), name=bindparam("name"), followers=bindparam("followers"),
                verified=bindparam("verified"), updated_at=bindparam("updated_at")),
            changed,
        )
    return known


_POST_COLUMNS = (
    "platform", "external_id", "kind", "created_at", "text", "lang", "url", "in_reply_to",
    "conversation_id", "channel", "author_id", "likes", "shares", "replies", "views", "raw",
    "content_hash", "version", "ingested_at", "updated_at", "sentiment", "sentiment_score", "insult",
    "insult_score", "insult_kind", "complaint_types", "visibility", "attachments", "delivery_id", "own",
    "saves",
)
_MATCH_COLUMNS = ("monitor_id", "post_id", "post_created_at")
_AUTHOR_COLUMNS = ("platform", "external_id", "handle", "name", "followers", "verified", "first_seen",
                   "updated_at")


def _analysis(p: NormalizedPost) -> tuple[Any, ...]:
    """The analysis columns from the enrich stage's facts (all None when analysis is off)."""
    e = p.enrichment
    if not e:
        return (None, None, None, None, None, None)
    s = e.get("sentiment") or {}
    i = e.get("insult") or {}
    types = e.get("complaint_types")
    return (s.get("label"), s.get("score"), i.get("label"), i.get("score"), i.get("kind"),
            None if types is None else orjson.dumps(types).decode())


_ANALYSIS_COLUMNS = ("sentiment", "sentiment_score", "insult", "insult_score", "insult_kind",
                     "complaint_types")


def _row(p: NormalizedPost, author_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "platform": p.platform, "external_id": p.external_id, "kind": p.kind,
        "created_at": p.created_at, "text": p.text, "lang": p.lang, "url": p.url,
        "in_reply_to": p.in_reply_to, "conversation_id": p.conversation_id, "channel": p.channel,
        "author_id": author_id, "likes": p.likes, "shares": p.shares, "replies": p.replies,
        "views": p.views, "raw": p.raw, "content_hash": p.content_hash, "version": 1,
        "ingested_at": now, "updated_at": now, **dict(zip(_ANALYSIS_COLUMNS, _analysis(p), strict=True)),
        "visibility": p.visibility, "attachments": p.attachments, "delivery_id": p.delivery_id,
        "own": p.own or None, "saves": p.saves,
    }


@dataclass(slots=True)
class WriteResult:
    stored: list[StoredPost]
    authors: dict[PostKey, AuthorRow]
    #: Authors seen for the first time (detection counts new vs returning authors).
    new_authors: set[PostKey] = field(default_factory=set)
    #: The stored version an update replaced, by post id (what analytics' rollup takes back).
    previous: dict[int, PreviousPost] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PreviousPost:
    """What the rollup of our channels counted of a post before its update."""

    created_at: datetime
    channel: str | None
    own: bool
    likes: int | None
    shares: int | None
    replies: int | None
    views: int | None
    saves: int | None = None


_PREVIOUS = ("id", "created_at", "channel", "own", "likes", "shares", "replies", "views", "saves")


def _previous(conn: Connection, keys: Sequence[PostKey]) -> dict[PostKey, tuple[Any, ...]]:
    return select_by_keys(conn, _posts, _PREVIOUS, keys)


def write_posts(
    conn: Connection,
    new: Sequence[NormalizedPost],
    changed: Sequence[NormalizedPost],
    monitor_ids: Mapping[str, int],
    now: datetime,
    authors: AuthorCache | None = None,
) -> WriteResult:
    """Insert new posts, update changed ones, and (re)write their monitor matches.

    Call ``authors.remember(result.authors)`` after the transaction commits.
    """
    new_authors: set[PostKey] = set()
    author_rows = _author_rows(
        conn, [p.author for p in (*new, *changed) if p.author is not None], now, authors, new_authors
    )

    def aid(p: NormalizedPost) -> int | None:
        return author_rows[(p.author.platform, p.author.external_id)][0] if p.author else None

    t = time_param(conn)
    stored: list[StoredPost] = []
    created_at = {p.key: t(p.created_at) for p in (*new, *changed)}  # converted once, used twice
    if new:
        # Ids come back by key, not by position: neither database promises RETURNING order.
        stamp = t(now)
        returned = insert_rows(conn, _posts, _POST_COLUMNS, [
            (p.platform, p.external_id, p.kind, created_at[p.key], p.text, p.lang, p.url, p.in_reply_to,
             p.conversation_id, p.channel, aid(p), p.likes, p.shares, p.replies, p.views, p.raw,
             p.content_hash, 1, stamp, stamp, *_analysis(p), p.visibility,
             None if p.attachments is None else orjson.dumps(p.attachments).decode(), p.delivery_id,
             p.own or None, p.saves)
            for p in new
        ], returning=("platform", "external_id", "id"))
        new_ids = {(platform, external_id): post_id for platform, external_id, post_id in returned}
        stored.extend(StoredPost(p, new_ids[p.key], "created") for p in new)
    previous: dict[int, PreviousPost] = {}
    if changed:
        old = _previous(conn, [p.key for p in changed])
        ids = {key: row[0] for key, row in old.items()}
        for post_id, at, channel, own, likes, shares, replies, views, saves in old.values():
            previous[post_id] = PreviousPost(_aware(at), channel, bool(own), likes, shares, replies, views,
                                             saves)
        rows = []
        for p in changed:
            _keep_counts(p, old[p.key])
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
    return WriteResult(stored, author_rows, new_authors, previous)


def _keep_counts(p: NormalizedPost, stored: tuple[Any, ...]) -> None:
    """A new version that does not give a count keeps the stored one: an edit delivered by a
    webhook without counts (Meta's) must not erase what the platform's list answer reported."""
    _id, _at, _channel, _own, likes, shares, replies, views, saves = stored
    p.likes = likes if p.likes is None else p.likes
    p.shares = shares if p.shares is None else p.shares
    p.replies = replies if p.replies is None else p.replies
    p.views = views if p.views is None else p.views
    p.saves = saves if p.saves is None else p.saves


def _aware(at: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite's Core reads give naive text or datetimes)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def count_posts(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_posts)).scalar_one())


def mark_deleted(conn: Connection, deletions: Iterable[tuple[PostKey, datetime]], now: datetime) -> int:
    """Mark stored posts as deleted on their platform, at the time the platform gave.

    The row and its text stay: what was said is part of the record, and the post still counts for
    the history (volumes, situations) it was part of. A post marked before keeps its first time, so
    a redelivered deletion changes nothing; a deletion of a post never stored is no error (it may
    predate the channel, or be of an item that never became a post). Returns how many of the
    deletions named a stored post.
    """
    first: dict[PostKey, datetime] = {}
    for key, at in deletions:
        first[key] = min(at, first.get(key, at))
    if not first:
        return 0
    stored = select_by_keys(conn, _posts, ("id", "deleted_at"), list(first))
    rows = [{"b_id": post_id, "deleted_at": first[key], "updated_at": now}
            for key, (post_id, deleted_at) in stored.items() if deleted_at is None]
    if rows:
        conn.execute(update(_posts).where(_posts.c.id == bindparam("b_id"))
                     .values(deleted_at=bindparam("deleted_at"), updated_at=bindparam("updated_at")), rows)
    return len(stored)

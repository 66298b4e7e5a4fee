"""The post list: newest first, filtered and searched, paged by key.

Paging is by key, never by offset: the cursor is the last row's ``(created_at, id)`` and the next
page starts strictly below it, so pages neither repeat nor skip posts while new ones arrive, and
page 100 costs what page 1 costs.

Where the keys come from, newest first, without a sort:

* with a monitor: the ``monitor_matches`` primary key (monitor_id, post_created_at, post_id);
* without one: ``ix_posts_created_at`` (SQLite appends the rowid, so it is (created_at, id));
  with a sentiment filter ``ix_posts_sentiment_time`` (sentiment, created_at).

The other filters (language, insult, complaint type, channel, text) are checked on the post row
fetched by primary key. A selective filter could make that walk long (a search term that
appears in no post would read every post), so one page examines at most ``SCAN_LIMIT`` keys: if
it fills up first, fine; if not, it returns what it found with a cursor where it stopped
(``partial``), and the user searches further back with the next page. No text index is needed:
``ILIKE`` on PostgreSQL, a registered ``lower()`` substring function on SQLite (its own ``LIKE``
folds ASCII only, "Ärger" would not find "ärger"); ``%``, ``_`` and quotes are literal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, func, literal, or_, select
from sqlalchemy.engine import Connection

from crisisdesk.dashboards.schemas import PostAuthor, PostPage, PostRow, attachment_list
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import MonitorMatch

_posts: Table = Post.__table__  # type: ignore[assignment]
_authors: Table = Author.__table__  # type: ignore[assignment]
_matches: Table = MonitorMatch.__table__  # type: ignore[assignment]

#: Keys one page examines at most when filters are set.
SCAN_LIMIT = 20_000
MAX_LIMIT = 200
_SQLITE_CONTAINS = "crisisdesk_contains"
_COLUMNS = ("id", "platform", "external_id", "kind", "text", "lang", "url", "author_id", "likes", "shares",
            "replies", "sentiment", "sentiment_score", "insult", "insult_kind", "complaint_types", "channel",
            "conversation_id", "visibility", "attachments", "deleted_at")


class CursorError(ValueError):
    """A cursor that this module did not write."""


def encode_cursor(created_at: datetime, post_id: int) -> str:
    micros = int(created_at.timestamp()) * 1_000_000 + created_at.microsecond
    return f"{micros}.{post_id}"


#: Ids are 64-bit: a cursor naming a larger one was not written here (and would overflow the query).
_MAX_ID = 2**63 - 1


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        micros, post_id = (int(part) for part in cursor.split(".", 1))
        seconds, rest = divmod(micros, 1_000_000)
        at = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)
    except (ValueError, OverflowError, OSError):  # not two numbers, or a time no clock reaches
        raise CursorError(f"not a post-list cursor: {cursor[:40]!r}") from None
    if not 0 < post_id <= _MAX_ID:
        raise CursorError(f"not a post-list cursor: {cursor[:40]!r}")
    return at, post_id


def escape_like(value: str) -> str:
    """``value`` as a literal inside a LIKE pattern with ``ESCAPE '\\'``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(text: str | None, needle: str | None) -> bool:
    return text is not None and needle is not None and needle in text.lower()


def _text_filter(conn: Connection, q: str) -> ColumnElement[bool]:
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection
        raw.create_function(_SQLITE_CONTAINS, 2, _contains, deterministic=True)
        return func.crisisdesk_contains(_posts.c.text, literal(q.lower())) == 1
    return _posts.c.text.ilike(f"%{escape_like(q)}%", escape="\\")


def _key_source(monitor_id: int | None, sentiment: str | None) -> tuple[Table, Any, Any, list[Any]]:
    """(table, time column, id column, fixed conditions) of the index the keys are walked on."""
    if monitor_id is not None:
        return _matches, _matches.c.post_created_at, _matches.c.post_id, [_matches.c.monitor_id == monitor_id]
    fixed = [_posts.c.sentiment == sentiment] if sentiment is not None else []
    return _posts, _posts.c.created_at, _posts.c.id, fixed


def post_list(
    conn: Connection, *, monitor_id: int | None = None, q: str | None = None, lang: str | None = None,
    sentiment: str | None = None, insult: bool | None = None, complaint: str | None = None,
    channel: str | None = None, start: datetime | None = None, end: datetime | None = None,
    cursor: str | None = None, limit: int = 50,
) -> PostPage:
    """One page of posts, newest first, with author and analysis.

    ``q``: case-insensitive substring of the text; ``insult``: True for offensive posts, False for
    the others; ``complaint``: a complaint type name; ``channel``: the platform (as in the channel
    chart). ``cursor``: ``next_cursor`` of the page before. Raises :class:`CursorError` for a
    cursor it did not write.
    """
    limit = min(max(limit, 1), MAX_LIMIT)
    table, at, pid, conditions = _key_source(monitor_id, sentiment)
    if start is not None:
        conditions.append(at >= start)
    if end is not None:
        conditions.append(at < end)
    if cursor:
        c_at, c_id = decode_cursor(cursor)
        conditions += [at <= c_at, or_(at < c_at, and_(at == c_at, pid < c_id))]
    filters: list[ColumnElement[bool]] = []
    if lang:
        filters.append(_posts.c.lang == lang)
    if sentiment is not None and monitor_id is not None:
        filters.append(_posts.c.sentiment == sentiment)
    if insult is not None:
        filters.append(_posts.c.insult == "offense" if insult
                       else or_(_posts.c.insult.is_(None), _posts.c.insult != "offense"))
    if complaint:
        needle = escape_like(json.dumps(complaint, ensure_ascii=False))
        filters.append(_posts.c.complaint_types.like(f"%{needle}%", escape="\\"))
    if channel:
        filters.append(_posts.c.platform == channel)
    if q and q.strip():
        filters.append(_text_filter(conn, q.strip()))
    bound = None
    if filters:
        # The SCAN_LIMIT-th key from here: an index-only walk. The page's walk stops there.
        bound = conn.execute(select(at, pid).select_from(table).where(*conditions)
                             .order_by(at.desc(), pid.desc()).offset(SCAN_LIMIT - 1).limit(1)).first()
    walk = list(conditions)
    if bound is not None:
        walk += [at >= bound[0], or_(at > bound[0], and_(at == bound[0], pid >= bound[1]))]
    source: Any = _posts if table is _posts else _matches.join(_posts, _posts.c.id == _matches.c.post_id)
    query: Select[Any] = (
        select(*(_posts.c[name] for name in _COLUMNS), at.label("key_at"), _authors.c.handle,
               _authors.c.name.label("author_name"), _authors.c.followers, _authors.c.verified)
        .select_from(source.outerjoin(_authors, _authors.c.id == _posts.c.author_id))
        .where(*walk, *filters).order_by(at.desc(), pid.desc()).limit(limit + 1)
    )
    rows = conn.execute(query).all()
    items = [_row(r) for r in rows[:limit]]
    if len(rows) > limit:
        last = rows[limit - 1]
        return PostPage(items=items, next_cursor=encode_cursor(last.key_at, last.id), partial=False,
                        scanned_until=last.key_at)
    if bound is not None:  # the walk stopped at the bound: continue below it
        return PostPage(items=items, next_cursor=encode_cursor(bound[0], bound[1]), partial=True,
                        scanned_until=bound[0])
    return PostPage(items=items, next_cursor=None, partial=False, scanned_until=start)


def complaint_list(stored: str | None) -> list[str]:
    """The complaint types stored as a JSON array (an unreadable value reads as none)."""
    try:
        return [str(t) for t in json.loads(stored)] if stored else []
    except ValueError:
        return []


def _row(r: Any) -> PostRow:
    types = complaint_list(r.complaint_types)
    author = (PostAuthor(handle=r.handle, name=r.author_name, followers=r.followers, verified=r.verified)
              if r.author_id is not None else None)
    return PostRow(
        id=r.id, platform=r.platform, external_id=r.external_id, kind=r.kind, created_at=r.key_at,
        text=r.text, lang=r.lang, url=r.url, author=author, likes=r.likes, shares=r.shares,
        replies=r.replies, sentiment=r.sentiment, sentiment_score=r.sentiment_score, insult=r.insult,
        insult_kind=r.insult_kind, complaint_types=types, channel=r.channel,
        conversation_id=r.conversation_id, visibility=r.visibility,
        attachments=attachment_list(r.attachments), deleted_at=r.deleted_at,
    )

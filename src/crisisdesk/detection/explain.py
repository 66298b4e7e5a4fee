"""Why an alert fired: surging terms, top posts and authors, channels and complaint types that moved.

Computed from the database when a situation opens or changes (rarely), never from posts held in
memory. The terms are :mod:`crisisdesk.detection.terms`: words, phrases and hashtags the window
uses far more than the baseline, in the form people wrote them, and never nothing on a spike.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crisisdesk.detection.terms import Doc, TermMethod, surging
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import MonitorMatch

_posts: Table = Post.__table__  # type: ignore[assignment]
_authors: Table = Author.__table__  # type: ignore[assignment]
_matches: Table = MonitorMatch.__table__  # type: ignore[assignment]

#: At most this many posts of the window and of the baseline are read (the newest).
WINDOW_POSTS, BASELINE_POSTS = 800, 1600


@dataclass
class PostSummary:
    platform: str
    id: str
    text: str
    url: str | None
    author: str | None
    followers: int
    sentiment: str | None
    engagement: int


@dataclass
class AuthorSummary:
    handle: str
    platform: str
    posts: int
    followers: int
    verified: bool


@dataclass
class Explanation:
    """Everything a notification and the situation page show about why.

    ``top_terms``: words and phrases as people wrote them ("Deutsche Bahn", "nie wieder");
    ``terms_method``: how they were found (:class:`TermMethod`); explanations stored before it
    existed have folded single words and no method.
    """

    top_terms: list[str] = field(default_factory=list)
    top_hashtags: list[str] = field(default_factory=list)
    terms_method: str = TermMethod.SURGING.value
    top_posts: list[PostSummary] = field(default_factory=list)
    active_authors: list[AuthorSummary] = field(default_factory=list)
    influential_authors: list[AuthorSummary] = field(default_factory=list)
    channels: dict[str, dict[str, float]] = field(default_factory=dict)
    complaint_types: dict[str, dict[str, float]] = field(default_factory=dict)
    window_posts: int = 0
    baseline_posts: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass
class _Row:
    platform: str
    external_id: str
    text: str
    lang: str | None
    url: str | None
    sentiment: str | None
    complaints: list[str]
    engagement: int
    handle: str | None
    author_key: str | None
    followers: int
    verified: bool


def _read(conn: Connection, monitor_id: int, start: datetime, end: datetime, limit: int) -> list[_Row]:
    rows = conn.execute(
        select(_posts.c.platform, _posts.c.external_id, _posts.c.text, _posts.c.lang, _posts.c.url,
               _posts.c.sentiment,
               _posts.c.complaint_types, _posts.c.likes, _posts.c.shares, _posts.c.replies,
               _authors.c.handle, _authors.c.external_id, _authors.c.followers, _authors.c.verified)
        .select_from(_matches.join(_posts, _posts.c.id == _matches.c.post_id)
                     .outerjoin(_authors, _authors.c.id == _posts.c.author_id))
        .where(_matches.c.monitor_id == monitor_id, _matches.c.post_created_at >= start,
               _matches.c.post_created_at < end)
        .order_by(_matches.c.post_created_at.desc())
        .limit(limit)
    ).all()
    out = []
    for (platform, ext, text, lang, url, sentiment, complaints, likes, shares, replies, handle, author_ext,
         followers, verified) in rows:
        try:
            types = [str(t) for t in json.loads(complaints)] if complaints else []
        except ValueError:
            types = []
        out.append(_Row(platform, ext, text, lang, url, sentiment, types,
                        (likes or 0) + (shares or 0) + (replies or 0), handle or author_ext,
                        f"{platform}:{author_ext}" if author_ext else None, followers or 0,
                        bool(verified)))
    return out


def _shares(window: list[_Row], baseline: list[_Row], key: Any) -> dict[str, dict[str, float]]:
    def dist(rows: list[_Row]) -> Counter[str]:
        c: Counter[str] = Counter()
        for r in rows:
            c.update(key(r))
        return c

    w, b = dist(window), dist(baseline)
    nw, nb = max(len(window), 1), max(len(baseline), 1)
    return {k: {"share": round(w[k] / nw, 3), "baseline_share": round(b.get(k, 0) / nb, 3),
                "posts": float(w[k])} for k, _ in w.most_common(8)}


def explain(conn: Connection, monitor_id: int, start: datetime, end: datetime,
            baseline_start: datetime) -> Explanation:
    """Explain the window ``[start, end)`` of a monitor against ``[baseline_start, start)``."""
    window = _read(conn, monitor_id, start, end, WINDOW_POSTS)
    baseline = _read(conn, monitor_id, baseline_start, start, BASELINE_POSTS)
    found = surging([Doc(r.text, r.lang) for r in window], [Doc(r.text, r.lang) for r in baseline])
    ranked = sorted(window, key=lambda r: (r.followers + r.engagement, r.sentiment == "negative"),
                    reverse=True)
    top_posts = [PostSummary(r.platform, r.external_id, r.text[:280], r.url, r.handle, r.followers,
                             r.sentiment, r.engagement) for r in ranked[:5]]
    authors: dict[str, AuthorSummary] = {}
    for r in window:
        if r.author_key is None:
            continue
        a = authors.get(r.author_key)
        if a is None:
            authors[r.author_key] = AuthorSummary(r.handle or "?", r.platform, 1, r.followers, r.verified)
        else:
            a.posts += 1
    active = sorted(authors.values(), key=lambda a: (a.posts, a.followers), reverse=True)[:5]
    influential = sorted(authors.values(), key=lambda a: (a.followers, a.posts), reverse=True)[:5]
    return Explanation(
        top_terms=found.terms, top_hashtags=found.hashtags, terms_method=found.method.value,
        top_posts=top_posts, active_authors=active,
        influential_authors=[a for a in influential if a.followers > 0],
        channels=_shares(window, baseline, lambda r: [r.platform]),
        complaint_types=_shares(window, baseline, lambda r: r.complaints),
        window_posts=len(window), baseline_posts=len(baseline),
    )

"""One post with everything the post list shows and more: all analysis scores, the monitors that
matched it, the corrections people made, its metrics and its author. A handful of primary-key
and foreign-key reads."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crisisdesk.analysis.models import LabelCorrection
from crisisdesk.dashboards.post_list import complaint_list
from crisisdesk.dashboards.schemas import (
    LabelCorrectionRead,
    PostAnalysis,
    PostAuthorDetail,
    PostDetail,
    PostMetrics,
    attachment_list,
)
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import Monitor, MonitorMatch

_posts: Table = Post.__table__  # type: ignore[assignment]
_authors: Table = Author.__table__  # type: ignore[assignment]
_matches: Table = MonitorMatch.__table__  # type: ignore[assignment]
_monitors: Table = Monitor.__table__  # type: ignore[assignment]
_corrections: Table = LabelCorrection.__table__  # type: ignore[assignment]


def post_detail(conn: Connection, *, platform: str, external_id: str) -> PostDetail | None:
    """The post stored under ``(platform, external_id)``; None when there is none."""
    p = conn.execute(select(_posts).where(_posts.c.platform == platform,
                                          _posts.c.external_id == external_id)).first()
    if p is None:
        return None
    author = None
    if p.author_id is not None:
        a = conn.execute(select(_authors).where(_authors.c.id == p.author_id)).one()
        author = PostAuthorDetail(external_id=a.external_id, handle=a.handle, name=a.name,
                                  followers=a.followers, verified=a.verified)
    monitors = conn.execute(
        select(_monitors.c.name).join(_matches, _matches.c.monitor_id == _monitors.c.id)
        .where(_matches.c.post_id == p.id).order_by(_monitors.c.name)).scalars().all()
    c = _corrections.c
    corrections = [
        LabelCorrectionRead(task=row.task, label=row.label, source=row.source, created_at=row.created_at)
        for row in conn.execute(select(c.task, c.label, c.source, c.created_at)
                                .where(c.post_id == p.id).order_by(c.created_at, c.id))
    ]
    return PostDetail(
        id=p.id, platform=p.platform, external_id=p.external_id, kind=p.kind, created_at=p.created_at,
        text=p.text, lang=p.lang, url=p.url, in_reply_to=p.in_reply_to, conversation_id=p.conversation_id,
        channel=p.channel, author=author,
        metrics=PostMetrics(likes=p.likes, shares=p.shares, replies=p.replies, views=p.views, saves=p.saves),
        analysis=PostAnalysis(sentiment=p.sentiment, sentiment_score=p.sentiment_score, insult=p.insult,
                              insult_score=p.insult_score, insult_kind=p.insult_kind,
                              complaint_types=complaint_list(p.complaint_types)),
        monitors=list(monitors), corrections=corrections, version=p.version, ingested_at=p.ingested_at,
        updated_at=p.updated_at, visibility=p.visibility, attachments=attachment_list(p.attachments),
        deleted_at=p.deleted_at, delivery_id=p.delivery_id,
    )

"""Posts over HTTP: the filtered, keyset-paged list the monitor page shows, and one post in full.

The list is :func:`crisisdesk.dashboards.post_list.post_list`, the monitor page's own: the same
filters mean the same posts on the page and here. Without ``monitor`` it covers every post
(a text search across the whole store).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
from crisisdesk.api.params import bad_param, check_span
from crisisdesk.api.schemas import PostList, errors
from crisisdesk.core.fields import IsoDateTime
from crisisdesk.dashboards.post_detail import post_detail
from crisisdesk.dashboards.post_list import MAX_LIMIT, CursorError, post_list
from crisisdesk.dashboards.schemas import PostDetail
from crisisdesk.posts.schemas import Platform
from crisisdesk.runtime import Runtime
from crisisdesk.sources.models import Monitor

Sentiment = Literal["negative", "neutral", "positive"]


def posts_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["posts"], dependencies=[Depends(require(Permission.VIEW))])

    @router.get("/posts", response_model=PostList, summary="Posts, newest first, filtered and paged",
                responses=errors(e422="A filter value is not valid; `loc` names the parameter."))
    def list_posts(
        q: Annotated[str | None, Query(max_length=500, description=(
            "Case-insensitive substring of the text; `%`, `_` and quotes are literal. Searches every "
            "post unless `monitor` is given."))] = None,
        monitor: Annotated[str | None, Query(max_length=120, description="A monitor's name: its posts only.")]
        = None,
        platform: Annotated[Platform | None, Query()] = None,
        lang: Annotated[str | None, Query(max_length=16, description="Language code, e.g. `de`.")] = None,
        sentiment: Annotated[Sentiment | None, Query()] = None,
        insult: Annotated[bool | None, Query(description="true: offensive posts only; false: the others.")]
        = None,
        complaint_type: Annotated[str | None, Query(max_length=120, description=(
            "A complaint type of the workspace's taxonomy, e.g. `delivery_delay`."))] = None,
        since: Annotated[IsoDateTime | None, Query(description="Posts created at or after (ISO 8601; UTC "
                                                             "when no offset is given).")] = None,
        until: Annotated[IsoDateTime | None, Query(description="Posts created before (exclusive).")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(max_length=64, description="`next` of the page before.")] = None,
    ) -> PostList:
        """Pages by key, never by offset: following `next` visits every matching post exactly once,
        even while new posts arrive (they appear on a fresh first page)."""
        start, end = check_span(since, until)
        taxonomy = runtime.workspace.config.analysis.complaint_types or DEFAULT_TAXONOMY
        names = [t.name for t in taxonomy]
        if complaint_type is not None and complaint_type not in names:
            raise bad_param("complaint_type", f"unknown complaint type; use one of: {', '.join(names)}",
                            complaint_type)
        with runtime.engine.connect() as conn:
            monitor_id = None
            if monitor is not None:
                monitor_id = conn.execute(select(Monitor.id).where(Monitor.name == monitor)).scalar()
                if monitor_id is None:
                    raise bad_param("monitor", "no monitor of that name", monitor)
            try:
                page = post_list(conn, monitor_id=monitor_id, q=q, lang=lang or None, sentiment=sentiment,
                                 insult=insult, complaint=complaint_type,
                                 channel=platform.value if platform else None, start=start, end=end,
                                 cursor=cursor or None, limit=limit)
            except CursorError as exc:
                raise bad_param("cursor", str(exc), cursor) from exc
        return PostList(items=page.items, next=page.next_cursor, partial=page.partial)

    # ``:path``: a platform's id may hold slashes (a news article's URL), sent encoded or not.
    @router.get("/posts/{platform}/{external_id:path}", response_model=PostDetail,
                summary="One post with its analysis, monitors, corrections, metrics and author",
                responses=errors(e404="No post with that platform and id."))
    def get_post(platform: str, external_id: str) -> PostDetail:
        with runtime.engine.connect() as conn:
            found = post_detail(conn, platform=platform, external_id=external_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no post {platform}:{external_id}")
        return found

    return router

"""The audit log over HTTP, for admins: a page as JSON, or everything matching as CSV or JSON Lines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import accounts_config, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.audit.schemas import AuditFilter, AuditPage
from crisisdesk.audit.service import export_csv, export_jsonl, iter_entries, query
from crisisdesk.core.fields import Id, IsoDateTime


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["audit"])

    @router.get("/audit", response_model=AuditPage, summary="The audit log (admins)",
                responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
    def audit(
        request: Request,
        _: Annotated[Principal, Depends(require(Permission.VIEW_AUDIT))],
        actor: str | None = None,
        actor_user_id: Id | None = None,
        action: Annotated[str | None, Query(description="Exact, or a prefix ending in '.' (user.)")] = None,
        target_type: str | None = None,
        target_id: str | None = None,
        since: IsoDateTime | None = None,
        until: IsoDateTime | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        before_id: Annotated[Id | None, Query(description="From next_before_id of the previous page")]
        = None,
        export: Annotated[Literal["json", "csv", "jsonl"], Query(
            alias="format", description="csv or jsonl: every matching entry, oldest first, streamed "
                                        "(limit and before_id do not apply)")] = "json",
    ) -> AuditPage | StreamingResponse:
        """Newest first; filters combine. Times are ISO 8601 (give an offset, e.g. Z)."""
        filters = AuditFilter(actor=actor, actor_user_id=actor_user_id, action=action,
                              target_type=target_type, target_id=target_id, since=since, until=until)
        engine = accounts_config(request).engine
        if export == "csv":
            return StreamingResponse(export_csv(iter_entries(engine, filters)), media_type="text/csv",
                                     headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
        if export == "jsonl":
            return StreamingResponse(export_jsonl(iter_entries(engine, filters)),
                                     media_type="application/x-ndjson",
                                     headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})
        with Session(engine) as session:
            return query(session, filters, limit=limit, before_id=before_id)

    return router

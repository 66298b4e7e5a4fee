"""Crises over HTTP (permission view): the list, open first, and one crisis with its situations,
why each joined, and the timeline of their events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.api.schemas import errors
from crisisdesk.core.fields import Id
from crisisdesk.crises.service import get_crisis, list_crises
from crisisdesk.runtime import Runtime


def crises_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["crises"])

    @router.get("/api/v1/crises", dependencies=[Depends(require(Permission.VIEW))], summary="Crises",
                responses=errors())
    def list_(crisis_status: Annotated[str | None, Query(alias="status", pattern="^(open|resolved)$")]
              = None) -> list[dict[str, Any]]:
        """Open crises first, then the newest; each with its severity, monitors and situations."""
        with Session(runtime.engine) as session:
            return list_crises(session, status=crisis_status)

    @router.get("/api/v1/crises/{crisis_id}", dependencies=[Depends(require(Permission.VIEW))],
                responses=errors(e404="No crisis with that id."),
                summary="One crisis with its situations (and why each joined) and their timeline")
    def detail(crisis_id: Id) -> dict[str, Any]:
        with Session(runtime.engine) as session:
            found = get_crisis(session, crisis_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no crisis {crisis_id}")
        return found

    return router

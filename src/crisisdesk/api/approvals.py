"""``/api/v1/approvals``: public replies held by a crisis's approval gate, and the spokespersons'
decisions on them (approve as written, approve an edited text, reject with a comment).

Needs ``approve_replies``; when the crisis's type names spokespersons, only they decide (403 for
anyone else with the permission). A decision is taken once: the second answer is 409. See
docs/crises.md, "Approval of public replies".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.channels.outbox import MAX_TEXT
from crisisdesk.core.fields import Id, Text
from crisisdesk.crises import approval
from crisisdesk.runtime import Runtime

Approver = Annotated[Principal, Depends(require(Permission.APPROVE_REPLIES))]


class ApprovalOut(BaseModel):
    id: int = Field(description="The outbox item (the held reply).")
    channel: str
    action: str
    text: str
    author: str = Field(description="Who wrote it (their e-mail, or system for a rule's reply).")
    created_at: datetime
    status: str = Field(description="awaiting_approval, then queued/sending/sent once approved, or rejected.")
    approval_state: str | None = Field(description="pending, approved or rejected.")
    findings: list[dict[str, Any]] = Field(description="The reply check's findings when it was held "
                                           "(code, message, start, end, suggestion, lang).")
    approved_by: str | None
    approved_at: datetime | None
    comment: str | None = Field(description="The reason given with a rejection.")
    conversation: dict[str, Any] | None = Field(description="id, subject, channel.")
    crisis: dict[str, Any] | None = Field(description="id, title, severity, type.")


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text | None = Field(default=None, min_length=1, max_length=MAX_TEXT,
                             description="The reply as edited by the approver; left out: as written.")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Text = Field(min_length=1, max_length=approval.MAX_COMMENT,
                         description="Why, for the author (shown in the conversation).")


def approvals_router(runtime: Runtime, *, queued: Any = None) -> APIRouter:
    router = APIRouter(tags=["crises"])

    def decide(principal: Principal, act: Any) -> ApprovalOut:
        gate = runtime.approval_gate()
        email = principal.email
        try:
            with Session(runtime.engine) as session, session.begin():
                item = act(session, gate, email)
                out = ApprovalOut.model_validate(approval.describe(session, item))
        except approval.ApprovalError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return out

    @router.get("/api/v1/approvals", response_model=list[ApprovalOut], responses=errors(),
                summary="Public replies awaiting a spokesperson's approval, oldest first")
    def queue(principal: Approver) -> list[ApprovalOut]:
        with Session(runtime.engine) as session:
            return [ApprovalOut.model_validate(row) for row in approval.pending(session)]

    @router.post("/api/v1/approvals/{item_id}/approve", response_model=ApprovalOut,
                 responses=errors(403, 404, 409),
                 summary="Approve a held reply (optionally with an edited text); it is sent now")
    def approve(item_id: Id, principal: Approver, body: ApproveIn | None = None) -> ApprovalOut:
        """403: the crisis's type names spokespersons and you are not one; 404: no held reply with
        that id; 409: it was approved or rejected already."""
        out = decide(principal, lambda session, gate, email: approval.approve(
            session, item_id, gate, actor=principal.actor, email=email,
            can_approve=principal.can(Permission.APPROVE_REPLIES), now=runtime.runner.clock.now(),
            text=body.text if body is not None else None))
        if queued is not None:
            queued()
        return out

    @router.post("/api/v1/approvals/{item_id}/reject", response_model=ApprovalOut,
                 responses=errors(403, 404, 409), summary="Reject a held reply with a comment for its author")
    def reject(item_id: Id, body: RejectIn, principal: Approver) -> ApprovalOut:
        """403: not one of the crisis's spokespersons; 404: no held reply with that id; 409: decided
        already. The reply is never sent."""
        return decide(principal, lambda session, gate, email: approval.reject(
            session, item_id, gate, actor=principal.actor, email=email,
            can_approve=principal.can(Permission.APPROVE_REPLIES), now=runtime.runner.clock.now(),
            comment=body.comment))

    return router

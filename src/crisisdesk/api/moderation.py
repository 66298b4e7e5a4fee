"""``/api/v1/moderation/reviews``: what inbox rules hid, waiting for a person's decision.

Confirming keeps the item hidden; restoring queues an unhide through the outbox. Either way the
decision is a label correction of the insult classifier (``crisisdesk retrain`` learns from it)
and an audit entry with the rule and the classifier's score. Needs the permission ``moderate``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
from crisisdesk.api.responses import errors
from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.channels import outbox
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outgoing import Action
from crisisdesk.core.fields import Id
from crisisdesk.inbox.models import ModerationReview, ReviewStatus
from crisisdesk.posts.models import Author, Post
from crisisdesk.runtime import Runtime
from crisisdesk.training.corrections import Correction, correct

Moderator = Annotated[Principal, Depends(require(Permission.MODERATE))]


class ReviewOut(BaseModel):
    id: int
    post_id: int
    platform: str
    external_id: str
    text: str
    author: str | None
    conversation_id: int | None
    rule: str
    score: float | None
    status: ReviewStatus
    hidden: str | None  # the hide call's outbox state
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "restore"]


def review_out(session: Session, r: ModerationReview) -> ReviewOut:
    """One review as the API and the review page show it."""
    post = session.get(Post, r.post_id)
    assert post is not None
    author = session.get(Author, post.author_id) if post.author_id else None
    hide = session.get(OutboxItem, r.outbox_id)
    return ReviewOut(
        id=r.id,
        post_id=r.post_id,
        platform=post.platform,
        external_id=post.external_id,
        text=post.text,
        author=(author.name or author.handle) if author else None,
        conversation_id=r.conversation_id,
        rule=r.rule,
        score=r.score,
        status=ReviewStatus(r.status),
        hidden=hide.status if hide else None,
        created_at=r.created_at,
        decided_at=r.decided_at,
        decided_by=r.decided_by,
    )


def moderation_router(runtime: Runtime, *, queued: object = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1/moderation/reviews", tags=["inbox"])

    @router.get("", response_model=list[ReviewOut], summary="Items rules hid, newest first")
    def reviews(principal: Moderator, state: ReviewStatus = ReviewStatus.PENDING) -> list[ReviewOut]:
        with Session(runtime.engine) as session:
            rows = session.scalars(
                select(ModerationReview)
                .where(ModerationReview.status == state.value)
                .order_by(ModerationReview.id.desc())
                .limit(200)
            )
            return [review_out(session, r) for r in rows]

    @router.post(
        "/{review_id}",
        response_model=ReviewOut,
        responses=errors(404, 409),
        summary="Confirm (stays hidden) or restore (shown again) what a rule hid",
    )
    def decide(review_id: Id, body: DecisionIn, principal: Moderator) -> ReviewOut:
        decide_review(runtime, review_id, body.decision, actor=principal.actor, queued=queued)
        with Session(runtime.engine) as session:
            found = session.get(ModerationReview, review_id)
            assert found is not None
            return review_out(session, found)

    return router


def decide_review(runtime: Runtime, review_id: int, decision: Literal["confirm", "restore"], *, actor: Actor,
                  queued: object = None) -> None:
    """Confirm or restore what a rule hid, as ``actor``: the review's decision and its audit entry in
    one transaction, then the label correction; a restore queues the unhide. One path for the API
    and the demo's simulated team. Raises HTTPException: 404 unknown review, 409 decided already."""
    now = runtime.runner.clock.now()
    with Session(runtime.engine) as session, session.begin():
        review = session.get(ModerationReview, review_id)
        if review is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no moderation review {review_id}")
        if review.status != ReviewStatus.PENDING:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"review {review_id} was decided already ({review.status} by {review.decided_by})",
            )
        post = session.get(Post, review.post_id)
        hide = session.get(OutboxItem, review.outbox_id)
        assert post is not None
        if decision == "restore":
            if hide is None:
                raise HTTPException(
                    status.HTTP_409_CONFLICT, "the hide call is gone; restore on the platform"
                )
            try:
                item, _ = outbox.enqueue(
                    session,
                    outbox.OutboundRequest(
                        channel=hide.channel,
                        action=Action.UNHIDE,
                        post_id=post.id,
                        idempotency_key=f"restore-{review.id}-{uuid.uuid4().hex[:8]}",
                    ),
                    connectors=runtime.connectors(),
                    actor=actor,
                    now=now,
                )
            except outbox.OutboxError as exc:
                raise HTTPException(exc.status, str(exc)) from None
            review.restore_outbox_id = item.id
        review.status = (
            ReviewStatus.RESTORED if decision == "restore" else ReviewStatus.CONFIRMED
        ).value
        review.decided_at = now
        review.decided_by = actor.label
        record(
            session,
            actor=actor,
            action=AuditAction.MODERATION_DECIDED,
            at=now,
            target_type="post",
            target_id=post.id,
            after={
                "decision": decision,
                "rule": review.rule,
                "score": review.score,
                "platform": post.platform,
                "external_id": post.external_id,
            },
        )
        platform, external_id = post.platform, post.external_id
    taxonomy = runtime.workspace.config.analysis.complaint_types or DEFAULT_TAXONOMY
    correct(
        runtime.engine,
        platform=platform,
        external_id=external_id,
        correction=Correction(insult="offense" if decision == "confirm" else "none"),
        complaint_names=[t.name for t in taxonomy],
        source="moderation",
        now=now,
    )
    if decision == "restore" and callable(queued):
        queued()

"""``/api/v1/outbox``: ask a channel to reply, reply privately or moderate, and follow the call.

The request is stored and audited, answered ``202`` at once, and sent by the outbox sender of
``crisisdesk serve`` (:mod:`crisisdesk.channels.sending`). The same ``idempotency_key`` sent twice
returns the first request (``200``) instead of sending twice. Replies need the permission
``reply``, moderation (hide, unhide, delete, block) the permission ``moderate``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import PermissionDenied, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.channels import outbox
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.core.fields import Id, StrictId
from crisisdesk.inbox import moderation
from crisisdesk.runtime import Runtime

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
_REPLIES = {Action.REPLY_PUBLIC, Action.REPLY_PRIVATE}


class OutboundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=64, description="The channel's key.")
    action: Action
    idempotency_key: str = Field(min_length=8, max_length=128, pattern=r"^[\x21-\x7e]+$",
                                 description="Your key for this request: sending it again returns the "
                                             "first request instead of acting twice.")
    post_id: StrictId | None = Field(default=None, description="The stored post to answer or act on; "
                                "target, thread and recipient are taken from it unless given.")
    text: str | None = Field(default=None, max_length=outbox.MAX_TEXT)
    target: str | None = Field(default=None, max_length=255,
                               description="The platform's id of the item acted on (without post_id).")
    thread: str | None = Field(default=None, max_length=255)
    recipient: str | None = Field(default=None, max_length=255,
                                  description="The person's id on the platform (private replies, blocks).")
    attachments: list[StrictId] = Field(default_factory=list, max_length=10, description="Uploaded files "
                                  "(POST /api/v1/attachments) to send with a reply, where the channel can.")


class OutboxOut(BaseModel):
    id: int
    channel: str
    action: str
    idempotency_key: str
    post_id: int | None
    target: str | None
    thread: str | None
    recipient: str | None
    text: str | None
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    error_code: str | None
    external_id: str | None
    sent_at: datetime | None
    delivery_state: str | None
    delivery_state_at: datetime | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, item: OutboxItem) -> OutboxOut:
        values: dict[str, Any] = {name: getattr(item, name) for name in cls.model_fields}
        if item.status != OutboxStatus.QUEUED:
            values["next_attempt_at"] = None
        return cls.model_validate(values)


class ModerationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["hide", "unhide", "delete", "ban_author"]
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128, pattern=r"^[\x21-\x7e]+$",
                                        description="Sending the same key again returns the first request "
                                                    "[default: a new key, i.e. a new request].")


def needed(action: Action) -> Permission:
    return Permission.REPLY if action in _REPLIES else Permission.MODERATE


def _check(principal: Principal, action: Action) -> None:
    permission = needed(action)
    if not principal.can(permission):
        raise PermissionDenied(f"your role may not do this (needs permission {permission.value!r})")


def outbox_router(runtime: Runtime, *, queued: Any = None) -> APIRouter:
    """``queued()`` is called after a new request is committed (it wakes the sender)."""
    router = APIRouter(tags=["outbox"])
    base = "/api/v1/outbox"

    @router.post(base, response_model=OutboxOut, status_code=status.HTTP_202_ACCEPTED,
                 responses={200: {"model": OutboxOut, "description": "This idempotency key was used "
                                  "before for the same request: that request, not a new one."},
                            **errors(404, 409)},
                 summary="Reply, reply privately or moderate through a channel (sent in the background)")
    def ask(body: OutboundIn, principal: Viewer, response: Response) -> OutboxOut:
        _check(principal, body.action)
        request = outbox.OutboundRequest(
            channel=body.channel, action=body.action, idempotency_key=body.idempotency_key,
            post_id=body.post_id, text=body.text, target=body.target, thread=body.thread,
            recipient=body.recipient, attachments=tuple(body.attachments))
        return _queue(principal, request, response)

    def _queue(principal: Principal, request: outbox.OutboundRequest, response: Response) -> OutboxOut:
        try:
            with Session(runtime.engine) as session, session.begin():
                item, created = outbox.enqueue(session, request, connectors=runtime.connectors(),
                                               actor=principal.actor, now=runtime.runner.clock.now())
                out = OutboxOut.of(item)
        except outbox.OutboxError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        if created:
            if queued is not None:
                queued()
        else:
            response.status_code = status.HTTP_200_OK
        return out

    @router.post("/api/v1/posts/{platform}/{external_id:path}/moderation", response_model=OutboxOut,
                     status_code=status.HTTP_202_ACCEPTED, responses=errors(404, 409),
                     summary="Hide, unhide or delete a post on its platform, or ban its author")
    def moderate(platform: str, external_id: str, body: ModerationIn, response: Response,
                 principal: Annotated[Principal, Depends(require(Permission.MODERATE))]) -> OutboxOut:
        key = body.idempotency_key or f"moderation-{uuid.uuid4().hex}"
        with Session(runtime.engine) as session:
            try:  # the same request the conversation page's buttons make (inbox.moderation)
                request = moderation.request_for(session, platform=platform, external_id=external_id,
                                                 name=body.action, key=key, connectors=runtime.connectors())
            except outbox.OutboxError as exc:
                raise HTTPException(exc.status, str(exc)) from None
        return _queue(principal, request, response)

    @router.get(base, response_model=list[OutboxOut], summary="Outbound calls, newest first")
    def listing(principal: Viewer, channel: str | None = None,
                state: Annotated[OutboxStatus | None, Query(alias="status")] = None,
                post_id: Id | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                before_id: Id | None = None) -> list[OutboxOut]:
        stmt = select(OutboxItem).order_by(OutboxItem.id.desc()).limit(limit)
        if channel is not None:
            stmt = stmt.where(OutboxItem.channel == channel)
        if state is not None:
            stmt = stmt.where(OutboxItem.status == state.value)
        if post_id is not None:
            stmt = stmt.where(OutboxItem.post_id == post_id)
        if before_id is not None:
            stmt = stmt.where(OutboxItem.id < before_id)
        with Session(runtime.engine) as session:
            return [OutboxOut.of(item) for item in session.scalars(stmt)]

    @router.get(base + "/{item_id}", response_model=OutboxOut, responses=errors(404),
                summary="One outbound call")
    def one(item_id: Id, principal: Viewer) -> OutboxOut:
        with Session(runtime.engine) as session:
            item = session.get(OutboxItem, item_id)
            if item is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no outbox item {item_id}")
            return OutboxOut.of(item)

    @router.post(base + "/{item_id}/retry", response_model=OutboxOut, responses=errors(404, 409),
                 summary="Queue a failed or uncertain call again")
    def again(item_id: Id, principal: Viewer) -> OutboxOut:
        try:
            with Session(runtime.engine) as session, session.begin():
                found = session.get(OutboxItem, item_id)
                if found is not None:
                    _check(principal, Action(found.action))
                item = outbox.retry(session, item_id, actor=principal.actor, now=runtime.runner.clock.now())
                out = OutboxOut.of(item)
        except outbox.OutboxError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        if queued is not None:
            queued()
        return out

    return router

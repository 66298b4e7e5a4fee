"""``/webhooks/{key}``: the platforms' way in. Verify the raw bytes, store them, answer at once.

Nothing is parsed before the signature is checked and the body is stored: a forged delivery is
refused with nothing kept, a genuine one is durable before the platform hears ``200`` (so a crash
after that loses nothing), and parsing happens after the answer (``stored`` wakes the processor).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from crisisdesk.channels.base import Capability, Connector, WebhookConnector, WebhookRejected
from crisisdesk.channels.group_store import store_webhook_delivery
from crisisdesk.core.clock import Clock

log = logging.getLogger(__name__)


class WebhookAccepted(BaseModel):
    ok: bool = True
    #: The same bytes had arrived before (a platform's retry): nothing new was stored.
    duplicate: bool = False


_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Unsigned, or the signature or secret does not match: nothing stored."},
    403: {"description": "A subscription handshake with the wrong verify token."},
    404: {"description": "No enabled channel has this key."},
}


def webhook_router(lookup: Callable[[str], Connector | None], *, engine: Callable[[], Engine],
                   clock: Clock, stored: Callable[[], None]) -> APIRouter:
    router = APIRouter(tags=["webhooks"])

    def connector(key: str) -> WebhookConnector:
        found = lookup(key)
        if found is None or Capability.WEBHOOK not in found.capabilities:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no channel {key!r} receives webhooks here")
        return cast(WebhookConnector, found)

    @router.get("/webhooks/{key}", response_class=PlainTextResponse, responses=_ERRORS,
                summary="Subscription handshake (Meta: hub.mode, hub.verify_token, hub.challenge)")
    def handshake(key: str, request: Request) -> PlainTextResponse:
        channel = connector(key)
        answer = getattr(channel, "handshake", None)
        if Capability.HANDSHAKE not in channel.capabilities or answer is None:
            raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED,
                                f"channel {key!r} takes deliveries by POST only")
        try:
            challenge: str = answer(dict(request.query_params))
        except WebhookRejected as exc:
            log.warning("webhook %s: handshake refused: %s", key, exc.reason)
            raise HTTPException(exc.status, exc.reason) from None
        return PlainTextResponse(challenge)

    @router.post("/webhooks/{key}", response_model=WebhookAccepted, responses=_ERRORS,
                 summary="A delivery from the platform, verified over its raw bytes and stored")
    async def deliver(key: str, request: Request) -> WebhookAccepted:
        channel = connector(key)
        body = await request.body()
        try:
            channel.verify(request.headers, body)
        except WebhookRejected as exc:
            log.warning("webhook %s: refused a delivery from %s: %s", key,
                        request.client.host if request.client else "?", exc.reason)
            raise HTTPException(exc.status, exc.reason) from None
        result = await run_in_threadpool(store_webhook_delivery, engine(), channel=key, body=body,
                                         now=clock.now())
        if not result.duplicate:
            stored()
        return WebhookAccepted(duplicate=result.duplicate)

    return router

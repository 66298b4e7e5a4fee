"""Live updates: situation events to every open page, as server-sent events.

The pipeline runs in worker threads; each committed batch that produced alerts calls
:meth:`LiveHub.publish_threadsafe`, which hands the events to the event loop, where every
connected browser has a small bounded queue (a slow client loses old events, never blocks the
pipeline). Pages listen with ``EventSource('/live')`` and re-fetch the part that changed.
Posts do not travel here one by one: the monitor page polls its list when told ``posts``, and
inbox pages re-fetch their list when an ``inbox`` event names conversations with new messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.bus.base import Message
from crisisdesk.runtime import Runtime

QUEUE_SIZE = 100
KEEPALIVE_SECONDS = 15.0


class LiveHub:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> asyncio.Queue[str]:
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def detach(self, queue: asyncio.Queue[str]) -> None:
        self._queues.discard(queue)

    def publish_threadsafe(self, events: list[Message]) -> None:
        self._send([f"event: alert\ndata: {json.dumps(_slim(e), ensure_ascii=False)}" for e in events])

    def publish_inbox_threadsafe(self, update: Message) -> None:
        """New messages in conversations: open inbox pages refresh their list, an open conversation
        offers to show its new messages."""
        self._send([f"event: inbox\ndata: {json.dumps(update)}"])

    def _send(self, payloads: list[str]) -> None:
        loop = self._loop
        if loop is None or not self._queues or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            loop.call_soon_threadsafe(self._fan_out, payloads)

    def _fan_out(self, payloads: list[str]) -> None:
        for queue in list(self._queues):
            for payload in payloads:
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(payload)


def _slim(event: Message) -> dict[str, Any]:
    keys = ("event", "situation", "monitor", "cause", "severity", "severity_name", "at", "summary", "by",
            "via")
    return {k: event[k] for k in keys if k in event}


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/live")
    async def live(request: Request,
                   _user: Annotated[Principal, Depends(require(Permission.VIEW))]) -> StreamingResponse:
        hub: LiveHub = request.app.state.live
        queue = hub.attach()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 3000\n\n"
                while not await request.is_disconnected():
                    try:
                        payload = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    yield f"{payload}\n\n"
            finally:
                hub.detach(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return r

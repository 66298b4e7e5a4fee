"""A ceiling on request bodies, for every route of the app (API, pages, and routes added later).

Without it a 60 MB body is read into memory, parsed and run through the pipeline before anything
says no. The ceiling is checked twice, both before the body is read: a declared ``Content-Length``
past it is refused at once (no route runs, nothing is read), and a body without one (chunked, or
lying about its length) is counted as it streams in and refused the moment it passes the ceiling.
Either way the answer is ``413`` with ``{"detail": ...}`` naming the limit and the setting, and the
connection is closed so the rest of the upload is not read.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SETTING = "CRISISDESK_MAX_BODY_BYTES"
#: What a multipart form may hold around the file itself (boundaries, headers, small fields).
FORM_OVERHEAD = 64 * 1024


def too_large_detail(limit: int, setting: str = SETTING) -> str:
    return f"the request body is larger than {limit} bytes ({setting})"


class BodyTooLarge(HTTPException):
    """Raised into the route that reads past the ceiling; an HTTPException, so FastAPI's body
    parsing passes it on instead of calling it a parse error."""

    def __init__(self, limit: int, setting: str = SETTING) -> None:
        super().__init__(413, too_large_detail(limit, setting), headers={"Connection": "close"})


class BodyLimitMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): it must see the body as it streams, not after."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, uploads: Callable[[str], int | None] | None = None,
                 setting: str = SETTING, upload_setting: str = "CRISISDESK_MAX_ATTACHMENT_BYTES") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.setting = setting
        self.upload_setting = upload_setting
        #: A path's own ceiling (file uploads: the attachment limit plus the form around the file),
        #: or None for the common one.
        self.uploads = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = self.uploads(scope.get("path", "")) if self.uploads is not None else None
        if own is not None and own != self.max_bytes:
            ceiling = BodyLimitMiddleware(self.app, max_bytes=own, setting=self.upload_setting)
            await ceiling(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(self.max_bytes, self.setting)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes, self.setting)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if exceeded and message["status"] != 413:
                    # A route caught the error and answered something else: the 413 stands.
                    raise BodyTooLarge(self.max_bytes, self.setting)
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": too_large_detail(self.max_bytes, self.setting)}, status_code=413,
                                headers={"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None

"""Files with a Mastodon reply: ``POST /api/v2/media`` (multipart ``file``) for each, then the
status with their ``media_ids`` (at most 4).

The instance answers ``200`` with the attachment when it is ready, or ``202`` with ``url: null``
while it still processes it (large images, video); a status naming an attachment still in
processing is refused (``422``), so the media is polled (``GET /api/v1/media/:id``) until it has
its ``url``. A file that takes too long is a transient failure: the retry uploads it again (the
instance removes media no status used) and the status keeps its Idempotency-Key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from crisisdesk.channels.attachments import ALLOWED_TYPES
from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.mastodon.errors import refusal
from crisisdesk.channels.outgoing import AttachmentLimits, OutgoingFile

MEDIA = "/api/v2/media"
#: Mastodon's defaults: 4 attachments per status, images up to 16 MB, video and audio up to 99 MB;
#: no documents (PDF, office files).
ATTACHMENTS = AttachmentLimits(
    max_count=4, max_bytes=99 * 1024 * 1024,
    content_types=frozenset(t for t in ALLOWED_TYPES if t.split("/")[0] in ("image", "video", "audio")),
    max_bytes_by_kind={"image": 16 * 1024 * 1024})
POLLS = 10

Request = Callable[..., httpx.Response]


def upload(request: Request, file: OutgoingFile, data: bytes, *, pause: float = 1.0) -> str:
    """The id of the uploaded file once the instance has processed it."""
    response = request("POST", MEDIA, files={"file": (file.filename, data, file.content_type)})
    if not response.is_success:
        raise refusal(response, f"POST {MEDIA} ({file.filename})")
    media = _json(response)
    ident = str(media.get("id") or "")
    if not ident:
        raise PlatformError(f"POST {MEDIA} answered without a media id", retry_after=30.0)
    for _ in range(POLLS):
        if response.status_code == 200 and media.get("url"):
            return ident
        time.sleep(pause)
        response = request("GET", f"/api/v1/media/{ident}")
        if response.status_code not in (200, 206):
            raise refusal(response, f"GET /api/v1/media/{ident}")
        media = _json(response)
    raise PlatformError(f"the instance is still processing {file.filename}; trying again later",
                        retry_after=60.0)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}

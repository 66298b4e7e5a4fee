"""``/api/v1/attachments``: upload a file to send with a reply, read its description, download it.

An upload is stored at once (bytes in the attachment store, a row in ``outbox_attachments``) and
answered with its id; a reply names the ids (``"attachments": [id]`` on
``POST /api/v1/conversations/{id}/messages`` or ``POST /api/v1/outbox``). Whether the channel can
send it is decided then, by the channel's connector. Uploading needs ``reply``, like answering;
reading needs ``view``. Uploads no reply took are removed after a day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.channels.attachment_store import upload
from crisisdesk.channels.attachments import ALLOWED_TYPES, AttachmentRejected
from crisisdesk.channels.models import OutboxAttachment
from crisisdesk.core.fields import Id
from crisisdesk.runtime import Runtime

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Replier = Annotated[Principal, Depends(require(Permission.REPLY))]
BASE = "/api/v1/attachments"


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int = Field(description="In bytes.")
    sha256: str
    uploaded_by: str
    created_at: datetime
    outbox_item_id: int | None = Field(description="The reply that sends it; null: not used yet (removed "
                                       "a day after the upload).")
    download: str = Field(description="Where to download it (needs permission view).")

    @classmethod
    def of(cls, row: OutboxAttachment) -> AttachmentOut:
        return cls(id=row.id, filename=row.filename, content_type=row.content_type, size=row.size,
                   sha256=row.sha256, uploaded_by=row.uploaded_by, created_at=row.created_at,
                   outbox_item_id=row.outbox_item_id, download=f"{BASE}/{row.id}/content")


def _answer(code: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": description, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/ErrorOut"}}}}}


def attachments_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["inbox"])

    @router.post(BASE, response_model=AttachmentOut, status_code=status.HTTP_201_CREATED,
                 responses={**_answer(413, "The file is larger than CRISISDESK_MAX_ATTACHMENT_BYTES."),
                            **_answer(415, "The file's type is not accepted (accepted: "
                                           f"{', '.join(sorted(ALLOWED_TYPES))}), or its content "
                                           "contradicts the type it claims."),
                            **errors(422)},
                 summary="Upload a file to send with a reply (multipart, field file)")
    def post_attachment(file: Annotated[UploadFile, File(description="The file.")],
                        principal: Replier) -> AttachmentOut:
        """422: an empty file. The type is decided from the bytes (and the name for office files)."""
        try:
            with Session(runtime.engine) as session, session.begin():
                row = upload(session, runtime.attachment_store(), file.file, filename=file.filename,
                             declared_type=file.content_type, max_bytes=runtime.settings.max_attachment_bytes,
                             actor=principal.actor, now=runtime.runner.clock.now())
                return AttachmentOut.of(row)
        except AttachmentRejected as exc:
            raise HTTPException(exc.status, str(exc)) from None

    def _row(session: Session, attachment_id: int) -> OutboxAttachment:
        row = session.get(OutboxAttachment, attachment_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no attachment {attachment_id}")
        return row

    @router.get(f"{BASE}/{{attachment_id}}", response_model=AttachmentOut, responses=errors(404),
                summary="An uploaded file's description")
    def get_attachment(attachment_id: Id, principal: Viewer) -> AttachmentOut:
        with Session(runtime.engine) as session:
            return AttachmentOut.of(_row(session, attachment_id))

    content: dict[int | str, dict[str, Any]] = {
        200: {"description": "The file's bytes.", "content": {"application/octet-stream": {}}}}

    @router.get(f"{BASE}/{{attachment_id}}/content", response_class=FileResponse,
                responses={**content, **errors(404)}, summary="Download an uploaded file")
    def download(attachment_id: Id, principal: Viewer) -> FileResponse:
        with Session(runtime.engine) as session:
            row = _row(session, attachment_id)
            path = runtime.attachment_store().path(row.storage_key)
            if not path.is_file():
                raise HTTPException(status.HTTP_404_NOT_FOUND,
                                    f"the file of attachment {attachment_id} is gone from the store")
            # attachment, never inline: an uploaded file is not shown as a page of ours
            return FileResponse(path, media_type=row.content_type, filename=row.filename,
                                content_disposition_type="attachment",
                                headers={"X-Content-Type-Options": "nosniff"})

    return router

"""Files uploaded to go with replies: their bytes on disk, their rows in ``outbox_attachments``.

The bytes are kept by their SHA-256 under the store's folder (``ab/abcdef…``), outside the
repository and the database: a screenshot sent to twenty people is stored once, and a database
dump stays small. A file is written to a temporary name while it is hashed and counted, and only
renamed into place when it is whole and within the limit, so a broken upload leaves nothing
behind. A row is the upload as people know it (name, type, who, when) and, once a reply takes it,
the outbox item that sends it; the sender reads the files of an item from here (after a restart
too). Uploads no reply took are removed after a day (:func:`remove_unused`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.channels.attachments import AttachmentRejected, content_type_of, safe_filename
from crisisdesk.channels.models import OutboxAttachment
from crisisdesk.channels.outgoing import OutgoingFile

#: Uploads no reply took within this time are removed.
UNUSED_FOR = timedelta(days=1)
SETTING = "CRISISDESK_MAX_ATTACHMENT_BYTES"
_CHUNK = 1 << 16


class AttachmentStore:
    """The folder that holds the bytes; created on first use, readable by the hub's user only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, stream: BinaryIO, *, max_bytes: int) -> tuple[str, str, int, bytes]:
        """Store what ``stream`` holds: ``(sha256, key, size, first bytes)``. Raises
        :class:`AttachmentRejected` (413) as soon as it passes ``max_bytes``, keeping nothing."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, temp = tempfile.mkstemp(prefix=".upload-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise AttachmentRejected(f"the file is larger than {max_bytes} bytes ({SETTING})",
                                                 status=413)
                    if len(head) < 64:
                        head += chunk[:64 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            key = f"{sha[:2]}/{sha}"
            target = self.path(key)
            target.parent.mkdir(exist_ok=True, mode=0o700)
            os.replace(temp, target)  # the same bytes again: the same name, nothing changes
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return sha, key, size, head

    def remove(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()


def upload(session: Session, store: AttachmentStore, stream: BinaryIO, *, filename: str | None,
           declared_type: str | None, max_bytes: int, actor: Actor, now: datetime) -> OutboxAttachment:
    """Store an upload and its row; :class:`AttachmentRejected` names a file too large (413), of a
    type the hub does not take (415) or empty (422)."""
    name = safe_filename(filename)
    sha, key, size, head = store.put(stream, max_bytes=max_bytes)
    try:
        if size == 0:
            raise AttachmentRejected(f"the file {name!r} is empty", status=422)
        kind = content_type_of(name, declared_type, head)
    except AttachmentRejected:
        if not _in_use(session, sha):
            store.remove(key)
        raise
    row = OutboxAttachment(filename=name, content_type=kind, size=size, sha256=sha, storage_key=key,
                           uploaded_by=actor.label, uploaded_by_user_id=actor.user_id, created_at=now)
    session.add(row)
    session.flush()
    return row


def _in_use(session: Session, sha: str) -> bool:
    return bool(session.scalar(select(func.count()).where(OutboxAttachment.sha256 == sha)))


def outgoing(store: AttachmentStore, row: OutboxAttachment) -> OutgoingFile:
    return OutgoingFile(attachment_id=row.id, filename=row.filename, content_type=row.content_type,
                        size=row.size, sha256=row.sha256, path=store.path(row.storage_key))


def of_items(session: Session, store: AttachmentStore,
             item_ids: Sequence[int]) -> dict[int, tuple[OutgoingFile, ...]]:
    """The files of each outbox item, in their order (items without files are left out)."""
    if not item_ids:
        return {}
    found: dict[int, list[OutgoingFile]] = {}
    rows = session.scalars(select(OutboxAttachment).where(OutboxAttachment.outbox_item_id.in_(list(item_ids)))
                           .order_by(OutboxAttachment.outbox_item_id, OutboxAttachment.position,
                                     OutboxAttachment.id))
    for row in rows:
        found.setdefault(int(row.outbox_item_id or 0), []).append(outgoing(store, row))
    return {item: tuple(files) for item, files in found.items()}


def remove_unused(session: Session, store: AttachmentStore, *, now: datetime,
                  older_than: timedelta = UNUSED_FOR) -> int:
    """Remove uploads no reply took within ``older_than``; their bytes go when no other row
    shares them. Returns how many uploads were removed."""
    rows = list(session.scalars(select(OutboxAttachment).where(
        OutboxAttachment.outbox_item_id.is_(None), OutboxAttachment.created_at < now - older_than)))
    if not rows:
        return 0
    session.execute(delete(OutboxAttachment).where(OutboxAttachment.id.in_([r.id for r in rows])))
    for key, sha in {(r.storage_key, r.sha256) for r in rows}:
        if not _in_use(session, sha):
            store.remove(key)
    return len(rows)

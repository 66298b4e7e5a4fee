"""What every connector that sends files shares: reading a stored file back, and knowing its type.

The type of an upload is decided here once, from its bytes where they say it (images, PDF, ZIP
based office files, MP3/MP4/OGG), else from the name's extension, and checked against the
browser's word: a file named ``.png`` that is a PDF is refused rather than sent to a platform
that would refuse it later (or show it broken). Connectors read a file with :func:`read`, which
checks the stored hash, so bytes changed on disk are never sent as the upload they replaced.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.outgoing import OutgoingFile

#: What the hub accepts at all; each connector narrows it (``AttachmentLimits.content_types``).
ALLOWED_TYPES: frozenset[str] = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp",
    "application/pdf", "text/plain", "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword", "application/vnd.ms-excel", "application/zip",
    "audio/mpeg", "audio/ogg", "video/mp4",
})
#: Documents that are ZIP archives inside; their bytes only say "zip", the name says which.
_ZIP_BASED = {t for t in ALLOWED_TYPES if "openxmlformats" in t} | {"application/zip"}
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"ID3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"ftyp", 4, "video/mp4"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/msword"),  # OLE2: .doc and .xls alike
)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


class AttachmentRejected(Exception):
    """An upload the hub does not take; ``status`` is the HTTP answer (413 too large, 415 type)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def sniff(head: bytes) -> str | None:
    """The type the first bytes announce, or None (plain text and CSV announce nothing)."""
    for magic, offset, kind in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def safe_filename(name: str | None) -> str:
    """The name as people see it, without a path, control characters or characters that break
    a header (``"``, ``\\``); ``attachment`` when nothing is left."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:200] or "attachment"


def content_type_of(filename: str, declared: str | None, head: bytes) -> str:
    """The upload's type: the bytes' word, refined by the name for ZIP- and OLE-based documents;
    without magic bytes the name's, else the declared one. Raises :class:`AttachmentRejected` (415)
    for a type the hub does not take, or a declared type the bytes contradict."""
    declared_type = (declared or "").split(";", 1)[0].strip().lower()
    if declared_type in ("", "application/octet-stream", "binary/octet-stream"):
        declared_type = ""
    guessed = (mimetypes.guess_type(filename, strict=False)[0] or "").lower()
    found = sniff(head)
    if found == "application/zip" and guessed in _ZIP_BASED:
        found = guessed
    if found == "application/msword" and guessed in ("application/msword", "application/vnd.ms-excel"):
        found = guessed
    if found is not None:
        claimed = declared_type or guessed
        if claimed and claimed != found and claimed.split("/")[0] in ("image", "application", "video"):
            raise AttachmentRejected(f"the file {filename!r} says it is {claimed} but its content is {found}",
                                     status=415)
        kind = found
    else:
        kind = declared_type or guessed
        if not kind or kind.startswith("image/") or kind == "application/pdf":
            # an image or PDF without its magic bytes is not one
            said = f" (it says {kind}, its content does not)" if kind else ""
            raise AttachmentRejected(f"the type of {filename!r} cannot be recognised{said}", status=415)
    if kind not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise AttachmentRejected(f"files of type {kind} are not accepted (accepted: {allowed})", status=415)
    return kind


def read(file: OutgoingFile) -> bytes:
    """The stored bytes of ``file``; a missing or changed file is a permanent :class:`PlatformError`
    (sending something else, or nothing, in its place would mislead the person)."""
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise PlatformError(f"attachment {file.attachment_id} ({file.filename}) cannot be read from the "
                            f"hub's store: {exc.strerror or exc}", permanent=True) from exc
    if len(data) != file.size or hashlib.sha256(data).hexdigest() != file.sha256:
        raise PlatformError(f"attachment {file.attachment_id} ({file.filename}) changed in the hub's store "
                            "since it was uploaded; it is not sent", permanent=True)
    return data


def too_large(file: OutgoingFile, limit: int, platform: str) -> str:
    return f"{file.filename} has {file.size} bytes; {platform} takes at most {limit} for a {file.kind}"


def read_all(files: tuple[OutgoingFile, ...]) -> list[tuple[OutgoingFile, bytes]]:
    """Every file's bytes, read before the first call to the platform: a missing file stops the
    reply before any part of it was sent."""
    return [(file, read(file)) for file in files]

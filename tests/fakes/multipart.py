"""Reading a multipart/form-data request the way a platform's server does: fields and files."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from tests.fakes.http_sink import Recorded


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def parse_form(rec: Recorded) -> tuple[dict[str, str], dict[str, Upload]] | None:
    """(fields, files by field name), or None when the request is not multipart/form-data."""
    ctype = rec.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + rec.body
    )
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode()
        else:
            files[name] = Upload(filename, part.get_content_type(), data)
    return fields, files

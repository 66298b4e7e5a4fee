"""Uploading files to Meta, shared by WhatsApp and Messenger: both first upload the bytes and get
an id back, then send a message that names the id.

WhatsApp (Cloud API): ``POST /{phone-number-id}/media`` with ``messaging_product=whatsapp``, the
``type`` and the ``file``, answered ``{"id": "<media id>"}``. Messenger (Attachment Upload API):
``POST /{page-id}/message_attachments`` with ``message={"attachment": {"type", "payload":
{"is_reusable": false}}}`` and the ``filedata``, answered ``{"attachment_id": "<id>"}``.

An upload sends nothing to anybody, so repeating one after a failure is harmless (Meta drops
media nobody used); the message that follows is the call that must happen once.
"""

from __future__ import annotations

import orjson

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.outgoing import OutgoingFile

#: Messenger's attachment types by our file kinds.
MESSENGER_TYPES = {"image": "image", "video": "video", "audio": "audio", "document": "file"}


def upload_whatsapp(graph: GraphClient, phone_number_id: str, file: OutgoingFile, data: bytes) -> str:
    answer = graph.upload(f"{phone_number_id}/media", {"messaging_product": "whatsapp",
                                                       "type": file.content_type},
                          "file", file.filename, data, file.content_type)
    return _id(answer, "id", file)


def upload_messenger(graph: GraphClient, page_id: str, file: OutgoingFile, data: bytes) -> str:
    message = {"attachment": {"type": MESSENGER_TYPES[file.kind], "payload": {"is_reusable": False}}}
    answer = graph.upload(f"{page_id}/message_attachments", {"message": orjson.dumps(message).decode()},
                          "filedata", file.filename, data, file.content_type)
    return _id(answer, "attachment_id", file)


def _id(answer: dict[str, object], key: str, file: OutgoingFile) -> str:
    value = answer.get(key)
    if not value:
        raise PlatformError(f"Meta took {file.filename} but answered without its {key}")
    return str(value)

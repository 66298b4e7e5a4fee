"""A stored mail as a post: a private message in its thread (the first of its References, else
the mail it replies to, else itself).

The stored body is ``{"uid", "uidvalidity", "internaldate", "message": <the raw RFC 5322 bytes,
base64>}``: the message exactly as the server had it, plus where it was. Text is the plain part
(else the HTML part without its tags), with the quoted history below "On … wrote:" / "Am …
schrieb …:" cut off, the subject in front.

Replying needs two things the canonical post has no field for: the subject as it was, and the
``Reply-To`` addresses (contact forms send from their own address and put the customer there).
The post keeps them as ``subject`` and ``reply_to``; the canonical post ignores them and the
stored raw post keeps them for sending.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, getaddresses, parsedate_to_datetime
from typing import Any

import orjson

from crisisdesk.channels.base import (
    Attachment,
    Delivery,
    DeliveryState,
    InboundPost,
    PayloadError,
    StatusReport,
    Unparsed,
    iso,
)
from crisisdesk.channels.email.automatic import automatic_reply, bounce
from crisisdesk.channels.email.headers import header, message_ids
from crisisdesk.channels.email.sending import is_ours
from crisisdesk.channels.html_text import html_to_text

PLATFORM = "email"
#: Where the quoted history of a reply starts: Gmail's and Apple Mail's "On … wrote:" / "Am …
#: schrieb …:" (which mail clients wrap onto a second line when the name and address are long),
#: Outlook's "-----Original Message-----", its line of underscores, and its header block
#: ("From: …" / "Von: …" followed by "Sent: …" / "Gesendet: …").
_QUOTE_START = re.compile(
    r"^(On [^\n]{4,200}(?:\n[^\n]{1,200})? wrote:"
    r"|Am [^\n]{4,200}\n[^\n]{0,200} schrieb [^\n]{1,200}:"
    r"|Am [^\n]{4,200} schrieb [^\n]{1,200}(?:\n[^\n]{0,200})?:"
    r"|-{2,} ?(Original Message|Ursprüngliche Nachricht) ?-{2,}"
    r"|_{10,}"
    r"|(From|Von): [^\n]{1,300}\n(Sent|Gesendet|Date|Datum): [^\n]*)\s*$", re.MULTILINE)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset: keep what decodes
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    if part.get_content_subtype() == "html":
        return html_to_text(str(content))
    return str(content)


def strip_quoted(text: str) -> str:
    """The new part of a reply: up to the quoted history, without "> " lines."""
    match = _QUOTE_START.search(text)
    if match:
        text = text[:match.start()]
    lines = [line for line in text.splitlines() if not line.startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def attachments(message: EmailMessage) -> list[Attachment]:
    out = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        out.append(Attachment(type=part.get_content_maintype() if part.get_content_maintype() != "application"
                              else "file", mime_type=part.get_content_type(), name=part.get_filename(),
                              size=len(payload) if isinstance(payload, bytes) else None))
    return out


def map_body(body: bytes, *, channel: str, own_address: str) -> Delivery:
    try:
        data = orjson.loads(body)
        raw = base64.b64decode(data["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"a stored mail is JSON with a base64 message: {exc}") from None
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    own_ids = message_ids(header(message, "Message-ID"))
    ident = own_ids[0] if own_ids else "sha256:" + hashlib.sha256(raw).hexdigest()
    references = message_ids(header(message, "References"))
    replies_to = message_ids(header(message, "In-Reply-To"))
    root = references[0] if references else (replies_to[0] if replies_to else ident)
    dated = header(message, "Date")
    try:
        sent = parsedate_to_datetime(dated) if dated else None
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is None or sent.tzinfo is None:
        sent = _internal_date(data.get("internaldate"))
    when = iso(sent) if sent else datetime.fromtimestamp(0, tz=UTC).isoformat()
    senders = getaddresses([header(message, "From")])
    name, address = senders[0] if senders else ("", "")
    subject = header(message, "Subject").strip()
    summary = {"from": header(message, "From"), "subject": subject, "message_id": ident}
    reported = bounce(message)
    if reported is not None:
        ours = [i for i in reported.about if is_ours(i)]
        if reported.failed and ours:  # our reply never reached the person
            return Delivery(statuses=[StatusReport(i, DeliveryState.FAILED, sent or datetime.now(UTC),
                                                   reported.reason) for i in ours])
        what = "failed" if reported.failed else "delayed or other"
        return Delivery(unparsed=[Unparsed(f"delivery report ({what}) about a mail crisisdesk did not "
                                           f"send: {reported.reason}", summary)])
    own = bool(address) and address.lower() == own_address.lower()
    responder = None if own else automatic_reply(message)  # our rules' answers say so too
    if responder is not None:
        return Delivery(unparsed=[Unparsed(f"automatic reply ({responder}): not the person's own "
                                           "message, and never answered by a rule", summary)])
    text = strip_quoted(body_text(message))
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": ident[:255], "created_at": when,
        "text": f"{subject}\n\n{text}".strip() if subject else text, "kind": "message",
        "conversation_id": root[:255], "channel": channel,
        "author": {"id": address.lower()[:255] or "unknown", "handle": address[:255] or None,
                   "name": name[:255] or None},
    }
    if replies_to:
        post["in_reply_to"] = replies_to[0][:255]
    post["subject"] = subject
    reply_to = [formataddr(pair) for pair in getaddresses([header(message, "Reply-To")]) if pair[1]]
    if reply_to:
        post["reply_to"] = reply_to
    return Delivery(posts=[InboundPost(post, thread=f"{PLATFORM}:{channel}:{root}", public=False,
                                       attachments=attachments(message), own=own)])


def _internal_date(value: object) -> datetime | None:
    """When the server received the mail (the fallback for a missing or zone-less ``Date``)."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None

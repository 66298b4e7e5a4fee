"""A reply to a mail, sent through the channel's SMTP server (CHANNEL-APIS §8).

The reply goes to the address the mail asked replies to go to (its ``Reply-To``, as contact forms
send, else its sender) with ``Re: <subject>`` (one ``Re:``, whatever the customer's client put in
front: ``AW:``, ``RE:``, ``Re: Re:``), ``In-Reply-To`` the original's Message-ID and ``References``
the thread's first mail and the original, so the customer's client files it in the conversation.
The subject, the Reply-To and the thread come from the stored post (mapping.py keeps them).

Our own Message-ID is made from the outbox's idempotency key (readable when the key is plain,
else escaped), so a reply sent again after a lost answer carries the same id and mail clients fold
the copy away; it is also the id the reply gets when the mailbox is read back.

SMTP replies decide retries: 4xx (greylisting, a full mailbox, "try again later") and a server
that cannot be reached are transient; 5xx is permanent with the server's words; a refused login
needs new credentials.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from crisisdesk.channels.attachments import ALLOWED_TYPES, read_all
from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.outgoing import AttachmentLimits, Outbound, OutgoingFile
from crisisdesk.notify.schemas import SmtpConfig

TIMEOUT = 30.0
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|antw|sv|vs)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]")
_OURS = "crisisdesk."


def missing(outbound: Outbound, what: str) -> PlatformError:
    return PlatformError(f"e-mail {outbound.action.value}: {what}", code="missing", permanent=True)


def message_id(key: str, domain: str) -> str:
    """Our Message-ID (without ``<>``) with the idempotency key in it: letters, digits, ``-`` and
    ``_`` as they are, any other byte as ``=XX`` (so two keys never share an id), a hash for a key
    too long for a header."""
    local = "".join(c if _PLAIN_KEY.fullmatch(c) else "".join(f"={b:02X}" for b in c.encode())
                    for c in key)
    if not local or len(local) > 160:
        local = "sha256-" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"{_OURS}{local}@{domain}"


def is_ours(ident: str) -> bool:
    """Whether a Message-ID (without ``<>``) is one :func:`message_id` made: a report about it is
    about a reply crisisdesk sent."""
    return ident.startswith(_OURS)


def reply_subject(subject: str) -> str:
    one_line = " ".join(subject.split())
    return f"Re: {_REPLY_PREFIX.sub('', one_line)}".rstrip()


def _thread_id(value: Any) -> str | None:
    """A stored id that is a Message-ID (a mail without one is stored under a hash)."""
    text = str(value or "").strip()
    return text if "@" in text and not re.search(r"[\s<>]", text) else None


def _subject(outbound: Outbound, post: dict[str, Any]) -> str:
    """The original's subject: kept by the mapping; for a post stored before it was, the first
    line of the text, which the mapping wrote as ``<subject>\\n\\n<body>``."""
    if isinstance(post.get("subject"), str):
        return str(post["subject"])
    if isinstance(outbound.context.get("subject"), str):
        return str(outbound.context["subject"])
    text = str(post.get("text") or "")
    first = text.split("\n\n", 1)[0]
    return first if "\n\n" in text and "\n" not in first and len(first) <= 200 else ""


def _recipient(outbound: Outbound, post: dict[str, Any]) -> tuple[str, str]:
    """The name and address the reply goes to: the mail's Reply-To, else the recipient (the
    author's address)."""
    found = post.get("author")
    author: dict[str, Any] = found if isinstance(found, dict) else {}
    reply_to = post.get("reply_to")
    if isinstance(reply_to, list) and reply_to and isinstance(reply_to[0], str):
        name, address = parseaddr(reply_to[0])
    else:
        address = str(outbound.recipient or author.get("handle") or author.get("id") or "").strip()
        name = str(author.get("name") or "")
    if not address or address == "unknown":
        raise missing(outbound, "no recipient: the author's e-mail address is unknown")
    if not _ADDRESS.match(address):
        raise missing(outbound, f"the recipient {address!r} is not an e-mail address")
    return name, address


#: Files with a reply are MIME parts. Mail servers commonly refuse messages past 25 MB, and
#: base64 makes files a third larger, so all files of one reply together stay below 18 MB.
TOTAL_LIMIT = 18 * 1024 * 1024
ATTACHMENTS = AttachmentLimits(max_count=10, max_bytes=TOTAL_LIMIT, content_types=ALLOWED_TYPES)


def attachment_refusal(outbound: Outbound) -> str | None:
    total = sum(f.size for f in outbound.attachments)
    if total > TOTAL_LIMIT:
        return (f"the files have {total} bytes together; a mail takes at most {TOTAL_LIMIT} "
                "(mail servers refuse larger messages)")
    return None


def attach(msg: EmailMessage, files: list[tuple[OutgoingFile, bytes]]) -> None:
    """Each file as a MIME attachment (the message becomes multipart/mixed, the text its first part)."""
    for file, data in files:
        maintype, _, subtype = file.content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=file.filename)


def reply_message(outbound: Outbound, *, smtp: SmtpConfig, mailbox: str,
                  now: datetime) -> tuple[EmailMessage, str]:
    """The reply as a text/plain UTF-8 mail and the address it goes to; a permanent error naming
    what is missing."""
    text = (outbound.text or "").strip()
    if not text:
        raise missing(outbound, "no text to send")
    target = (outbound.target or "").strip()
    if not target:
        raise missing(outbound, "no target: the id (Message-ID) of the mail to answer")
    post = outbound.context.get("post")
    post = post if isinstance(post, dict) else {}
    name, address = _recipient(outbound, post)
    msg = EmailMessage()
    msg["From"] = smtp.from_address
    msg["To"] = formataddr((" ".join(name.split()), address)) if name.strip() else address
    if parseaddr(smtp.from_address)[1].lower() != mailbox.lower():
        msg["Reply-To"] = mailbox  # answers come back to the mailbox crisisdesk reads
    msg["Subject"] = reply_subject(_subject(outbound, post))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{message_id(outbound.idempotency_key, mailbox.rsplit('@', 1)[1])}>"
    if outbound.context.get("automatic"):  # a rule's answer (RFC 3834): responders leave it alone
        msg["Auto-Submitted"] = "auto-replied"
    original = _thread_id(target)
    if original:
        root = _thread_id(post.get("conversation_id"))
        msg["In-Reply-To"] = f"<{original}>"
        msg["References"] = " ".join(f"<{i}>" for i in dict.fromkeys([root or original, original]))
    msg.set_content(text + "\n", charset="utf-8")
    if outbound.attachments:
        why = attachment_refusal(outbound)
        if why:
            raise missing(outbound, why)
        attach(msg, read_all(outbound.attachments))
    return msg, address


def _excerpt(raw: bytes | str) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:300]


def _by_code(where: str, code: int, reply: bytes | str) -> PlatformError:
    return PlatformError(f"{where}: {code} {_excerpt(reply)}", code=code, permanent=not 400 <= code < 500)


def deliver(smtp: SmtpConfig, msg: EmailMessage, address: str) -> None:
    """Hand the mail to the SMTP server (STARTTLS or implicit TLS as configured), or raise the
    :class:`PlatformError` that says whether trying again can help."""
    where = f"SMTP {smtp.host}:{smtp.port}"
    tls = ssl.create_default_context()
    try:
        client = (smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT, context=tls) if smtp.implicit_tls
                  else smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT))
        with client:
            if smtp.starttls and not smtp.implicit_tls:
                client.starttls(context=tls)
            if smtp.username:
                client.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
            client.send_message(msg, to_addrs=[address])
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise _by_code(f"{where}: recipient {address} refused", code, reply) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise PlatformError(f"{where}: login as {smtp.username} refused: {exc.smtp_code} "
                            f"{_excerpt(exc.smtp_error)}", code=exc.smtp_code, permanent=True,
                            reauthorize=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise _by_code(where, exc.smtp_code, exc.smtp_error) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise PlatformError(f"{where}: {exc}", permanent=True) from exc
    except ssl.SSLCertVerificationError as exc:
        raise PlatformError(f"{where}: TLS certificate not trusted: {exc.verify_message}",
                            permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise PlatformError(f"{where} cannot be reached: {type(exc).__name__}: {_excerpt(str(exc))}",
                            retry_after=60.0) from exc

"""E-mail through SMTP (stdlib ``smtplib``): multipart/alternative, plain text and HTML.

SMTP replies decide retries: 4xx ("try again later", greylisting, full mailbox) is retryable,
5xx permanent, and so is a failed login. A connection that drops or times out is retryable. When
the server accepts some recipients and refuses others the delivery counts as sent (sending again
would mail the accepted ones twice) and the refusals are named in the result.

The ``Message-ID`` is derived from the delivery key, so a message sent again after a crash
carries the same id and mail clients can fold the duplicate away.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from crisisdesk.notify import render
from crisisdesk.notify.base import (
    DeliveryContext,
    DeliveryResult,
    PermanentError,
    RetryableError,
    SenderDeps,
    context_key,
    excerpt,
)
from crisisdesk.notify.schemas import EmailTarget, Notification, SmtpConfig

_COLORS = {1: "#5b7083", 2: "#d4a017", 3: "#e8590c", 4: "#c92a2a"}


def message_id(key: str, from_address: str) -> str:
    domain = from_address.rsplit("@", 1)[-1].rstrip(">").strip() or "crisisdesk.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.crisisdesk@{domain}>"


def html_body(n: Notification) -> str:
    """A small, inline-styled HTML version (mail clients ignore <style> blocks unevenly)."""
    lang = n.lang
    color = _COLORS.get(n.severity, "#5b7083")
    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#555">{escape(k)}</td>'
        f"<td>{escape(v)}</td></tr>" for k, v in render.facts(n)
    )
    parts = [
        f'<div style="border-left:6px solid {color};padding:4px 12px">'
        f'<h2 style="margin:4px 0;font-size:18px">{escape(render.headline(n))}</h2>'
        f'<table style="border-collapse:collapse;font-size:14px">{rows}</table></div>'
    ]
    if n.summary:
        parts.append(f'<p style="white-space:pre-line">{escape(n.summary)}</p>')
    if n.reasons:
        items = "".join(f"<li>{escape(r)}</li>" for r in n.reasons)
        parts.append(f"<h3>{escape(render.text(lang, 'why'))}</h3><ul>{items}</ul>")
    if n.top_terms:
        parts.append(f"<p><strong>{escape(render.text(lang, 'terms'))}:</strong> "
                     f"{escape(', '.join(n.top_terms))}</p>")
    if n.top_posts:
        posts: list[str] = []
        for p in n.top_posts:
            meta = escape(render.post_meta(p, lang))
            if p.url:
                link = f'<a href="{escape(p.url, quote=True)}">{escape(render.text(lang, "open_post"))}</a>'
                meta = f"{meta} · {link}" if meta else link
            posts.append(f'<blockquote style="margin:8px 0;padding-left:8px;border-left:3px solid #ccc">'
                         f"{escape(render.clip(p.text, render.POST_CHARS))}"
                         + (f'<br><small style="color:#555">{meta}</small>' if meta else "")
                         + "</blockquote>")
        parts.append(f"<h3>{escape(render.text(lang, 'posts'))}</h3>{''.join(posts)}")
    parts.append(
        f'<p><a href="{escape(n.ack_url, quote=True)}" style="display:inline-block;padding:10px 18px;'
        f'background:{color};color:#fff;text-decoration:none;border-radius:4px">'
        f"{escape(render.action_label(n, lang))}</a></p>"
        f'<p style="color:#777;font-size:12px">{escape(render.text(lang, "footer"))}</p>'
    )
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif">{"".join(parts)}</body></html>')


def build_message(
    n: Notification, *, to: list[str], smtp: SmtpConfig, key: str, date_header: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = render.subject(n)
    msg["From"] = smtp.from_address
    msg["To"] = ", ".join(to)
    msg["Date"] = date_header
    msg["Message-ID"] = message_id(key, smtp.from_address)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    if n.situation_id is not None:
        msg["X-Crisisdesk-Situation"] = str(n.situation_id)
    if n.conversation_id is not None:
        msg["X-Crisisdesk-Conversation"] = str(n.conversation_id)
    msg["X-Crisisdesk-Delivery"] = key
    msg.set_content(render.plain_text(n), charset="utf-8")
    msg.add_alternative(html_body(n), subtype="html", charset="utf-8")
    msg["Content-Language"] = n.lang  # after the parts: set_content() drops Content-* headers
    return msg


def _classify(code: int, message: str) -> RetryableError | PermanentError:
    return RetryableError(message) if 400 <= code < 500 else PermanentError(message)


def _reply_text(raw: bytes | str) -> str:
    return excerpt(raw.decode(errors="replace") if isinstance(raw, bytes) else raw)


class EmailSender:
    def __init__(self, deps: SenderDeps) -> None:
        self.deps = deps

    def send(
        self, notification: Notification, target: EmailTarget, *, context: DeliveryContext | None = None
    ) -> DeliveryResult:
        smtp = self.deps.smtp
        if smtp is None:
            raise PermanentError("e-mail: no SMTP server configured (notify.smtp)")
        key = context_key(notification, context)
        msg = build_message(notification, to=target.to, smtp=smtp, key=key,
                            date_header=format_datetime(self.deps.clock.now()))
        refused = deliver(smtp, msg, timeout=target.timeout)
        detail = f"accepted for {len(target.to) - len(refused)} of {len(target.to)} recipients"
        if refused:
            detail += "; refused: " + ", ".join(f"{r} ({c})" for r, (c, _) in refused.items())
        return DeliveryResult(detail=detail, remote_id=str(msg["Message-ID"]))


def deliver(smtp: SmtpConfig, msg: EmailMessage, *, timeout: float) -> dict[str, tuple[int, bytes]]:
    """Send one message through ``smtp``; the refused recipients when some were accepted.

    Raises :class:`RetryableError` (4xx, connection trouble) or :class:`PermanentError` (5xx, login
    refused, untrusted certificate); shared by the notification sender and the update mails."""
    where = f"SMTP {smtp.host}:{smtp.port}"
    try:
        return _send(smtp, msg, timeout=timeout)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        detail = "; ".join(f"{rcpt}: {code} {_reply_text(text)}"
                           for rcpt, (code, text) in exc.recipients.items())
        error = f"{where}: every recipient refused ({detail})"
        raise (RetryableError(error) if any(400 <= c < 500 for c in codes)
               else PermanentError(error)) from exc
    except smtplib.SMTPAuthenticationError as exc:
        reply = _reply_text(exc.smtp_error)
        raise PermanentError(f"{where}: login refused: {exc.smtp_code} {reply}") from exc
    except smtplib.SMTPResponseException as exc:
        raise _classify(exc.smtp_code, f"{where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentError(f"{where}: {exc}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise PermanentError(f"{where}: TLS certificate not trusted: {exc.verify_message}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableError(f"{where}: {type(exc).__name__}: {excerpt(str(exc))}") from exc


def _send(smtp: SmtpConfig, msg: EmailMessage, *, timeout: float) -> dict[str, tuple[int, bytes]]:
    tls = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.implicit_tls:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=tls)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    with client:
        if smtp.starttls and not smtp.implicit_tls:
            client.starttls(context=tls)
        if smtp.username:
            password = smtp.password.get_secret_value() if smtp.password else ""
            client.login(smtp.username, password)
        return client.send_message(msg)

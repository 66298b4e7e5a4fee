"""An update to an e-mail list: one mail per subscriber, rendered when queued, sent by
:class:`MailSender` through the notification SMTP server, and counted into the publication.

Each mail's key is ``update:<publication>:<subscriber>``, so queueing twice, or a sender that died
half-way, never mails anyone twice; its ``Message-ID`` is derived from that key, so a mail sent
again after a crash between the server's "250" and our commit folds into the first in mail
clients. The mails are bulk mail: ``Precedence: bulk`` and ``Auto-Submitted: auto-generated``
keep vacation replies away, ``List-Id`` (RFC 2919) lets people filter them, and
``List-Unsubscribe`` with ``List-Unsubscribe-Post`` (RFC 8058) gives mail clients a one-click
unsubscribe that works without a browser session.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.channels.background import RoundLoop
from crisisdesk.core.clock import Clock
from crisisdesk.db import log_failure
from crisisdesk.notify.base import PermanentError, RetryableError
from crisisdesk.notify.dispatcher import RetryPolicy
from crisisdesk.notify.email import deliver, message_id
from crisisdesk.notify.schemas import SmtpConfig
from crisisdesk.updates.config import SUBSCRIBERS, UpdatesConfig
from crisisdesk.updates.mail_texts import mail_text
from crisisdesk.updates.models import Publication, PublicationState, StakeholderUpdate, Subscriber, UpdateMail
from crisisdesk.updates.publishing import note_outcome

log = logging.getLogger(__name__)

#: A claimed mail whose sender did not come back within this long is tried again.
LEASE = timedelta(minutes=10)


# --- rendering ----------------------------------------------------------------------------------


def html_mail(lang: str, paragraphs: Sequence[str], *, heading: str | None = None,
              button: tuple[str, str] | None = None, footer: Sequence[str] = ()) -> str:
    """A small inline-styled HTML version of a plain text mail (text escaped, line breaks kept)."""
    parts = [f'<h2 style="margin:4px 0 12px;font-size:18px">{escape(heading)}</h2>'] if heading else []
    parts += [f'<p style="white-space:pre-line">{escape(p)}</p>' for p in paragraphs if p.strip()]
    if button is not None:
        label, href = button
        parts.append(f'<p><a href="{escape(href, quote=True)}" style="display:inline-block;padding:10px 18px;'
                     f'background:#1c5d99;color:#fff;text-decoration:none;border-radius:4px">{escape(label)}'
                     "</a></p>")
    if footer:
        parts.append('<hr style="border:none;border-top:1px solid #ddd">'
                     + "".join(f'<p style="color:#666;font-size:12px">{f}</p>' for f in footer))
    return (f'<!DOCTYPE html><html lang="{escape(lang, quote=True)}"><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif;max-width:640px">{"".join(parts)}</body></html>')


def list_name_of(config: UpdatesConfig, list_key: str, lang: str) -> str:
    """What mails call a list, in ``lang``: the status page's title for its own list, else the
    list's name from ``updates.email_lists`` (the key when the file no longer names it)."""
    if list_key == SUBSCRIBERS:
        return config.status_page.title.get(lang)
    found = config.email_lists.get(list_key)
    return found.name.get(lang) if found is not None else list_key


def list_id(list_key: str, slug: str, base_url: str, name: str) -> str:
    """``"Name" <key.slug.host>`` (RFC 2919: the id is a dot-atom; the phrase is for people)."""
    host = (urlsplit(base_url).hostname or "localhost").strip(".").lower()
    atom = ".".join(p for p in (list_key.replace("_", "-"), slug, host) if p)
    phrase = name.replace("\\", "").replace('"', "")
    return f'"{phrase}" <{atom}>'


def update_message(update: StakeholderUpdate, *, list_key: str, list_name: str, unsubscribe: str,
                   page: str, base_url: str, slug: str, from_page: bool) -> dict[str, Any]:
    """The mail of one update to one subscriber (only the unsubscribe link differs between them)."""
    lang = "de" if update.lang == "de" else "en"
    phase = mail_text(f"update.phase.{update.phase}", lang) if update.phase in (
        "investigating", "identified", "monitoring", "resolved") else ""
    why = mail_text("update.why_page" if from_page else "update.why_list", lang, title=list_name)
    text = "\n\n".join(p for p in (
        f"{phase}: {update.title}" if phase else update.title,
        update.body.strip(),
        mail_text("update.page", lang, link=page),
        f"-- \n{why}\n{mail_text('update.unsubscribe', lang, link=unsubscribe)}",
    ) if p)
    footer = [escape(why), f'<a href="{escape(unsubscribe, quote=True)}">'
                           f'{escape(mail_text("update.unsubscribe_link", lang))}</a>']
    html = html_mail(lang, [update.body.strip(), mail_text("update.page", lang, link=page)],
                     heading=f"{phase}: {update.title}" if phase else update.title, footer=footer)
    return {
        "subject": f"[{list_name}] {update.title}",
        "text": text,
        "html": html,
        "lang": lang,
        "headers": {
            "List-Id": list_id(list_key, slug, base_url, list_name),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Archive": f"<{page}>",
            "Precedence": "bulk",
            "Auto-Submitted": "auto-generated",
        },
    }


# --- queueing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailCounts:
    """A publication's mails by state (the page words them; ``detail`` says them in short)."""

    pending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0  # the subscriber unsubscribed before it went out

    @property
    def detail(self) -> str:
        words = [f"{self.sent} sent"]
        if self.failed:
            words.append(f"{self.failed} failed")
        if self.pending:
            words.append(f"{self.pending} waiting")
        if self.cancelled:
            words.append(f"{self.cancelled} unsubscribed")
        return ", ".join(words)

    @property
    def state(self) -> PublicationState:
        if self.pending:
            return PublicationState.QUEUED
        if not self.failed:
            return PublicationState.DELIVERED
        return PublicationState.FAILED if not self.sent else PublicationState.PARTLY


def mail_counts(session: Session, publication_id: int) -> MailCounts:
    rows = session.execute(select(UpdateMail.status, func.count()).where(
        UpdateMail.publication_id == publication_id).group_by(UpdateMail.status)).all()
    by = {str(status): int(n) for status, n in rows}
    return MailCounts(pending=by.get("pending", 0), sent=by.get("sent", 0), failed=by.get("failed", 0),
                      cancelled=by.get("cancelled", 0))


def refresh_publication(session: Session, publication_id: int, *, now: datetime) -> MailCounts:
    """Set the publication's state and detail from its mails (``delivered`` with "0 sent" when
    the list had nobody)."""
    counts = mail_counts(session, publication_id)
    before = session.scalar(select(Publication.state).where(Publication.id == publication_id))
    session.execute(update(Publication).where(Publication.id == publication_id).values(
        state=counts.state.value, detail=counts.detail, updated_at=now))
    if before == PublicationState.QUEUED and counts.state != PublicationState.QUEUED:
        pub = session.get(Publication, publication_id)
        if pub is not None:
            session.refresh(pub)
            note_outcome(session, pub, now=now)
    return counts


def queue_update_mails(session: Session, *, publication_id: int, update: StakeholderUpdate, list_key: str,
                       base_url: str, slug: str, now: datetime, list_name: str | None = None) -> int:
    """Queue ``update`` to every confirmed subscriber of ``list_key`` who has not unsubscribed;
    returns how many mails were queued now (0 the second time). With nobody to mail, the
    publication is ``delivered`` at once ("0 sent").

    ``list_name`` is what the mails call the list (``[name]`` in the subject, ``List-Id``, the
    footer): give :func:`list_name_of` of the workspace's ``updates`` in the update's language;
    default: the list key."""
    base = base_url.rstrip("/")
    page = f"{base}/status/{slug}?lang={'de' if update.lang == 'de' else 'en'}"
    name = list_name or list_key
    done = set(session.scalars(select(UpdateMail.subscriber_id).where(
        UpdateMail.publication_id == publication_id)))
    subscribers = session.scalars(select(Subscriber).where(
        Subscriber.list == list_key, Subscriber.confirmed_at.is_not(None),
        Subscriber.unsubscribed_at.is_(None)).order_by(Subscriber.id))
    queued = 0
    for sub in subscribers:
        if sub.id in done:
            continue
        message = update_message(update, list_key=list_key, list_name=name, page=page, base_url=base,
                                 slug=slug, from_page=sub.source == "page",
                                 unsubscribe=f"{base}/status/{slug}/unsubscribe/{sub.unsubscribe_token}")
        session.add(UpdateMail(key=f"update:{publication_id}:{sub.id}", publication_id=publication_id,
                               subscriber_id=sub.id, message=message, status="pending", attempts=0,
                               next_attempt_at=now, created_at=now))
        queued += 1
    session.flush()
    if queued == 0 and not done:
        refresh_publication(session, publication_id, now=now)
    log.info("publication %d (email:%s): %d mails queued", publication_id, list_key, queued)
    return queued


# --- sending ------------------------------------------------------------------------------------


def build_email(mail: UpdateMail, *, to: str, smtp: SmtpConfig, date: datetime) -> EmailMessage:
    msg = EmailMessage()
    body: dict[str, Any] = mail.message
    msg["Subject"] = str(body["subject"])
    msg["From"] = smtp.from_address
    msg["To"] = to
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(mail.key, smtp.from_address)
    for name, value in dict(body.get("headers") or {}).items():
        msg[name] = str(value)
    msg.set_content(str(body["text"]), charset="utf-8")
    if body.get("html"):
        msg.add_alternative(str(body["html"]), subtype="html", charset="utf-8")
    msg["Content-Language"] = str(body.get("lang") or "en")  # after the parts (set_content drops it)
    return msg


@dataclass
class SendReport:
    """What one round did: mails sent, retried later, failed for good; publications refreshed."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0  # the address unsubscribed after the mail was queued
    publications: dict[int, MailCounts] = field(default_factory=dict)


class MailSender(RoundLoop):
    """Sends due update and confirmation mails, one SMTP conversation each, and keeps the
    publications' states current. ``run_once()`` for tests and one-shot use; ``start()`` runs it
    in a thread until ``stop()``; ``kick()`` after queueing makes it go at once.

    SMTP 4xx and connection trouble are retried with backoff (``policy``) up to
    ``policy.max_attempts``; 5xx (and a refused login) fail the mail at once. Without an SMTP
    server (``smtp()`` is None) nothing is claimed: the mails wait for one to be configured."""

    thread_name = "update-mails"

    def __init__(self, engine: Engine | Callable[[], Engine], smtp: Callable[[], SmtpConfig | None], *,
                 clock: Clock, policy: RetryPolicy | None = None, interval: float = 10.0, batch: int = 200,
                 timeout: float = 30.0) -> None:
        super().__init__(interval)
        self._engine = engine if callable(engine) else (lambda: engine)
        self._smtp = smtp
        self.clock = clock
        self.policy = policy or RetryPolicy(max_attempts=8, base=30.0, cap=3600.0)
        self.batch = batch
        self.timeout = timeout
        self._said_no_smtp = False

    def _round(self) -> float | None:
        try:
            report = self.run_once()
            if report.sent + report.retried + report.failed + report.cancelled >= self.batch:
                return 0.0  # more are waiting
            with Session(self._engine()) as session:
                next_at = session.scalar(select(func.min(UpdateMail.next_attempt_at)).where(
                    UpdateMail.status == "pending"))
            if next_at is not None and self._smtp() is not None:
                return min(self._interval, max((next_at - self.clock.now()).total_seconds(), 0.05))
        except Exception as exc:  # the database may be away: the next round retries
            log_failure(self._engine(), exc, log, "update mails: sending failed; trying again")
        return None

    def run_once(self) -> SendReport:
        """Send every mail due now (up to ``batch``), then refresh the publications they belong to."""
        report = SendReport()
        smtp = self._smtp()
        engine = self._engine()
        if smtp is None:
            if not self._said_no_smtp:
                log.warning("update mails: no SMTP server configured (notify.smtp); mails wait")
                self._said_no_smtp = True
            return report
        self._said_no_smtp = False
        now = self.clock.now()
        with Session(engine) as session:
            due = list(session.scalars(select(UpdateMail.id).where(
                UpdateMail.status == "pending", UpdateMail.next_attempt_at <= now)
                .order_by(UpdateMail.next_attempt_at, UpdateMail.id).limit(self.batch)))
        touched: set[int] = set()
        for mail_id in due:
            outcome = self._attempt(engine, smtp, mail_id)
            if outcome is None:
                continue
            kind, publication_id = outcome
            setattr(report, kind, getattr(report, kind) + 1)
            if publication_id is not None:
                touched.add(publication_id)
        if touched:
            with Session(engine) as session, session.begin():
                for publication_id in sorted(touched):
                    report.publications[publication_id] = refresh_publication(
                        session, publication_id, now=self.clock.now())
        return report

    def _claim(self, engine: Engine, mail_id: int) -> tuple[UpdateMail, str, bool] | None:
        """Take the mail for one attempt (compare-and-set on its due time, so two senders never
        both send it); the mail, its address, and whether that address unsubscribed meanwhile."""
        now = self.clock.now()
        with Session(engine, expire_on_commit=False) as session, session.begin():
            claimed = session.execute(update(UpdateMail).where(
                UpdateMail.id == mail_id, UpdateMail.status == "pending", UpdateMail.next_attempt_at <= now,
            ).values(attempts=UpdateMail.attempts + 1, next_attempt_at=now + LEASE))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            mail = session.get_one(UpdateMail, mail_id)
            sub = session.get_one(Subscriber, mail.subscriber_id)
            gone = sub.unsubscribed_at is not None and mail.key.startswith("update:")
            if gone:
                mail.status = "cancelled"
                mail.last_error = "unsubscribed"
            return mail, sub.email, gone

    def _attempt(self, engine: Engine, smtp: SmtpConfig, mail_id: int) -> tuple[str, int | None] | None:
        claim = self._claim(engine, mail_id)
        if claim is None:
            return None
        mail, to, gone = claim
        if gone:
            return "cancelled", mail.publication_id
        error: RetryableError | PermanentError | None = None
        try:
            deliver(smtp, build_email(mail, to=to, smtp=smtp, date=self.clock.now()), timeout=self.timeout)
        except (RetryableError, PermanentError) as exc:
            error = exc
        except Exception as exc:  # a bug building the message: fail it, keep the others going
            log.exception("update mail %d: cannot be sent", mail.id)
            error = PermanentError(f"internal error: {type(exc).__name__}: {exc}")
        now = self.clock.now()
        with Session(engine) as session, session.begin():
            if error is None:
                session.execute(update(UpdateMail).where(UpdateMail.id == mail.id).values(
                    status="sent", sent_at=now, last_error=None))
                log.info("update mail %d (%s): sent", mail.id, mail.key)
                return "sent", mail.publication_id
            message = str(error)[:1000]
            if isinstance(error, RetryableError) and mail.attempts < self.policy.max_attempts:
                delay = self.policy.delay(mail.attempts, error.retry_after, random.random())  # noqa: S311
                session.execute(update(UpdateMail).where(UpdateMail.id == mail.id).values(
                    next_attempt_at=now + timedelta(seconds=delay), last_error=message))
                log.warning("update mail %d (%s): attempt %d failed, retry in %.0f s: %s", mail.id, mail.key,
                            mail.attempts, delay, message)
                return "retried", mail.publication_id
            if isinstance(error, RetryableError):
                message = f"gave up after {mail.attempts} attempts: {message}"
            session.execute(update(UpdateMail).where(UpdateMail.id == mail.id).values(
                status="failed", last_error=message))
            log.warning("update mail %d (%s): failed: %s", mail.id, mail.key, message)
            return "failed", mail.publication_id

"""Who is on an e-mail list: double opt-in from the status page, the workspace file's lists, and
unsubscribing (which sticks, whichever way the address came on).

Privacy is the point of most choices here:

* the confirmation token is sent once and stored only as its SHA-256; the link works for
  :data:`CONFIRM_DAYS` days and only the newest one works;
* subscribing an address that is already confirmed changes nothing and sends nothing, so the page
  can answer "check your mail" whatever the address's state and never tells a visitor whether
  someone is subscribed (the owner of the address would not learn anything from a mail either);
* a pending address gets at most :data:`CONFIRMATIONS_PER_DAY` confirmation mails a day, so the
  form cannot be used to flood someone's mailbox;
* addresses are not logged at INFO; public subscription changes are not audited (they are the
  visitor's own, not a person of the team acting), config changes are the file's history.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.updates.config import EmailList
from crisisdesk.updates.mail_texts import mail_text
from crisisdesk.updates.mailing import html_mail
from crisisdesk.updates.models import Subscriber, UpdateMail

log = logging.getLogger(__name__)

#: How long a confirmation link works.
CONFIRM_DAYS = 7
#: Confirmation mails to one pending address within a day; more are refused (429).
CONFIRMATIONS_PER_DAY = 3

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9\-]{1,63}(?<!-)$")


class SubscriptionError(CrisisdeskError):
    """A subscription request that cannot be done; ``status`` is the HTTP answer (422, 429) and
    ``code`` names the problem for the page to word (``email.empty``, ``email.invalid``, …)."""

    def __init__(self, message: str, *, status: int = 422, code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def normalize_email(value: str) -> str:
    """The address as stored (trimmed, lower case), or :class:`SubscriptionError` naming what is
    wrong. Deliberately plain: one ``@``, a dot-atom local part, a domain of DNS labels with a dot."""
    email = value.strip().lower()
    if not email:
        raise SubscriptionError("email: enter an e-mail address", code="email.empty")
    if len(email) > 254:
        raise SubscriptionError("email: an e-mail address has at most 254 characters", code="email.long")
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    if (not at or not _LOCAL.match(local) or local.startswith(".") or local.endswith(".") or ".." in local
            or len(labels) < 2 or not all(_LABEL.match(label) for label in labels)
            or labels[-1].isdigit()):
        raise SubscriptionError(f"email: {value.strip()[:80]!r} is not an e-mail address (name@example.org)",
                                code="email.invalid")
    return email


def mask(email: str) -> str:
    """An address as the logs may show it: ``j***@example.org``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirm_link(base_url: str, slug: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/status/{slug}/confirm/{token}"


def unsubscribe_link(base_url: str, slug: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/status/{slug}/unsubscribe/{token}"


def _lang(value: str) -> str:
    return "de" if value == "de" else "en"


def _confirm_prefix(subscriber_id: int) -> str:
    return f"confirm:{subscriber_id}:"


def subscribe(session: Session, *, list_key: str, email: str, lang: str, now: datetime, base_url: str,
              slug: str, title: str | None = None) -> Subscriber:
    """Put ``email`` on ``list_key`` pending confirmation and queue the confirmation mail.

    Already confirmed: nothing changes and nothing is sent (see the module's note). Pending: a new
    link is sent (the old one stops working), at most :data:`CONFIRMATIONS_PER_DAY` a day, else
    :class:`SubscriptionError` with status 429. Unsubscribed before: pending again, from scratch.
    ``title`` is the page's title in ``lang`` (the mail names what is subscribed to)."""
    address = normalize_email(email)
    lang = _lang(lang)
    row = session.scalars(select(Subscriber).where(Subscriber.list == list_key,
                                                   Subscriber.email == address)).one_or_none()
    if row is not None and row.confirmed_at is not None and row.unsubscribed_at is None:
        log.debug("subscribe %s to %s: already confirmed; nothing sent", mask(address), list_key)
        return row
    if row is None:
        row = Subscriber(list=list_key, email=address, lang=lang, source="page", created_at=now,
                         unsubscribe_token=secrets.token_urlsafe(32))
        session.add(row)
        session.flush()
    elif row.unsubscribed_at is not None:
        # Back after unsubscribing: a new subscription (new links, opt-in again).
        row.unsubscribed_at = None
        row.confirmed_at = None
        row.source = "page"
        row.unsubscribe_token = secrets.token_urlsafe(32)
    else:
        recent = session.scalar(select(func.count()).select_from(UpdateMail).where(
            UpdateMail.key.startswith(_confirm_prefix(row.id), autoescape=True),
            UpdateMail.created_at > now - timedelta(days=1)))
        if (recent or 0) >= CONFIRMATIONS_PER_DAY:
            raise SubscriptionError(f"email: {CONFIRMATIONS_PER_DAY} confirmation mails were sent to this "
                                    "address today; use the newest one or try again tomorrow",
                                    status=429, code="email.too_many")
    row.lang = lang
    token = secrets.token_urlsafe(32)
    row.confirm_hash = token_hash(token)
    # Older confirmation mails not out yet carry a link that no longer works: they stay unsent.
    session.execute(update(UpdateMail).where(
        UpdateMail.subscriber_id == row.id, UpdateMail.status == "pending",
        UpdateMail.key.startswith(_confirm_prefix(row.id), autoescape=True),
    ).values(status="cancelled", last_error="superseded by a newer confirmation mail"))
    sent_before = session.scalar(select(func.count()).select_from(UpdateMail).where(
        UpdateMail.key.startswith(_confirm_prefix(row.id), autoescape=True))) or 0
    session.add(UpdateMail(key=f"{_confirm_prefix(row.id)}{sent_before + 1}", subscriber_id=row.id,
                           message=confirmation_message(lang=lang, link=confirm_link(base_url, slug, token),
                                                        title=title or _default_title(lang)),
                           status="pending", attempts=0, next_attempt_at=now, created_at=now))
    session.flush()
    log.info("subscriber %d (%s): confirmation mail queued", row.id, list_key)
    return row


def _default_title(lang: str) -> str:
    return "Aktuelle Informationen" if lang == "de" else "Current information"


def confirmation_message(*, lang: str, link: str, title: str) -> dict[str, object]:
    text = mail_text("confirm.body", lang, title=title, link=link, days=CONFIRM_DAYS)
    return {
        "subject": mail_text("confirm.subject", lang, title=title),
        "text": text,
        "html": html_mail(lang, text.split("\n\n"), button=(mail_text("confirm.button", lang), link)),
        "lang": lang,
        "headers": {"Auto-Submitted": "auto-generated"},
    }


def _confirm_sent_at(session: Session, subscriber_id: int) -> datetime | None:
    return session.scalar(select(func.max(UpdateMail.created_at)).where(
        UpdateMail.subscriber_id == subscriber_id,
        UpdateMail.key.startswith(_confirm_prefix(subscriber_id), autoescape=True)))


def confirm(session: Session, *, token: str, now: datetime) -> Subscriber | None:
    """Confirm the subscription the link belongs to; None for an unknown, superseded or expired
    link. Following the same link again answers the same subscriber (nothing changes)."""
    if not token or len(token) > 200:
        return None
    row = session.scalars(select(Subscriber).where(Subscriber.confirm_hash == token_hash(token))).first()
    if row is None or row.unsubscribed_at is not None:
        return None
    if row.confirmed_at is None:
        sent = _confirm_sent_at(session, row.id)
        if sent is None or now - sent > timedelta(days=CONFIRM_DAYS):
            return None
        row.confirmed_at = now
        session.flush()
        log.info("subscriber %d (%s): confirmed", row.id, row.list)
    return row


def unsubscribe(session: Session, *, token: str, now: datetime) -> Subscriber | None:
    """Take the address off its list (None: no such link). Idempotent: the first time counts.
    Its mails not sent yet stay unsent."""
    if not token or len(token) > 64:
        return None
    row = session.scalars(select(Subscriber).where(Subscriber.unsubscribe_token == token)).one_or_none()
    if row is None:
        return None
    if row.unsubscribed_at is None:
        row.unsubscribed_at = now
        row.confirm_hash = None
        session.execute(update(UpdateMail).where(UpdateMail.subscriber_id == row.id,
                                                 UpdateMail.status == "pending")
                        .values(status="cancelled", last_error="unsubscribed"))
        session.flush()
        log.info("subscriber %d (%s): unsubscribed", row.id, row.list)
    return row


@dataclass(frozen=True)
class SyncResult:
    added: int = 0  # new confirmed subscribers from the file
    restored: int = 0  # named again after being left out of the file
    removed: int = 0  # left out of the file: no more mails (not an unsubscription)
    kept_off: int = 0  # named in the file but unsubscribed: they stay off


def sync_lists(session: Session, lists: Mapping[str, EmailList], *, now: datetime) -> SyncResult:
    """Make the workspace file's ``updates.email_lists`` the confirmed subscribers of those lists.

    An address named there is on its list without opt-in (source ``config``); one that
    unsubscribed stays off, whatever the file says. An address the file no longer names is taken
    off (``confirmed_at`` cleared, so naming it again puts it back). Lists the file does not name,
    and the status page's own list, are not touched. Idempotent: run it at every start and reload."""
    added = restored = removed = kept_off = 0
    for key, email_list in lists.items():
        wanted = {a.strip().lower(): email_list.lang for a in email_list.addresses}
        rows = {r.email: r for r in session.scalars(select(Subscriber).where(Subscriber.list == key))}
        for address, lang in wanted.items():
            row = rows.get(address)
            if row is None:
                session.add(Subscriber(list=key, email=address, lang=lang, source="config", created_at=now,
                                       confirmed_at=now, unsubscribe_token=secrets.token_urlsafe(32)))
                added += 1
            elif row.unsubscribed_at is not None:
                kept_off += 1
            elif row.confirmed_at is None:
                row.confirmed_at = now
                row.source = "config"
                row.confirm_hash = None
                restored += 1
        for address, row in rows.items():
            if (address not in wanted and row.source == "config" and row.confirmed_at is not None
                    and row.unsubscribed_at is None):
                row.confirmed_at = None
                removed += 1
    session.flush()
    result = SyncResult(added, restored, removed, kept_off)
    if added or restored or removed:
        log.info("e-mail lists: %d added, %d back, %d removed, %d stay unsubscribed", added, restored,
                 removed, kept_off)
    return result

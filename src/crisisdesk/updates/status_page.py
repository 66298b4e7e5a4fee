"""The public status page's read model and its Atom feed: only what was published to it.

What the public sees is exactly what a spokesperson approved and published to ``status_page``:
the updates' own title, body, phase, language and time. Nothing of the crisis itself is shown,
not its internal title, severity, type, monitors nor id: an incident's title is its first
published update's title and its public id is that update's id. An incident is *current* while
its crisis is open and its last update's phase is not ``resolved``; others are *past* and shown
for ``days`` days after their last update.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from crisisdesk.crises.models import Crisis
from crisisdesk.updates.config import Phase
from crisisdesk.updates.models import Publication, StakeholderUpdate, UpdateStatus

STATUS_PAGE = "status_page"
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_ENTRIES = 50


@dataclass(frozen=True)
class PublicUpdate:
    id: int
    phase: str
    title: str
    body: str
    lang: str
    at: datetime


@dataclass(frozen=True)
class Incident:
    """One crisis as the public sees it: its updates newest first."""

    id: int  # the first update's id: public, stable, and saying nothing about the crises
    title: str
    current: bool
    updates: list[PublicUpdate]

    @property
    def phase(self) -> str:
        return self.updates[0].phase

    @property
    def started_at(self) -> datetime:
        return self.updates[-1].at

    @property
    def updated_at(self) -> datetime:
        return self.updates[0].at


@dataclass(frozen=True)
class StatusPage:
    current: list[Incident]
    past: list[Incident]


def _published(limit: int | None = None) -> Select[StakeholderUpdate, str]:
    query = (select(StakeholderUpdate, Crisis.status)
             .join(Publication, (Publication.update_id == StakeholderUpdate.id)
                   & (Publication.channel == STATUS_PAGE))
             .join(Crisis, Crisis.id == StakeholderUpdate.crisis_id)
             .where(StakeholderUpdate.status == UpdateStatus.PUBLISHED.value,
                    StakeholderUpdate.published_at.is_not(None))
             .order_by(StakeholderUpdate.published_at.desc(), StakeholderUpdate.id.desc()))
    return query.limit(limit) if limit is not None else query


def _public(u: StakeholderUpdate) -> PublicUpdate:
    assert u.published_at is not None
    return PublicUpdate(id=u.id, phase=u.phase, title=u.title, body=u.body, lang=u.lang, at=u.published_at)


def read_page(session: Session, *, now: datetime, days: int = 30) -> StatusPage:
    """Current incidents (latest first), then past ones whose last update is at most ``days`` old."""
    by_crisis: dict[int, list[PublicUpdate]] = {}
    open_crisis: dict[int, bool] = {}
    for update, crisis_status in session.execute(_published()):
        by_crisis.setdefault(update.crisis_id, []).append(_public(update))
        open_crisis[update.crisis_id] = crisis_status == "open"
    current: list[Incident] = []
    past: list[Incident] = []
    since = now - timedelta(days=days)
    for crisis_id, updates in by_crisis.items():
        first = updates[-1]
        is_current = open_crisis[crisis_id] and updates[0].phase != Phase.RESOLVED.value
        incident = Incident(id=first.id, title=first.title, current=is_current, updates=updates)
        if is_current:
            current.append(incident)
        elif incident.updated_at >= since:
            past.append(incident)
    current.sort(key=lambda i: (i.updated_at, i.id), reverse=True)
    past.sort(key=lambda i: (i.updated_at, i.id), reverse=True)
    return StatusPage(current=current, past=past)


def latest_updates(session: Session, limit: int = FEED_ENTRIES) -> list[PublicUpdate]:
    return [_public(u) for u, _ in session.execute(_published(limit))]


def _tag(base_url: str, slug: str, update: PublicUpdate) -> str:
    """``tag:host,YYYY-MM-DD:status/slug/update/ID`` (RFC 4151): stable for the update's life."""
    host = (urlsplit(base_url).hostname or "localhost").lower()
    return f"tag:{host},{update.at.date().isoformat()}:status/{slug}/update/{update.id}"


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def atom_feed(updates: list[PublicUpdate], *, base_url: str, slug: str, title: str, lang: str,
              now: datetime) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of ``updates`` (newest first, as :func:`latest_updates` gives
    them). The feed's id is its own address; each entry's a ``tag:`` URI of the update."""
    base = base_url.rstrip("/")
    page = f"{base}/status/{slug}"
    self_url = f"{page}/feed.atom"
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: lang})
    sub(feed, "id", self_url)
    sub(feed, "title", title)
    sub(feed, "updated", _stamp(updates[0].at if updates else now))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=f"{page}?lang={lang}")
    author = sub(feed, "author")
    sub(author, "name", title)
    sub(feed, "generator", "crisisdesk")
    for update in updates:
        entry = sub(feed, "entry", **{XML_LANG: update.lang})
        sub(entry, "id", _tag(base, slug, update))
        sub(entry, "title", update.title)
        sub(entry, "updated", _stamp(update.at))
        sub(entry, "published", _stamp(update.at))
        sub(entry, "link", rel="alternate", type="text/html",
            href=f"{page}?lang={'de' if update.lang == 'de' else 'en'}#update-{update.id}")
        sub(entry, "category", term=update.phase)
        sub(entry, "content", update.body, type="text")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))

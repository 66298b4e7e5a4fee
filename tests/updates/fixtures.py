"""A world with the status page configured, a real SMTP server, and helpers that publish updates
the way the publish action does (a ``status_page`` publication delivered at once, an
``email:LIST`` one queued with its mails)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crisisdesk.crises.models import Crisis
from crisisdesk.notify.dispatcher import RetryPolicy
from crisisdesk.notify.schemas import SmtpConfig
from crisisdesk.updates.mailing import MailSender, list_name_of, queue_update_mails
from crisisdesk.updates.models import Publication, PublicationState, StakeholderUpdate, UpdateStatus
from tests.accounts.fixtures import FakeClock, World, make_world
from tests.conftest import WORKSPACE_YAML
from tests.fakes.smtp import Received, SmtpServer

BASE_URL = "https://crisis.example.org"
SLUG = "status"

UPDATES_YAML = f"""\
escalation:
  base_url: {BASE_URL}
detection:
  language: de
updates:
  status_page:
    slug: {SLUG}
    title:
      de: Störungen bei Beispiel
      en: Incidents at Example
  email_lists:
    press:
      name: {{de: Presse, en: Press}}
      addresses: [desk@news.example.net, tips@paper.example.com]
      lang: en
"""


def write_workspace(path: Path, extra: str = UPDATES_YAML) -> None:
    path.write_text(WORKSPACE_YAML + extra, encoding="utf-8")


def make_updates_world(workspace_file: Path, extra: str = UPDATES_YAML) -> Iterator[World]:
    write_workspace(workspace_file, extra)
    yield from make_world(workspace_file)


def clock_of(world: World) -> FakeClock:
    clock = world.runtime.runner.clock
    assert isinstance(clock, FakeClock)
    return clock


def sender(world: World, smtp: SmtpServer, *, attempts: int = 4) -> MailSender:
    config = SmtpConfig(host=smtp.host, port=smtp.port, starttls=False, **{"from": "updates@example.org"})
    return MailSender(lambda: world.engine, lambda: config, clock=clock_of(world),
                      policy=RetryPolicy(max_attempts=attempts, base=60.0, cap=600.0), timeout=10.0)


def add_crisis(world: World, *, title: str = "INTERNAL: scooter batteries", status: str = "open",
               at: datetime | None = None) -> int:
    at = at or clock_of(world).now()
    with world.engine.begin() as conn:
        return int(conn.execute(insert(Crisis).values(
            title=title, status=status, severity=3, opened_at=at, updated_at=at, monitors=[], reasons=[],
            resolved_at=at if status == "resolved" else None).returning(Crisis.id)).scalar_one())


@dataclass(frozen=True)
class Published:
    update_id: int
    publications: dict[str, int]
    queued: int


def publish(world: World, crisis_id: int, *, title: str, body: str = "What we know.", lang: str = "en",
            phase: str = "investigating", channels: tuple[str, ...] = ("status_page",),
            status: str = UpdateStatus.PUBLISHED, at: datetime | None = None) -> Published:
    """An update as the publish action leaves it (or, with another ``status``, as a draft stays)."""
    at = at or clock_of(world).now()
    publications: dict[str, int] = {}
    queued = 0
    with Session(world.engine) as session, session.begin():
        update = StakeholderUpdate(crisis_id=crisis_id, audience="customers", lang=lang, phase=phase,
                                   title=title, body=body, channels=list(channels), status=status,
                                   created_at=at, created_by="spokesperson@example.org", updated_at=at,
                                   published_at=at if status == UpdateStatus.PUBLISHED else None)
        session.add(update)
        session.flush()
        if status == UpdateStatus.PUBLISHED:
            for channel in channels:
                email = channel.startswith("email:")
                state = PublicationState.QUEUED if email else PublicationState.DELIVERED
                pub = Publication(update_id=update.id, channel=channel, state=state.value,
                                  detail="", created_at=at, updated_at=at)
                session.add(pub)
                session.flush()
                publications[channel] = pub.id
                if email:
                    key = channel.split(":", 1)[1]
                    name = list_name_of(world.runtime.workspace.config.updates, key, lang)
                    queued += queue_update_mails(session, publication_id=pub.id, update=update, list_key=key,
                                                 base_url=BASE_URL, slug=SLUG, now=at, list_name=name)
        return Published(update.id, publications, queued)


def publication(world: World, publication_id: int) -> Publication:
    with Session(world.engine) as session:
        found = session.scalars(select(Publication).where(Publication.id == publication_id)).one()
        session.expunge(found)
        return found


def link_in(mail: Received, kind: str) -> str:
    """The site path of the confirm or unsubscribe link in a mail's plain text."""
    text = mail.message.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(rf"{re.escape(BASE_URL)}(/status/{SLUG}/{kind}/[A-Za-z0-9_\-]+)", text.get_content())
    assert found, text.get_content()
    return found.group(1)

"""An approved update published to one of our social accounts goes the whole way: the channel
outbox, the sender, the platform (a loopback Mastodon instance in its documented wire format),
and back to the publication, which then names the status's id; a channel that cannot publish or
a text too long for the platform fails alone, with the reason, while the others go out."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.crises.models import Crisis
from crisisdesk.updates import actions, publishing
from crisisdesk.updates.models import Publication, PublicationState, StakeholderUpdate, UpdateStatus
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi
from tests.updates.test_update_flow import reach

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return T0


@pytest.fixture
def instance() -> Iterator[tuple[HttpSink, MastodonApi]]:
    api = MastodonApi("m-token", {"id": "1", "username": "voltaro", "acct": "voltaro"})
    with HttpSink(responder=api) as sink:
        api.base = sink.url
        yield sink, api


def approved(session: Session, body: str, channels: list[str]) -> StakeholderUpdate:
    crisis = Crisis(title="Akku", status="open", severity=3, opened_at=T0, updated_at=T0, monitors=[],
                    reasons=[])
    session.add(crisis)
    session.flush()
    row = StakeholderUpdate(crisis_id=crisis.id, audience="customers", lang="de", phase="identified",
                            title="Rückruf B7", body=body, channels=channels, status=UpdateStatus.APPROVED,
                            created_at=T0, created_by="kim", updated_at=T0)
    session.add(row)
    session.flush()
    return row


def test_a_social_publication_goes_out_and_names_the_status(instance: tuple[HttpSink, MastodonApi],
                                                            engine: Engine) -> None:
    sink, api = instance
    connectors = {"masto": MastodonConnector(MastodonConfig(key="masto", base_url=sink.url,
                                                            access_token="m-token"))}
    outlets = publishing.Outlets(connectors=connectors, reach=reach())
    text = "Es tut uns leid. Der Rückruf betrifft nur Akkus der Serie B7; bis 18 Uhr melden wir uns wieder."
    with Session(engine) as session, session.begin():
        update = approved(session, text, ["social:masto", "social:nowhere"])
        update_id = update.id
        pubs = actions.publish(session, update.crisis_id, update.id, outlets, actor=Actor("sina@example.org"),
                               now=T0, clock=Clock())
        states = {p.channel: (p.state, p.detail) for p in pubs}
        assert states["social:nowhere"] == (PublicationState.FAILED, "channel nowhere: not enabled")
        assert states["social:masto"][0] == PublicationState.QUEUED
    OutboxSender(lambda: engine, lambda: connectors, clock=Clock()).run_once()
    with Session(engine) as session, session.begin():
        assert publishing.refresh_queued(session, now=T0) == 1
        rows = session.scalars(select(Publication)).all()
        masto = next(p for p in rows if p.channel == "social:masto")
        assert masto.state == PublicationState.DELIVERED
        status = api.created[masto.detail]
    assert status["content"] == f"<p>{html.escape(f'Rückruf B7{chr(10)}{chr(10)}{text}')}</p>"
    assert status["visibility"] == "public" and status["language"] == "de"
    assert sink.requests[-1].headers["idempotency-key"] == f"masto:update:{update_id}"


def test_too_long_for_the_platform_fails_with_the_limit(instance: tuple[HttpSink, MastodonApi],
                                                        engine: Engine) -> None:
    sink, _ = instance
    connectors = {"masto": MastodonConnector(MastodonConfig(key="masto", base_url=sink.url,
                                                            access_token="m-token"))}
    outlets = publishing.Outlets(connectors=connectors, reach=reach())
    with Session(engine) as session, session.begin():
        update = approved(session, "Es tut uns leid. " * 60, ["social:masto", "status_page"])
        pubs = actions.publish(session, update.crisis_id, update.id, outlets, actor=Actor("sina@example.org"),
                               now=T0, clock=Clock())
        assert {p.channel: p.state for p in pubs}["status_page"] == PublicationState.DELIVERED
    OutboxSender(lambda: engine, lambda: connectors, clock=Clock()).run_once()
    with Session(engine) as session, session.begin():
        publishing.refresh_queued(session, now=T0)
        masto = next(p for p in session.scalars(select(Publication)) if p.channel == "social:masto")
        assert masto.state == PublicationState.FAILED
        assert "500" in masto.detail, masto.detail
    assert not [r for r in sink.requests if r.path.startswith("/api/v1/statuses")]

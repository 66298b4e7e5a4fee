"""The list sender against a real SMTP server: 4xx is retried with backoff, 5xx fails at once,
and the publication's state follows its mails. The workspace file's lists become subscribers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.updates.config import EmailList, Text2
from crisisdesk.updates.models import Subscriber, UpdateMail
from crisisdesk.updates.subscriptions import SubscriptionError, normalize_email, sync_lists, unsubscribe
from tests.accounts.fixtures import World
from tests.fakes.smtp import SmtpServer
from tests.updates.fixtures import add_crisis, clock_of, make_updates_world, publication, publish, sender


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_updates_world(workspace_file)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def press(world: World) -> dict[str, EmailList]:
    return dict(world.runtime.workspace.config.updates.email_lists)


def synced(world: World, lists: dict[str, EmailList] | None = None) -> None:
    with Session(world.engine) as s, s.begin():
        sync_lists(s, lists if lists is not None else press(world), now=clock_of(world).now())


def on_list(world: World, key: str = "press") -> dict[str, Subscriber]:
    with Session(world.engine) as s:
        return {r.email: r for r in s.scalars(select(Subscriber).where(Subscriber.list == key))}


def test_4xx_is_retried_5xx_fails_at_once_then_partly(world: World, smtp: SmtpServer) -> None:
    synced(world)
    crisis = add_crisis(world)
    smtp.refuse.add("tips@paper.example.com")
    smtp.script("451 4.3.0 try again later")
    sent = publish(world, crisis, title="Statement on the recall", channels=("email:press",))
    assert sent.queued == 2
    pub_id = sent.publications["email:press"]
    mailer = sender(world, smtp)

    first = mailer.run_once()
    assert (first.sent, first.retried, first.failed) == (0, 1, 1)
    pub = publication(world, pub_id)
    assert (pub.state, pub.detail) == ("queued", "0 sent, 1 failed, 1 waiting")
    assert mailer.run_once().sent == 0  # the retry is not due yet

    clock_of(world).advance(minutes=2)  # base 60 s, jitter 0.5–1.0
    second = mailer.run_once()
    assert second.sent == 1
    pub = publication(world, pub_id)
    assert (pub.state, pub.detail) == ("partly", "1 sent, 1 failed")
    assert [m.rcpt_tos for m in smtp.received] == [["desk@news.example.net"]]
    with Session(world.engine) as s:
        failed = s.scalars(select(UpdateMail).where(UpdateMail.status == "failed")).one()
    assert failed.attempts == 1 and "550" in (failed.last_error or "")
    message = smtp.received[0].message
    assert message["Subject"] == "[Press] Statement on the recall"
    assert message["List-Id"] == '"Press" <press.status.crisis.example.org>'


def test_a_list_whose_every_mail_failed_is_failed(world: World, smtp: SmtpServer) -> None:
    synced(world)
    sent = publish(world, add_crisis(world), title="x", channels=("email:press",))
    smtp.script(*["421 4.7.0 busy"] * 4)
    mailer = sender(world, smtp, attempts=2)
    mailer.run_once()
    clock_of(world).advance(minutes=5)
    report = mailer.run_once()
    assert report.failed == 2
    pub = publication(world, sent.publications["email:press"])
    assert (pub.state, pub.detail) == ("failed", "0 sent, 2 failed")
    with Session(world.engine) as s:
        errors = [m.last_error or "" for m in s.scalars(select(UpdateMail))]
    assert all(e.startswith("gave up after 2 attempts") for e in errors)


def test_without_an_smtp_server_mails_wait(world: World) -> None:
    from crisisdesk.updates.mailing import MailSender

    synced(world)
    publish(world, add_crisis(world), title="x", channels=("email:press",))
    report = MailSender(world.engine, lambda: None, clock=clock_of(world)).run_once()
    assert report.sent == report.failed == report.retried == 0
    with Session(world.engine) as s:
        assert {m.status for m in s.scalars(select(UpdateMail))} == {"pending"}


def test_a_mail_queued_before_unsubscribing_is_not_sent(world: World, smtp: SmtpServer) -> None:
    synced(world)
    sent = publish(world, add_crisis(world), title="x", channels=("email:press",))
    token = on_list(world)["tips@paper.example.com"].unsubscribe_token
    with Session(world.engine) as s, s.begin():
        assert unsubscribe(s, token=token, now=clock_of(world).now()) is not None
    sender(world, smtp).run_once()
    assert [m.rcpt_tos for m in smtp.received] == [["desk@news.example.net"]]
    pub = publication(world, sent.publications["email:press"])
    assert (pub.state, pub.detail) == ("delivered", "1 sent, 1 unsubscribed")


def test_the_files_lists_become_subscribers_once_and_unsubscribing_sticks(world: World) -> None:
    synced(world)
    rows = on_list(world)
    assert set(rows) == {"desk@news.example.net", "tips@paper.example.com"}
    assert all(r.source == "config" and r.confirmed_at is not None and r.lang == "en" for r in rows.values())
    synced(world)
    assert on_list(world).keys() == rows.keys()
    with Session(world.engine) as s, s.begin():
        unsubscribe(s, token=rows["tips@paper.example.com"].unsubscribe_token, now=clock_of(world).now())
    synced(world)
    assert on_list(world)["tips@paper.example.com"].unsubscribed_at is not None  # stays off

    fewer = {"press": EmailList(name=Text2(de="Presse", en="Press"), addresses=["tips@paper.example.com"])}
    synced(world, fewer)
    assert on_list(world)["desk@news.example.net"].confirmed_at is None  # left out: no more mails
    synced(world)
    assert on_list(world)["desk@news.example.net"].confirmed_at is not None  # named again: back


@pytest.mark.parametrize(("raw", "ok"), [
    ("Ann.Lee+news@Example.org", "ann.lee+news@example.org"),
    ("x@sub.example.co.uk", "x@sub.example.co.uk"),
    ("a@b", None), ("a@@b.org", None), (".a@b.org", None), ("a..b@c.org", None), ("a b@c.org", None),
    ("a@-b.org", None), ("a@b.123", None), ("<a@b.org>", None), ("", None),
])
def test_addresses(raw: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(SubscriptionError) as caught:
            normalize_email(raw)
        assert caught.value.status == 422
    else:
        assert normalize_email(raw) == ok

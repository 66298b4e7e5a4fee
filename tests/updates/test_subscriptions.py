"""Double opt-in through the public endpoints, with the mails going through a real SMTP server:
subscribe, confirm by the mail's link, receive an update with RFC 8058 headers, unsubscribe with
one click, and hear nothing more. The page never says whether an address is subscribed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.updates.models import Subscriber, UpdateMail
from tests.accounts.fixtures import World
from tests.fakes.smtp import SmtpServer
from tests.updates.fixtures import (
    BASE_URL,
    SLUG,
    add_crisis,
    clock_of,
    link_in,
    make_updates_world,
    publication,
    publish,
    sender,
)

PAGE = f"/status/{SLUG}"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_updates_world(workspace_file)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def subscribers(world: World) -> list[Subscriber]:
    with Session(world.engine) as s:
        return list(s.scalars(select(Subscriber).where(Subscriber.list == "subscribers")))


def mails(world: World) -> list[UpdateMail]:
    with Session(world.engine) as s:
        return list(s.scalars(select(UpdateMail).order_by(UpdateMail.id)))


def test_subscribe_confirm_receive_unsubscribe(world: World, smtp: SmtpServer) -> None:
    client = world.client
    r = client.post(f"{PAGE}/subscribe", data={"email": " Ann@Example.org ", "lang": "de", "website": ""})
    assert r.status_code == 200, r.text
    assert "Bitte prüfen Sie Ihr Postfach" in r.text
    mailer = sender(world, smtp)
    assert mailer.run_once().sent == 1
    [confirmation] = smtp.received
    assert confirmation.rcpt_tos == ["ann@example.org"]
    message = confirmation.message
    assert message["Subject"].startswith("Bitte bestätigen Sie Ihr Abonnement: Störungen bei Beispiel")
    assert message["Content-Language"] == "de"
    assert "List-Unsubscribe" not in message  # a confirmation is not list mail
    [row] = subscribers(world)
    assert row.confirmed_at is None and row.confirm_hash is not None
    path = link_in(confirmation, "confirm")
    assert path.rsplit("/", 1)[1] not in row.confirm_hash  # only the hash is stored

    page = client.get(path)
    assert page.status_code == 200
    assert "Abonnement bestätigt" in page.text
    assert client.get(path).status_code == 200  # following it twice is fine

    crisis = add_crisis(world)
    first = publish(world, crisis, title="Scooter batteries: we are checking", lang="en",
                    channels=("status_page", "email:subscribers"))
    assert first.queued == 1
    report = mailer.run_once()
    assert report.sent == 1
    update_mail = smtp.received[-1].message
    assert update_mail["To"] == "ann@example.org"
    assert update_mail["Subject"] == "[Incidents at Example] Scooter batteries: we are checking"
    assert update_mail["Precedence"] == "bulk"
    assert update_mail["Auto-Submitted"] == "auto-generated"
    assert update_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert update_mail["List-Id"] == '"Incidents at Example" <subscribers.status.crisis.example.org>'
    unsubscribe = update_mail["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{BASE_URL}/status/{SLUG}/unsubscribe/") and unsubscribe.endswith(">")
    assert update_mail["Message-ID"].endswith("@example.org>")
    html = update_mail.get_body(preferencelist=("html",))
    assert html is not None and "Unsubscribe</a>" in html.get_content()
    pub = publication(world, first.publications["email:subscribers"])
    assert (pub.state, pub.detail) == ("delivered", "1 sent")

    # Publishing the same update again queues nothing new.
    with Session(world.engine) as s, s.begin():
        from crisisdesk.updates.mailing import queue_update_mails
        from crisisdesk.updates.models import StakeholderUpdate

        update = s.get_one(StakeholderUpdate, first.update_id)
        assert queue_update_mails(s, publication_id=pub.id, update=update, list_key="subscribers",
                                  base_url=BASE_URL, slug=SLUG, now=clock_of(world).now()) == 0

    # The mail client's one-click POST (RFC 8058): no session, no CSRF token, the token is the key.
    one_click = unsubscribe[1:-1].removeprefix(BASE_URL)
    r = client.post(one_click, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert r.status_code == 200, r.text
    assert "Abbestellt" in r.text  # the subscriber's language
    again = client.post(one_click, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert again.status_code == 200  # idempotent
    [row] = subscribers(world)
    assert row.unsubscribed_at is not None

    second = publish(world, crisis, title="Scooter batteries: the cause", phase="identified",
                     channels=("status_page", "email:subscribers"))
    assert second.queued == 0
    assert mailer.run_once().sent == 0
    assert len(smtp.received) == 2
    pub = publication(world, second.publications["email:subscribers"])
    assert (pub.state, pub.detail) == ("delivered", "0 sent")


def test_the_answer_is_the_same_whatever_the_address_is(world: World, smtp: SmtpServer) -> None:
    client = world.client
    first = client.post(f"{PAGE}/subscribe", data={"email": "bob@example.org", "lang": "en"})
    mailer = sender(world, smtp)
    mailer.run_once()
    assert client.get(link_in(smtp.received[0], "confirm")).status_code == 200
    again = client.post(f"{PAGE}/subscribe", data={"email": "BOB@example.org", "lang": "en"})
    assert again.status_code == first.status_code == 200
    assert again.text == first.text  # confirmed or not: the same page
    assert len(mails(world)) == 1  # and no mail to a confirmed address
    assert "Please check your inbox" in again.text


def test_pending_addresses_get_a_new_link_a_few_times_a_day(world: World, smtp: SmtpServer) -> None:
    client = world.client
    mailer = sender(world, smtp)
    for _ in range(3):
        r = client.post(f"{PAGE}/subscribe", data={"email": "cem@example.org", "lang": "en"})
        assert r.status_code == 200
        mailer.run_once()
    assert len(smtp.received) == 3
    links = [link_in(m, "confirm") for m in smtp.received]
    refused = client.post(f"{PAGE}/subscribe", data={"email": "cem@example.org", "lang": "en"})
    assert refused.status_code == 429
    assert "several confirmation links" in refused.text
    old = client.get(links[0])
    assert old.status_code == 404  # only the newest link works
    assert "Link expired or unknown" in old.text or "Link abgelaufen" in old.text
    assert client.get(links[-1]).status_code == 200
    clock_of(world).advance(days=1, minutes=1)
    assert len(subscribers(world)) == 1


def test_a_confirmation_link_expires(world: World, smtp: SmtpServer) -> None:
    world.client.post(f"{PAGE}/subscribe", data={"email": "dana@example.org", "lang": "en"})
    sender(world, smtp).run_once()
    clock_of(world).advance(days=8)
    r = world.client.get(link_in(smtp.received[0], "confirm"), headers={"accept-language": "en"})
    assert r.status_code == 404
    assert "Link expired or unknown" in r.text


def test_an_unsubscribed_address_may_subscribe_again_with_opt_in(world: World, smtp: SmtpServer) -> None:
    client = world.client
    mailer = sender(world, smtp)
    client.post(f"{PAGE}/subscribe", data={"email": "eve@example.org", "lang": "en"})
    mailer.run_once()
    client.get(link_in(smtp.received[0], "confirm"))
    [row] = subscribers(world)
    client.post(f"{PAGE}/unsubscribe/{row.unsubscribe_token}")
    client.post(f"{PAGE}/subscribe", data={"email": "eve@example.org", "lang": "en"})
    [row] = subscribers(world)
    assert row.unsubscribed_at is None and row.confirmed_at is None  # pending again
    mailer.run_once()
    assert len(smtp.received) == 2
    assert client.get(link_in(smtp.received[1], "confirm")).status_code == 200


@pytest.mark.parametrize(("email", "says"), [
    ("", "Please enter an e-mail address."),
    ("not-an-address", "That is not a valid e-mail address"),
    ("a@b", "That is not a valid e-mail address"),
    ("x@" + "a" * 300 + ".org", "too long"),
])
def test_an_invalid_address_is_refused_with_422(world: World, email: str, says: str) -> None:
    r = world.client.post(f"{PAGE}/subscribe", data={"email": email, "lang": "en"})
    assert r.status_code == 422
    assert says in r.text
    assert subscribers(world) == []


def test_a_filled_honeypot_changes_nothing(world: World) -> None:
    r = world.client.post(f"{PAGE}/subscribe", data={"email": "bot@example.org", "lang": "en",
                                                     "website": "http://spam.example"})
    assert r.status_code == 200
    assert "Please check your inbox" in r.text
    assert subscribers(world) == [] and mails(world) == []


def test_one_client_may_subscribe_only_a_few_times(world: World) -> None:
    for i in range(5):
        r = world.client.post(f"{PAGE}/subscribe", data={"email": f"p{i}@example.org", "lang": "en"})
        assert r.status_code == 200
    r = world.client.post(f"{PAGE}/subscribe", data={"email": "p9@example.org", "lang": "en"})
    assert r.status_code == 429
    assert "Too many subscriptions from your connection" in r.text
    assert int(r.headers["Retry-After"]) > 0
    assert len(subscribers(world)) == 5


def test_unsubscribe_page_asks_first_and_unknown_links_are_404(world: World, smtp: SmtpServer) -> None:
    client = world.client
    client.post(f"{PAGE}/subscribe", data={"email": "fay@example.org", "lang": "de"})
    sender(world, smtp).run_once()
    client.get(link_in(smtp.received[0], "confirm"))
    [row] = subscribers(world)
    url = f"{PAGE}/unsubscribe/{row.unsubscribe_token}"
    page = client.get(url)
    assert page.status_code == 200
    assert "E-Mails abbestellen" in page.text and 'method="post"' in page.text
    assert subscribers(world)[0].unsubscribed_at is None  # GET does nothing (link scanners)
    assert client.post(url).status_code == 200
    assert "Abbestellt" in client.get(url).text
    unknown = client.get(f"{PAGE}/unsubscribe/nope", headers={"accept-language": "en"})
    assert unknown.status_code == 404
    assert "We do not know this unsubscribe link." in unknown.text
    assert client.post(f"{PAGE}/unsubscribe/nope").status_code == 404
    assert client.get(f"/status/other/unsubscribe/{row.unsubscribe_token}").status_code == 404


def test_a_signed_in_browser_needs_no_csrf_token_on_the_public_forms(world: World) -> None:
    from crisisdesk.accounts.roles import Role

    client, _ = world.session_client(Role.ANALYST)
    r = client.post(f"{PAGE}/subscribe", data={"email": "gil@example.org", "lang": "en"})
    assert r.status_code == 200, r.text

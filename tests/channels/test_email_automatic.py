"""Mail no person wrote: a bounce of our reply fails that reply's delivery; automatic replies are kept
as unparsed, never as the person's message; a rule's reply says it is automatic (RFC 3834)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest

from crisisdesk.channels.base import DeliveryState
from crisisdesk.channels.email.config import EmailConfig
from crisisdesk.channels.email.connector import EmailConnector
from crisisdesk.channels.email.mapping import map_body
from crisisdesk.channels.email.sending import message_id
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outbox import outbound
from crisisdesk.channels.outgoing import Action
from tests.fakes.smtp import SmtpServer

MAILBOX = "service@voltaro.example"
OURS = message_id("mail:rule-refund-17-0", "voltaro.example")

DSN = f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: {MAILBOX}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 07 Dec 2026 10:05:00 +0100
Message-ID: <bounce1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org. Your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon,  7 Dec 2026 10:04:58 +0100 (CET)

Final-Recipient: rfc822; lena@example.org
Original-Recipient: rfc822;lena@example.org
Action: {{action}}
Status: {{status}}
Remote-MTA: dns; mail.example.org
Diagnostic-Code: smtp; 550 5.1.1 <lena@example.org>: Recipient address rejected: User unknown

--B1
Content-Type: {{returned}}

From: Voltaro Service <{MAILBOX}>
To: Lena Wolf <lena@example.org>
Subject: Re: Rückerstattung
Message-ID: <{{about}}>

--B1--
"""


def stored(raw: str | bytes) -> bytes:
    data = raw.encode() if isinstance(raw, str) else raw
    if b"\r\n" not in data:  # written here with bare line ends; mail travels with CRLF
        data = data.replace(b"\n", b"\r\n")
    return orjson.dumps({"uid": 9, "uidvalidity": 1, "internaldate": "2026-12-07T09:05:02+00:00",
                         "message": base64.b64encode(data).decode()})


def dsn(*, action: str = "failed", status: str = "5.1.1", returned: str = "message/rfc822",
        about: str = OURS) -> str:
    return DSN.format(action=action, status=status, returned=returned, about=about)


@pytest.mark.parametrize("returned", ["message/rfc822", "text/rfc822-headers"])
def test_a_bounce_of_our_reply_fails_its_delivery_with_the_servers_reason(returned: str) -> None:
    delivery = map_body(stored(dsn(returned=returned)), channel="mail", own_address=MAILBOX)
    assert delivery.posts == [] and delivery.unparsed == []
    [status] = delivery.statuses
    assert status.external_id == OURS and status.state is DeliveryState.FAILED
    assert status.at == datetime(2026, 12, 7, 9, 5, tzinfo=UTC)
    assert status.error is not None
    assert "lena@example.org" in status.error and "5.1.1" in status.error and "User unknown" in status.error


def test_an_old_style_bounce_names_our_reply_in_its_headers() -> None:
    raw = (f"From: MAILER-DAEMON@mx.example.org\nTo: {MAILBOX}\nSubject: failure notice\n"
           f"In-Reply-To: <{OURS}>\nMessage-ID: <b2@mx.example.org>\n\n"
           "Sorry, we were unable to deliver your message to lena@example.org.\n")
    delivery = map_body(stored(raw), channel="mail", own_address=MAILBOX)
    assert [(s.external_id, s.state, s.error) for s in delivery.statuses] == [
        (OURS, DeliveryState.FAILED, "failure notice")]
    assert delivery.posts == []


@pytest.mark.parametrize(("raw", "named"), [
    (dsn(action="delayed", status="4.4.1"), "delivery report (delayed or other)"),
    (dsn(about="CAB123@mail.gmail.com"), "delivery report (failed) about a mail crisisdesk did not send"),
])
def test_reports_that_fail_none_of_our_replies_are_kept_unparsed(raw: str, named: str) -> None:
    delivery = map_body(stored(raw), channel="mail", own_address=MAILBOX)
    assert delivery.posts == [] and delivery.statuses == []
    [kept] = delivery.unparsed
    assert kept.what.startswith(named)
    assert kept.raw["message_id"] == "bounce1@mx.example.org"


PERSON = ("From: Lena Wolf <lena@example.org>\nTo: {mailbox}\nSubject: {subject}\n"
          "Message-ID: <r1@example.org>\n")


@pytest.mark.parametrize(("headers", "responder"), [
    ("Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
    ("Auto-Submitted: auto-generated; owner-email=lena@example.org\n", "Auto-Submitted: auto-generated"),
    ("X-Autoreply: yes\n", "X-Autoreply: yes"),
    ("X-Autorespond: Abwesenheitsnotiz\n", "X-Autorespond: abwesenheitsnotiz"),
    ("Precedence: auto_reply\n", "Precedence: auto_reply"),
])
def test_automatic_replies_are_kept_unparsed_not_as_the_persons_message(headers: str, responder: str) -> None:
    raw = PERSON.format(mailbox=MAILBOX, subject="Abwesend: Re: Rückerstattung") + headers + \
        "\nIch bin bis zum 14.12. nicht im Büro.\n"
    delivery = map_body(stored(raw), channel="mail", own_address=MAILBOX)
    assert delivery.posts == [] and delivery.statuses == []
    [kept] = delivery.unparsed
    assert kept.what.startswith(f"automatic reply ({responder})")
    assert kept.raw["subject"] == "Abwesend: Re: Rückerstattung"


@pytest.mark.parametrize("headers", ["", "Auto-Submitted: no\n", "Precedence: bulk\n", "X-Autoreply: no\n"])
def test_a_persons_mail_stays_a_post(headers: str) -> None:
    raw = PERSON.format(mailbox=MAILBOX, subject="Rückerstattung") + headers + "\nWo bleibt mein Geld?\n"
    delivery = map_body(stored(raw), channel="mail", own_address=MAILBOX)
    assert [p.post["text"] for p in delivery.posts] == ["Rückerstattung\n\nWo bleibt mein Geld?"]
    assert delivery.unparsed == [] and delivery.statuses == []


def item(created_by: str) -> OutboxItem:
    lena = {"id": "lena@example.org", "handle": "lena@example.org", "name": "Lena Wolf"}
    return OutboxItem(channel="mail", action=Action.REPLY_PRIVATE.value, idempotency_key="k-1",
                      target="m9@example.org", thread="email:mail:m9@example.org",
                      recipient="lena@example.org", text="Wir kümmern uns.",
                      context={"post": {"id": "m9@example.org", "subject": "Akku", "author": lena}},
                      created_by=created_by)


def test_a_rules_reply_says_it_is_automatic_and_a_persons_does_not() -> None:
    assert outbound(item("rule:refund")).context["automatic"] is True
    assert outbound(item("agent@voltaro.example")).context["automatic"] is False
    with SmtpServer() as server:
        channel = EmailConnector(EmailConfig.model_validate({
            "key": "mail", "address": MAILBOX,
            "imap": {"host": "127.0.0.1", "username": MAILBOX, "password": "unused"},
            "smtp": {"host": "127.0.0.1", "port": server.port, "starttls": False,
                     "from": f"Voltaro Service <{MAILBOX}>"}}))
        channel.send(outbound(item("rule:refund")))
        channel.send(outbound(item("agent@voltaro.example")))
        rule_mail, person_mail = server.received
    assert rule_mail.message["Auto-Submitted"] == "auto-replied"
    assert person_mail.message["Auto-Submitted"] is None
    # read back from the mailbox, the rule's answer is still our own reply in the thread, not an
    # automatic reply to keep apart
    back = channel.parse(stored(rule_mail.raw))
    assert back.unparsed == [] and [(p.own, p.post["in_reply_to"]) for p in back.posts] == [
        (True, "m9@example.org")]

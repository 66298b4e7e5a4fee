"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from crisisdesk.notify import PermanentError, RetryableError
from crisisdesk.notify.base import DeliveryContext, SenderDeps
from crisisdesk.notify.email import EmailSender
from crisisdesk.notify.schemas import EmailTarget, SmtpConfig
from tests.fakes.smtp import SmtpServer, free_port
from tests.notify.samples import FakeClock, notification

CTX = DeliveryContext(key="situation:42:step:1:presse")
TO = ["presse@example.org", "lead@example.org"]


def smtp_for(server: SmtpServer, **kw: object) -> SmtpConfig:
    return SmtpConfig.model_validate({"host": server.host, "port": server.port, "starttls": False,
                                      "from": "crisisdesk <alerts@example.org>", **kw})


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def sender(smtp: SmtpConfig, http: httpx.Client, clock: FakeClock) -> EmailSender:
    return EmailSender(SenderDeps(http=http, clock=clock, smtp=smtp))


@pytest.mark.parametrize(
    ("lang", "subject", "greeting", "button"),
    [
        ("de", "[crisisdesk] Kritisch · Neue Lage: Zugausfälle rund um Berlin (bahn)",
         "Warum dieser Schweregrad:", ">Bestätigen</a>"),
        ("en", "[crisisdesk] Critical · New situation: Zugausfälle rund um Berlin (bahn)",
         "Why this severity:", ">Acknowledge</a>"),
    ],
)
def test_multipart_text_and_html_in_each_language(
    smtp_server: SmtpServer, http: httpx.Client, clock: FakeClock, lang: str, subject: str, greeting: str,
    button: str,
) -> None:
    result = sender(smtp_for(smtp_server), http, clock).send(
        notification(lang=lang), EmailTarget(to=TO), context=CTX)
    (got,) = smtp_server.received
    assert got.mail_from == "alerts@example.org"
    assert got.rcpt_tos == TO
    msg = got.message
    assert msg["Subject"] == subject
    assert msg["To"] == ", ".join(TO)
    assert msg["Content-Language"] == lang
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == result.remote_id and msg["Message-ID"].endswith("@example.org>")
    assert msg.get_content_type() == "multipart/alternative"
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert greeting in text and "https://crisisdesk.example/ack/42?t=abc&step=1" in text
    assert "Schon wieder alles <kaputt> & keiner sagt was" in text
    assert button in html
    assert 'href="https://crisisdesk.example/ack/42?t=abc&amp;step=1"' in html
    assert "Schon wieder alles &lt;kaputt&gt; &amp; keiner sagt was" in html  # escaped in HTML
    assert result.detail == "accepted for 2 of 2 recipients"


def test_message_id_is_stable_across_attempts(smtp_server: SmtpServer, http: httpx.Client,
                                              clock: FakeClock) -> None:
    s = sender(smtp_for(smtp_server), http, clock)
    first = s.send(notification(), EmailTarget(to=TO), context=CTX)
    again = s.send(notification(), EmailTarget(to=TO), context=DeliveryContext(key=CTX.key, attempt=2))
    assert first.remote_id == again.remote_id


def test_login(http: httpx.Client, clock: FakeClock) -> None:
    with SmtpServer(users={"alerts": "pw"}) as server:
        sender(smtp_for(server, username="alerts", password="pw"), http, clock).send(
            notification(), EmailTarget(to=TO), context=CTX)
        assert server.received[0].login == "alerts"
        with pytest.raises(PermanentError, match="login refused: 535"):
            sender(smtp_for(server, username="alerts", password=SecretStr("wrong")), http, clock).send(
                notification(), EmailTarget(to=TO), context=CTX)


def test_temporary_refusal_retries_and_permanent_fails(
    smtp_server: SmtpServer, http: httpx.Client, clock: FakeClock
) -> None:
    s = sender(smtp_for(smtp_server), http, clock)
    smtp_server.script("451 4.3.0 try again later")
    with pytest.raises(RetryableError, match="451"):
        s.send(notification(), EmailTarget(to=TO), context=CTX)
    smtp_server.script("554 5.7.1 rejected as spam")
    with pytest.raises(PermanentError, match="554"):
        s.send(notification(), EmailTarget(to=TO), context=CTX)
    smtp_server.refuse = set(TO)
    with pytest.raises(PermanentError, match="every recipient refused"):
        s.send(notification(), EmailTarget(to=TO), context=CTX)
    assert smtp_server.received == []


def test_partly_refused_counts_as_sent(smtp_server: SmtpServer, http: httpx.Client, clock: FakeClock) -> None:
    smtp_server.refuse = {"lead@example.org"}
    result = sender(smtp_for(smtp_server), http, clock).send(notification(), EmailTarget(to=TO), context=CTX)
    assert result.detail == "accepted for 1 of 2 recipients; refused: lead@example.org (550)"
    assert smtp_server.received[0].rcpt_tos == ["presse@example.org"]


def test_no_server_is_retryable(http: httpx.Client, clock: FakeClock) -> None:
    smtp = SmtpConfig.model_validate({"host": "127.0.0.1", "port": free_port(), "starttls": False,
                                      "from": "alerts@example.org"})
    with pytest.raises(RetryableError, match="ConnectionRefusedError"):
        sender(smtp, http, clock).send(notification(), EmailTarget(to=TO, timeout=2), context=CTX)


def test_starttls_not_offered_is_permanent(smtp_server: SmtpServer, http: httpx.Client,
                                           clock: FakeClock) -> None:
    with pytest.raises(PermanentError, match="STARTTLS"):
        sender(smtp_for(smtp_server, starttls=True), http, clock).send(
            notification(), EmailTarget(to=TO), context=CTX)

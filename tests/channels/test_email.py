"""The e-mail channel against a real Dovecot: UID cursor, UIDVALIDITY, IDLE, MIME and threads."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.email.config import EmailConfig
from crisisdesk.channels.email.connector import EmailConnector
from crisisdesk.channels.polling import poll_once
from crisisdesk.channels.service import load_cursor, pending
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.conftest import servers_required
from tests.fakes.dovecot import Dovecot, dovecot_binary

USER, PASSWORD = "service@voltaro.example", "s3cret-mailbox"

pytestmark = pytest.mark.skipif(dovecot_binary() is None and not servers_required(),
                                reason="dovecot is not installed (apt-get install dovecot-imapd)")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with Dovecot({USER: PASSWORD}) as server:
        yield server


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Iterator[tuple[IMAPClient, str]]:
    """A fresh folder per test (the shared server keeps running)."""
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
    client.login(USER, PASSWORD)
    folder = f"T{os.getpid()}x{time.monotonic_ns()}"
    client.create_folder(folder)
    yield client, folder
    client.delete_folder(folder)
    client.logout()


def config(dovecot: Dovecot, folder: str, *, password: str = PASSWORD, **extra: Any) -> EmailConfig:
    return EmailConfig.model_validate({
        "key": "support", "address": USER, "interval": 2, **extra,
        "imap": {"host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": USER,
                 "password": password, "folder": folder}})


def mail(n: int, *, subject: str = "Akku defekt", body: str = "Mein Akku ist nach zwei Tagen kaputt.",
         sender: str = "Lena Krause <lena@example.org>", extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\nMessage-ID: <m{n}@example.org>\r\n"
            f"Date: Fri, 04 Dec 2026 10:0{n % 10}:00 +0100\r\n{extra}MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
            ).encode()


def posts_of(connector: EmailConnector, engine: Engine) -> list[Any]:
    out = []
    for delivery in pending(engine, channels=[connector.key]):
        out.extend(connector.parse(delivery.body).posts)
    return out


def test_new_mails_by_uid_with_threads_mime_and_own_replies(mailbox: tuple[IMAPClient, str],
                                                            dovecot: Dovecot, engine: Engine) -> None:
    client, folder = mailbox
    client.append(folder, mail(1, subject="=?utf-8?q?R=C3=BCckerstattung_=C3=BCberf=C3=A4llig?="))
    html = (b"From: tom@example.org\r\nSubject: Brand\r\nMessage-ID: <m2@example.org>\r\n"
            b"Date: Fri, 04 Dec 2026 11:00:00 +0100\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n"
            b"<p>Der Roller <b>brennt</b>!<br>Gr\xfc\xdfe</p>\r\n")
    client.append(folder, html)
    connector = EmailConnector(config(dovecot, folder))
    clock = SystemClock()
    poll_once(connector, engine=engine, clock=clock)
    assert load_cursor(engine, "support")["last_uid"] == 2  # type: ignore[index]
    # A reply in the thread (quoted history cut), our own answer, and a mail with an attachment.
    client.append(folder, mail(3, subject="Re: Rückerstattung", extra="In-Reply-To: <m9@example.org>\r\n"
                               "References: <m1@example.org> <m9@example.org>\r\n",
                               body="Immer noch nichts!\r\n\r\n"
                                    "Am 04.12.2026 um 10:01 schrieb Voltaro:\r\n> Wir prüfen"))
    client.append(folder, mail(9, sender=f"Voltaro Service <{USER}>", subject="Re: Rückerstattung",
                               extra="In-Reply-To: <m1@example.org>\r\nReferences: <m1@example.org>\r\n",
                               body="Wir prüfen das, Lena."))
    client.append(folder, (
        b"From: a@example.org\r\nSubject: Foto\r\nMessage-ID: <m4@example.org>\r\nMIME-Version: 1.0\r\n"
        b"Date: Fri, 04 Dec 2026 12:00:00 +0100\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nSiehe Bild\r\n"
        b"--XX\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=akku.jpg\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--XX--\r\n"))
    restarted = EmailConnector(config(dovecot, folder))  # a restart goes on from the stored cursor
    poll_once(restarted, engine=engine, clock=clock)
    posts = posts_of(connector, engine)
    by_id = {p.post["id"]: p for p in posts}
    assert sorted(by_id) == ["m1@example.org", "m2@example.org", "m3@example.org", "m4@example.org",
                             "m9@example.org"]  # each once
    first = by_id["m1@example.org"]
    assert first.post["text"].startswith("Rückerstattung überfällig\n\nMein Akku")
    assert first.post["created_at"] == "2026-12-04T09:01:00+00:00" and not first.public
    assert first.post["author"] == {"id": "lena@example.org", "handle": "lena@example.org",
                                    "name": "Lena Krause"}
    assert by_id["m2@example.org"].post["text"] == "Brand\n\nDer Roller brennt!\nGrüße"
    reply = by_id["m3@example.org"]
    assert reply.post["text"] == "Re: Rückerstattung\n\nImmer noch nichts!"
    assert reply.thread == first.thread == "email:support:m1@example.org"
    assert reply.post["in_reply_to"] == "m9@example.org"
    assert by_id["m9@example.org"].own and not first.own
    (attachment,) = by_id["m4@example.org"].attachments
    assert (attachment.type, attachment.name, attachment.mime_type) == ("image", "akku.jpg", "image/jpeg")


def test_a_new_uidvalidity_reads_the_folder_again_without_counting_twice(
        mailbox: tuple[IMAPClient, str], dovecot: Dovecot, workspace_file: Path) -> None:
    client, folder = mailbox
    client.append(folder, mail(1))
    workspace_file.write_text(
        "monitors:\n  - name: akku\n    query: akku\n"
        f"channels:\n  - key: support\n    platform: email\n    address: {USER}\n    interval: 2\n"
        f"    imap: {{host: 127.0.0.1, port: {dovecot.port}, ssl: false, username: {USER}, "
        f"password: {PASSWORD}, folder: {folder}}}\n", encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    try:
        connector = runtime.connectors()["support"]
        poll_once(connector, engine=runtime.engine, clock=SystemClock())  # type: ignore[arg-type]
        runtime.process_deliveries()
        old = load_cursor(runtime.engine, "support")
        client.delete_folder(folder)  # the server renumbers: a new folder under the same name
        client.create_folder(folder)
        client.append(folder, mail(1))
        client.append(folder, mail(2, body="Akku Nummer zwei"))
        poll_once(connector, engine=runtime.engine, clock=SystemClock())  # type: ignore[arg-type]
        runtime.process_deliveries()
        new = load_cursor(runtime.engine, "support")
        assert new is not None and old is not None and new["uidvalidity"] != old["uidvalidity"]
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Post)).scalar_one() == 2
    finally:
        runtime.close()


def test_idle_returns_as_soon_as_a_mail_arrives(mailbox: tuple[IMAPClient, str], dovecot: Dovecot) -> None:
    client, folder = mailbox
    connector = EmailConnector(config(dovecot, folder, interval=20))
    first = connector.fetch(None)
    timer = threading.Timer(1.0, lambda: client.append(folder, mail(5)))
    started = time.monotonic()
    timer.start()
    waited = connector.fetch(first.cursor)  # nothing new: waits in IDLE until the append
    elapsed = time.monotonic() - started
    timer.join()
    assert waited.bodies == [] and waited.wait == 0.0
    assert 0.8 < elapsed < 10, elapsed
    assert len(connector.fetch(waited.cursor).bodies) == 1


def test_refused_login_and_the_check_command(mailbox: tuple[IMAPClient, str], dovecot: Dovecot,
                                             workspace_file: Path) -> None:
    _, folder = mailbox
    with pytest.raises(PlatformError) as caught:
        EmailConnector(config(dovecot, folder, password="wrong")).fetch(None)
    assert caught.value.reauthorize and "refused" in str(caught.value)
    workspace_file.write_text(
        f"channels:\n  - key: support\n    platform: email\n    address: {USER}\n"
        f"    imap: {{host: 127.0.0.1, port: {dovecot.port}, ssl: false, username: {USER}, "
        f"password: {PASSWORD}, folder: {folder}}}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["channels", "check", "support", "--config", str(workspace_file)])
    assert result.exit_code == 0, result.output
    assert f"{USER} on 127.0.0.1:{dovecot.port}" in result.output and "idle: yes" in result.output

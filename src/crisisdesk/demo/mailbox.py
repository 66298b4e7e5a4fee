"""The demo's mail server: a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives.

The demo workspace sends its e-mail through it (``notify.smtp``): the stakeholder updates to the
press list and the status page's subscribers, and the confirmation mails of subscriptions made on
the status page during the demo. Nothing leaves the machine; the terminal shows what arrived (with
the confirmation links, so that a person trying the status page can confirm their subscription).
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_LINK = re.compile(r"https?://\S+/status/\S+/(?:confirm|unsubscribe)/\S+")


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def confirm_link(self) -> str | None:
        """The link of a subscription's confirmation mail (None for other mails)."""
        body = self.message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        found = [m for m in _LINK.findall(text) if "/confirm/" in m]
        return found[0] if found else None


class _Handler:
    def __init__(self, box: DemoMailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.box.lock:
            self.box.received.append(Mail(tuple(envelope.rcpt_tos), envelope.original_content or b""))
        return "250 2.0.0 accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DemoMailbox:
    """``with DemoMailbox() as box:``; ``box.port``, then ``box.received``."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.received: list[Mail] = []
        self.lock = threading.Lock()
        self._controller: Any = Controller(_Handler(self), hostname=self.host, port=self.port)

    def __enter__(self) -> DemoMailbox:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()

    def mails(self) -> list[Mail]:
        with self.lock:
            return list(self.received)

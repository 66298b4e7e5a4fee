from __future__ import annotations

import base64
import contextlib
import ssl
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from crisisdesk.channels.base import Capability, CheckResult, Delivery, Fetched, PlatformError
from crisisdesk.channels.email.config import EmailConfig
from crisisdesk.channels.email.mapping import map_body
from crisisdesk.channels.email.sending import ATTACHMENTS, attachment_refusal, deliver, reply_message
from crisisdesk.channels.outgoing import Action, AttachmentLimits, Outbound, Sent

#: Longest single IDLE (RFC 2177: re-issue before the server's 30-minute autologout).
MAX_IDLE = 25 * 60


class EmailConnector:
    """Reads new mails by UID. The cursor is (UIDVALIDITY, last UID): a changed UIDVALIDITY means
    the server renumbered the folder, so it is read again from the backfill date (mails are unique
    by Message-ID, so nothing counts twice)."""

    #: Replies need the channel's ``smtp`` block; a channel without one refuses them when sending.
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.POLL, Capability.REPLY_PRIVATE,
                                                               Capability.ATTACHMENTS})
    #: Files as MIME attachments of the reply (sending.py).
    attachment_limits: ClassVar[AttachmentLimits] = ATTACHMENTS

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    @property
    def key(self) -> str:
        return self.config.key

    def _connect(self) -> IMAPClient:
        imap = self.config.imap
        try:
            client = IMAPClient(imap.host, port=imap.effective_port, ssl=imap.ssl, timeout=30)
            if imap.starttls:
                client.starttls(ssl.create_default_context())
            client.login(imap.username, imap.password.get_secret_value())
        except LoginError as exc:
            raise PlatformError(f"IMAP login as {imap.username} refused: {exc}", permanent=True,
                                reauthorize=True) from exc
        except (TimeoutError, OSError, IMAPClientError) as exc:
            raise PlatformError(f"IMAP server {imap.host}:{imap.effective_port} cannot be reached: {exc}",
                                retry_after=60.0) from exc
        return client

    def fetch(self, cursor: dict[str, Any] | None) -> Fetched:
        client = self._connect()
        try:
            return self._fetch(client, dict(cursor or {}))
        except IMAPClientError as exc:
            raise PlatformError(f"IMAP error: {exc}", retry_after=60.0) from exc
        finally:
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()

    def _fetch(self, client: IMAPClient, cursor: dict[str, Any]) -> Fetched:
        folder = client.select_folder(self.config.imap.folder, readonly=True)
        validity = int(folder[b"UIDVALIDITY"])
        if cursor.get("uidvalidity") != validity:
            since = datetime.now(UTC).date() - timedelta(days=self.config.backfill_days)
            uids = client.search(["SINCE", since])
            cursor = {"uidvalidity": validity, "last_uid": 0}
        else:
            after = cursor["last_uid"]  # "n:*" always includes the highest UID, even one below n
            uids = [u for u in client.search(["UID", f"{after + 1}:*"]) if u > after]
        uids = sorted(uids)
        if not uids:
            return Fetched([], cursor, self._idle(client))
        chosen = uids[:self.config.batch]
        bodies = []
        for uid, parts in sorted(client.fetch(chosen, ["RFC822", "INTERNALDATE"]).items()):
            raw = parts.get(b"RFC822")
            if not isinstance(raw, bytes):
                continue
            internal = parts.get(b"INTERNALDATE")
            arrived = internal.astimezone(UTC).isoformat() if isinstance(internal, datetime) else None
            bodies.append(orjson.dumps({
                "uid": uid, "uidvalidity": validity, "folder": self.config.imap.folder,
                "internaldate": arrived,
                "message": base64.b64encode(raw).decode("ascii")}))
        cursor["last_uid"] = max(chosen)
        return Fetched(bodies, cursor, 0.0)  # store these now; the next check waits (in IDLE)

    def _idle(self, client: IMAPClient) -> float:
        """Wait in IDLE until the server reports a change (then fetch at once) or the interval
        passes; without IDLE, the wait is the poller's (the interval)."""
        if not self.config.idle or b"IDLE" not in client.capabilities():
            return float(self.config.interval)
        client.idle()
        try:
            client.idle_check(timeout=min(self.config.interval, MAX_IDLE))
        finally:
            client.idle_done()
        return 0.0

    def parse(self, body: bytes) -> Delivery:
        return map_body(body, channel=self.key, own_address=self.config.address)

    def attachment_refusal(self, outbound: Outbound) -> str | None:
        return attachment_refusal(outbound)

    def send(self, outbound: Outbound) -> Sent:
        """A reply by SMTP (sending.py); the id it returns is our Message-ID, without ``<>``."""
        if outbound.action is not Action.REPLY_PRIVATE:
            raise PlatformError(f"e-mail cannot {outbound.action.value}: a mail can only be answered",
                                code="unsupported", permanent=True)
        smtp = self.config.smtp
        if smtp is None:
            raise PlatformError(f"e-mail reply_private: channel {self.key} has no smtp block to send through",
                                code="missing", permanent=True)
        msg, address = reply_message(outbound, smtp=smtp, mailbox=self.config.address, now=datetime.now(UTC))
        deliver(smtp, msg, address)
        return Sent(str(msg["Message-ID"]).strip("<>"), {"to": address})

    def check(self) -> CheckResult:
        client = self._connect()
        try:
            folder = client.select_folder(self.config.imap.folder, readonly=True)
            idle = b"IDLE" in client.capabilities()
        except IMAPClientError as exc:
            raise PlatformError(f"folder {self.config.imap.folder!r}: {exc}", permanent=True) from exc
        finally:
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()
        imap = self.config.imap
        return CheckResult(f"{imap.username} on {imap.host}:{imap.effective_port}", {
            "folder": imap.folder, "messages": str(folder.get(b"EXISTS", "?")),
            "uidvalidity": str(folder.get(b"UIDVALIDITY", "?")), "idle": "yes" if idle else "no"})

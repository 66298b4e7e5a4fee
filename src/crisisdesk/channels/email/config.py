from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret, SmtpConfig

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ImapConfig(BaseModel):
    """Where the mailbox is. ``ssl``: TLS from the first byte (port 993); ``starttls``: upgrade a
    plain connection (port 143); neither only for a server on this machine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535, description="Default: 993 with ssl, else 143.")
    username: str = Field(min_length=1)
    password: Secret
    ssl: bool = True
    starttls: bool = False
    folder: str = Field(default="INBOX", min_length=1)

    @model_validator(mode="after")
    def _one_tls_mode(self) -> ImapConfig:
        if self.ssl and self.starttls:
            raise ValueError("choose ssl or starttls, not both")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.ssl else 143)


class EmailConfig(ChannelConfigBase):
    """A mailbox (a service address such as service@brand.example). ``address`` marks our own
    mails (replies sent from it) so that they never count as customers' messages."""

    platform: Literal["email"] = "email"
    address: str = Field(description="Our address in this mailbox.")
    imap: ImapConfig
    smtp: SmtpConfig | None = Field(default=None, description="The server replies are sent through.")
    interval: int = Field(default=60, ge=1, le=3600,
                          description="Seconds between checks; with IDLE, the longest wait in IDLE.")
    idle: bool = Field(default=True, description="Wait with IMAP IDLE when the server offers it.")
    backfill_days: int = Field(default=7, ge=0, le=365, description="On the first check: mails this recent.")
    batch: int = Field(default=200, ge=1, le=5000, description="Mails fetched per check at most.")

    @model_validator(mode="after")
    def _address(self) -> EmailConfig:
        if not _EMAIL.match(self.address):
            raise ValueError(f"address {self.address!r} is not an e-mail address")
        return self

"""Credentials every Meta channel (Facebook page, Instagram account, WhatsApp number) needs."""

from __future__ import annotations

from pydantic import Field

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret


class MetaChannelConfig(ChannelConfigBase):
    access_token: Secret = Field(description="Page, Instagram or system-user token (env:NAME).")
    app_secret: Secret = Field(description="The app's secret: the key of X-Hub-Signature-256.")
    verify_token: Secret = Field(description="The string typed into the App Dashboard's webhook form.")
    graph_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crisisdesk.channels.meta.config import MetaChannelConfig


class InstagramConfig(MetaChannelConfig):
    """An Instagram professional account: comments, mentions and direct messages."""

    platform: Literal["instagram"] = "instagram"
    account_id: str = Field(min_length=1, pattern=r"^\d+$")

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crisisdesk.channels.meta.config import MetaChannelConfig


class FacebookConfig(MetaChannelConfig):
    """A Facebook page: its feed (posts, comments) and Messenger."""

    platform: Literal["facebook"] = "facebook"
    page_id: str = Field(min_length=1, pattern=r"^\d+$")

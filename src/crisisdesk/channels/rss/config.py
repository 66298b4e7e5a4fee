from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from crisisdesk.channels.common_config import ChannelConfigBase


class RssConfig(ChannelConfigBase):
    """A news feed, fetched every ``interval`` seconds (with ETag / Last-Modified, so an unchanged
    feed costs the publisher one ``304``)."""

    platform: Literal["rss"] = "rss"
    url: str = Field(description="The feed's address (RSS 2.0, Atom or RDF).")
    interval: int = Field(default=300, ge=30, le=86400, description="Seconds between fetches.")
    name: str | None = Field(default=None, max_length=200,
                             description="Shown as the source; default: the feed's title.")
    reach: int | None = Field(default=None, ge=0, le=10**10,
                              description="The outlet's audience (readers, subscribers): counted as the "
                              "followers of its articles' author, so that press pickup weighs in "
                              "detection's reach like a large account does. A feed says nothing of it.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

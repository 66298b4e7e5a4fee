"""A Mastodon account on one instance: its token reads our notifications and hashtag timelines,
and, with write scopes, replies, posts new statuses, deletes our statuses and blocks accounts."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret


class MastodonConfig(ChannelConfigBase):
    """Polls the account's mentions and each hashtag every ``interval`` seconds."""

    platform: Literal["mastodon"] = "mastodon"
    base_url: str = Field(description="The instance, e.g. https://mastodon.social.")
    access_token: Secret = Field(description="A user token with read scope (and write:statuses, "
                                 "write:blocks to reply and block), e.g. env:MASTODON_TOKEN.")
    hashtags: list[str] = Field(default_factory=list, max_length=50,
                                description="Hashtags to follow, without #.")
    interval: int = Field(default=60, ge=15, le=86400, description="Seconds between polls.")
    max_characters: int = Field(default=500, ge=1, le=100_000,
                                description="The longest status the instance takes (500 unless it allows "
                                            "more: /api/v2/instance configuration.statuses.max_characters).")

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+/?$", value):
            raise ValueError(f"{value!r} is not an http(s) URL of an instance (no path)")
        return value.rstrip("/")

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        tags: list[str] = []
        for value in values:
            tag = value.strip().removeprefix("#")
            if not re.fullmatch(r"\w{1,100}", tag):
                raise ValueError(f"{value!r} is not a hashtag (letters, digits and _ only)")
            if tag.lower() not in (t.lower() for t in tags):
                tags.append(tag)
        return tags

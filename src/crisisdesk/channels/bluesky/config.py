"""A Bluesky account (handle + app password) whose session searches posts and reads mentions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret


class BlueskyConfig(ChannelConfigBase):
    """Polls ``app.bsky.feed.searchPosts`` for each query and our notifications every ``interval``
    seconds, all through the account's PDS (``api_base``, default https://bsky.social)."""

    platform: Literal["bluesky"] = "bluesky"
    handle: str = Field(min_length=3, max_length=253,
                        description="The account's handle (voltaro.bsky.social) or DID.")
    app_password: Secret = Field(
        description="An app password (Settings → App passwords), e.g. env:BSKY_APP_PASSWORD.")
    queries: list[str] = Field(default_factory=list, max_length=20,
                               description="Search terms (Bluesky's search syntax).")
    interval: int = Field(default=60, ge=15, le=86400, description="Seconds between polls.")

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        value = value.strip().removeprefix("@")
        if " " in value:
            raise ValueError(f"{value!r} is not a handle or DID")
        return value

    @field_validator("queries")
    @classmethod
    def _queries(cls, values: list[str]) -> list[str]:
        found: list[str] = []
        for value in values:
            query = value.strip()
            if not query or len(query) > 300:
                raise ValueError(f"{value!r}: a query is 1–300 characters")
            if query not in found:
                found.append(query)
        return found

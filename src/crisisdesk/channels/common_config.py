"""What every channel block in ``crisisdesk.yaml`` has: a key, an on/off switch, an API base and
the thresholds of its health alerts."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crisisdesk.channels.health import HealthConfig

_KEY = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class ChannelConfigBase(BaseModel):
    """``key`` appears in URLs (``/webhooks/{key}``) and logs; ``api_base`` points a channel at
    another server (a proxy, or the loopback servers of the tests) instead of the platform's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=_KEY, description="Lower-case letters, digits, - and _; used in URLs.")
    enabled: bool = True
    api_base: str | None = Field(default=None, description="Replaces the platform's API address.")
    health: HealthConfig = Field(default_factory=HealthConfig, description="When the channel's "
                                 "problems raise an alert (docs/channels/README.md, Channel health).")

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/") if value else value

    def base(self, default: str) -> str:
        return self.api_base or default

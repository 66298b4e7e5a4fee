from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret

#: X's search query limit for self-serve / pay-per-use access; Enterprise allows 4,096.
QUERY_LIMIT = 512
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_USER_CONTEXT = ("api_key", "api_secret", "access_token", "access_token_secret")


class XConfig(ChannelConfigBase):
    """An X account (or just a search) listened to by polling recent search every ``interval``
    seconds with an app-only bearer token. The user-context keys (OAuth 1.0a, of our account, with
    read and write permission) let the channel reply, hide replies and delete our posts; they come
    as a set of four, so that a half-filled block fails at start, not at the first reply."""

    platform: Literal["x"] = "x"
    bearer_token: Secret = Field(description="The app's bearer token (app-only), e.g. env:X_BEARER_TOKEN.")
    api_key: Secret | None = Field(default=None, description="User context (OAuth 1.0a) consumer key.")
    api_secret: Secret | None = Field(default=None, description="User context consumer secret.")
    access_token: Secret | None = Field(default=None, description="User context access token of our account.")
    access_token_secret: Secret | None = Field(default=None, description="User context access token secret.")
    account: str | None = Field(default=None, description="Our handle without @; its mentions are searched.")
    query: str | None = Field(default=None, min_length=1,
                              description="X search syntax, e.g. '(voltaro OR #voltaro) lang:de'.")
    interval: int = Field(default=60, ge=15, le=86400, description="Seconds between polls.")
    max_results: int = Field(default=100, ge=10, le=100, description="Posts per page (10–100).")
    backfill_minutes: int = Field(default=60, ge=1, le=10080,
                                  description="How far back the very first poll reaches (X keeps 7 days).")
    max_query_length: int = Field(default=QUERY_LIMIT, ge=1, le=4096,
                                  description="Your access level's query limit (512; Enterprise 4,096).")

    @field_validator("account")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is None:
            return None
        handle = value.strip().removeprefix("@")
        if not _HANDLE.match(handle):
            raise ValueError(f"{value!r} is not an X handle (1–15 letters, digits or _, without the @)")
        return handle

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the query is blank")
        return value.strip() if value else value

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.account is None and self.query is None:
            raise ValueError("give account (our handle, its mentions are searched) or query, or both")
        given = [name for name in _USER_CONTEXT if getattr(self, name) is not None]
        if given and len(given) != len(_USER_CONTEXT):
            missing = ", ".join(n for n in _USER_CONTEXT if n not in given)
            raise ValueError(f"user-context credentials come as a set of four: {missing} missing")
        query = self.search_query
        if len(query) > self.max_query_length:
            raise ValueError(f"the search query is {len(query)} characters, X accepts "
                             f"{self.max_query_length} (max_query_length): {query[:60]}…")
        return self

    @property
    def search_query(self) -> str:
        """What is sent to X: the query, the mentions of our account, or either of them."""
        mention = f"@{self.account}" if self.account else None
        if self.query and mention:
            return f"({self.query}) OR {mention}"
        return self.query or mention or ""

    @property
    def user_context(self) -> tuple[SecretStr, SecretStr, SecretStr, SecretStr] | None:
        """The four OAuth 1.0a secrets, when given: the channel acts as our account with them."""
        if self.api_key and self.api_secret and self.access_token and self.access_token_secret:
            return self.api_key, self.api_secret, self.access_token, self.access_token_secret
        return None

"""Accounts across boundaries: API bodies and answers, and the :class:`Principal` of a request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

from crisisdesk.accounts.roles import Permission, Role
from crisisdesk.audit.service import Actor
from crisisdesk.core.fields import StrictId

Lang = Literal["de", "en"]


def _time_zone(value: str) -> str:
    from crisisdesk.core.zones import check_zone

    return check_zone(value)


#: An IANA time zone name (Europe/Berlin); ``null`` in an update: follow the workspace's.
TimeZone = Annotated[str, Field(max_length=64, examples=["Europe/Berlin"]), AfterValidator(_time_zone)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(value: str) -> str:
    """Lower-cased and stripped: the form stored and compared."""
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise ValueError(f"not an e-mail address: {value!r}")
    return email


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    lang: Lang | None
    time_zone: str | None = None
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(BaseModel):
    email: str = Field(examples=["lena@example.org"])
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(description="At least 12 characters.")
    lang: Lang | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class UserUpdate(BaseModel):
    """Only the fields given change; ``lang: null`` clears the preference."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    active: StrictBool | None = Field(
        default=None, description="false disables the account (a JSON boolean: 0 or \"no\" is refused).")
    lang: Lang | None = None
    time_zone: TimeZone | None = None
    password: str | None = None


class MeUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    lang: Lang | None = None
    time_zone: TimeZone | None = None


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


class LoginIn(BaseModel):
    email: str
    password: str


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["nightly export"])
    user_id: StrictId | None = Field(default=None, description="Admins only: create for this user.")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    token: TokenRead
    secret: str = Field(description="Shown once; send it as `Authorization: Bearer <secret>`.")


class MeRead(BaseModel):
    """The signed-in user, what they may do, and (for a browser session) the CSRF token to echo."""

    user: UserRead | None
    via: Literal["session", "token", "service"]
    permissions: list[Permission]
    csrf_token: str | None


@dataclass(frozen=True)
class Principal:
    """Who makes the request, as established by :mod:`crisisdesk.accounts.deps`.

    ``user`` is None only for the shared service token. ``csrf_token`` is set for cookie sessions.
    """

    via: Literal["session", "token", "service"]
    user: UserRead | None
    permissions: frozenset[Permission]
    csrf_token: str | None = None
    session_id: str | None = None
    token_id: int | None = None
    ip: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def actor(self) -> Actor:
        """The audit actor of this request."""
        if self.user is None:
            return Actor.service()
        return Actor.user(self.user.id, self.user.email)

    @property
    def email(self) -> str | None:
        """The account's e-mail (None for the service token): who the approval gates recognise."""
        return self.user.email if self.user is not None else None

    @property
    def display_name(self) -> str:
        return "service" if self.user is None else (self.user.name or self.user.email)

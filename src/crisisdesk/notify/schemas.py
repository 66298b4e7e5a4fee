"""What a notification says, and where it goes: the message model and the target configuration.

A :class:`Notification` is rendered once per escalation step and stored as JSON in the outbox, so a
delivery sent after a restart says exactly what it would have said before it. Targets are a
discriminated union on ``kind``; secrets (SMTP password, webhook secret, bot token, the Slack and
Teams webhook URLs, which are credentials too) may be written as ``env:NAME`` and are resolved when
the configuration is loaded, from the environment mapping handed to :func:`parse_notify_config`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crisisdesk.core.errors import ConfigError, config_path

Lang = Literal["de", "en"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_TARGET_NAME = r"^[\w][\w.\-]*$"


class NotificationKind(StrEnum):
    """What happened to the situation that this message reports."""

    OPENED = "opened"
    UPDATED = "updated"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    INBOX = "inbox"  # about a conversation (a rule's notice, an @mention), not a situation
    REMINDER = "reminder"  # about the workspace's plans (overdue reviews, people who left)
    UPDATE = "update"  # a crisis's stakeholder update, published to an internal channel


class TargetKind(StrEnum):
    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"
    TELEGRAM = "telegram"


# --------------------------------------------------------------------------------------------
# The message


class TopPost(BaseModel):
    """A post that shows what the situation is about."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    url: str | None = None
    author: str | None = None
    reach: int | None = Field(default=None, ge=0, description="Followers or views, when known.")


class Notification(BaseModel):
    """One message about one situation, in one language, the same for every target.

    Severity runs from 1 (low) to 4 (critical). ``severity_label`` overrides the standard label
    of the language (``render.severity_label``) when detection has a better word for it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    situation_id: int | None = Field(default=None, description="None only for inbox notices.")
    #: The conversation an inbox notice is about (its link opens it).
    conversation_id: int | None = None
    monitor: str = Field(min_length=1)
    severity: int = Field(ge=1, le=4)
    severity_label: str | None = None
    kind: NotificationKind
    title: str = Field(min_length=1)
    summary: str = ""
    reasons: tuple[str, ...] = Field(default=(), description="Why this severity, one reason each.")
    top_terms: tuple[str, ...] = ()
    top_posts: tuple[TopPost, ...] = ()
    channels: tuple[str, ...] = Field(default=(), description="Platforms the posts come from.")
    ack_url: str = Field(pattern=r"^https?://", description="Where a person acknowledges the alert.")
    lang: Lang = "de"
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When the situation changed (not when the message is sent)."
    )

    @model_validator(mode="after")
    def _about_something(self) -> Notification:
        if self.kind is NotificationKind.INBOX:
            if self.conversation_id is None:
                raise ValueError("an inbox notice names its conversation_id")
        elif self.kind in (NotificationKind.REMINDER, NotificationKind.UPDATE):
            pass  # about the workspace: its link opens the page to act on
        elif self.situation_id is None:
            raise ValueError("a situation's notification names its situation_id")
        return self


# --------------------------------------------------------------------------------------------
# Secrets


def _resolve_env(value: Any, info: ValidationInfo) -> Any:
    """Replace ``env:NAME`` by the value of NAME in the environment given as validation context."""
    if not isinstance(value, str) or not value.startswith("env:"):
        return value
    name = value[4:]
    if not _ENV_NAME.match(name):
        raise ValueError(f"{value!r} is not a valid env:NAME reference")
    env = info.context.get("env") if isinstance(info.context, Mapping) else None
    if env is None:
        raise ValueError(
            f"{value!r} can only be resolved when the configuration is loaded with an environment "
            "(crisisdesk.notify.parse_notify_config)"
        )
    resolved = env.get(name)
    if not resolved:
        raise ValueError(f"environment variable {name} (from {value!r}) is not set or empty")
    return resolved


Secret = Annotated[SecretStr, BeforeValidator(_resolve_env)]


def _check_http_url(url: SecretStr) -> SecretStr:
    if not re.match(r"^https?://[^\s/]+", url.get_secret_value()):
        raise ValueError("expected an http:// or https:// URL")
    return url


# --------------------------------------------------------------------------------------------
# Targets


class _Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout: float = Field(
        default=10.0, gt=0, le=120, description="Seconds per attempt (connect, read, write)."
    )


class SmtpConfig(BaseModel):
    """The mail server every e-mail target sends through.

    ``starttls`` upgrades a plain connection (port 587); ``implicit_tls`` connects with TLS from
    the first byte (port 465). Neither is for a local relay only.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: Secret | None = None
    starttls: bool = True
    implicit_tls: bool = False
    from_address: str = Field(alias="from", description="The From: address, e.g. alerts@example.org.")

    @field_validator("from_address")
    @classmethod
    def _from_is_address(cls, value: str) -> str:
        bare = value.rsplit("<", 1)[-1].rstrip(">").strip()
        if not _EMAIL.match(bare):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpConfig:
        if self.starttls and self.implicit_tls:
            raise ValueError("choose starttls or implicit_tls, not both")
        if self.password is not None and not self.username:
            raise ValueError("password given without username")
        return self


class EmailTarget(_Target):
    """E-mail to one or more addresses through the configured :class:`SmtpConfig`."""

    kind: Literal[TargetKind.EMAIL] = TargetKind.EMAIL
    to: list[str] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not _EMAIL.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return value


class SlackTarget(_Target):
    """A Slack incoming webhook (``https://hooks.slack.com/services/…``)."""

    kind: Literal[TargetKind.SLACK] = TargetKind.SLACK
    webhook_url: Secret

    _url = field_validator("webhook_url")(_check_http_url)


class TeamsTarget(_Target):
    """A Microsoft Teams incoming webhook or a Workflows "post to a channel" webhook URL."""

    kind: Literal[TargetKind.TEAMS] = TargetKind.TEAMS
    webhook_url: Secret

    _url = field_validator("webhook_url")(_check_http_url)


class WebhookTarget(_Target):
    """Any HTTP endpoint that takes our JSON body, signed with HMAC-SHA256 (docs/notifications.md)."""

    kind: Literal[TargetKind.WEBHOOK] = TargetKind.WEBHOOK
    url: str = Field(pattern=r"^https?://[^\s/]+")
    secret: Secret

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("use a secret of at least 16 characters")
        return value


class TelegramTarget(_Target):
    """A Telegram chat that a bot posts into (``sendMessage``)."""

    kind: Literal[TargetKind.TELEGRAM] = TargetKind.TELEGRAM
    bot_token: Secret
    chat_id: int | str = Field(description="Numeric id (groups are negative) or @channelname.")
    api_base_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://[^\s/]+")
    message_thread_id: int | None = Field(default=None, description="Forum topic, if any.")

    @field_validator("chat_id")
    @classmethod
    def _chat(cls, value: int | str) -> int | str:
        if isinstance(value, str) and not re.match(r"^@\w{4,}$", value):
            raise ValueError("expected a numeric chat id or @channelusername")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^\d+:[\w-]+$", value.get_secret_value()):
            raise ValueError("expected a bot token of the form <digits>:<letters>")
        return value


TargetConfig = Annotated[
    EmailTarget | SlackTarget | TeamsTarget | WebhookTarget | TelegramTarget,
    Field(discriminator="kind"),
]

TARGET_MODELS: dict[TargetKind, type[BaseModel]] = {
    TargetKind.EMAIL: EmailTarget,
    TargetKind.SLACK: SlackTarget,
    TargetKind.TEAMS: TeamsTarget,
    TargetKind.WEBHOOK: WebhookTarget,
    TargetKind.TELEGRAM: TelegramTarget,
}


class NotifyConfig(BaseModel):
    """The ``notify:`` section of a workspace: the SMTP server and the named targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    smtp: SmtpConfig | None = None
    targets: dict[Annotated[str, Field(max_length=64, pattern=_TARGET_NAME)], TargetConfig] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _smtp_for_email(self) -> NotifyConfig:
        mail = sorted(n for n, t in self.targets.items() if t.kind == TargetKind.EMAIL)
        if mail and self.smtp is None:
            raise ValueError(f"e-mail targets ({', '.join(mail)}) need an smtp: section")
        return self


def parse_notify_config(
    data: Mapping[str, Any], *, env: Mapping[str, str], path: str = "crisisdesk.yaml",
    where: str = "notify",
) -> NotifyConfig:
    """Validate a ``notify:`` mapping, resolving ``env:NAME`` secrets from ``env``.

    Every problem is reported at once in a :class:`ConfigError` that names the file and the place
    (``notify.targets.oncall.bot_token``); secret values never appear in the message.
    """
    try:
        return NotifyConfig.model_validate(data, context={"env": env})
    except ValidationError as exc:
        problems = "; ".join(
            f"{where}{'.' if e['loc'] else ''}{config_path(e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(path, "", problems) from exc


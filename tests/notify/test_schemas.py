"""Target configuration: the discriminated union, clear errors, env: secrets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from crisisdesk.core.errors import ConfigError
from crisisdesk.notify import (
    EmailTarget,
    Notification,
    SlackTarget,
    TelegramTarget,
    WebhookTarget,
    parse_notify_config,
)
from tests.notify.samples import BOT_TOKEN, SECRET, notification

GOOD: dict[str, Any] = {
    "smtp": {"host": "mail.example.org", "port": 587, "username": "alerts", "password": "env:SMTP_PW",
             "from": "crisisdesk <alerts@example.org>"},
    "targets": {
        "pressestelle": {"kind": "email", "to": ["presse@example.org", "lead@example.org"]},
        "slack-ops": {"kind": "slack", "webhook_url": "env:SLACK_URL"},
        "teams-comms": {"kind": "teams", "webhook_url": "https://example.webhook.office.com/webhookb2/x"},
        "siem": {"kind": "webhook", "url": "https://siem.example.org/hook", "secret": SECRET},
        "oncall": {"kind": "telegram", "bot_token": "env:TG_TOKEN", "chat_id": -1001234567890},
    },
}
ENV = {"SMTP_PW": "pw", "SLACK_URL": "https://hooks.slack.com/services/T/B/X", "TG_TOKEN": BOT_TOKEN}


def test_every_kind_parses_and_env_secrets_resolve() -> None:
    config = parse_notify_config(GOOD, env=ENV)
    t = config.targets
    assert isinstance(t["pressestelle"], EmailTarget)
    assert isinstance(t["slack-ops"], SlackTarget)
    assert t["slack-ops"].webhook_url.get_secret_value() == ENV["SLACK_URL"]
    assert isinstance(t["siem"], WebhookTarget)
    assert isinstance(t["oncall"], TelegramTarget)
    assert t["oncall"].bot_token.get_secret_value() == BOT_TOKEN
    assert t["oncall"].api_base_url == "https://api.telegram.org"
    assert config.smtp is not None
    assert config.smtp.password is not None and config.smtp.password.get_secret_value() == "pw"
    assert BOT_TOKEN not in repr(config)  # secrets stay out of logs and reprs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": {"x": {"kind": "sms", "to": "1"}}}, "notify.targets.x: Input tag 'sms' found"),
        ({"targets": {"x": {"kind": "slack", "webhook_url": "https://h", "channel": "#a"}}},
         "notify.targets.x.slack.channel: Extra inputs are not permitted"),
        ({"targets": {"x": {"kind": "email", "to": ["not-an-address"]}}},
         "not e-mail addresses: 'not-an-address'"),
        ({"targets": {"x": {"kind": "webhook", "url": "https://h", "secret": "short"}}},
         "at least 16 characters"),
        ({"targets": {"x": {"kind": "telegram", "bot_token": "env:MISSING", "chat_id": 1}}},
         "environment variable MISSING (from 'env:MISSING') is not set"),
        ({"targets": {"x": {"kind": "telegram", "bot_token": BOT_TOKEN, "chat_id": "general"}}},
         "numeric chat id or @channelusername"),
        ({"smtp": None, "targets": {"x": {"kind": "email", "to": ["a@example.org"]}}},
         "e-mail targets (x) need an smtp: section"),
        ({"targets": {"bad name!": {"kind": "slack", "webhook_url": "https://h"}}},
         "String should match pattern"),
    ],
)
def test_config_errors_name_the_place(change: dict[str, Any], message: str) -> None:
    data = {**GOOD, **change}
    with pytest.raises(ConfigError) as info:
        parse_notify_config(data, env=ENV, path="ws/crisisdesk.yaml")
    assert str(info.value).startswith("ws/crisisdesk.yaml: ")
    assert message in str(info.value)
    assert BOT_TOKEN not in str(info.value)


def test_env_reference_without_environment_is_an_error() -> None:
    with pytest.raises(ValidationError, match="only be resolved when the configuration is loaded"):
        SlackTarget.model_validate({"webhook_url": "env:SLACK_URL"})


def test_notification_is_frozen_and_checked() -> None:
    n = notification()
    with pytest.raises(ValidationError):
        n.title = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="less than or equal to 4"):
        notification(severity=5)
    with pytest.raises(ValidationError, match="Extra inputs"):
        Notification.model_validate({**n.model_dump(), "colour": "red"})
    assert Notification.model_validate(n.model_dump(mode="json")) == n  # the outbox round trip

"""Every notification kind and the sender that delivers it: a literal dict, nothing discovered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from crisisdesk.notify.base import Sender, SenderDeps
from crisisdesk.notify.email import EmailSender
from crisisdesk.notify.schemas import TargetKind
from crisisdesk.notify.slack import SlackSender
from crisisdesk.notify.teams import TeamsSender
from crisisdesk.notify.telegram import TelegramSender
from crisisdesk.notify.webhook import WebhookSender

SenderFactory = Callable[[SenderDeps], Sender[Any]]

SENDERS: Final[dict[TargetKind, SenderFactory]] = {
    TargetKind.EMAIL: EmailSender,
    TargetKind.SLACK: SlackSender,
    TargetKind.TEAMS: TeamsSender,
    TargetKind.WEBHOOK: WebhookSender,
    TargetKind.TELEGRAM: TelegramSender,
}


def build_senders(deps: SenderDeps) -> dict[TargetKind, Sender[Any]]:
    """One sender per kind, sharing ``deps`` (HTTP client, clock, SMTP server)."""
    return {kind: factory(deps) for kind, factory in SENDERS.items()}

"""``crisisdesk channels list`` (with each channel's health), ``check KEY``, ``insights KEY``,
``send KEY ACTION`` and ``outbox``."""

from __future__ import annotations

import dataclasses
import getpass
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.channels.attachment_store import AttachmentStore, upload
from crisisdesk.channels.attachments import AttachmentRejected
from crisisdesk.channels.base import Connector, PlatformError
from crisisdesk.channels.config import ChannelConfig
from crisisdesk.channels.health import State
from crisisdesk.channels.health_facts import HealthSubject, health_of
from crisisdesk.channels.health_monitor import check as check_credentials
from crisisdesk.channels.insights import collect as collect_insights
from crisisdesk.channels.insights import reads_insights, summary
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outbox import OutboundRequest, OutboxError, attached_ids, enqueue
from crisisdesk.channels.outgoing import Action
from crisisdesk.channels.own_post_counts import reads_own_posts
from crisisdesk.channels.own_post_counts import refresh as refresh_own_posts
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.channels.service import channel_counts, record_credentials
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.crises.approval import Gate, check_at_claim
from crisisdesk.runtime_config import open_engine
from crisisdesk.workspace import Workspace

channels_app = typer.Typer(
    name="channels", no_args_is_help=True,
    help="Connected accounts and feeds: their state, a check of their credentials, sending and the outbox.")


@channels_app.command("list")
@friendly_errors
def list_channels(config: ConfigOption = None) -> None:
    """Each channel with its health and what arrived: deliveries, waiting, failed, kept unparsed,
    the last one, and what it can do."""
    _, workspace = open_workspace(config)
    channels = workspace.config.channels
    if not channels:
        out.print("No channels yet: add a channels: block to crisisdesk.yaml (see docs/channels/).")
        return
    engine = open_engine(workspace)
    table = Table("channel", "platform", "state", "deliveries", "waiting", "failed", "unparsed",
                  "last delivery (UTC)", "can")
    subjects = [HealthSubject.of(c, connector_for(c)) for c in channels]
    try:
        with engine.connect() as conn:
            health = health_of(conn, subjects, SystemClock().now())
            for channel, subject in zip(channels, subjects, strict=True):
                counts = channel_counts(conn, channel.key)
                last = counts.last_received.strftime("%Y-%m-%d %H:%M:%S") if counts.last_received else "–"
                table.add_row(channel.key, channel.platform, _STATES[health[channel.key].state],
                              str(counts.deliveries), str(counts.pending), str(counts.failed),
                              str(counts.unparsed), last,
                              ", ".join(sorted(c.value for c in subject.capabilities)))
    finally:
        engine.dispose()
    out.print(table)


_STATES: dict[State, str] = {
    State.RECEIVING: "receiving",
    State.SILENT: "[yellow]silent[/]",
    State.RATE_LIMITED: "[yellow]rate limited[/]",
    State.FAILING: "[red]failing[/]",
    State.CREDENTIALS_DEAD: "[red]credentials dead[/]",
    State.DISABLED: "disabled",
}


@channels_app.command("check")
@friendly_errors
def check(key: Annotated[str, typer.Argument(help="The channel's key in crisisdesk.yaml.")],
          config: ConfigOption = None) -> None:
    """Ask the platform whom the channel's credentials belong to; exit 1 with its answer if refused.
    The answer counts for channel health: a refusal for dead credentials raises an alert, a success
    ends one."""
    _, workspace = open_workspace(config)
    found = _channel(workspace, key)
    engine = open_engine(workspace)
    try:
        result = check_credentials(engine, connector_for(found), clock=SystemClock())
    finally:
        engine.dispose()
    if isinstance(result, PlatformError):
        err.print(f"[red]{key}: {found.platform} refused:[/] {result}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"[green]{key}[/]: {found.platform} account {result.account}", highlight=False)
    for name, value in result.details.items():
        out.print(f"  {name}: {value}", highlight=False, soft_wrap=True)


@channels_app.command("insights")
@friendly_errors
def insights(key: Annotated[str, typer.Argument(help="The channel's key in crisisdesk.yaml.")],
             days: Annotated[int, typer.Option(min=1, max=730, help="Days to fetch, ending today "
                                                                  "(Meta keeps two years).")] = 30,
             config: ConfigOption = None) -> None:
    """Fetch the channel's insights (reach, impressions, followers) for the last DAYS days into the
    analytics, and our posts of those days with their counts (reactions, comments, shares), e.g.
    once after connecting a page. Channel health keeps the last days current by itself after
    every credentials check. Exit 1 when the platform refused."""
    _, workspace = open_workspace(config)
    found = _channel(workspace, key)
    connector = connector_for(found)
    if not reads_insights(connector) and not reads_own_posts(connector):
        raise CrisisdeskError(f"channel {key!r} ({found.platform}) reports no insights: "
                              "reach and impressions come from Facebook pages and Instagram accounts")
    engine = open_engine(workspace)
    refused = False
    try:
        if reads_insights(connector):
            refused |= _show_insights(engine, connector, key, found.platform, days)
        if reads_own_posts(connector):
            try:
                with out.status(f"asking {found.platform} for our posts of {days} days …"):
                    listed = refresh_own_posts(engine, connector, clock=SystemClock(), days=days)
            except PlatformError as exc:
                err.print(f"[red]{key}: {found.platform} refused our posts:[/] {exc}", highlight=False,
                          soft_wrap=True)
                refused = True
            else:
                out.print(f"[green]{key}[/]: {listed} post(s) of ours with their counts, stored for "
                          "processing (a running crisisdesk serve takes them at once)", highlight=False)
    finally:
        engine.dispose()
    if refused:
        raise typer.Exit(1)


def _show_insights(engine: Engine, connector: Connector, key: str, platform: str, days: int) -> bool:
    """Fetch and show the insights; True when the platform refused them."""
    try:
        with out.status(f"asking {platform} for {days} days of insights …"):
            result = collect_insights(engine, connector, clock=SystemClock(), days=days)
    except PlatformError as exc:
        err.print(f"[red]{key}: {platform} refused:[/] {exc}", highlight=False, soft_wrap=True)
        return True
    table = Table("day", "reach", "impressions", "followers")
    for d in result.days:
        table.add_row(d.day.isoformat(), *("–" if v is None else f"{v:,}" for v in (d.reach, d.impressions,
                                                                                      d.followers)))
    out.print(table)
    out.print(f"[green]{key}[/]: {summary(result)}", highlight=False, soft_wrap=True)
    return False


def _channel(workspace: Workspace, key: str) -> ChannelConfig:
    found = next((c for c in workspace.config.channels if c.key == key), None)
    if found is None:
        known = ", ".join(c.key for c in workspace.config.channels) or "none"
        raise CrisisdeskError(f"no channel {key!r} in the configuration (channels: {known})")
    return found


def _enabled_connectors(workspace: Workspace) -> dict[str, Connector]:
    return {c.key: connector_for(c) for c in workspace.config.channels if c.enabled}


def _uploaded(session: Session, store: AttachmentStore, request: OutboundRequest, paths: list[Path], *,
              max_bytes: int, now: datetime) -> tuple[int, ...]:
    """The files stored as uploads (or, for a key asked before, that request's files)."""
    asked = session.scalar(select(OutboxItem.id).where(OutboxItem.channel == request.channel,
                                                       OutboxItem.idempotency_key == request.idempotency_key))
    if asked is not None:
        return attached_ids(session, asked)
    ids = []
    for path in paths:
        with path.open("rb") as stream:
            try:
                ids.append(upload(session, store, stream, filename=path.name, declared_type=None,
                                  max_bytes=max_bytes, actor=Actor.cli(getpass.getuser()), now=now).id)
            except AttachmentRejected as exc:
                raise CrisisdeskError(f"{path}: {exc}") from None
    return tuple(ids)


@channels_app.command("send")
@friendly_errors
def send(key: Annotated[str, typer.Argument(help="The channel's key.")],
         action: Annotated[Action, typer.Argument(help="What to do on the platform.")],
         post: Annotated[int | None, typer.Option("--post", help="The stored post (its number in crisisdesk) "
                                                  "to answer or act on.")] = None,
         text: Annotated[str | None, typer.Option("--text", help="The reply's text.")] = None,
         target: Annotated[str | None, typer.Option(
             help="The platform's id of the item (without --post).")] = None,
         recipient: Annotated[str | None, typer.Option(help="The person's id on the platform.")] = None,
         thread: Annotated[str | None, typer.Option(help="The thread (without --post).")] = None,
         idempotency_key: Annotated[str | None, typer.Option(
             "--key", help="Idempotency key: the same key twice sends once [default: a new one].")] = None,
         queue_only: Annotated[bool, typer.Option(
             "--queue-only", help="Only queue it; `crisisdesk serve` sends it.")] = False,
         attach: Annotated[list[Path] | None, typer.Option(
             "--attach", help="A file to send with the reply (repeat for more), where the channel can.",
             exists=True, dir_okay=False, readable=True)] = None,
         config: ConfigOption = None) -> None:
    """Reply, reply privately, hide, unhide, delete or block through a channel: queued in the outbox
    (audited as cli:<login>) and, unless --queue-only, attempted at once. Exit 1 when it failed."""
    settings, workspace = open_workspace(config)
    connectors = _enabled_connectors(workspace)
    request = OutboundRequest(channel=key, action=action, idempotency_key=idempotency_key or uuid.uuid4().hex,
                              post_id=post, text=text, target=target, recipient=recipient, thread=thread)
    store = AttachmentStore(settings.attachments_dir or workspace.root / "attachments")
    engine = open_engine(workspace)
    clock = SystemClock()
    try:
        try:
            with Session(engine) as session, session.begin():
                if attach:
                    limit = settings.max_attachment_bytes
                    files = _uploaded(session, store, request, attach, max_bytes=limit, now=clock.now())
                    request = dataclasses.replace(request, attachments=files)
                item, created = enqueue(session, request, connectors=connectors,
                                        actor=Actor.cli(getpass.getuser()), now=clock.now())
                item_id, status = item.id, item.status
        except OutboxError as exc:
            raise CrisisdeskError(str(exc)) from None
        out.print(f"outbox item {item_id} ({'queued' if created else 'asked before: ' + status}), "
                  f"key {request.idempotency_key}", highlight=False)
        if queue_only or not created:
            return
        gate = Gate.of(workspace.config)  # a public reply in a crisis waits for its spokesperson
        sender = OutboxSender(lambda: engine, lambda: {key: connectors[key]}, clock=clock, attachments=store,
                              on_reauthorize=lambda channel, error: _refused(engine, channel, error),
                              approval=lambda session, item, now: check_at_claim(session, item, gate, now))
        outcome = next((o for o in sender.run_once() if o.item_id == item_id), None)
    finally:
        engine.dispose()
    if outcome is None:
        out.print("not attempted now (another sender holds it); see `crisisdesk channels outbox`")
    elif outcome.status == OutboxStatus.SENT:
        out.print(f"[green]sent[/]: platform id {outcome.detail}", highlight=False)
    elif outcome.status == OutboxStatus.AWAITING_APPROVAL:
        out.print("[yellow]held[/]: a crisis's spokesperson approves public replies on this conversation "
                  "first (see /approvals)", highlight=False, soft_wrap=True)
    elif outcome.status == OutboxStatus.QUEUED:
        out.print(f"[yellow]not sent yet, will be retried by `crisisdesk serve`[/]: {outcome.detail}",
                  highlight=False, soft_wrap=True)
    else:
        err.print(f"[red]failed[/]: {outcome.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def _refused(engine: Engine, channel: str, error: str) -> None:
    """The platform said the credentials are dead: kept for channel health (``crisisdesk serve``
    raises the alert)."""
    with engine.begin() as conn:
        record_credentials(conn, channel=channel, error=error, source="send", now=SystemClock().now())


@channels_app.command("outbox")
@friendly_errors
def outbox_list(channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
                status: Annotated[OutboxStatus | None, typer.Option(help="Only items in this state.")] = None,
                limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
                config: ConfigOption = None) -> None:
    """What was asked of the channels, newest first: state, the platform's id, delivery, errors."""
    _, workspace = open_workspace(config)
    engine = open_engine(workspace)
    stmt = select(OutboxItem).order_by(OutboxItem.id.desc()).limit(limit)
    if channel is not None:
        stmt = stmt.where(OutboxItem.channel == channel)
    if status is not None:
        stmt = stmt.where(OutboxItem.status == status.value)
    table = Table("id", "channel", "action", "post", "status", "tries", "platform id", "delivery",
                  "asked (UTC)", "by", "error")
    try:
        with Session(engine) as session:
            items = list(session.scalars(stmt))
    finally:
        engine.dispose()
    if not items:
        out.print("The outbox is empty.")
        return
    for i in items:
        table.add_row(str(i.id), i.channel, i.action, str(i.post_id or "–"), i.status, str(i.attempts),
                      i.external_id or "–", i.delivery_state or "–", i.created_at.strftime("%Y-%m-%d %H:%M"),
                      i.created_by, (i.last_error or "")[:80])
    out.print(table)

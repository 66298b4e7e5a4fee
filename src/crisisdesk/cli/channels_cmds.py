"""``crisisdesk channels list`` and ``crisisdesk channels check KEY``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.service import channel_counts
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.runtime import open_engine

channels_app = typer.Typer(
    name="channels", no_args_is_help=True,
    help="Connected accounts and feeds: their state, and a check of their credentials.")


@channels_app.command("list")
@friendly_errors
def list_channels(config: ConfigOption = None) -> None:
    """Each channel with what arrived: deliveries, waiting, failed, kept unparsed, the last one."""
    _, workspace = open_workspace(config)
    channels = workspace.config.channels
    if not channels:
        out.print("No channels yet: add a channels: block to crisisdesk.yaml (see docs/channels/).")
        return
    engine = open_engine(workspace)
    table = Table("channel", "platform", "state", "deliveries", "waiting", "failed", "unparsed",
                  "last delivery (UTC)", "can")
    try:
        with engine.connect() as conn:
            for channel in channels:
                counts = channel_counts(conn, channel.key)
                connector = connector_for(channel)
                last = counts.last_received.strftime("%Y-%m-%d %H:%M:%S") if counts.last_received else "–"
                table.add_row(channel.key, channel.platform, "enabled" if channel.enabled else "disabled",
                              str(counts.deliveries), str(counts.pending), str(counts.failed),
                              str(counts.unparsed), last,
                              ", ".join(sorted(c.value for c in connector.capabilities)))
    finally:
        engine.dispose()
    out.print(table)


@channels_app.command("check")
@friendly_errors
def check(key: Annotated[str, typer.Argument(help="The channel's key in crisisdesk.yaml.")],
          config: ConfigOption = None) -> None:
    """Ask the platform whom the channel's credentials belong to; exit 1 with its answer if refused."""
    _, workspace = open_workspace(config)
    found = next((c for c in workspace.config.channels if c.key == key), None)
    if found is None:
        known = ", ".join(c.key for c in workspace.config.channels) or "none"
        raise CrisisdeskError(f"no channel {key!r} in the configuration (channels: {known})")
    try:
        result = connector_for(found).check()
    except PlatformError as exc:
        err.print(f"[red]{key}: {found.platform} refused:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"[green]{key}[/]: {found.platform} account {result.account}", highlight=False)
    for name, value in result.details.items():
        out.print(f"  {name}: {value}", highlight=False, soft_wrap=True)

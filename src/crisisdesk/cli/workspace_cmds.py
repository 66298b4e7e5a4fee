"""``crisisdesk init`` and ``crisisdesk monitors``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crisisdesk.cli.common import ConfigOption, friendly_errors, open_workspace, out
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import describe_url
from crisisdesk.runtime_config import open_engine
from crisisdesk.settings import load_settings
from crisisdesk.sources.service import match_counts, sync_monitors
from crisisdesk.workspace import WORKSPACE_TEMPLATE, load_workspace


@friendly_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the workspace.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing crisisdesk.yaml.")] = False,
) -> None:
    """Create a workspace: a commented crisisdesk.yaml and the embedded database beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "crisisdesk.yaml"
    if path.exists() and not force:
        raise CrisisdeskError(f"{path} exists already; pass --force to overwrite it")
    path.write_text(WORKSPACE_TEMPLATE, encoding="utf-8")
    workspace = load_workspace(path, load_settings())
    engine = open_engine(workspace)
    try:
        sync_monitors(engine, [(m.name, m.query) for m in workspace.config.monitors],
                      now=SystemClock().now())
    finally:
        engine.dispose()
    out.print(f"Created [bold]{path}[/] and the database {describe_url(workspace.database_url)}")
    out.print(f"Next: edit the monitors in {path}, then [bold]crisisdesk import FILE --config {path}[/]")


@friendly_errors
def monitors(config: ConfigOption = None) -> None:
    """List the workspace's monitors with their queries and matched posts."""
    _, workspace = open_workspace(config)
    engine = open_engine(workspace)
    try:
        sync_monitors(engine, [(m.name, m.query) for m in workspace.config.monitors],
                      now=SystemClock().now())
        counts = match_counts(engine)
    finally:
        engine.dispose()
    table = Table("monitor", "query", "matched posts")
    for m in workspace.config.monitors:
        table.add_row(m.name, m.query, str(counts.get(m.name, 0)))
    out.print(table)

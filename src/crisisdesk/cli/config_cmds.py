"""``crisisdesk config``: the workspace configuration between the file and the database."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import make_engine, migrate

config_app = typer.Typer(
    name="config", no_args_is_help=True,
    help="The configuration in force: check a file, import it into the database, export it.")


@config_app.command("check")
@friendly_errors
def check(
    file: Annotated[Path, typer.Argument(help="A crisisdesk.yaml to validate.", dir_okay=False)],
) -> None:
    """Validate a configuration file without changing anything (exit 2 naming every problem)."""
    from crisisdesk.workspace import parse_config

    if not file.is_file():
        raise CrisisdeskError(f"{file}: no such file")
    config = parse_config(file.read_text(encoding="utf-8"), path=str(file))
    out.print(f"{file}: valid ({len(config.monitors)} monitors, {len(config.notify.targets)} notification "
              f"targets, {len(config.people)} people, {len(config.escalation.policies)} escalation policies)")


@config_app.command("import")
@friendly_errors
def import_(
    file: Annotated[Path, typer.Argument(help="The crisisdesk.yaml to put in force.", dir_okay=False)],
    config: ConfigOption = None,
    note: Annotated[str | None, typer.Option(
        help="Why (kept with the version and in the audit log).")] = None,
) -> None:
    """Store a configuration in the database: from now on it is in force for every process (the
    web app edits it there); the workspace file only says where the database is."""
    from crisisdesk.audit.service import Actor
    from crisisdesk.configuration.service import save
    from crisisdesk.sources.service import sync_monitors

    if not file.is_file():
        raise CrisisdeskError(f"{file}: no such file")
    _, workspace = open_workspace(config, stored=False)
    engine = make_engine(workspace.database_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            stored, parsed = save(conn, file.read_text(encoding="utf-8"), actor=Actor.cli(getpass.getuser()),
                                  at=SystemClock().now(), note=note,
                                  fallback=workspace.path.read_text(encoding="utf-8"))
        # The monitors table follows at once (a running service would do it within seconds), so
        # monitors the new configuration dropped leave the pages now, not at the next start.
        sync_monitors(engine, [(m.name, m.query) for m in parsed.monitors], now=SystemClock().now())
    finally:
        engine.dispose()
    out.print(f"imported {file} as version {stored.version} ({len(parsed.monitors)} monitors); running "
              "services (crisisdesk serve) apply it within seconds")


@config_app.command("export")
@friendly_errors
def export(
    config: ConfigOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.",
                                                dir_okay=False)] = None,
    include_secrets: Annotated[bool, typer.Option(
        "--include-secrets", help="Write literal secrets (passwords, tokens, webhook URLs) as stored "
        "instead of ********; the file is then created readable by you only.")] = False,
) -> None:
    """Write the configuration in force (the database's, else the workspace file) as YAML, with
    literal secrets masked (importing it back keeps the stored ones)."""
    from crisisdesk.configuration.service import export_text

    _, workspace = open_workspace(config, stored=False)
    engine = make_engine(workspace.database_url)
    try:
        migrate(engine)
        text = export_text(engine, workspace, include_secrets=include_secrets)
    finally:
        engine.dispose()
    if output is None:
        out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
    else:
        if include_secrets:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # also when the file was there before
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")

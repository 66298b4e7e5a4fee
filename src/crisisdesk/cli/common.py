"""What every command shares: the --config option, error display, consoles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.settings import Settings, load_settings
from crisisdesk.workspace import Workspace, load_workspace, resolve_config_path

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Workspace file [default: ./crisisdesk.yaml or $CRISISDESK_CONFIG]",
                 dir_okay=False, show_default=False),
]

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Show our own errors as one clear line (exit 2) instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CrisisdeskError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(2) from exc

    return wrapper


def open_workspace(config: Path | None, *, stored: bool = True) -> tuple[Settings, Workspace]:
    """The workspace, with the configuration in force: the one stored in the database once one was
    imported (``crisisdesk config import``, the web app), else the file's. ``stored=False``: the
    file's as it is (``config`` commands that deal with the file itself)."""
    settings = load_settings()
    workspace = load_workspace(resolve_config_path(config, settings), settings)
    if stored:
        from crisisdesk.configuration.service import stored_in_force

        workspace = stored_in_force(workspace)
    return settings, workspace

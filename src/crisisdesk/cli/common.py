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


def open_workspace(config: Path | None) -> tuple[Settings, Workspace]:
    settings = load_settings()
    return settings, load_workspace(resolve_config_path(config, settings), settings)

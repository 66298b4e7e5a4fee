"""What every command shares: the --config option, error display, consoles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console, ConsoleDimensions

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.settings import Settings, load_settings
from crisisdesk.workspace import Workspace, load_workspace, resolve_config_path

#: How wide output is when it goes to a file or a pipe: wide enough that no table cell is cut
#: ("negat…") and no line is wrapped, so scripts and logs see every value whole.
PIPE_WIDTH = 1000


class CliConsole(Console):
    """A Rich console that is as wide as the terminal on a terminal, and :data:`PIPE_WIDTH` wide
    otherwise (Rich alone assumes 80 columns there). An explicit ``COLUMNS`` still wins."""

    @property
    def size(self) -> ConsoleDimensions:
        dims = Console.size.fget(self)  # type: ignore[attr-defined]
        assert isinstance(dims, ConsoleDimensions)
        if self._width is None and not self.is_terminal and not self._environ.get("COLUMNS"):
            return ConsoleDimensions(PIPE_WIDTH, dims.height)
        return dims

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = CliConsole()
err = CliConsole(stderr=True)

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
        from crisisdesk.configuration.service import file_ignored, stored_in_force

        file_workspace = workspace
        workspace = stored_in_force(workspace)
        version = file_ignored(file_workspace, workspace)
        if version is not None:
            err.print(f"note: configuration version {version} is in force from the database; "
                      f"{file_workspace.path} is ignored — `crisisdesk config import {file_workspace.path}` "
                      "to apply it", highlight=False, markup=False, soft_wrap=True)
    return settings, workspace

"""Loading the analysis model a workspace uses: the shipped default or its own."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from crisisdesk.analysis.linear import ModelError, TextModel

SHIPPED_MODEL = Path(__file__).parent / "model" / "default.npz"


@cache
def _load(path: Path) -> TextModel:
    return TextModel.load(path)


def load_model(path: Path | None = None) -> TextModel:
    """The model at ``path``, or the one shipped in the package; loaded once per process."""
    target = (path or SHIPPED_MODEL).expanduser().resolve()
    if not target.is_file():
        hint = "" if path else " (the package ships it; reinstall, or run `crisisdesk train`)"
        raise ModelError(f"no analysis model at {target}{hint}")
    return _load(target)

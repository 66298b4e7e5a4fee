"""Errors that cross module boundaries and carry enough context to act on."""

from __future__ import annotations


class CrisisdeskError(Exception):
    """Base of every error we raise on purpose; the CLI prints these without a traceback."""


class ConfigError(CrisisdeskError):
    """A workspace file is wrong; the message names the file, the path inside it and the problem."""

    def __init__(self, path: str, where: str, problem: str) -> None:
        self.path = path
        self.where = where
        self.problem = problem
        location = f"{path}: {where}" if where else path
        super().__init__(f"{location}: {problem}")


def config_path(parts: tuple[int | str, ...]) -> str:
    """A validation error's location as people read it in YAML: ``monitors[2].query``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out

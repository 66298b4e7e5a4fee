"""``crisisdesk demo`` (placeholder until the scenario lands)."""

from __future__ import annotations


def demo() -> None:
    """Run the demo scenario."""
    raise NotImplementedError

"""Negative and insult shares of anything that counts posts: one definition for the rollup points,
the dashboards' totals and chart points (an empty bucket has a share of 0, not a division error)."""

from __future__ import annotations

from typing import Protocol


class _Counted(Protocol):
    @property
    def volume(self) -> int: ...
    @property
    def negative(self) -> int: ...
    @property
    def insult(self) -> int: ...


class Shares:
    """Mixin: ``negative_share`` and ``insult_share`` from ``volume``, ``negative``, ``insult``."""

    @property
    def negative_share(self: _Counted) -> float:
        return self.negative / self.volume if self.volume else 0.0

    @property
    def insult_share(self: _Counted) -> float:
        return self.insult / self.volume if self.volume else 0.0

"""Severity: the highest playbook level whose thresholds the window's signals meet, and why."""

from __future__ import annotations

from dataclasses import dataclass

from crisisdesk.detection.config import PlaybookConfig, Signal
from crisisdesk.detection.state import Counts


@dataclass(frozen=True)
class Signals:
    """The playbook's signals over one detection window."""

    values: dict[Signal, float]

    @classmethod
    def of(cls, window: Counts, expected: float, ratio: float | None = None) -> Signals:
        """``ratio`` overrides the window's volume ratio (a shorter window may show more)."""
        volume = window.volume
        if ratio is None:
            ratio = volume / expected if expected > 0 else float(volume)
        return cls({
            Signal.POSTS: float(volume),
            Signal.VOLUME_RATIO: round(ratio, 2),
            Signal.NEGATIVE_SHARE: round(window.negative / volume, 3) if volume else 0.0,
            Signal.INSULT_SHARE: round(window.insult / volume, 3) if volume else 0.0,
            Signal.REACH: float(window.reach),
            Signal.NEGATIVE_REACH: float(window.negative_reach),
            Signal.CHANNELS: float(len([p for p, n in window.platforms.items() if n > 0])),
            Signal.PRESS: float(window.press),
            Signal.HIGH_RISK_TERMS: float(len(window.high_risk)),
            Signal.INFLUENCERS: float(window.influencers),
        })

    def as_dict(self) -> dict[str, float]:
        return {str(k): v for k, v in self.values.items()}


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:,.0f}"


@dataclass(frozen=True)
class Rating:
    level: int
    reasons: list[str]


def rate(signals: Signals, playbook: PlaybookConfig, *, floor: int = 1, floor_reason: str = "") -> Rating:
    """The highest level reached; each reason names the signal, its value and the threshold.

    ``floor`` is the level a detector's alert has anyway (its reason is ``floor_reason``).
    """
    best = Rating(floor, [floor_reason] if floor_reason else [])
    for level in playbook.levels:
        for condition in level.when:
            if all(signals.values.get(s, 0.0) >= t for s, t in condition.items()):
                if level.level >= best.level:
                    reasons = [f"{s} {_fmt(signals.values.get(s, 0.0))} ≥ {_fmt(t)}"
                               for s, t in condition.items()]
                    best = Rating(level.level, [f"level {level.level} ({level.name_en}): "
                                                + ", ".join(reasons)])
                break
    return best

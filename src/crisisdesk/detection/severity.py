"""Severity: the highest playbook level whose thresholds the window's signals meet, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crisisdesk.detection.config import PlaybookConfig, Signal
from crisisdesk.detection.reasons import note_text
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
    """A severity and why. ``reasons`` are the lines as the API and notifications show them;
    ``met_level`` and ``met`` are the playbook level whose condition the signals met and that
    condition as (signal, value, threshold), so a page can say the same in the reader's language;
    ``notes`` are the detector's own reasons (a sustained rise, a high-risk phrase)."""

    level: int
    reasons: list[str]
    met_level: int = 0
    met: tuple[tuple[str, float, float], ...] = ()
    notes: tuple[Mapping[str, Any] | str, ...] = ()

    def kept_at(self, severity: int) -> Rating:
        """This rating under a severity that stays where it was (higher than what is met now)."""
        return Rating(severity, self.reasons, self.met_level, self.met, self.notes)

    def with_note(self, note: Mapping[str, Any]) -> Rating:
        """The detector's note first (the API's English line, and the data for other languages)."""
        return Rating(self.level, [note_text(note, "en"), *self.reasons], self.met_level, self.met,
                      (note, *self.notes))

    def detail(self) -> dict[str, object]:
        """What the situation page renders in the reader's language (stored with each event)."""
        return {"severity": self.level, "level": self.met_level,
                "signals": [list(m) for m in self.met], "notes": list(self.notes)}


def rate(signals: Signals, playbook: PlaybookConfig, *, floor: int = 1, floor_reason: str = "",
         notes: Sequence[Mapping[str, Any]] = ()) -> Rating:
    """The highest level reached; each reason names the signal, its value and the threshold.

    ``floor`` is the level a detector's alert has anyway; its reason is ``floor_reason`` or, said
    as data a page can put in any language, ``notes`` (see :mod:`crisisdesk.detection.reasons`).
    """
    kept: tuple[Mapping[str, Any] | str, ...] = tuple(notes) or ((floor_reason,) if floor_reason else ())
    best = Rating(floor, [note_text(n, "en") for n in kept], notes=kept)
    for level in playbook.levels:
        for condition in level.when:
            if all(signals.values.get(s, 0.0) >= t for s, t in condition.items()):
                if level.level >= best.level:
                    met = tuple((str(s), signals.values.get(s, 0.0), float(t)) for s, t in condition.items())
                    reasons = [f"{s} {_fmt(v)} ≥ {_fmt(t)}" for s, v, t in met]
                    best = Rating(level.level, [f"level {level.level} ({level.name_en}): "
                                                + ", ".join(reasons)], level.level, met)
                break
    return best

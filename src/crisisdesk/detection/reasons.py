"""Why a situation has its severity, said in German or English from the data detection stores
(:meth:`crisisdesk.detection.severity.Rating.detail`), for the situation page and notifications
alike: the reader's language, not the workspace's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crisisdesk.detection.config import Signal
from crisisdesk.detection.summary import _num, _pct

#: Signal → (German, English), as a person reads it next to a number.
SIGNAL_LABELS: dict[str, tuple[str, str]] = {
    Signal.POSTS: ("Beiträge", "posts"),
    Signal.VOLUME_RATIO: ("Vielfaches des Üblichen", "times the usual volume"),
    Signal.NEGATIVE_SHARE: ("Anteil negativ", "negative share"),
    Signal.INSULT_SHARE: ("Anteil Beleidigungen", "insult share"),
    Signal.REACH: ("Reichweite", "reach"),
    Signal.NEGATIVE_REACH: ("negative Reichweite", "negative reach"),
    Signal.CHANNELS: ("Kanäle", "channels"),
    Signal.PRESS: ("Presseberichte", "press articles"),
    Signal.HIGH_RISK_TERMS: ("Risikobegriffe", "high-risk terms"),
    Signal.INFLUENCERS: ("einflussreiche Accounts", "influential accounts"),
}
_MET = {"de": "Stufe {level} ({name}): {signals}", "en": "Level {level} ({name}): {signals}"}
_KEPT = {"de": "– die Stufe bleibt {severity}, bis eine Person sie ändert oder die Lage endet.",
         "en": "– the severity stays at {severity} until a person changes it or the situation ends."}

ValueText = Callable[[str, float], str]


def plain_value(lang: str) -> ValueText:
    """Shares as percentages, the volume ratio with one decimal, counts grouped (no Babel: the
    notification path does not need it)."""
    def text(signal: str, value: float) -> str:
        if signal.endswith("_share"):
            return _pct(value, lang)
        if signal == Signal.VOLUME_RATIO and not float(value).is_integer():
            return _num(value, lang)
        whole = f"{value:,.0f}"
        return whole.replace(",", ".") if lang == "de" else whole
    return text


def describe(detail: Mapping[str, Any] | None, lang: str, level_name: Callable[[int], str],
             value_text: ValueText | None = None) -> list[str]:
    """The detector's notes, then the playbook condition met; a severity kept above what the
    signals meet now says so. Empty when there is no detail (situations from older versions)."""
    if not detail:
        return []
    lang = "de" if lang == "de" else "en"
    value_text = value_text or plain_value(lang)
    lines = [str(note) for note in detail.get("notes", [])]
    level = int(detail.get("level") or 0)
    if level:
        signals = ", ".join(
            f"{SIGNAL_LABELS.get(str(name), (str(name), str(name)))[0 if lang == 'de' else 1]} "
            f"{value_text(str(name), float(value))} ≥ {value_text(str(name), float(threshold))}"
            for name, value, threshold in detail.get("signals", []))
        line = _MET[lang].format(level=level, name=level_name(level), signals=signals)
        severity = int(detail.get("severity") or level)
        if severity > level:
            line += " " + _KEPT[lang].format(severity=severity)
        lines.append(line)
    return lines

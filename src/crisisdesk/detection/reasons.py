"""Why a situation has its severity, said in German or English from the data detection stores
(:meth:`crisisdesk.detection.severity.Rating.detail`), for the situation page and notifications
alike: the reader's language, not the workspace's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crisisdesk.detection.config import Signal

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


def percent_text(value: float, lang: str) -> str:
    return f"{value * 100:.0f} %" if lang == "de" else f"{value * 100:.0f}%"


def decimal_text(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "de" else text

#: What a detector saw, per kind of note (``Rating.notes``), in German and English.
_NOTES: dict[str, tuple[str, str]] = {
    "volume": ("Volumen: {posts} Beiträge in {minutes} Min., {ratio}-fach der erwarteten {expected} (z {z})",
               "volume {posts} posts in {minutes} min, {ratio}× the expected {expected} (z {z})"),
    "negativity": ("Anteil negativ {share} statt üblich {usual} (z {z})",
                   "negative share {share} vs usual {usual} (z {z})"),
    "sustained": ("anhaltender Anstieg: {ratio}-fach des Erwarteten seit {hours} Std. ({posts} Beiträge "
                  "statt {expected}; CUSUM {cusum} ≥ {threshold})",
                  "sustained rise: {ratio}× expected for {hours} h ({posts} posts vs {expected}; "
                  "CUSUM {cusum} ≥ {threshold})"),
    "keyword": ("Risikobegriffe: {terms}", "high-risk terms: {terms}"),
    "influencer": ("{count} negative Beiträge einflussreicher Accounts",
                   "{count} negative posts by influential authors"),
}


def note_text(note: Mapping[str, Any] | str, lang: str) -> str:
    """One detector note in ``lang`` (a plain string is a note stored by an older version)."""
    if isinstance(note, str):
        return note
    de = lang == "de"
    template = _NOTES.get(str(note.get("kind")))
    if template is None:
        return str(note)

    def dec(value: Any) -> str:
        return decimal_text(float(value), "de" if de else "en")

    values = {
        "posts": note.get("posts"), "minutes": note.get("minutes"), "hours": note.get("hours"),
        "count": note.get("count"), "threshold": f"{note.get('threshold', 0):g}",
        **{k: dec(note.get(k, 0)) for k in ("ratio", "expected", "z", "cusum")},
        **{k: percent_text(float(note.get(k, 0)), lang) for k in ("share", "usual")},
        "terms": ", ".join(map(str, note.get("terms", []))),
    }
    return template[0 if de else 1].format(**values)


def plain_value(lang: str) -> ValueText:
    """Shares as percentages, the volume ratio with one decimal, counts grouped (no Babel: the
    notification path does not need it)."""
    def text(signal: str, value: float) -> str:
        if signal.endswith("_share"):
            return percent_text(value, lang)
        if signal == Signal.VOLUME_RATIO and not float(value).is_integer():
            return decimal_text(value, lang)
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
    lines = [note_text(note, lang) for note in detail.get("notes", [])]
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

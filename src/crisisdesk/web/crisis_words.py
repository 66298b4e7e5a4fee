"""The crisis timeline's actions in words (German and English), from each action's data.

An action kind this module does not know yet is still shown (its name and who did it), so that a
newer kind never disappears from the record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _title(detail: Mapping[str, Any], lang: str) -> str:
    title = detail.get("title")
    if isinstance(title, Mapping):
        return str(title.get(lang) or title.get("en") or detail.get("task", ""))
    return str(detail.get("task", ""))


def action_words(action: Mapping[str, Any], lang: str) -> str:
    """One line for the timeline: who did what, in the reader's language."""
    d: Mapping[str, Any] = action.get("detail") or {}
    who = str(action.get("actor", ""))
    de = lang == "de"
    kind = str(action.get("kind", ""))
    if kind == "type.confirmed":
        return (f"{who} bestätigt den Krisentyp „{d.get('type')}“" if de
                else f"{who} confirmed the crisis type “{d.get('type')}”")
    if kind == "tasks.added":
        keys = ", ".join(str(k) for k in d.get("tasks", []))
        return (f"Aufgaben aus dem Playbook für Stufe {d.get('level')}: {keys}" if de
                else f"Tasks from the playbook for level {d.get('level')}: {keys}")
    if kind == "task.done":
        return f"{who} erledigt: {_title(d, lang)}" if de else f"{who} done: {_title(d, lang)}"
    if kind == "task.reopened":
        return f"{who} öffnet wieder: {_title(d, lang)}" if de else f"{who} reopened: {_title(d, lang)}"
    if kind == "situation.moved":
        return (f"{who} verschiebt Lage #{d.get('situation')} von Krise #{d.get('source') or '–'} nach "
                f"#{d.get('into')}" if de else f"{who} moved situation #{d.get('situation')} from crisis "
                f"#{d.get('source') or '–'} to #{d.get('into')}")
    if kind == "crisis.merged":
        return (f"{who} führt Krise #{d.get('source')} mit #{d.get('into')} zusammen" if de
                else f"{who} merged crisis #{d.get('source')} into #{d.get('into')}")
    if kind == "crisis.resolved":
        note = d.get("note")
        tail = f": {note}" if note else ""
        return f"{who} beendet die Krise{tail}" if de else f"{who} ended the crisis{tail}"
    words = KNOWN.get(kind)
    if words is not None:
        return f"{who}: {words['de' if de else 'en']}"
    return f"{who}: {kind}"


#: Kinds said the same way whatever their details.
KNOWN: dict[str, dict[str, str]] = {
    "reply.submitted": {"de": "öffentliche Antwort zur Freigabe eingereicht",
                        "en": "public reply submitted for approval"},
    "reply.approved": {"de": "öffentliche Antwort freigegeben", "en": "public reply approved"},
    "reply.rejected": {"de": "öffentliche Antwort abgelehnt", "en": "public reply rejected"},
    "mode.on": {"de": "Krisenmodus eingeschaltet", "en": "crisis mode switched on"},
    "mode.off": {"de": "Krisenmodus ausgeschaltet", "en": "crisis mode switched off"},
}

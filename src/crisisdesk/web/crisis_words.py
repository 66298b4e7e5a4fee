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
    if kind.startswith("update."):
        return _update(kind, d, who, de)
    words = KNOWN.get(kind)
    if words is not None:
        return f"{who}: {words['de' if de else 'en']}"
    return f"{who}: {kind}"


_AUDIENCE = {"customers": ("Kundinnen und Kunden", "customers"),
             "affected": ("Betroffene", "affected people"), "employees": ("Mitarbeitende", "employees"),
             "partners": ("Partner", "partners"),
             "press": ("Presse", "press"), "authorities": ("Behörden", "authorities"),
             "management": ("Geschäftsleitung", "management")}
_STATE = {"queued": ("unterwegs", "on its way"), "delivered": ("zugestellt", "delivered"),
          "partly": ("teilweise zugestellt", "partly delivered"), "failed": ("fehlgeschlagen", "failed")}


def _update(kind: str, d: Mapping[str, Any], who: str, de: bool) -> str:
    """A stakeholder update's step: to whom, and for a publication where it went and how far."""
    aud = _AUDIENCE.get(str(d.get("audience")), (str(d.get("audience")),) * 2)[0 if de else 1]
    if kind == "update.published":
        where = ", ".join(f"{c.get('channel')} ({_STATE.get(str(c.get('state')), ('?', '?'))[not de]})"
                          for c in d.get("channels", []) if isinstance(c, Mapping))
        return (f"{who} veröffentlicht Update an {aud} „{d.get('title')}“: {where}" if de
                else f"{who} published an update to {aud} “{d.get('title')}”: {where}")
    if kind == "update.delivery":
        state = _STATE.get(str(d.get("state")), ("?", "?"))[not de]
        detail = f" ({d.get('detail')})" if d.get("detail") else ""
        return (f"Update an {aud} über {d.get('channel')}: {state}{detail}" if de
                else f"Update to {aud} via {d.get('channel')}: {state}{detail}")
    if kind == "update.missed":
        due = str(d.get("due_at", ""))[:16].replace("T", " ")
        return (f"Update an {aud} überfällig (fällig {due} UTC)" if de
                else f"Update to {aud} overdue (due {due} UTC)")
    said = {"update.submitted": ("reicht Update an {a} zur Freigabe ein",
                                 "submitted an update to {a} for approval"),
            "update.approved": ("gibt Update an {a} frei", "approved an update to {a}"),
            "update.rejected": ("lehnt Update an {a} ab", "rejected an update to {a}")}.get(kind)
    if said is None:
        return f"{who}: {kind}"
    text = said[0 if de else 1].format(a=aud)
    comment = d.get("comment")
    return f"{who} {text}" + (f": {comment}" if comment else "")


#: Kinds said the same way whatever their details.
KNOWN: dict[str, dict[str, str]] = {
    "reply.submitted": {"de": "öffentliche Antwort zur Freigabe eingereicht",
                        "en": "public reply submitted for approval"},
    "reply.approved": {"de": "öffentliche Antwort freigegeben", "en": "public reply approved"},
    "reply.rejected": {"de": "öffentliche Antwort abgelehnt", "en": "public reply rejected"},
    "mode.on": {"de": "Krisenmodus eingeschaltet", "en": "crisis mode switched on"},
    "mode.off": {"de": "Krisenmodus ausgeschaltet", "en": "crisis mode switched off"},
}

"""German and English texts of crisis mode: the banner on every page, the switch, the suggestion."""

from __future__ import annotations

from typing import Literal

MODE_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "mode.title": {"de": "Krisenmodus", "en": "Crisis mode"},
    "mode.banner.crisis": {"de": "Krisenmodus: Krise #{id} – {title}",
                           "en": "Crisis mode: crisis #{id} — {title}"},
    "mode.banner.workspace": {"de": "Krisenmodus für den ganzen Arbeitsbereich",
                              "en": "Crisis mode for the whole workspace"},
    "mode.banner.effects": {
        "de": "Marketing und eigene Beiträge pausiert · automatische Antworten senden das Holding "
              "Statement · strengere Moderation · betroffene Unterhaltungen mit hoher Priorität",
        "en": "Marketing and our own posts paused · automatic answers send the holding statement · "
              "stricter moderation · affected conversations at high priority",
    },
    "mode.banner.open": {"de": "Zur Krise", "en": "Open the crisis"},
    "mode.banner.list": {"de": "Zu den Krisen", "en": "Open the crises"},
    "mode.is_on": {"de": "Der Krisenmodus ist an – seit {at}, eingeschaltet von {by}.",
                   "en": "Crisis mode is on – since {at}, switched on by {by}."},
    "mode.is_off": {"de": "Der Krisenmodus ist aus.", "en": "Crisis mode is off."},
    "mode.reason_was": {"de": "Grund: {reason}", "en": "Reason: {reason}"},
    "mode.what": {
        "de": "Im Krisenmodus pausieren eigene und geplante Beiträge und Marketing-Regeln (nichts geht "
              "verloren: sie gehen raus, wenn er endet); automatische Antworten der Regeln auf betroffene "
              "Unterhaltungen senden stattdessen das Holding Statement des Krisentyps; Regeln, die "
              "ausblenden, greifen bei Beleidigungen früher; betroffene Unterhaltungen bekommen mindestens "
              "hohe Priorität (ab Stufe 4 dringend).",
        "en": "In crisis mode our own and scheduled posts and marketing rules pause (nothing is lost: they "
              "go out when it ends); the rules' automatic answers on affected conversations send the crisis "
              "type's holding statement instead; rules that hide act on insults sooner; affected "
              "conversations get at least high priority (urgent from level 4).",
    },
    "mode.ends_with_crisis": {"de": "Er endet von selbst, wenn die Krise beendet ist.",
                              "en": "It ends by itself when the crisis is resolved."},
    "mode.workspace_hint": {
        "de": "Gilt für alle Unterhaltungen und Kanäle, bis jemand ihn ausschaltet; er endet mit keiner "
              "Krise.",
        "en": "Applies to every conversation and channel until someone switches it off; it ends with no "
              "crisis.",
    },
    "mode.switch_on": {"de": "Krisenmodus einschalten", "en": "Switch crisis mode on"},
    "mode.switch_off": {"de": "Krisenmodus ausschalten", "en": "Switch crisis mode off"},
    "mode.confirm_on.crisis": {"de": "Ja, den Krisenmodus für Krise #{id} einschalten.",
                               "en": "Yes, switch crisis mode on for crisis #{id}."},
    "mode.confirm_off.crisis": {"de": "Ja, den Krisenmodus für Krise #{id} ausschalten.",
                                "en": "Yes, switch crisis mode off for crisis #{id}."},
    "mode.confirm_on.workspace": {"de": "Ja, den Krisenmodus für den ganzen Arbeitsbereich einschalten.",
                                  "en": "Yes, switch crisis mode on for the whole workspace."},
    "mode.confirm_off.workspace": {"de": "Ja, den Krisenmodus für den ganzen Arbeitsbereich ausschalten.",
                                   "en": "Yes, switch crisis mode off for the whole workspace."},
    "mode.confirm_needed": {"de": "Bitte bestätigen Sie das Umschalten mit dem Häkchen.",
                            "en": "Please confirm the switch with the tick box."},
    "mode.reason": {"de": "Grund (freiwillig)", "en": "Reason (optional)"},
    "mode.switched_on": {"de": "Krisenmodus eingeschaltet.", "en": "Crisis mode switched on."},
    "mode.switched_off": {"de": "Krisenmodus ausgeschaltet.", "en": "Crisis mode switched off."},
    "mode.raised": {"de": "{count} offene Unterhaltungen haben jetzt mindestens hohe Priorität.",
                    "en": "{count} open conversations now have at least high priority."},
    "mode.not_allowed": {"de": "Umschalten darf, wer Stufen ändern darf.",
                         "en": "Switching takes the right to change severities."},
    "mode.suggested": {
        "de": "Das Playbook empfiehlt den Krisenmodus: Krisentyp „{type}“ ab Stufe {level}, diese Krise ist "
              "auf Stufe {severity}. Eine Person entscheidet.",
        "en": "The playbook suggests crisis mode: crisis type “{type}” from level {level}, this crisis is at "
              "level {severity}. A person decides.",
    },
    "mode.held": {"de": "{count} ausgehende Nachrichten warten, bis der Krisenmodus endet.",
                  "en": "{count} outbound messages wait until crisis mode ends."},
    "mode.history": {"de": "Bisher", "en": "So far"},
    "mode.history.row": {"de": "an: {on_at} ({on_by})", "en": "on: {on_at} ({on_by})"},
    "mode.history.off": {"de": "aus: {off_at} ({off_by})", "en": "off: {off_at} ({off_by})"},
    "mode.history.by_crisis": {"de": "mit der Krise beendet", "en": "ended with the crisis"},
    "mode.history.still_on": {"de": "noch an", "en": "still on"},
    "rules.run.crisis_mode": {"de": "Krisenmodus: Schwelle für Beleidigungen {before} → {after}",
                              "en": "crisis mode: insult threshold {before} → {after}"},
    "rules.run.holding_statement": {"de": "Holding Statement statt der Antwort (Krisenmodus)",
                                    "en": "holding statement instead of the answer (crisis mode)"},
    "rules.marketing": {"de": "Marketing: ruht im Krisenmodus", "en": "Marketing: rests in crisis mode"},
}

"""UI texts of the inbox's admin pages (``/inbox/rules``, ``/inbox/performance``), German and English.

Merged into the main catalog by :mod:`crisisdesk.web.i18n`; the same rules hold: every entry in
both languages, ``str.format`` placeholders.
"""

from __future__ import annotations

from typing import Literal

INBOX_ADMIN_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "inbox.nav.rules": {"de": "Regeln", "en": "Rules"},
    "inbox.nav.performance": {"de": "Team-Leistung", "en": "Team performance"},
    # The rules page
    "rules.title": {"de": "Posteingangsregeln", "en": "Inbox rules"},
    "rules.intro": {
        "de": "Die Regeln werden auf jede neue eingehende Nachricht einer Unterhaltung angewendet, "
        "von oben nach unten.",
        "en": "Rules are tried on every new inbound message of a conversation, top to bottom.",
    },
    "rules.none": {"de": "Noch keine Regeln.", "en": "No rules yet."},
    "rules.when": {"de": "Wenn", "en": "When"},
    "rules.then": {"de": "Dann", "en": "Then"},
    "rules.enabled": {"de": "aktiv", "en": "enabled"},
    "rules.disabled": {"de": "ausgeschaltet", "en": "disabled"},
    "rules.stop": {"de": "Danach keine weiteren Regeln.", "en": "No further rules after this one."},
    "rules.acted": {
        "de": "Gewirkt: {day} in 24 Std., {week} in 7 Tagen",
        "en": "Acted: {day} in 24 h, {week} in 7 days",
    },
    "rules.failed": {
        "de": "{count} fehlgeschlagene Aktionen in 7 Tagen",
        "en": "{count} failed actions in 7 days",
    },
    "rules.latest": {"de": "Letzte Läufe", "en": "Latest runs"},
    "rules.never": {"de": "Noch nie gewirkt.", "en": "Never acted yet."},
    "rules.conversation": {"de": "Unterhaltung #{id}", "en": "Conversation #{id}"},
    "rules.conversation_col": {"de": "Unterhaltung", "en": "Conversation"},
    "rules.ok": {"de": "erledigt", "en": "done"},
    "rules.not_done": {"de": "nicht möglich: {error}", "en": "not done: {error}"},
    "rules.edit": {"de": "Bearbeiten", "en": "Edit"},
    "rules.delete": {"de": "Löschen", "en": "Delete"},
    "rules.confirm_delete": {"de": "Regel „{name}“ löschen?", "en": "Delete the rule “{name}”?"},
    "rules.enable": {"de": "Einschalten", "en": "Enable"},
    "rules.disable": {"de": "Ausschalten", "en": "Disable"},
    "rules.up": {"de": "Nach oben", "en": "Move up"},
    "rules.down": {"de": "Nach unten", "en": "Move down"},
    "rules.new": {"de": "Neue Regel", "en": "New rule"},
    "rules.name": {"de": "Name", "en": "Name"},
    "rules.name_hint": {
        "de": "Buchstaben, Ziffern, Leerzeichen, . - _; später nicht änderbar.",
        "en": "Letters, digits, spaces, . - _; cannot be changed later.",
    },
    "rules.text": {"de": "Regel (YAML oder JSON)", "en": "Rule (YAML or JSON)"},
    "rules.text_hint": {
        "de": "when: Bedingungen, then: Aktionen (eine je Eintrag), optional enabled und stop. "
        "Siehe die Beispiele in der Dokumentation.",
        "en": "when: conditions, then: actions (one per entry), optionally enabled and stop. "
        "See the examples in the documentation.",
    },
    "rules.save": {"de": "Speichern", "en": "Save"},
    "rules.try": {"de": "Ausprobieren (ohne zu speichern)", "en": "Try it (without saving)"},
    "rules.cancel": {"de": "Abbrechen", "en": "Cancel"},
    "rules.saved": {
        "de": "Gespeichert als Version {version} der Konfiguration.",
        "en": "Saved as version {version} of the configuration.",
    },
    "rules.refused": {"de": "Nicht gespeichert:", "en": "Not saved:"},
    "rules.exists": {"de": "Es gibt schon eine Regel „{name}“.", "en": "There is already a rule “{name}”."},
    "rules.no_rule": {"de": "Keine Regel „{name}“.", "en": "No rule “{name}”."},
    "rules.bad_yaml": {
        "de": "Die Regel ist kein gültiges YAML (Zeile {line}, Spalte {column}): {problem}",
        "en": "The rule is not valid YAML (line {line}, column {column}): {problem}",
    },
    "rules.not_mapping": {
        "de": "Erwartet werden Felder wie when: und then: (eine Zuordnung), nicht {what}.",
        "en": "Expected fields such as when: and then: (a mapping), not {what}.",
    },
    "rules.editing": {"de": "Regel „{name}“ bearbeiten", "en": "Edit the rule “{name}”"},
    "rules.read_only": {
        "de": "Regeln ändern und ausprobieren dürfen Personen mit der Berechtigung „Regeln verwalten“.",
        "en": "Changing and trying rules needs the permission “manage rules”.",
    },
    # The small form
    "rules.quick": {"de": "Oder mit Feldern zusammenstellen", "en": "Or put it together with fields"},
    "rules.quick_hint": {
        "de": "Die häufigsten Bedingungen und Aktionen; alle ausgefüllten Bedingungen müssen "
        "zutreffen. Alles Weitere im Text oben.",
        "en": "The most common conditions and actions; every condition filled in must hold. "
        "Everything else in the text above.",
    },
    "rules.q.any": {"de": "egal", "en": "any"},
    "rules.q.public": {"de": "Sichtbarkeit", "en": "Visibility"},
    "rules.q.sentiment": {"de": "Stimmung", "en": "Sentiment"},
    "rules.q.query": {"de": "Suche (Abfragesprache der Monitore)", "en": "Query (the monitors' language)"},
    "rules.q.insult": {"de": "Beleidigung mindestens (0–1)", "en": "Insult at least (0–1)"},
    "rules.q.tag": {"de": "Schlagwort", "en": "Tag"},
    "rules.q.assign": {"de": "Zuweisen an (E-Mail)", "en": "Assign to (e-mail)"},
    "rules.quick_save": {"de": "Aus den Feldern speichern", "en": "Save from the fields"},
    "rules.quick_try": {"de": "Aus den Feldern ausprobieren", "en": "Try from the fields"},
    # Dry run
    "rules.dry_run": {"de": "Probelauf", "en": "Dry run"},
    "rules.dry_result": {"de": "Ergebnis des Probelaufs", "en": "Dry run result"},
    "rules.dry_run_hint": {
        "de": "Was die Regel mit den Nachrichten der letzten Tage getan hätte; "
        "nichts wird geändert oder gesendet.",
        "en": "What the rule would have done with the last days' messages; nothing is changed or sent.",
    },
    "rules.dry_rule": {"de": "Regel", "en": "Rule"},
    "rules.days": {"de": "Tage", "en": "Days"},
    "rules.run": {"de": "Probelauf starten", "en": "Start the dry run"},
    "rules.bad_days": {
        "de": "Tage: eine ganze Zahl von 1 bis 90, nicht „{value}“.",
        "en": "Days: a whole number from 1 to 90, not “{value}”.",
    },
    "rules.result": {
        "de": "Probelauf von „{name}“ seit {since}: {matched} von {tried} Nachrichten getroffen.",
        "en": "Dry run of “{name}” since {since}: {matched} of {tried} messages matched.",
    },
    "rules.result_none": {
        "de": "Keine Nachricht hätte die Regel ausgelöst.",
        "en": "No message would have triggered the rule.",
    },
    "rules.message": {"de": "Nachricht", "en": "Message"},
    "rules.would": {"de": "Hätte getan", "en": "Would have"},
    "rules.at": {"de": "Zeit", "en": "Time"},
    # Conditions in words
    "rules.c.any": {"de": "jede eingehende Nachricht", "en": "every inbound message"},
    "rules.c.channel": {"de": "Kanal: {values}", "en": "channel: {values}"},
    "rules.c.platform": {"de": "Plattform: {values}", "en": "platform: {values}"},
    "rules.c.public": {"de": "öffentlich sichtbar", "en": "public"},
    "rules.c.private": {"de": "privat (Chat, E-Mail)", "en": "private (chat, e-mail)"},
    "rules.c.kind": {"de": "Art: {values}", "en": "kind: {values}"},
    "rules.c.lang": {"de": "Sprache: {values}", "en": "language: {values}"},
    "rules.c.sentiment": {"de": "Stimmung: {values}", "en": "sentiment: {values}"},
    "rules.c.insult": {"de": "als Beleidigung erkannt", "en": "flagged as an insult"},
    "rules.c.no_insult": {"de": "nicht als Beleidigung erkannt", "en": "not flagged as an insult"},
    "rules.c.insult_score": {
        "de": "Beleidigung mit mindestens {score} Wahrscheinlichkeit",
        "en": "insult probability at least {score}",
    },
    "rules.c.complaint_types": {"de": "Beschwerdeart: {values}", "en": "complaint type: {values}"},
    "rules.c.monitor": {"de": "Monitor: {values}", "en": "monitor: {values}"},
    "rules.c.query": {"de": "passt auf die Suche {query}", "en": "matches the query {query}"},
    "rules.c.min_followers": {"de": "mindestens {count} Follower", "en": "at least {count} followers"},
    "rules.c.verified": {"de": "verifiziertes Konto", "en": "verified account"},
    "rules.c.unverified": {"de": "nicht verifiziertes Konto", "en": "unverified account"},
    "rules.c.in_situation": {
        "de": "während einer offenen Lage eines seiner Monitore",
        "en": "while one of its monitors has an open situation",
    },
    "rules.c.no_situation": {
        "de": "keiner seiner Monitore hat eine offene Lage",
        "en": "none of its monitors has an open situation",
    },
    "rules.c.situation_severity": {
        "de": "offene Lage mindestens der Stufe {level}",
        "en": "an open situation of severity {level} or higher",
    },
    "rules.c.business_hours": {"de": "innerhalb der Geschäftszeiten", "en": "within business hours"},
    "rules.c.after_hours": {"de": "außerhalb der Geschäftszeiten", "en": "outside business hours"},
    "rules.c.changed": {"de": "geändert wurde: {values}", "en": "what changed: {values}"},
    "rules.c.status": {"de": "Status: {values}", "en": "status: {values}"},
    "rules.c.priority": {"de": "Priorität: {values}", "en": "priority: {values}"},
    "rules.c.tags": {"de": "Schlagwort: {values}", "en": "tag: {values}"},
    "rules.c.assigned": {"de": "jemandem zugewiesen", "en": "assigned to someone"},
    "rules.c.unassigned": {"de": "niemandem zugewiesen", "en": "assigned to nobody"},
    "rules.c.ticket": {"de": "ist ein Ticket", "en": "is a ticket"},
    "rules.c.no_ticket": {"de": "ist kein Ticket", "en": "is not a ticket"},
    "rules.changed.status": {"de": "Status", "en": "status"},
    "rules.changed.priority": {"de": "Priorität", "en": "priority"},
    "rules.changed.assignee": {"de": "Zuweisung", "en": "assignee"},
    "rules.changed.team": {"de": "Team", "en": "team"},
    "rules.changed.tags": {"de": "Schlagwörter", "en": "tags"},
    "rules.changed.ticket": {"de": "Ticket angelegt", "en": "ticket opened"},
    "rules.trigger.message": {"de": "bei jeder neuen Nachricht", "en": "on every new message"},
    "rules.trigger.change": {"de": "wenn jemand das Gespräch ändert",
                             "en": "when someone changes the conversation"},
    "rules.trigger.change_message": {"de": "bei jeder neuen Nachricht und jeder Änderung",
                                     "en": "on every new message and every change"},
    "rules.run.after_change": {"de": "nach einer Änderung von: {values}",
                               "en": "after a change of: {values}"},
    "rules.or": {"de": "oder", "en": "or"},
    # Actions in words
    "rules.a.tag": {"de": "Schlagwort „{value}“ setzen", "en": "tag “{value}”"},
    "rules.a.priority": {"de": "Priorität auf {value} setzen", "en": "set the priority to {value}"},
    "rules.a.assign": {"de": "zuweisen an {value}", "en": "assign to {value}"},
    "rules.a.team": {"de": "an das Team {value} geben", "en": "hand to the team {value}"},
    "rules.a.reply": {"de": "automatisch antworten: {value}", "en": "answer automatically: {value}"},
    "rules.a.reply_private": {"de": "privat antworten: {value}", "en": "answer privately: {value}"},
    "rules.a.move_to_private": {
        "de": "öffentlich antworten {public} und privat weiterschreiben {private}",
        "en": "answer publicly {public} and go on privately {private}",
    },
    "rules.saved_reply": {"de": "mit der gespeicherten Antwort „{name}“",
                          "en": "with the saved reply “{name}”"},
    "rules.a.assign_round_robin": {
        "de": "reihum zuweisen im Team {value} (wer Schicht hat)",
        "en": "assign in turn within the team {value} (who is on shift)",
    },
    "rules.a.notify": {"de": "benachrichtigen: {value}", "en": "notify {value}"},
    "rules.a.hide": {
        "de": "auf der Plattform verbergen (zur Prüfung)",
        "en": "hide on the platform (for review)",
    },
    "rules.a.ticket": {"de": "Ticket anlegen", "en": "open a ticket"},
    "rules.a.status": {"de": "Status auf {value} setzen", "en": "set the status to {value}"},
    # The performance page
    "perf.title": {"de": "Team-Leistung", "en": "Team performance"},
    "perf.period": {"de": "Zeitraum", "en": "Period"},
    "perf.period.today": {"de": "Heute", "en": "Today"},
    "perf.period.7d": {"de": "7 Tage", "en": "7 days"},
    "perf.period.30d": {"de": "30 Tage", "en": "30 days"},
    "perf.show": {"de": "Anzeigen", "en": "Show"},
    "perf.bad_period": {
        "de": "Unbekannter Zeitraum „{value}“; gezeigt werden 7 Tage.",
        "en": "Unknown period “{value}”; showing 7 days.",
    },
    "perf.range": {
        "de": "{since} bis {until}: {count} neue Unterhaltungen",
        "en": "{since} to {until}: {count} new conversations",
    },
    "perf.times": {"de": "Zeiten", "en": "Times"},
    "perf.measure": {"de": "Messgröße", "en": "Measure"},
    "perf.median": {"de": "Median", "en": "Median"},
    "perf.p90": {"de": "90. Perzentil", "en": "90th percentile"},
    "perf.measured": {"de": "Gemessene Unterhaltungen", "en": "Conversations measured"},
    "perf.first_response": {"de": "Erste Antwort", "en": "First response"},
    "perf.resolution": {"de": "Erledigung", "en": "Resolution"},
    "perf.replies_person": {"de": "Antworten je Person", "en": "Replies per person"},
    "perf.replies_channel": {"de": "Antworten je Kanal", "en": "Replies per channel"},
    "perf.person": {"de": "Person", "en": "Person"},
    "perf.replies": {"de": "Antworten", "en": "Replies"},
    "perf.no_replies": {
        "de": "Keine gesendeten Antworten in diesem Zeitraum.",
        "en": "No replies sent in this period.",
    },
    "perf.sla": {"de": "SLA-Verletzungen", "en": "SLA breaches"},
    "perf.sla_none": {
        "de": "Nicht gemessen: es sind keine SLA-Ziele eingerichtet.",
        "en": "Not measured: no SLA targets are set up.",
    },
    "perf.workload": {"de": "Arbeitslast jetzt", "en": "Workload now"},
    "perf.open": {"de": "Offen oder wartend", "en": "Open or pending"},
    "perf.no_workload": {
        "de": "Niemandem ist eine offene Unterhaltung zugewiesen.",
        "en": "Nobody has an open conversation assigned.",
    },
    "perf.unassigned": {"de": "Offen und nicht zugewiesen: {count}", "en": "Open and unassigned: {count}"},
    "perf.waiting": {"de": "Offen und wartet auf uns: {count}", "en": "Open and waiting for us: {count}"},
}

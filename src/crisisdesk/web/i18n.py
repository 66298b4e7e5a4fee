"""UI texts in German and English, and how a request's language is chosen.

One catalog, keyed by message id, every entry in both languages (a test enforces it). A user's
own setting wins; otherwise the browser's Accept-Language; otherwise English. Placeholders use
``str.format`` names, so translators see what goes where.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["de", "en"]
LANGS: tuple[Lang, ...] = ("de", "en")

MESSAGES: dict[str, dict[Lang, str]] = {
    "app.name": {"de": "crisisdesk", "en": "crisisdesk"},
    "nav.overview": {"de": "Übersicht", "en": "Overview"},
    "nav.situations": {"de": "Lagen", "en": "Situations"},
    "nav.monitors": {"de": "Monitore", "en": "Monitors"},
    "nav.settings": {"de": "Einstellungen", "en": "Settings"},
    "nav.users": {"de": "Benutzer", "en": "Users"},
    "nav.audit": {"de": "Protokoll", "en": "Audit log"},
    "nav.skip": {"de": "Zum Inhalt springen", "en": "Skip to content"},
    "nav.logout": {"de": "Abmelden", "en": "Sign out"},
    "nav.language": {"de": "Sprache", "en": "Language"},
    "login.title": {"de": "Anmelden", "en": "Sign in"},
    "login.email": {"de": "E-Mail", "en": "E-mail"},
    "login.password": {"de": "Passwort", "en": "Password"},
    "login.submit": {"de": "Anmelden", "en": "Sign in"},
    "login.failed": {"de": "E-Mail oder Passwort ist falsch.", "en": "Wrong e-mail or password."},
    "login.throttled": {"de": "Zu viele Versuche. Bitte in {seconds} Sekunden erneut versuchen.",
                        "en": "Too many attempts. Please try again in {seconds} seconds."},
    "overview.title": {"de": "Übersicht", "en": "Overview"},
    "overview.mentions_hour": {"de": "Erwähnungen/Std.", "en": "Mentions/h"},
    "overview.negative": {"de": "Negativ", "en": "Negative"},
    "overview.insults": {"de": "Beleidigungen", "en": "Insults"},
    "overview.reach": {"de": "Reichweite", "en": "Reach"},
    "overview.last_24h": {"de": "Letzte 24 Stunden", "en": "Last 24 hours"},
    "overview.open_situations": {"de": "Offene Lagen", "en": "Open situations"},
    "overview.no_situations": {"de": "Keine offenen Lagen – alles ruhig.",
                               "en": "No open situations: all calm."},
    "overview.changed": {"de": "Was sich in der letzten Stunde geändert hat",
                         "en": "What changed in the last hour"},
    "overview.nothing_changed": {"de": "Keine Änderungen.", "en": "Nothing changed."},
    "situation.title": {"de": "Lage", "en": "Situation"},
    "situation.severity": {"de": "Stufe", "en": "Severity"},
    "situation.cause": {"de": "Auslöser", "en": "Cause"},
    "situation.status": {"de": "Status", "en": "Status"},
    "situation.opened": {"de": "Eröffnet", "en": "Opened"},
    "situation.acknowledged": {"de": "Bestätigt von {by} am {at}", "en": "Acknowledged by {by} at {at}"},
    "situation.not_acknowledged": {"de": "Noch nicht bestätigt", "en": "Not acknowledged yet"},
    "situation.acknowledge": {"de": "Bestätigen", "en": "Acknowledge"},
    "situation.raise": {"de": "Stufe erhöhen", "en": "Raise severity"},
    "situation.lower": {"de": "Stufe senken", "en": "Lower severity"},
    "situation.resolve": {"de": "Beenden", "en": "Resolve"},
    "situation.reason": {"de": "Begründung", "en": "Reason"},
    "situation.summary": {"de": "Zusammenfassung", "en": "Summary"},
    "situation.why": {"de": "Warum diese Stufe", "en": "Why this severity"},
    "situation.terms": {"de": "Auffällige Begriffe", "en": "Surging terms"},
    "situation.top_posts": {"de": "Beiträge mit der größten Reichweite", "en": "Top posts by reach"},
    "situation.authors": {"de": "Autorinnen und Autoren", "en": "Authors"},
    "situation.channels": {"de": "Kanäle", "en": "Channels"},
    "situation.timeline": {"de": "Verlauf", "en": "Timeline"},
    "situation.escalations": {"de": "Eskalation", "en": "Escalation"},
    "situation.notifications": {"de": "Benachrichtigungen", "en": "Notifications"},
    "situation.when": {"de": "Zeit", "en": "Time"},
    "situation.event": {"de": "Ereignis", "en": "Event"},
    "situation.details": {"de": "Details", "en": "Details"},
    "situation.no_escalation": {"de": "Keine Eskalation: für diese Stufe gilt keine Richtlinie.",
                                "en": "No escalation: no policy applies at this severity."},
    "situation.no_notifications": {"de": "Noch keine Benachrichtigung verschickt.",
                                   "en": "No notification sent yet."},
    "situation.step": {"de": "Schritt {number}", "en": "Step {number}"},
    "situation.round": {"de": "Runde {round}", "en": "round {round}"},
    "situation.wait": {"de": "dann {minutes} Min. warten", "en": "then wait {minutes} min"},
    "situation.target": {"de": "Ziel", "en": "Target"},
    "situation.channel": {"de": "Kanal", "en": "Channel"},
    "situation.delivery": {"de": "Zustellung", "en": "Delivery"},
    "situation.attempts": {"de": "Versuche", "en": "Attempts"},
    "situation.error": {"de": "Fehler", "en": "Error"},
    "step.done": {"de": "erledigt", "en": "done"},
    "step.next": {"de": "als Nächstes", "en": "next"},
    "step.pending": {"de": "ausstehend", "en": "pending"},
    "step.stopped": {"de": "nicht mehr nötig", "en": "not needed"},
    "escalation.active": {"de": "läuft", "en": "running"},
    "escalation.acknowledged": {"de": "bestätigt", "en": "acknowledged"},
    "escalation.exhausted": {"de": "alle Schritte gelaufen", "en": "all steps run"},
    "escalation.superseded": {"de": "durch neue Stufe ersetzt", "en": "replaced by a new severity"},
    "escalation.resolved": {"de": "Lage beendet", "en": "situation resolved"},
    "delivery.pending": {"de": "wartet", "en": "waiting"},
    "delivery.sending": {"de": "wird gesendet", "en": "sending"},
    "delivery.sent": {"de": "zugestellt", "en": "delivered"},
    "delivery.failed": {"de": "fehlgeschlagen", "en": "failed"},
    "event.alert.opened": {"de": "Lage eröffnet", "en": "Situation opened"},
    "event.alert.updated": {"de": "Lage aktualisiert", "en": "Situation updated"},
    "event.alert.escalated": {"de": "Eskaliert", "en": "Escalated"},
    "event.alert.acknowledged": {"de": "Bestätigt", "en": "Acknowledged"},
    "event.alert.resolved": {"de": "Beendet", "en": "Resolved"},
    "cause.spike": {"de": "Anstieg", "en": "Spike"},
    "cause.keyword": {"de": "Risikobegriff", "en": "High-risk term"},
    "cause.influencer": {"de": "Einflussreicher Account", "en": "Influencer"},
    "status.open": {"de": "offen", "en": "open"},
    "status.resolved": {"de": "beendet", "en": "resolved"},
    "monitor.title": {"de": "Monitor", "en": "Monitor"},
    "monitor.volume": {"de": "Volumen und Stimmung", "en": "Volume and sentiment"},
    "monitor.share_of_voice": {"de": "Share of Voice", "en": "Share of voice"},
    "monitor.complaints": {"de": "Beschwerdearten", "en": "Complaint types"},
    "monitor.top_authors": {"de": "Accounts mit der größten Reichweite", "en": "Top authors by reach"},
    "monitor.posts": {"de": "Beiträge", "en": "Posts"},
    "monitor.search": {"de": "Suche", "en": "Search"},
    "monitor.filter": {"de": "Filtern", "en": "Filter"},
    "monitor.range": {"de": "Zeitraum", "en": "Range"},
    "monitor.more": {"de": "Weitere laden", "en": "Load more"},
    "monitor.from": {"de": "von", "en": "from"},
    "monitor.to": {"de": "bis", "en": "to"},
    "change.opened": {"de": "eröffnet", "en": "opened"},
    "change.updated": {"de": "aktualisiert", "en": "updated"},
    "change.escalated": {"de": "eskaliert", "en": "escalated"},
    "change.resolved": {"de": "beendet", "en": "resolved"},
    "change.acknowledged": {"de": "bestätigt", "en": "acknowledged"},
    "change.reopened": {"de": "wieder eröffnet", "en": "reopened"},
    "sentiment.negative": {"de": "negativ", "en": "negative"},
    "sentiment.neutral": {"de": "neutral", "en": "neutral"},
    "sentiment.positive": {"de": "positiv", "en": "positive"},
    "label.correct": {"de": "Korrigieren", "en": "Correct"},
    "label.saved": {"de": "Korrektur gespeichert.", "en": "Correction saved."},
    "error.forbidden": {"de": "Dafür fehlt Ihnen die Berechtigung.", "en": "You are not allowed to do that."},
    "error.not_found": {"de": "Nicht gefunden.", "en": "Not found."},
    "settings.version": {"de": "Version {version}, gespeichert von {by} am {at}",
                         "en": "Version {version}, saved by {by} at {at}"},
    "settings.from_file": {"de": "Noch aus der Datei crisisdesk.yaml; das erste Speichern legt die "
                                 "Konfiguration in der Datenbank ab.",
                           "en": "Still from the file crisisdesk.yaml; the first save stores the "
                                 "configuration in the database."},
    "settings.refused": {"de": "Nicht gespeichert:", "en": "Not saved:"},
    "settings.saved": {"de": "Gespeichert als Version {version}.", "en": "Saved as version {version}."},
    "settings.check_query": {"de": "Monitor-Abfrage prüfen", "en": "Check a monitor query"},
    "settings.query": {"de": "Abfrage", "en": "Query"},
    "settings.document": {"de": "Konfiguration (YAML: Monitore, Ziele, Personen, Rollen, Eskalation)",
                          "en": "Configuration (YAML: monitors, targets, people, roles, escalation)"},
    "settings.restart": {"de": "Änderungen gelten sofort, in jedem Prozess des Dienstes nach "
                               "spätestens wenigen Sekunden.",
                         "en": "Changes take effect at once, in every process of the service "
                               "within seconds."},
    "settings.export": {"de": "Als crisisdesk.yaml herunterladen", "en": "Download as crisisdesk.yaml"},
    "settings.import": {"de": "Datei importieren", "en": "Import a file"},
    "common.save": {"de": "Speichern", "en": "Save"},
    "common.cancel": {"de": "Abbrechen", "en": "Cancel"},
    "common.all": {"de": "alle", "en": "all"},
    "common.none": {"de": "keine", "en": "none"},
}


def t(key: str, lang: Lang, **values: object) -> str:
    """The message in ``lang``; an unknown key shows itself (visible in the page, caught by tests)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry[lang]
    return text.format(**values) if values else text


def choose_lang(user_lang: str | None, accept_language: str | None) -> Lang:
    """The user's setting, else the first of de/en the browser prefers, else English."""
    if user_lang in LANGS:
        return user_lang
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and q > 0:
            ranked.append((-q, i, primary))
    return sorted(ranked)[0][2] if ranked else "en"  # type: ignore[return-value]

"""UI texts of settings → Processes (the distributed mode), German and English."""

from __future__ import annotations

from typing import Literal

CLUSTER_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "settings.section.processes": {"de": "Prozesse", "en": "Processes"},
    "cluster.embedded": {
        "de": "Eingebetteter Betrieb: ein Prozess macht alles (crisisdesk serve). Der verteilte Betrieb mit "
              "mehreren Front-Ends und Workern wird mit CRISISDESK_BUS_URL eingeschaltet (siehe "
              "docs/deployment.md).",
        "en": "Embedded mode: one process does everything (crisisdesk serve). The distributed mode with "
              "several front ends and workers is switched on with CRISISDESK_BUS_URL "
              "(see docs/deployment.md)."},
    "cluster.unreachable": {"de": "Redis antwortet nicht: {error}", "en": "Redis does not answer: {error}"},
    "cluster.processes": {"de": "Laufende Prozesse", "en": "Running processes"},
    "cluster.none": {"de": "Kein Prozess meldet sich.", "en": "No process reports in."},
    "cluster.role": {"de": "Rolle", "en": "Role"},
    "cluster.role.front end": {"de": "Front-End", "en": "front end"},
    "cluster.role.worker": {"de": "Worker", "en": "worker"},
    "cluster.holds_lease": {"de": "speichert und erkennt", "en": "stores and detects"},
    "cluster.host": {"de": "Rechner", "en": "Host"},
    "cluster.up_since": {"de": "Läuft seit", "en": "Up since"},
    "cluster.work": {"de": "Arbeit", "en": "Work"},
    "cluster.work.front": {"de": "{queued} Beiträge weitergegeben", "en": "{queued} posts handed on"},
    "cluster.work.worker": {
        "de": "{prepared} Stapel vorbereitet, {stored} Beiträge gespeichert, {failed} Fehler",
        "en": "{prepared} batches prepared, {stored} posts stored, {failed} failures"},
    "cluster.lease": {"de": "Pipeline-Lease", "en": "Pipeline lease"},
    "cluster.lease.none": {"de": "Noch nie vergeben: kein Worker ist gestartet.",
                           "en": "Never taken: no worker has started."},
    "cluster.lease.held": {"de": "{holder} (Epoche {epoch}), gültig bis {until}",
                           "en": "{holder} (epoch {epoch}), valid until {until}"},
    "cluster.lease.expired": {
        "de": "Abgelaufen seit {until} ({holder}): kein Worker speichert gerade. Läuft einer?",
        "en": "Expired since {until} ({holder}): no worker is storing now. Is one running?"},
    "cluster.topics": {"de": "Warteschlangen", "en": "Queues"},
    "cluster.topic": {"de": "Thema", "en": "Topic"},
    "cluster.group": {"de": "Gruppe", "en": "Group"},
    "cluster.lag": {"de": "Noch nicht gelesen", "en": "Not yet read"},
    "cluster.pending": {"de": "In Arbeit", "en": "In progress"},
    "cluster.dead": {"de": "Tote Nachrichten", "en": "Dead letters"},
    "cluster.dead.none": {"de": "Keine: jede Nachricht wurde verarbeitet.",
                          "en": "None: every message was handled."},
    "cluster.dead.intro": {
        "de": "Nachrichten, die {n}-mal scheiterten. Nach der Behebung der Ursache zurücklegen: jeder "
              "Beitrag wird höchstens einmal gespeichert.",
        "en": "Messages that failed {n} times. Put them back once the cause is fixed: each post is stored "
              "at most once."},
    "cluster.dead.items": {"de": "Einträge", "en": "Items"},
    "cluster.dead.deliveries": {"de": "Versuche", "en": "Attempts"},
    "cluster.dead.error": {"de": "Letzter Fehler", "en": "Last error"},
    "cluster.replay": {"de": "Alle zurücklegen ({topic})", "en": "Put all back ({topic})"},
    "cluster.replayed": {"de": "{n} Nachrichten zurück auf {topic}.", "en": "{n} messages back on {topic}."},
    "cluster.replay_unavailable": {"de": "Redis antwortet nicht; nichts wurde zurückgelegt.",
                                   "en": "Redis does not answer; nothing was put back."},
}

"""UI texts of settings → Analysis (retraining from corrections), German and English.

A catalog of its own so that the main one (:mod:`crisisdesk.web.i18n`, which merges this) stays
readable; the same rules hold: every entry in both languages, ``str.format`` placeholders.
"""

from __future__ import annotations

from typing import Literal

ANALYSIS_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "settings.section.analysis": {"de": "Analyse", "en": "Analysis"},
    "analysis.model": {"de": "Modell im Einsatz", "en": "Model in force"},
    "analysis.shipped_model": {"de": "Das mitgelieferte Modell.", "en": "The shipped model."},
    "analysis.task": {"de": "Aufgabe", "en": "Task"},
    "analysis.task.sentiment": {"de": "Stimmung", "en": "Sentiment"},
    "analysis.task.insult": {"de": "Beleidigung", "en": "Insult"},
    "analysis.class.negative": {"de": "negativ", "en": "negative"},
    "analysis.class.offense": {"de": "beleidigend", "en": "offense"},
    "analysis.corrections": {"de": "Korrekturen", "en": "Corrections"},
    "analysis.held_back": {"de": "davon zurückgehalten", "en": "of them held back"},
    "analysis.needs": {"de": "{task}: zu wenige Korrekturen, um ein neues Modell zu beurteilen – nötig sind "
                             "{minimum} zurückgehaltene, also etwa {need} Korrekturen.",
                       "en": "{task}: too few corrections to judge a new model; it takes {minimum} held "
                             "back, that is about {need} corrections."},
    "analysis.complaints_elsewhere": {
        "de": "{count} Korrekturen von Beschwerdearten lernt „crisisdesk train complaints“, nicht dieses "
              "Neutrainieren.",
        "en": "{count} complaint-type corrections are learned by “crisisdesk train complaints”, not by "
              "this retrain."},
    "analysis.retrain": {"de": "Aus Korrekturen neu trainieren", "en": "Retrain from corrections"},
    "analysis.retrain_hint": {
        "de": "Ein Teil der Korrekturen wird zurückgehalten. Das neue Modell lernt aus den öffentlichen "
              "Daten und den übrigen Korrekturen und wird nur eingesetzt, wenn es auf den zurückgehaltenen "
              "Korrekturen und den öffentlichen Testdaten nicht schlechter ist als das Modell im Einsatz. "
              "Das dauert ein bis zwei Minuten.",
        "en": "Part of the corrections is held back. The new model learns from the public data and the "
              "other corrections, and is put in force only when it is not worse than the model in force "
              "on the held-back corrections and the public dev sets. It takes a minute or two."},
    "analysis.retrain_button": {"de": "Neu trainieren", "en": "Retrain"},
    "analysis.dry_run": {"de": "Nur prüfen, nicht einsetzen", "en": "Dry run: judge, never ship"},
    "analysis.force": {"de": "Auch einsetzen, wenn es schlechter ist", "en": "Ship even when worse"},
    "analysis.force_hint": {"de": "Wird im Protokoll vermerkt.", "en": "Recorded in the audit log."},
    "analysis.running": {"de": "Läuft (gestartet von {by}):", "en": "Running (started by {by}):"},
    "analysis.refresh": {"de": "Aktualisieren", "en": "Refresh"},
    "analysis.already_running": {"de": "Es läuft schon ein Neutrainieren; bitte auf sein Ergebnis warten.",
                                 "en": "A retrain is already running; wait for its result."},
    "analysis.failed": {"de": "Das Neutrainieren ist fehlgeschlagen:", "en": "The retrain failed:"},
    "analysis.by": {"de": "({by}, {at})", "en": "({by}, {at})"},
    "analysis.outcome.shipped": {"de": "Eingesetzt: {model}, Konfiguration Version {version}.",
                                 "en": "Shipped: {model}, configuration version {version}."},
    "analysis.outcome.refused": {"de": "Abgelehnt: Das neue Modell ist schlechter; das Modell im Einsatz "
                                       "bleibt.",
                                 "en": "Refused: the new model is worse; the model in force stays."},
    "analysis.outcome.too_few": {"de": "Zu wenige Korrekturen, um ein neues Modell zu beurteilen; nichts "
                                       "wurde trainiert.",
                                 "en": "Too few corrections to judge a new model; nothing was trained."},
    "analysis.outcome.dry_run_ships": {"de": "Probelauf: Das neue Modell würde eingesetzt.",
                                       "en": "Dry run: the new model would ship."},
    "analysis.outcome.dry_run_refused": {"de": "Probelauf: Das neue Modell würde abgelehnt.",
                                         "en": "Dry run: the new model would be refused."},
    "analysis.forced": {"de": "Trotzdem eingesetzt (erzwungen), obwohl es schlechter ist:",
                        "en": "Shipped anyway (forced), although it is worse:"},
    "analysis.drop.held_back": {"de": "{task}, zurückgehaltene Korrekturen: {measure} {before} → {after}",
                                "en": "{task}, held-back corrections: {measure} {before} → {after}"},
    "analysis.drop.public": {"de": "{task} auf den öffentlichen Testdaten {data_set}: {measure} {before} → "
                                   "{after}",
                             "en": "{task} on the public dev set {data_set}: {measure} {before} → {after}"},
    "analysis.held_back_scores": {"de": "Auf den zurückgehaltenen Korrekturen",
                                  "en": "On the held-back corrections"},
    "analysis.public_scores": {"de": "Auf den öffentlichen Testdaten (Makro-F1, aus den Modellkarten)",
                               "en": "On the public dev sets (macro-F1, from the model cards)"},
    "analysis.measure": {"de": "Maß", "en": "Measure"},
    "analysis.measure.accuracy": {"de": "Genauigkeit", "en": "Accuracy"},
    "analysis.measure.macro_f1": {"de": "Makro-F1", "en": "Macro-F1"},
    "analysis.measure.recall": {"de": "Trefferquote {label}", "en": "Recall {label}"},
    "analysis.measure.precision": {"de": "Präzision {label}", "en": "Precision {label}"},
    "analysis.before": {"de": "Vorher", "en": "Before"},
    "analysis.after": {"de": "Nachher", "en": "After"},
    "analysis.change": {"de": "Änderung (Prozentpunkte)", "en": "Change (points)"},
    "analysis.head": {"de": "Kopf des Modells", "en": "Model head"},
    "analysis.data_set": {"de": "Datensatz", "en": "Data set"},
}

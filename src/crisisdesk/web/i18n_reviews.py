"""German and English texts of the after-action review."""

from __future__ import annotations

from typing import Literal

REVIEW_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "review.title": {"de": "Nachbetrachtung der Krise #{id}", "en": "After-action review of crisis #{id}"},
    "review.link": {"de": "Nachbetrachtung", "en": "After-action review"},
    "review.preliminary": {
        "de": "Die Krise läuft noch: Diese Nachbetrachtung ist vorläufig, was noch nicht geschah, fehlt.",
        "en": "The crisis is still open: this review is preliminary; what has not happened yet is missing.",
    },
    "review.sources": {
        "de": "Alles hier ist aus den gespeicherten Daten berechnet: Beiträge, Lagen, Eskalationen, "
        "Antworten, Aufgaben und der Verlauf der Krise.",
        "en": "Everything here is computed from the record: posts, situations, escalations, replies, "
        "tasks and the crisis timeline.",
    },
    "review.moments": {"de": "Wichtige Zeitpunkte", "en": "Key moments"},
    "review.ms.first_post": {"de": "Erster Beitrag", "en": "First post"},
    "review.ms.detected": {"de": "Erkannt (erste Lage)", "en": "Detected (first situation)"},
    "review.ms.crisis_opened": {"de": "Krise eröffnet", "en": "Crisis opened"},
    "review.ms.first_alert": {"de": "Erste Alarmierung", "en": "First alert"},
    "review.ms.acknowledged": {"de": "Bestätigt", "en": "Acknowledged"},
    "review.ms.type_confirmed": {"de": "Krisentyp bestätigt", "en": "Crisis type confirmed"},
    "review.ms.first_public_response": {"de": "Erste öffentliche Antwort", "en": "First public response"},
    "review.ms.holding_statement": {"de": "Holding Statement", "en": "Holding statement"},
    "review.ms.crisis_mode": {"de": "Krisenmodus eingeschaltet", "en": "Crisis mode switched on"},
    "review.ms.peak": {"de": "Höhepunkt (meiste Beiträge)", "en": "Peak (most posts)"},
    "review.ms.resolved": {"de": "Beendet", "en": "Resolved"},
    "review.by": {"de": "von {who}", "en": "by {who}"},
    "review.figures": {"de": "Kennzahlen", "en": "Figures"},
    "review.figure": {"de": "Kennzahl", "en": "Figure"},
    "review.value": {"de": "Wert", "en": "Value"},
    "review.means": {"de": "Gemessen von … bis …", "en": "Measured from … to …"},
    "review.fig.time_to_detect": {"de": "Zeit bis zur Erkennung", "en": "Time to detect"},
    "review.fig.time_to_alert": {"de": "Zeit bis zur Alarmierung", "en": "Time to alert"},
    "review.fig.time_to_acknowledge": {"de": "Zeit bis zur Bestätigung", "en": "Time to acknowledge"},
    "review.fig.time_to_first_public_response": {
        "de": "Zeit bis zur ersten öffentlichen Antwort",
        "en": "Time to first public response",
    },
    "review.fig.time_to_holding_statement": {
        "de": "Zeit bis zum Holding Statement",
        "en": "Time to holding statement",
    },
    "review.fig.time_to_resolution": {"de": "Zeit bis zum Ende", "en": "Time to resolution"},
    "review.def.time_to_detect": {"de": "erster Beitrag → erste Lage", "en": "first post → first situation"},
    "review.def.time_to_alert": {
        "de": "erste Lage → erste Alarmierung",
        "en": "first situation → first alert",
    },
    "review.def.time_to_acknowledge": {
        "de": "erste Alarmierung → erste Bestätigung",
        "en": "first alert → first acknowledgement",
    },
    "review.def.time_to_first_public_response": {
        "de": "erste Lage → erste öffentliche Antwort zugestellt",
        "en": "first situation → first public reply delivered",
    },
    "review.def.time_to_holding_statement": {
        "de": "erste Lage → Aufgabe „Holding Statement“ erledigt",
        "en": "first situation → “holding statement” task done",
    },
    "review.def.time_to_resolution": {
        "de": "erste Lage → Krise beendet",
        "en": "first situation → crisis resolved",
    },
    "review.curves": {"de": "Verlauf", "en": "Over time"},
    "review.volume": {
        "de": "Beiträge und negativer Anteil, Lagen markiert",
        "en": "Posts and negative share, situations marked",
    },
    "review.audience_curve": {"de": "Publikum der Beiträge", "en": "Audience of the posts"},
    "review.audience": {"de": "Publikum (Follower)", "en": "Audience (followers)"},
    "review.negative_audience": {"de": "Anteil negativer Beiträge am Publikum",
                                 "en": "Share of the audience reached by negative posts"},
    "review.audience_note": {
        "de": "Publikum = Summe der Follower der Verfassenden: eine Obergrenze der Reichweite, nicht die "
        "Reichweite, die eine Plattform meldet.",
        "en": "Audience = the sum of the authors' followers: an upper bound of reach, not the reach a "
        "platform reports.",
    },
    "review.complaints": {"de": "Beschwerdearten im Verlauf", "en": "Complaint types over time"},
    "review.posts_total": {"de": "{n} Beiträge, davon {share} negativ", "en": "{n} posts, {share} negative"},
    "review.mood": {"de": "Stimmung vorher, währenddessen, nachher", "en": "Mood before, during, after"},
    "review.before": {"de": "Tag davor", "en": "Day before"},
    "review.during": {"de": "Während", "en": "During"},
    "review.after": {"de": "Tag danach", "en": "Day after"},
    "review.negative": {"de": "negativer Anteil", "en": "negative share"},
    "review.recovered.yes": {
        "de": "Die Stimmung hat sich erholt (höchstens 5 Punkte negativer als vorher).",
        "en": "The mood recovered (at most 5 points more negative than before).",
    },
    "review.recovered.no": {
        "de": "Die Stimmung hat sich nicht erholt: nachher deutlich negativer als vorher.",
        "en": "The mood has not recovered: clearly more negative after than before.",
    },
    "review.recovered.unknown": {
        "de": "Ob sich die Stimmung erholt hat, ist noch nicht zu sagen.",
        "en": "Whether the mood recovered cannot be said yet.",
    },
    "review.terms": {"de": "Begriffe, die anstiegen", "en": "Terms that surged"},
    "review.responses": {"de": "Antworten je Kanal", "en": "Responses per channel"},
    "review.channel": {"de": "Kanal", "en": "Channel"},
    "review.posts": {"de": "Beiträge", "en": "Posts"},
    "review.answered": {"de": "Beantwortet", "en": "Answered"},
    "review.rate": {"de": "Antwortquote", "en": "Response rate"},
    "review.median": {"de": "Median", "en": "Median"},
    "review.p90": {"de": "90. Perzentil", "en": "90th percentile"},
    "review.response_means": {
        "de": "Antwortzeit: Beitrag → unsere Antwort bei der Plattform.",
        "en": "Response time: post → our reply reaching the platform.",
    },
    "review.sla": {"de": "SLA-Verletzungen: {n}", "en": "SLA breaches: {n}"},
    "review.team": {"de": "Was das Team gesagt hat", "en": "What the team said"},
    "review.replies_public": {"de": "Öffentliche Antworten", "en": "Public replies"},
    "review.replies_private": {"de": "Private Antworten", "en": "Private replies"},
    "review.held": {"de": "Zur Freigabe angehalten", "en": "Held for approval"},
    "review.approved": {"de": "freigegeben", "en": "approved"},
    "review.rejected": {"de": "abgelehnt", "en": "rejected"},
    "review.pending": {"de": "offen", "en": "pending"},
    "review.findings": {"de": "Hinweise der Leitlinienprüfung", "en": "Guideline checker's findings"},
    "review.workload": {"de": "Arbeit je Person", "en": "Work per person"},
    "review.person": {"de": "Person", "en": "Person"},
    "review.replies": {"de": "Antworten", "en": "Replies"},
    "review.approvals": {"de": "Freigaben", "en": "Approvals"},
    "review.tasks": {"de": "Aufgaben", "en": "Tasks"},
    "review.actions": {"de": "Weitere Schritte", "en": "Other actions"},
    "review.nothing": {"de": "Nichts aufgezeichnet.", "en": "Nothing recorded."},
    "review.json": {"de": "Als JSON", "en": "As JSON"},
    "review.export_html": {"de": "Als HTML herunterladen", "en": "Download as HTML"},
    "review.export_pdf": {"de": "Als PDF herunterladen", "en": "Download as PDF"},
    "review.generated": {"de": "erstellt am {at}", "en": "generated {at}"},
}

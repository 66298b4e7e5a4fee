"""German and English texts of the crisis pages."""

from __future__ import annotations

from typing import Literal

CRISIS_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "nav.crises": {"de": "Krisen", "en": "Crises"},
    "crises.intro": {
        "de": "Eine Krise fasst die Lagen eines Ereignisses zusammen, über Monitore und Ursachen hinweg.",
        "en": "A crisis groups the situations of one event, across monitors and causes.",
    },
    "crises.what": {"de": "Worum es geht", "en": "What it is about"},
    "crises.monitors": {"de": "Monitore", "en": "Monitors"},
    "crises.situations": {"de": "Lagen", "en": "Situations"},
    "crises.none": {"de": "Keine Krisen.", "en": "No crises."},
    "crisis.title": {"de": "Krise #{id}", "en": "Crisis #{id}"},
    "crisis.resolved_at": {"de": "beendet", "en": "resolved"},
    "crisis.why": {"de": "Warum hier", "en": "Why here"},
    "crisis.severity_why": {"de": "Warum diese Stufe", "en": "Why this level"},
    "crisis.timeline": {"de": "Verlauf", "en": "Timeline"},
    "overview.open_crises": {"de": "Offene Krisen", "en": "Open crises"},
    "overview.other_situations": {"de": "Lagen ohne Krise", "en": "Situations in no crisis"},
    "overview.crisis_situations": {"de": "{count} Lagen", "en": "{count} situations"},
}

"""The default crisis types: from a single customer complaint to a public scandal.

Written as a communications lead would sign them (docs/crises.md says why): people possibly hurt
is at least level 3; an everyday complaint stays small; data, discrimination and misconduct bring
legal and management in early. Every workspace may replace them with its own ``crisis_types:``.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.crises.types import CrisisTypeConfig

W = dict[str, str]


def _w(de: str, en: str) -> W:
    return {"de": de, "en": en}


def _task(key: str, de: str, en: str, owner: str, due: int, from_level: int = 1) -> dict[str, Any]:
    return {"key": key, "title": _w(de, en), "owner": owner, "due_minutes": due, "from_level": from_level}


ACK = _task("acknowledge", "Öffentlich bestätigen, dass wir davon wissen", "Acknowledge publicly that we "
            "know about it", "role:social_media_team", 30)
HOLD = _task("holding_statement", "Holding Statement veröffentlichen", "Publish the holding statement",
             "role:spokesperson", 60, 2)
FACTS = _task("facts", "Fakten sammeln: was, wer, seit wann, wie viele", "Gather the facts: what, who, "
              "since when, how many", "role:crisis_lead", 120, 2)
LEGAL = _task("legal_review", "Rechtliche Prüfung der Stellungnahme", "Legal review of the statement",
              "role:legal", 180, 3)
STATEMENT = _task("statement", "Stellungnahme veröffentlichen", "Publish the statement", "role:spokesperson",
                  240, 3)
UPDATES = _task("updates", "Regelmäßige Updates an alle Zielgruppen planen", "Plan regular updates to "
                "every audience", "role:crisis_lead", 360, 3)
MANAGEMENT = _task("management", "Geschäftsleitung informieren", "Brief the management",
                   "role:crisis_lead", 60, 4)

_HOLD_DE = ("Wir wissen von {topic} und nehmen das sehr ernst. Es tut uns leid, dass Sie das erleben "
            "mussten. Wir klären gerade, was passiert ist, und melden uns bis {time} mit mehr "
            "Informationen – hier und auf unserer Statusseite.")
_HOLD_EN = ("We are aware of {topic} and take it very seriously. We are sorry that you had to go through "
            "this. We are finding out what happened and will update you by {time} – here and on our "
            "status page.")


def _hold(topic_de: str, topic_en: str) -> W:
    return _w(_HOLD_DE.replace("{topic}", topic_de), _HOLD_EN.replace("{topic}", topic_en))


LEAD, SPOKES, LEGAL_R, MGMT, TEAM = ("role:crisis_lead", "role:spokesperson", "role:legal",
                                     "role:management", "role:social_media_team")

_RAW: list[dict[str, Any]] = [
    {"key": "single_complaint", "name": _w("Einzelne Kundenbeschwerde", "Single customer complaint"),
     "description": _w("Eine Person oder wenige beschweren sich über Lieferung, Rechnung oder Service.",
                       "One or a few people complain about delivery, billing or service."),
     "recognise": {"complaint_types": ["delivery_delay", "billing_price", "customer_service"]},
     "max_severity": 2, "approval_from": None, "roles": {1: [TEAM]},
     "checklist": [_task("answer", "Der Person antworten und privat weiterhelfen", "Answer the person and "
                         "help privately", TEAM, 60)],
     "holding_statement": _hold("Ihrem Anliegen", "your concern")},
    {"key": "product_defect", "name": _w("Produktmangel", "Product defect"),
     "recognise": {"complaint_types": ["product_defect"],
                   "terms": ["defekt*", "kaputt*", "rückruf*", "mangel*", "defect*", "broken", "recall*",
                             "faulty"]},
     "roles": {1: [TEAM], 2: [LEAD], 3: [SPOKES, LEGAL_R], 4: [MGMT]}, "spokespersons": [SPOKES],
     "checklist": [ACK, HOLD, FACTS, LEGAL, STATEMENT, UPDATES, MANAGEMENT],
     "holding_statement": _hold("den Berichten über Mängel an unserem Produkt",
                                "the reports of a defect in our product")},
    {"key": "safety_incident", "name": _w("Sicherheitsvorfall", "Safety incident"),
     "description": _w("Menschen könnten verletzt sein oder werden: Feuer, Unfall, Gesundheit.",
                       "People are or may be hurt: fire, accident, health."),
     "recognise": {"complaint_types": ["safety", "health"],
                   "terms": ["feuer*", "brand", "brennt", "brennen", "flamme*", "verletz*", "explodiert",
                             "krankenhaus", "vergiftung", "fire", "burn*", "flame*", "injur*", "explo*",
                             "hospital*", "poisoning", "getötet", "todesopfer", "entgleis*", "killed",
                             "fatalities", "derail*"]},
     "min_severity": 3, "approval_from": 2, "crisis_mode_from": 3,
     "roles": {1: [TEAM, LEAD], 3: [SPOKES, LEGAL_R, MGMT]}, "spokespersons": [SPOKES],
     "checklist": [_task("acknowledge", "Öffentlich bestätigen und auf Sicherheit hinweisen",
                         "Acknowledge publicly with safety advice", SPOKES, 15),
                   {**HOLD, "due_minutes": 30, "from_level": 1}, {**FACTS, "due_minutes": 60},
                   {**LEGAL, "due_minutes": 120}, {**STATEMENT, "due_minutes": 180}, UPDATES,
                   {**MANAGEMENT, "from_level": 3}],
     "holding_statement": _w(
         "Wir wissen von den Berichten und nehmen sie sehr ernst – Ihre Sicherheit geht vor. Bitte "
         "benutzen Sie das Produkt bis auf Weiteres nicht. Es tut uns leid, dass Sie das erleben müssen. "
         "Wir klären gerade, was passiert ist, und melden uns bis {time} mit mehr Informationen.",
         "We are aware of the reports and take them very seriously – your safety comes first. Please "
         "stop using the product until further notice. We are sorry you are going through this. We are "
         "finding out what happened and will update you by {time}.")},
    {"key": "service_outage", "name": _w("Störung/Ausfall", "Service outage"),
     "recognise": {"complaint_types": ["outage"],
                   "terms": ["störung*", "ausfall", "ausgefallen", "geht nicht", "down", "outage", "offline",
                             "not working"]},
     "max_severity": 3, "roles": {1: [TEAM], 2: [LEAD], 3: [SPOKES]}, "spokespersons": [SPOKES],
     "checklist": [{**ACK, "due_minutes": 15}, {**HOLD, "due_minutes": 30, "from_level": 1}, FACTS,
                   _task("resolved_notice", "Mitteilen, wenn alles wieder läuft", "Announce when it works "
                         "again", TEAM, 720)],
     "holding_statement": _hold("der Störung", "the outage")},
    {"key": "data_incident", "name": _w("Daten-/Datenschutzvorfall", "Data/privacy incident"),
     "recognise": {"complaint_types": ["data_privacy"],
                   "terms": ["datenleck", "datenpanne", "gehackt", "hack*", "leak*", "breach",
                             "datenschutz*", "privacy"]},
     "min_severity": 2, "approval_from": 2, "roles": {1: [LEAD, LEGAL_R], 2: [SPOKES], 3: [MGMT]},
     "spokespersons": [SPOKES],
     "checklist": [{**ACK, "owner": SPOKES}, FACTS,
                   _task("authority", "Meldepflicht prüfen (Art. 33 DSGVO: 72 Stunden)", "Check the duty to "
                         "notify the authority (GDPR Art. 33: 72 hours)", LEGAL_R, 24 * 60, 1),
                   {**LEGAL, "from_level": 2}, {**STATEMENT, "from_level": 2}, UPDATES, MANAGEMENT],
     "holding_statement": _hold("den Hinweisen auf einen Datenvorfall",
                                "the indications of a data incident")},
    {"key": "misconduct", "name": _w("Fehlverhalten von Mitarbeitenden oder Führung",
                                     "Employee or executive misconduct"),
     "recognise": {"terms": ["mitarbeiter*", "chef*", "vorstand*", "geschäftsführer*", "belästig*", "betrug*",
                             "employee*", "staff", "ceo", "executive*", "harass*", "fraud"]},
     "min_severity": 2, "approval_from": 1, "roles": {1: [LEAD, LEGAL_R], 2: [SPOKES, MGMT]},
     "spokespersons": [SPOKES],
     "checklist": [FACTS, {**LEGAL, "from_level": 1}, {**HOLD, "from_level": 1}, STATEMENT, MANAGEMENT],
     "holding_statement": _hold("den Vorwürfen", "the allegations")},
    {"key": "discrimination", "name": _w("Diskriminierung/Ethik", "Discrimination/ethics controversy"),
     "recognise": {"complaint_types": ["ethics_discrimination"],
                   "terms": ["rassis*", "diskriminier*", "sexis*", "homophob*", "racis*", "discriminat*"]},
     "min_severity": 2, "approval_from": 1, "crisis_mode_from": 3,
     "roles": {1: [LEAD], 2: [SPOKES, LEGAL_R], 3: [MGMT]}, "spokespersons": [SPOKES],
     "checklist": [{**HOLD, "from_level": 1}, FACTS, {**LEGAL, "from_level": 2}, STATEMENT, UPDATES,
                   MANAGEMENT],
     "holding_statement": _hold("den Vorwürfen der Diskriminierung", "the accusations of discrimination")},
    {"key": "misinformation", "name": _w("Falschinformation", "Misinformation"),
     "recognise": {"terms": ["fake", "falschmeldung*", "gerücht*", "lüge*", "verschwörung*", "rumor*",
                             "rumour*", "hoax", "false claim*"]},
     "apology": False, "roles": {1: [TEAM], 2: [LEAD, SPOKES]}, "spokespersons": [SPOKES],
     "checklist": [FACTS, _task("correction", "Richtigstellung mit Belegen veröffentlichen", "Publish a "
                                "correction with evidence", SPOKES, 180, 2), UPDATES],
     "holding_statement": _w(
         "Uns erreichen Fragen zu Berichten, die nicht zutreffen. Wir verstehen die Sorge und prüfen "
         "alles genau. Bis {time} veröffentlichen wir hier die Fakten mit Belegen.",
         "We are receiving questions about reports that are not accurate. We understand the concern and "
         "are checking everything carefully. By {time} we will publish the facts here with evidence.")},
    {"key": "public_scandal", "name": _w("Öffentlicher Skandal", "Public scandal"),
     "description": _w("Presse und Öffentlichkeit greifen ein Fehlverhalten des Unternehmens auf.",
                       "The press and the public take up a failing of the company."),
     "recognise": {"complaint_types": ["legal"],
                   "terms": ["skandal*", "boykott*", "shitstorm", "rücktritt*", "scandal*", "boycott*",
                             "resign*"]},
     "min_severity": 3, "approval_from": 1, "crisis_mode_from": 3,
     "roles": {1: [LEAD, SPOKES, LEGAL_R, MGMT]}, "spokespersons": [SPOKES],
     "checklist": [{**HOLD, "from_level": 1}, {**FACTS, "from_level": 1}, {**LEGAL, "from_level": 1},
                   STATEMENT, UPDATES, {**MANAGEMENT, "from_level": 1}],
     "holding_statement": _hold("der öffentlichen Kritik", "the public criticism")},
]

DEFAULT_TYPES: tuple[CrisisTypeConfig, ...] = tuple(CrisisTypeConfig.model_validate(t) for t in _RAW)

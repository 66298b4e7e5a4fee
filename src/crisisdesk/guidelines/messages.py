"""What a finding says, in the reply's language: the problem and what to write instead.

The texts speak to the person writing the reply (the agent), not to the customer; the example
phrases in the suggestions are in the customer's language because they are meant to be copied.
"""

from __future__ import annotations

from crisisdesk.guidelines.codes import Code, Lang

MESSAGES: dict[Code, dict[Lang, str]] = {
    Code.BLAME: {
        "de": "Die Antwort schiebt die Schuld auf die Person oder auf andere.",
        "en": "The reply shifts the blame onto the person or onto others.",
    },
    Code.EXCUSE: {
        "de": "Die Antwort rechtfertigt sich, statt das Problem anzuerkennen.",
        "en": "The reply makes excuses instead of owning the problem.",
    },
    Code.CONDITIONAL_APOLOGY: {
        "de": "Entschuldigung unter Vorbehalt: sie bedauert Gefühle oder etwaige Folgen, "
        "nicht den eigenen Fehler.",
        "en": "A non-apology: it regrets feelings or 'any' inconvenience, not what went wrong.",
    },
    Code.NO_APOLOGY: {
        "de": "Keine Entschuldigung, obwohl der Anlass eine verlangt.",
        "en": "No apology, although the situation calls for one.",
    },
    Code.NO_EMPATHY: {
        "de": "Kein Verständnis für die Lage der Person.",
        "en": "No empathy for the person's situation.",
    },
    Code.NO_NAME: {
        "de": "Die Person wird nicht mit Namen angesprochen, obwohl er bekannt ist.",
        "en": "The person is not addressed by name, although it is known.",
    },
    Code.NO_NEXT_STEP: {
        "de": "Kein konkreter nächster Schritt: was tun wir, was soll die Person tun?",
        "en": "No concrete next step: what will we do, what should the person do?",
    },
    Code.NO_TIMELINE: {
        "de": "Die Antwort verspricht etwas, sagt aber nicht, bis wann.",
        "en": "The reply promises something but does not say by when.",
    },
    Code.HOSTILE: {
        "de": "Gereizter, herablassender oder sarkastischer Ton gegenüber der Person.",
        "en": "Hostile, condescending or sarcastic towards the person.",
    },
}

SUGGESTIONS: dict[Code, dict[Lang, str]] = {
    Code.BLAME: {
        "de": "Verantwortung übernehmen: „Das hätte nicht passieren dürfen – wir kümmern uns darum.“",
        "en": 'Take ownership: "This should not have happened – we\'re on it."',
    },
    Code.EXCUSE: {
        "de": "Gründe höchstens kurz nennen und zuerst das Problem anerkennen: „Das ist unser Fehler.“",
        "en": 'Acknowledge the problem first; keep reasons short: "That\'s on us."',
    },
    Code.CONDITIONAL_APOLOGY: {
        "de": "Ohne Vorbehalt entschuldigen: „Es tut uns leid, dass Ihre Lieferung zu spät kam.“",
        "en": 'Apologise without conditions: "We\'re sorry your order arrived late."',
    },
    Code.NO_APOLOGY: {
        "de": "Entschuldigen Sie sich konkret: „Es tut uns leid, dass …“",
        "en": 'Apologise for the specific problem: "We\'re sorry that …"',
    },
    Code.NO_EMPATHY: {
        "de": "Zeigen Sie Verständnis: „Ich kann gut verstehen, dass Sie sich ärgern.“",
        "en": 'Show empathy: "I understand how frustrating this is."',
    },
    Code.NO_NAME: {
        "de": "Sprechen Sie die Person an: „Hallo {name}, …“",
        "en": 'Address the person: "Hi {name}, …"',
    },
    Code.NO_NEXT_STEP: {
        "de": "Nennen Sie den nächsten Schritt: „Wir erstatten den Betrag“ oder „Bitte schreiben "
        "Sie uns eine DM mit Ihrer Bestellnummer.“",
        "en": 'Name the next step: "We will refund you" or "Please DM us your order number."',
    },
    Code.NO_TIMELINE: {
        "de": "Nennen Sie einen Zeitrahmen: „bis Freitag“, „innerhalb von 48 Stunden“.",
        "en": 'Give a time frame: "by Monday", "within 2 business days".',
    },
    Code.HOSTILE: {
        "de": "Sachlich und freundlich bleiben, auch wenn die Person es nicht ist.",
        "en": "Stay calm and friendly, even if the person is not.",
    },
}


def message(code: Code, lang: Lang) -> str:
    return MESSAGES[code][lang]


def suggestion(code: Code, lang: Lang, *, name: str | None = None) -> str:
    text = SUGGESTIONS[code][lang]
    return text.replace("{name}", name or "…")

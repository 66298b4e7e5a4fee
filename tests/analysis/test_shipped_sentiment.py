"""The shipped model on complaints about brands it never trained on (neither railway nor airline).

Each post is one a crisis team would want flagged, or one it must not be flooded with. They are
written for this test, not taken from the training data; the German ones use words the German
training data (Deutsche Bahn feedback) does not: food, bakeries, parcels, batteries.
"""

from __future__ import annotations

import pytest

from crisisdesk.analysis.analyzer import Analyzer, build_analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return build_analyzer()


NEGATIVE = [
    "Sonnenkorn = Saftladen. Nie wieder.",
    "Lebensmittelvergiftung nach Sonnenkorn-Brötchen, Anwalt ist eingeschaltet.",
    "Gestern hat der Akku meines Rollers angefangen zu qualmen und dann zu brennen 😱🔥",
    "Seit drei Wochen keine Antwort vom Kundenservice. Ich will mein Geld zurück!",
    "Mein Paket ist immer noch nicht da, echt eine Frechheit",
    "Das Brot war total verschimmelt, ekelhaft 🤮",
    "Unverschämt, wie ihr mit euren Kunden umgeht. Kündigung ist raus.",
    "Got food poisoning after eating there, my lawyer is involved.",
    "My order still hasn't arrived and nobody answers. Never again.",
    "The charger caught fire last night. This is dangerous!!",
]
NOT_NEGATIVE = [
    "Hat jemand die Öffnungszeiten am Sonntag?",
    "Kann man den Akku auch einzeln bestellen?",
    "Danke für die schnelle Hilfe, alles wieder gut!",
    "Die Brötchen sind heute wieder super lecker 😍",
    "What time does the store open tomorrow?",
    "Love the new flavour, great job!",
]


def test_complaints_come_out_negative(analyzer: Analyzer) -> None:
    # A statistical model: the rate is the contract, not every single post (see docs/analysis.md)
    labels = [r["sentiment"]["label"] for r in analyzer.analyze(NEGATIVE)]
    missed = [t for t, label in zip(NEGATIVE, labels, strict=True) if label != "negative"]
    assert len(missed) <= 1, missed


def test_questions_and_praise_rarely_do(analyzer: Analyzer) -> None:
    labels = [r["sentiment"]["label"] for r in analyzer.analyze(NOT_NEGATIVE)]
    alarms = [t for t, label in zip(NOT_NEGATIVE, labels, strict=True) if label == "negative"]
    assert len(alarms) <= 1, alarms


def test_a_lone_known_emoji_is_judged_an_unknown_one_is_not(analyzer: Analyzer) -> None:
    angry, thumbs, unknown = analyzer.analyze(["😡", "👍", "🦄"])
    assert angry["sentiment"]["score"] > 0 and thumbs["sentiment"]["label"] == "positive"
    assert unknown["sentiment"] == {"label": "neutral", "score": 0.0}


#: The posts issue 11 quotes as coming out neutral: each must come out negative now.
ISSUE_COMPLAINTS = [
    "Sonnenkorn = Saftladen. Nie wieder.",
    "Lebensmittelvergiftung nach Sonnenkorn-Brötchen, Anwalt ist eingeschaltet.",
    "Ekelhaft. Schimmel im Brot.",
    # the demo's first fire report: GermEval labels fire news neutral; the harm bar decides
    "Gestern Abend hat der Akku meines E-Scooters in der Wohnung angefangen zu qualmen und dann "
    "zu brennen 😱🔥",
]
#: Plain information in German, with words a complaint could use ("nicht", "Hotline", "Akku"):
#: none may raise an alarm.
INFORMATION = [
    "Die Filiale in der Hauptstraße ist ab Montag wieder von 7 bis 18 Uhr geöffnet.",
    "Wir informieren: Die Hotline ist am Feiertag nicht besetzt.",
    "Ab heute gibt es bei Sonnenkorn auch Dinkelbrötchen.",
    "Der neue Akku hat 5000 mAh und passt in alle Modelle ab 2022.",
    "Danke für den schnellen Rückruf!",  # "Rückruf" is a safety word (product recall)
]


@pytest.mark.parametrize("text", ISSUE_COMPLAINTS)
def test_the_complaints_the_issue_quotes_are_negative(analyzer: Analyzer, text: str) -> None:
    (result,) = analyzer.analyze([text])
    assert result["lang"] == "de" and result["sentiment"]["label"] == "negative", result


@pytest.mark.parametrize("text", INFORMATION)
def test_a_neutral_informational_post_is_not_negative(analyzer: Analyzer, text: str) -> None:
    (result,) = analyzer.analyze([text])
    assert result["sentiment"]["label"] != "negative", result

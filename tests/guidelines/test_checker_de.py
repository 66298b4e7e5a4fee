"""German replies (Sie and du): each code with replies that must get it (and the words it points at)
and replies that must not (Verneinung, Zitate, der Name in der Anrede)."""

from __future__ import annotations

import pytest

from tests.guidelines.helpers import codes, words

OK = (" Es tut uns leid. Bitte schreiben Sie uns eine DM mit Ihrer Bestellnummer, wir erstatten den Betrag "
      "bis Freitag.")


@pytest.mark.parametrize(
    ("text", "code", "passage"),
    [
        (
            "Sie hätten die Bestellung früher aufgeben müssen." + OK,
            "blame",
            "Sie hätten die Bestellung früher aufgeben müssen",
        ),
        ("Das liegt am Paketdienst." + OK, "blame", "liegt am Paketdienst"),
        ("Das ist Ihre eigene Schuld." + OK, "blame", "Ihre eigene Schuld"),
        ("Da haben Sie wohl die falsche Adresse angegeben." + OK, "blame", "haben Sie wohl die falsche"),
        ("Du hast das Formular falsch ausgefüllt." + OK, "blame", "Du hast das Formular falsch"),
        ("Wir sind dafür nicht zuständig." + OK, "blame", "wir sind dafür nicht zuständig"),
        ("Aufgrund des hohen Aufkommens dauert es länger." + OK, "excuse", "Aufgrund des hohen Aufkommens"),
        (
            "Verspätungen lassen sich nicht immer vermeiden." + OK,
            "excuse",
            "lassen sich nicht immer vermeiden",
        ),
        ("Das kann schon mal passieren." + OK, "excuse", "kann schon mal passieren"),
        (
            "Falls sich jemand verletzt gefühlt hat, tut es uns leid." + OK,
            "conditional_apology",
            "Falls sich jemand verletzt gefühlt hat",
        ),
        (
            "Wir entschuldigen uns für etwaige Unannehmlichkeiten." + OK,
            "conditional_apology",
            "für etwaige Unannehmlichkeiten",
        ),
        (
            "Wir bedauern, dass Sie das so empfinden." + OK,
            "conditional_apology",
            "bedauern, dass Sie das so empfinden",
        ),
        (
            "Wie bereits mehrfach erklärt, ist die App in Ordnung." + OK,
            "hostile",
            "Wie bereits mehrfach erklärt",
        ),
        ("Das haben wir Ihnen doch schon erklärt." + OK, "hostile", "haben wir Ihnen doch schon erklärt"),
        ("Beruhigen Sie sich bitte." + OK, "hostile", "Beruhigen Sie sich"),
        ("Es tut uns leid. Wir werden das prüfen.", "no_timeline", "Wir werden das prüfen"),
        (
            "Es tut uns leid. Die Kollegen melden sich bei Ihnen.",
            "no_timeline",
            "Kollegen melden sich bei Ihnen",
        ),
    ],
)
def test_words_that_break_a_guideline_are_found_where_they_are(text: str, code: str, passage: str) -> None:
    found = words(text, "de", code)
    assert any(passage.lower() in f.lower() for f in found), found


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Bitte schreiben Sie uns eine DM mit Ihrer Bestellnummer.", "no_apology"),
        ("Bitte schreiben Sie uns eine DM mit Ihrer Bestellnummer.", "no_empathy"),
        ("Es tut uns leid.", "no_next_step"),
        ("Das ist ärgerlich. Melden Sie sich gerne, wenn Sie Fragen haben.", "no_next_step"),
    ],
)
def test_what_is_missing_is_found(text: str, code: str) -> None:
    assert words(text, "de", code) == [text]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Das ist nicht Ihre Schuld." + OK, "blame"),
        ("Das ist keineswegs deine Schuld." + OK, "blame"),
        ("Sie haben nichts falsch gemacht." + OK, "blame"),
        ("Sie schreiben „Ihre Schuld“ – nein, das stimmt nicht." + OK, "blame"),
        ("Wir hätten Sie früher informieren müssen." + OK, "blame"),
        ("Es tut uns leid, dass Ihre Lieferung zu spät kam." + OK, "conditional_apology"),
        ("Es tut uns sehr leid." + OK, "no_apology"),
        ("Entschuldigen Sie bitte die Verspätung." + OK, "no_apology"),
        ("Ich kann gut verstehen, dass Sie sich ärgern." + OK, "no_empathy"),
        ("Es tut uns leid. Bitte schreiben Sie uns eine DM mit Ihrer Bestellnummer.", "no_next_step"),
        ("Es tut uns leid. Welche App-Version nutzen Sie?", "no_next_step"),
        ("Entschuldigung! Wir erstatten den Betrag.", "no_next_step"),
        ("Es tut uns leid. Wir melden uns morgen.", "no_timeline"),
        ("Es tut uns leid. Wir erstatten den Betrag innerhalb von 48 Stunden.", "no_timeline"),
        ("Es tut uns leid. Wir erstatten den Betrag bis Freitag.", "no_timeline"),
        ("Wie Sie schon geschrieben haben, ist die App abgestürzt." + OK, "hostile"),
    ],
)
def test_replies_that_keep_a_guideline_are_not_flagged(text: str, absent: str) -> None:
    assert absent not in codes(text, "de")


def test_a_good_reply_is_clean() -> None:
    text = (
        "Hallo Frau Berger, es tut uns leid, dass Ihre Lieferung zu spät kam. Wir erstatten Ihnen die "
        "Versandkosten innerhalb von 48 Stunden."
    )
    assert codes(text, "de", name="Anna Berger") == set()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hallo Frau Berger," + OK, "Anna Berger"),
        ("Liebe Anna," + OK, "Anna Berger"),
        ("Hi @anna," + OK, "@anna"),
        ("Hallo Herr Özdemir," + OK, "Herr Özdemir"),
    ],
)
def test_the_name_counts_in_the_greeting(text: str, name: str) -> None:
    assert "no_name" not in codes(text, "de", name=name)


@pytest.mark.parametrize(
    ("text", "greeting"),
    [
        ("Hallo," + OK, "Hallo"),
        ("Sehr geehrte Damen und Herren," + OK, "Sehr geehrte Damen und Herren"),
        ("Liebe Kundin," + OK, "Liebe Kundin"),
    ],
)
def test_a_missing_name_points_at_the_greeting(text: str, greeting: str) -> None:
    assert words(text, "de", "no_name", name="Anna Berger") == [greeting]


def test_spans_point_into_the_original_text_despite_links_and_handles() -> None:
    text = "@kunde123 Sorry für die Umstände! Das liegt am Paketdienst, siehe https://example.org/a?b=c." + OK
    assert words(text, "de", "blame") == ["liegt am Paketdienst"]

"""Surging terms as people wrote them: surface forms, stopwords, phrases, hashtags, never empty.

Synthetic windows, table-driven; tests/detection/test_terms_real.py runs the same on real crises.
"""

from __future__ import annotations

import pytest

from crisisdesk.core.text import fold
from crisisdesk.detection.stopwords import NEGATIONS, STOPWORDS, stopwords_for
from crisisdesk.detection.terms import COVER, Doc, TermMethod, Terms, merge, surging

#: A calm baseline: everyday posts of a brand's followers, none of the window's topics.
CALM = [f"{a} {b} today" for a in ("coffee", "weather", "music", "football", "pizza", "holiday")
        for b in ("great", "nice", "fun", "lovely", "sunny")] * 4
CALM_DE = [f"{a} ist {b}" for a in ("Kaffee", "Wetter", "Musik", "Fußball", "Urlaub", "Essen")
           for b in ("schön", "lecker", "toll", "prima", "super")] * 4


def words_of(found: Terms) -> list[str]:
    """Every word shown, inside phrases too, folded."""
    return [fold(w) for term in [*found.terms, *found.hashtags] for w in term.lstrip("#").split()]


# -- surface forms ----------------------------------------------------------------------------
@pytest.mark.parametrize(("window", "shown", "not_shown"), [
    pytest.param(["Sie sollen zurücktreten, sofort", "alle müssen zurücktreten", "Zurücktreten jetzt!",
                  "die sollen zuruecktreten", "jetzt zurücktreten"], "zurücktreten", "zuruecktreten",
                 id="one key for umlaut and ae spellings, the spelling most used"),
    pytest.param(["die sollen zuruecktreten", "alle zuruecktreten", "wir wollen zuruecktreten sehen",
                  "jetzt zurücktreten"], "zuruecktreten", "zurücktreten",
                 id="what people wrote most, even without umlauts"),
    pytest.param([f"{x} wieder Verspätung in Köln" for x in ("heute", "schon", "mal", "immer")],
                 "Verspätung", "verspätung", id="German noun keeps its capital"),
    pytest.param(["Straße gesperrt", "die Straße ist zu", "wieder Straße dicht", "Strasse gesperrt"],
                 "Straße", "strasse", id="ß kept"),
    pytest.param(["Praying for everyone", "Praying for the victims", "Praying tonight", "so we keep praying"],
                 "praying", "Praying", id="a capital at the start of a sentence is not kept"),
    pytest.param(["the tornado hit Moore", "a tornado in Moore", "thoughts with moore", "damage in Moore"],
                 "Moore", "moore", id="a name mostly written capitalised"),
    pytest.param(["Moore's school destroyed", "in Moore's center", "Moore's hospital hit"], "Moore",
                 "Moore's", id="possessive s dropped"),
    pytest.param(["the DB app is down", "DB again late", "why is the DB site down", "db sucks"], "DB", "db",
                 id="short acronym in capitals"),
    pytest.param(["the TORNADO is coming", "TORNADO warning here", "a tornado near us", "TORNADO!!"],
                 "tornado", "TORNADO", id="shouting a long word does not make it capitals"),
    pytest.param(["Massive Tornado Hits Moore Oklahoma Today", "Deadly Tornado Strikes Oklahoma City Suburb",
                  "the tornado was huge", "a tornado again"], "tornado", "Tornado",
                 id="Title Case headlines say nothing about case"),
    pytest.param(["my iPhone is broken", "the iPhone update failed", "iphone dead", "new iPhone crashed"],
                 "iPhone", "iphone", id="a brand's own mixed case"),
    pytest.param(["A320 crashed", "an Airbus A320 went down", "the A320 was old"], "A320", "a320",
                 id="model numbers"),
])
def test_terms_are_shown_as_people_wrote_them(window: list[str], shown: str, not_shown: str) -> None:
    found = surging(window, CALM + CALM_DE)
    named = [w for term in found.terms for w in term.split()]
    assert shown in named, found
    assert not_shown not in named


def test_german_sentence_starts_count_for_nouns_in_german_posts() -> None:
    window = [Doc(t, "de") for t in ("Verspätung schon wieder", "Verspätung!!!", "Verspätung ohne Ende")]
    assert "Verspätung" in surging(window, CALM_DE).terms
    assert "verspätung" in surging([d.text for d in window], CALM_DE).terms  # language unknown: lower case


# -- stopwords and filler ---------------------------------------------------------------------
FILLER_POSTS = [
    "Sehr geehrte Damen und Herren, bitte Akku prüfen, hmm",
    "Hallo, danke, bitte Akku tauschen lol",
    "hmm honestly the battery does nothing, please",
    "honestly nothing, the battery again hahaha",
    "Sehr geehrter Herr, bitte den Akku ersetzen ähm",
    "RT @x: the battery &amp; the charger honestly",
]


def test_filler_greetings_and_letter_phrases_never_surge() -> None:
    found = surging(FILLER_POSTS * 2, CALM)
    words = words_of(found)
    for word in ("bitte", "hmm", "geehrte", "geehrter", "nothing", "honestly", "lol", "hahaha", "hallo",
                 "danke", "please", "rt", "amp", "aehm", "damen", "herren"):
        assert word not in words, (word, found)
    assert {"akku", "battery"} <= set(words)


@pytest.mark.parametrize("word", ["fire", "help", "problem", "down", "works", "website", "refund", "power",
                                  "weg", "Brand", "Rückruf"])
def test_words_a_crisis_team_needs_are_not_stopwords(word: str) -> None:
    assert fold(word) not in STOPWORDS


@pytest.mark.parametrize(("lang", "word", "dropped"), [
    ("en", "die", False), ("en", "war", False), ("de", "die", True), ("de", "war", True),
    ("de", "kind", False), ("de", "not", False), ("en", "kind", True), ("en", "not", True),
    (None, "die", True), ("es", "hay", True), ("es", "terremoto", False), ("xx", "the", True),
])
def test_stopwords_follow_the_posts_language(lang: str | None, word: str, dropped: bool) -> None:
    assert (word in stopwords_for(lang)) is dropped


def test_an_english_post_keeps_die_and_war_a_german_one_drops_them() -> None:
    en = [Doc(t, "en") for t in ("people die in the war", "soldiers die every day of war",
                                  "war again, more die")]
    de = [Doc(t, "de") for t in ("die Bahn war zu spät", "die Bahn war voll", "war die Bahn pünktlich?")]
    assert {"die", "war"} <= set(words_of(surging(en, CALM)))
    assert not {"die", "war"} & set(words_of(surging(de, CALM_DE)))


# -- phrases ----------------------------------------------------------------------------------
def test_a_phrase_replaces_words_it_holds_most_of() -> None:
    window = ["Deutsche Bahn streikt", "die Deutsche Bahn schon wieder", "Deutsche Bahn, nie wieder",
              "Deutsche Bahn kaputt", "wieder die Deutsche Bahn"]
    found = surging(window, CALM_DE)
    assert "Deutsche Bahn" in found.terms
    assert not {"deutsche", "bahn", "Bahn", "Deutsche"} & set(found.terms)


@pytest.mark.parametrize(("with_phrase", "word_shown"), [(7, False), (6, False), (5, True), (3, True)])
def test_a_word_is_shown_beside_a_phrase_holding_a_minority_of_it(with_phrase: int, word_shown: bool) -> None:
    """10 posts say "outage", ``with_phrase`` of them "power outage" ("power" only there)."""
    window = [f"power outage in block {i}" for i in range(with_phrase)]
    window += [f"outage number {i}" for i in range(10 - with_phrase)]
    found = surging(window, CALM)
    assert "power outage" in found.terms, found
    assert ("outage" in found.terms) is word_shown, found
    assert word_shown is (with_phrase < COVER * 10)
    assert "power" not in found.terms  # always within the phrase: held entirely by it


def test_a_phrase_holding_a_minority_of_each_word_gives_way_to_the_words() -> None:
    window = [f"power outage {i}" for i in range(3)] + [f"power number {i}" for i in range(7)]
    window += [f"outage number {i}" for i in range(7)]
    found = surging(window, CALM)
    assert {"power", "outage"} <= set(found.terms) and "power outage" not in found.terms, found


@pytest.mark.parametrize(("window", "phrase", "alone"), [
    (["the app is not working", "still not working", "login not working again"], "not working", "not"),
    (["App funktioniert nicht", "Die Karte funktioniert nicht", "funktioniert nicht mehr"],
     "funktioniert nicht", "nicht"),
    (["Bahn? Nie wieder!", "nie wieder Bahn fahren", "Nie wieder so eine Fahrt"], "nie wieder", "wieder"),
    (["schon wieder Verspätung", "Zug schon wieder weg", "schon wieder kaputt"], "schon wieder", "schon"),
    (["nothing works today", "at the station nothing works", "nothing works, again"], "nothing works",
     "nothing"),
    (["no power since noon", "still no power here", "no power on our street"], "no power", "no"),
])
def test_negations_and_idioms_make_phrases_but_never_terms(window: list[str], phrase: str,
                                                           alone: str) -> None:
    found = surging(window, CALM + CALM_DE)
    assert phrase in [t.lower() for t in found.terms], found
    assert alone not in [t.lower() for t in found.terms]


def test_phrases_do_not_cross_punctuation_links_or_hashtags() -> None:
    window = ["tornado. Moore is hit", "tornado! Moore schools", "tornado http://t.co/x Moore",
              "tornado #breaking Moore"]
    found = surging(window, CALM)
    assert not any("tornado" in t.lower() and "moore" in t.lower() for t in found.terms), found


def test_overlapping_phrases_name_each_word_once() -> None:
    found = surging(["brand scooter battery fire burning"] * 40, CALM)
    words = words_of(found)
    assert {"scooter", "battery", "fire", "burning"} <= set(words)
    assert len(words) == len(set(words)), found  # no word twice, in phrases or alone
    assert any(len(t.split()) == 3 for t in found.terms)


# -- hashtags ---------------------------------------------------------------------------------
def test_a_hashtag_that_is_also_a_surging_word_appears_once() -> None:
    window = ["#Tornado near us", "the tornado hit", "#tornado again", "tornado warning", "big tornado",
              "#PrayForOklahoma", "#PrayForOklahoma now", "#prayforoklahoma"]
    found = surging(window, CALM)
    assert "tornado" in found.terms
    assert not any(fold(t) == "#tornado" for t in found.hashtags)
    assert found.hashtags == ["#PrayForOklahoma"]  # the case most people used


# -- never empty on a spike -------------------------------------------------------------------
SPIKE = ["Zug fällt aus, Stellwerk kaputt", "Stellwerk Störung in Köln", "wieder Stellwerk, Zug weg",
         "Ausfall wegen Stellwerk", "Stellwerk Köln tot", "Zug steht, Stellwerk", "Köln Hbf Chaos",
         "Chaos in Köln", "S-Bahn steht", "S-Bahn Chaos Köln"]


@pytest.mark.parametrize(("baseline", "method"), [
    pytest.param(CALM_DE, TermMethod.SURGING, id="a real baseline: significance"),
    pytest.param([], TermMethod.FREQUENT, id="no baseline (a new monitor)"),
    pytest.param(CALM_DE[:3], TermMethod.FREQUENT, id="three posts the day before (a quiet brand)"),
    pytest.param(SPIKE * 3, TermMethod.FREQUENT, id="the baseline is already the same crisis"),
])
def test_a_spike_always_has_terms_and_says_how_they_were_found(baseline: list[str],
                                                               method: TermMethod) -> None:
    found = surging(SPIKE, baseline)
    assert found.method is method
    assert found.terms and "Stellwerk" in found.terms, found
    assert not set(words_of(found)) & (STOPWORDS - NEGATIONS)


def test_the_fallback_leaves_out_what_was_as_common_before() -> None:
    """A monitor's own name is in every post: with no significant term it must not lead the list."""
    found = surging([f"brand {t}" for t in SPIKE], ["brand coffee", "brand latte", "brand cup"])
    assert found.method is TermMethod.FREQUENT and "brand" not in found.terms, found
    assert "brand" in surging([f"brand {t}" for t in SPIKE], []).terms  # nothing to compare with


def test_a_window_spread_thin_still_names_its_words() -> None:
    window = [f"{w} problem" for w in ("Akku", "Display", "Kamera", "Lautsprecher", "Ladekabel")]
    found = surging(window, CALM)
    assert found.terms and found.method in (TermMethod.SURGING, TermMethod.FREQUENT)
    every_once = surging(["mein Akku", "das Display", "die Kamera"], [])
    assert every_once.method is TermMethod.FREQUENT and set(every_once.terms) == {"Akku", "Display", "Kamera"}


def test_a_window_without_words_says_so() -> None:
    found = surging(["@brand hmm lol", "😡😡 http://t.co/abc", "bitte danke", "!!!"], CALM)
    assert found == Terms([], [], TermMethod.NONE)


# -- one list for pages and notifications -----------------------------------------------------
def test_merge_keeps_each_term_once_whatever_its_spelling() -> None:
    merged = merge(["rückruf"], ["Rückruf", "Akku", "Deutsche Bahn"], ["#akku", "#Brand", "#ruckruf"])
    assert merged == ["rückruf", "Akku", "Deutsche Bahn", "#Brand", "#ruckruf"]
    assert len(merge([f"w{i}" for i in range(20)])) == 10

"""The workspace's languages as a prior on short posts (``analysis.languages``).

Hand-written posts in the style of the user test that found the problem ("Ekelhaft. Schimmel im
Brot." came out Dutch): a few words, brand names, dialect, spelling mistakes. Brands are
invented (Sonnenkorn, Voltaro) or common ones.
"""

from __future__ import annotations

import re

import pycld2
import pytest

from crisisdesk.analysis.language import (
    KNOWN_LANGUAGES,
    UNDETERMINED,
    check_languages,
    detect,
    detect_many,
)
from crisisdesk.analysis.language_markers import marker_scores

DE_EN = ("de", "en")

# Short German posts that must come out German in a German/English workspace.
SHORT_GERMAN: list[str] = [
    "Ekelhaft. Schimmel im Brot.",
    "schimmel im brot ekelhaft",
    "Sonnenkorn = Saftladen. Nie wieder.",
    "Voltaro Akku qualmt, echt jetz??",
    "des is a Frechheit mit eurem Kundendienst",
    "Wo bleibt mei Paket @Hermes",
    "nie wieder zalando",
    "Warum is mei Paket ned da",
    "Wo is mei Geld",
    "Lieferung is imma no ned da",
    "Mei Akku is scho wieder leer",
    "Ned scho wieda",
    "Hermes halt",
    "Re: Noch",
    "Danke",
    "Schimmel im Toast",
    "Vollkornbrot mit Schimmel. Danke Sonnenkorn",
    "In der Packung war Schimmel",
    "Sonnenkorn Brot schimmlig!!",
    "Wat ne Frechheit",
    "Zalando, ernsthaft?",
]

# The ones CLD2 gets wrong on its own: what they are with the prior off (``languages: []``),
# which is what they were before the prior existed.
PRIOR_OFF: list[tuple[str, str]] = [
    ("Ekelhaft. Schimmel im Brot.", "nl"),
    ("schimmel im brot ekelhaft", "nl"),
    ("Warum is mei Paket ned da", "en"),
    ("Wo is mei Geld", "en"),
    ("Ned scho wieda", "lb"),
    ("Re: Noch", UNDETERMINED),
    ("Danke", UNDETERMINED),
    ("Schimmel im Toast", "nl"),
    ("Vollkornbrot mit Schimmel. Danke Sonnenkorn", "nl"),
    ("In der Packung war Schimmel", "en"),
    ("Sonnenkorn Brot schimmlig!!", "no"),
]

# Clear short posts in other languages: the prior must leave them foreign.
SHORT_FOREIGN: list[tuple[str, str]] = [
    ("Ik heb geen zin meer in deze trein", "nl"),
    ("De trein is weer te laat", "nl"),
    ("Wat een slechte service", "nl"),
    ("Jeg gider ikke mere", "da"),
    ("Toget er forsinket igen", "da"),
    ("Tåget är försenat igen", "sv"),
    ("El tren llega tarde otra vez", "es"),
    ("Nunca más compro aquí", "es"),
    ("vamos pra boate kiss", "pt"),
    ("O trem está atrasado de novo", "pt"),
    ("Che schifo questo treno", "it"),
    ("Il treno è di nuovo in ritardo", "it"),
    ("Quelle honte ce service", "fr"),
    ("Le train est encore en retard", "fr"),
]


@pytest.mark.parametrize("text", SHORT_GERMAN)
def test_short_german_posts_are_german_in_a_german_workspace(text: str) -> None:
    guess = detect(text, preferred=DE_EN)
    assert guess.lang == "de"
    assert 0.0 < guess.score <= 1.0


@pytest.mark.parametrize(("text", "lang"), PRIOR_OFF)
def test_without_languages_the_prior_is_off(text: str, lang: str) -> None:
    assert detect(text, preferred=()).lang == lang
    assert detect(text, preferred=DE_EN).lang == "de"


def test_a_verdict_of_the_words_is_unreliable_and_scored_below_cld2() -> None:
    worded = detect("Ekelhaft. Schimmel im Brot.", preferred=DE_EN)
    sure = detect("Der Zug fällt schon wieder aus und niemand sagt uns Bescheid.", preferred=DE_EN)
    assert not worded.reliable
    assert sure.reliable
    assert worded.score < 0.5 < sure.score


@pytest.mark.parametrize(("text", "lang"), SHORT_FOREIGN)
def test_short_foreign_posts_stay_foreign(text: str, lang: str) -> None:
    assert detect(text, preferred=()).lang == lang  # CLD2 knows it ...
    assert detect(text, preferred=DE_EN).lang == lang  # ... and the prior leaves it alone
    assert detect(text, preferred=("de",)).lang == lang


@pytest.mark.parametrize(("text", "lang"), [("Nove i morti per", "it"), ("Complimenti per", "it")])
def test_words_of_one_other_language_overrule_an_expected_language(text: str, lang: str) -> None:
    # CLD2 declines and its best-effort guess is English, which an English prior alone would keep.
    assert pycld2.detect(text, isPlainText=True, bestEffort=True)[2][0][1] == "en"
    guess = detect(text, preferred=DE_EN)
    assert guess.lang == lang
    assert not guess.reliable


@pytest.mark.parametrize("text", ["Sismo de 7.6 en Costa Rica", "La gente que política"])
def test_words_of_several_other_languages_leave_it_undetermined(text: str) -> None:
    assert detect(text, preferred=()).lang == "en"  # CLD2 is sure, and wrong
    assert detect(text, preferred=DE_EN).lang == UNDETERMINED  # Spanish, French or Portuguese words


@pytest.mark.parametrize("text", SHORT_GERMAN)
def test_an_english_workspace_does_not_make_german_posts_english(text: str) -> None:
    alone = detect(text, preferred=())
    english = detect(text, preferred=("en",))
    if alone.lang != "en":
        assert english.lang != "en"
    if alone.lang == "de":
        assert english.lang == "de"  # what CLD2 sees as German stays German


@pytest.mark.parametrize(("text", "lang"), [(t, lang) for t, lang in PRIOR_OFF if lang not in ("en", "und")])
def test_an_english_workspace_has_no_german_prior(text: str, lang: str) -> None:
    """German is not expected there: a short German post CLD2 misreads stays as CLD2 reads it."""
    assert detect(text, preferred=("en",)).lang == lang


def test_order_is_preference_between_the_expected_languages() -> None:
    # "ok" speaks for German and English alike: no expected language is ahead, nothing to decide.
    assert detect("ok", preferred=DE_EN).lang == UNDETERMINED
    # A reliable verdict for the first expected language is never second-guessed ...
    assert detect("I feel sorry for AA", preferred=("en", "de")).lang == "en"
    # ... one for a later language is, on a short post: more German words than English ones.
    assert detect("In der Packung war Schimmel", preferred=("de", "en")).lang == "de"


@pytest.mark.parametrize("preferred", [(), ("de",), ("en",), ("en", "de"), ("de", "en", "fr"), ("nl", "de")])
def test_detect_many_equals_detect_for_any_languages(preferred: tuple[str, ...]) -> None:
    texts = SHORT_GERMAN + [t for t, _ in SHORT_FOREIGN] + ["", "👍", "Der Zug fällt schon wieder aus"]
    assert detect_many(texts, preferred=preferred) == [detect(t, preferred=preferred) for t in texts]


def test_long_posts_keep_cld2s_verdict() -> None:
    dutch = "Ik heb geen zin meer in deze trein, want hij is altijd te laat en niemand zegt ons iets."
    assert detect(dutch, preferred=DE_EN).lang == "nl"
    assert detect(dutch, preferred=DE_EN).reliable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ekelhaft. Schimmel im Brot.", {"de": 2, "en": 1}),  # im (also English "im"), -haft
        ("DEN-YEG delayed again", {"en": 1}),  # codes in capitals are no words
        ("bahn.de z.b. u.a.", {}),  # nor are domains and abbreviations
        ("ZUG FÄLLT AUS", {"de": 2, "sv": 1, "fi": 1, "et": 1, "sk": 1}),  # a post in capitals is read
    ],
)
def test_marker_scores(text: str, expected: dict[str, int]) -> None:
    assert marker_scores(text) == expected


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["de", "xx"], "'xx' is not a language code"),
        (["deu"], "'deu' is not a language code"),
        (["de-DE"], "'de-DE' is not a language code"),
        (["DE"], "lower case ('de')"),
        (["de", "en", "de"], "'de' is listed twice"),
        ([""], "'' is not a language code"),
    ],
)
def test_check_languages_refuses_what_it_cannot_use(codes: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_languages(codes)


def test_check_languages_accepts_iso_codes_cld2_knows() -> None:
    assert check_languages(["de", "en", "tr", "he"]) == ["de", "en", "tr", "he"]
    assert check_languages([]) == []
    assert {"de", "en", "nl", "fr", "he", "jv", "zh"} <= KNOWN_LANGUAGES
    assert UNDETERMINED not in KNOWN_LANGUAGES
    assert all(len(code) == 2 for code in KNOWN_LANGUAGES)

"""Language identification: the verdicts the pipeline relies on, and inputs that must not raise.

The tables are hand-written (never copied from ``/work/shared/data``); ``NASTY`` and the case
tables are also read by ``bench/bench_language.py``.
"""

from __future__ import annotations

import pytest

from crisisdesk.analysis.language import (
    UNDETERMINED,
    LanguageGuess,
    detect,
    detect_many,
    prepare,
    to_iso639_1,
)

LANG_CASES: list[tuple[str, str]] = [
    # German
    ("de", "Der Zug fällt schon wieder aus und niemand sagt uns Bescheid."),
    ("de", "Kann mir jemand sagen ob der Shop down ist?"),
    ("de", "Danke schön!"),
    ("de", "@DB_Bahn Warum steht der ICE seit 40 Minuten in Fulda? https://t.co/abc123 #bahnchaos"),
    (
        "de",
        "Seit Tagen keine Antwort vom Kundenservice. Ich habe dreimal angerufen, zweimal eine "
        "E-Mail geschrieben und werde jetzt mein Abo kündigen, wenn sich bis Freitag niemand meldet.",
    ),
    ("de", "Zug fällt schon wieder aus #fail #DeutscheBahn #epicfail"),
    ("de", "ZUG FÄLLT AUS SCHON WIEDER"),
    ("de", "Des is fei a Schmarrn"),
    ("de", "Die spinnen, die Römer ;-)"),
    ("de", "RT @tagesschau: Stromausfall in Teilen Berlins, die Feuerwehr ist im Einsatz"),
    (
        "de",
        "Mein Paket ist seit einer Woche verschwunden, the tracking says delivered, aber hier "
        "ist nichts angekommen und die Hotline legt einfach auf.",
    ),
    # English
    ("en", "Refund now!"),
    ("en", "lol this is fine 👍"),
    ("en", "Thanks for the quick help!"),
    ("en", "@united my flight was cancelled and nobody at the gate can tell me anything http://t.co/xyz"),
    ("en", "REFUND MY TICKET NOW"),
    (
        "en",
        "I have been on hold for two hours, the app keeps crashing and your website says my "
        "booking does not exist. This is the worst customer service I have ever experienced.",
    ),
    ("en", "Well done, keep it up"),
    ("en", "I feel sorry for AA"),
    ("en", "Worst. Airline. Ever. #neveragain #delayed"),
    (
        "en",
        "Our flight got delayed, aber the crew was super nice and we got vouchers for dinner at the airport.",
    ),
    # Other languages
    ("fr", "Le train a encore deux heures de retard et personne ne nous informe."),
    ("fr", "Je suis très déçu par votre service client, je veux être remboursé."),
    ("es", "El vuelo fue cancelado y nadie nos da información sobre el reembolso."),
    ("es", "Llevo tres días esperando una respuesta de atención al cliente."),
    ("it", "Il treno è in ritardo di un'ora e non c'è nessun annuncio in stazione."),
    ("it", "Il servizio clienti non risponde da una settimana, vergogna!"),
    ("nl", "De trein is weer te laat en er is geen informatie op het perron."),
    ("nl", "Ik wacht al drie dagen op een antwoord van de klantenservice."),
    ("tr", "Uçuşum iptal edildi ve kimse bana bilgi vermiyor, çok kötü bir hizmet."),
    ("tr", "Müşteri hizmetleri üç gündür cevap vermiyor."),
    ("pl", "Pociąg znowu się spóźnia i nikt nie informuje pasażerów."),
    ("pl", "Czekam na zwrot pieniędzy od dwóch tygodni, to jest skandal."),
    ("ru", "Поезд опять опоздал на два часа, и никто ничего не объясняет."),
    ("zh", "中文繁體字測試，火車又誤點了"),
]
UND_CASES: list[str] = [
    "",
    " ",
    "\n\t",
    "👍",
    "👍👍🔥😂",
    "🇩🇪🇬🇧",
    "12345",
    "100% !!!",
    "12.03.2024 14:30",
    "https://t.co/abc123",
    "http://example.com/foo?bar=1 https://t.co/x",
    "www.example.com",
    "@united",
    "@DB_Bahn @DB_Info @tagesschau",
    "@a @b https://t.co/x 👍",
    "#",
    "???",
    "...",
    "ok",
    "xD",
    "\x00\x01\x02",
    "\ud800",
    "\ufffe\uffff",
    "-_-",
    ":-)",
]
NASTY: list[str] = [  # must never raise; whatever they give is fine
    "a\x00b Der Zug fällt aus",
    "Zug\x07 fällt\x1b aus",
    "Lone surrogate \ud800 in English text here",
    "\udfff\ud83d",
    "Der Zug\x7f fällt\x85 aus",
    "Non\ufdd0character \U0001fffe text",
    "x" * 10_000,
    "Der Zug fällt schon wieder aus. " * 400,
    "<b>html</b> &amp; &lt;tags&gt;",
    "\u200b\u200b\u200b",
    "\ufeffBOM am Anfang",
    "a" * 100_000,
    "😂" * 5000,
    "\r\n\r\n",
    "#" * 300,
    "@" * 300,
    "\x0c",
]


@pytest.mark.parametrize(("lang", "text"), LANG_CASES)
def test_detects_language(lang: str, text: str) -> None:
    guess = detect(text)
    assert guess.lang == lang
    assert guess.reliable
    assert 0.5 <= guess.score <= 1.0


@pytest.mark.parametrize("text", UND_CASES)
def test_nothing_to_judge_is_undetermined(text: str) -> None:
    assert detect(text) == LanguageGuess(UNDETERMINED, 0.0, False)


@pytest.mark.parametrize("text", NASTY + UND_CASES)
def test_nasty_input_never_raises(text: str) -> None:
    guess = detect(text)
    assert isinstance(guess.lang, str)
    assert guess.lang
    assert 0.0 <= guess.score <= 1.0


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("a\x00b Der Zug fällt schon wieder aus", "de"),
        ("Lone surrogate \ud800 in an English sentence here", "en"),
        ("Der Zug\x7f fällt\x85 schon wieder aus", "de"),
        ("\ufeffDer Zug fällt schon wieder aus", "de"),
        ("Der Zug fällt schon wieder aus. " * 400, "de"),
    ],
)
def test_sanitised_text_is_still_judged(text: str, lang: str) -> None:
    assert detect(text).lang == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Short posts CLD2 calls Dutch/Scots on its own; the audience prior fixes them.
        ("Die spinnen, die Römer ;-)", "de"),
        ("Besser Sie leidet als andere....", "de"),
        ("I feel sorry for AA", "en"),
    ],
)
def test_neighbour_prior_prefers_audience_languages(text: str, lang: str) -> None:
    with_prior = detect(text)
    assert with_prior.lang == lang
    assert with_prior.score < 0.9  # below any plain reliable verdict of a clean post
    assert detect(text, preferred=()).lang != lang


def test_prior_leaves_real_foreign_text_alone() -> None:
    assert detect("De trein is weer te laat en er is geen informatie op het perron.").lang == "nl"


@pytest.mark.parametrize(("text", "lang"), [("Hallo", "en"), ("Vielen Dank", "de"), ("Thank you", "en")])
def test_ambiguous_short_text_is_a_low_confidence_guess(text: str, lang: str) -> None:
    guess = detect(text)
    assert guess.lang == lang
    assert not guess.reliable
    assert guess.score < 0.5


def test_mixed_german_english_gives_the_dominant_language() -> None:
    de = "Mein Paket ist seit einer Woche verschwunden und die Hotline legt einfach auf, so ein Ärger. Sorry!"
    en = "Our flight was cancelled again and nobody at the gate helps us. Danke für nichts."
    assert detect(de).lang == "de"
    assert detect(en).lang == "en"


def test_hashtag_words_are_content_but_handles_and_urls_are_not() -> None:
    assert prepare("@DB_Bahn #Verspätung https://t.co/x").split() == ["Verspätung"]
    assert detect("#Zugausfall #Verspätung #Stellwerksstörung heute wieder").lang == "de"


@pytest.mark.parametrize(
    ("code", "iso"),
    [
        ("de", "de"),
        ("zh-Hant", "zh"),
        ("zh", "zh"),
        ("iw", "he"),
        ("jw", "jv"),
        ("sr-ME", "sr"),
        ("un", "und"),
        ("xx-Qaai", "und"),
        ("xx-Latn", "und"),
        ("xxx", "und"),
        ("zzb", "und"),
        ("ceb", "ceb"),
    ],
)
def test_cld2_codes_map_to_iso639_1(code: str, iso: str) -> None:
    assert to_iso639_1(code) == iso


def test_detect_many_equals_detect_per_text() -> None:
    texts = [t for _, t in LANG_CASES] + UND_CASES + NASTY + ["Die spinnen, die Römer ;-)", "Hallo"]
    assert detect_many(texts) == [detect(t) for t in texts]
    assert detect_many(texts, preferred=()) == [detect(t, preferred=()) for t in texts]
    assert detect_many([]) == []

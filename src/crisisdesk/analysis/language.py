"""Offline language identification for posts.

Every ingested post gets a language, so this runs on the hot path of the pipeline and must
never raise: a post we cannot judge gets ``"und"``, not an exception that sends its whole
batch to the dead-letter store. The engine is CLD2 via ``pycld2`` (Apache-2.0, tables compiled
into the wheel, nothing downloaded at run time); ``docs/ANALYSIS-NOTES.md`` §1 compares it
with the alternatives. What this module adds to raw CLD2, and why (numbers from
``bench/bench_language.py`` and the calibration notes in the module constants below):

* **Sanitising.** CLD2 rejects C0/C1 controls, lone surrogates and Unicode noncharacters
  ("input contains invalid UTF-8"); scraped text carries all three. One precompiled regex finds
  them, so clean text (nearly all of it) costs one C-level scan.
* **Social-media noise.** URLs and ``@handles`` are not language and short posts are mostly
  handles (``"@united thnx"``), so they are removed. A hashtag's word is content, so only the
  ``#`` goes. ``RT`` and the HTML entities that Twitter exports are dropped too.
* **Short text.** CLD2 refuses to commit on little text. That refusal is our definition of
  "ambiguous": we then ask for its best-effort guess and keep it, marked unreliable and with a
  low score, when it names a preferred (audience) language on a few letters or any language on
  a few words; otherwise ``"und"``.
* **The workspace's languages as a prior on short posts.** ``preferred`` is the list a workspace
  expects (``analysis.languages``, default ``de, en``; order = preference). On a short post
  (under :data:`_PRIOR_MAX_BYTES`) that CLD2 does not reliably give to the first of them, two
  cheap second opinions, in this order:

  - *CLD2 hinted.* CLD2 likes to call short German posts Dutch, Luxembourgish or Danish and
    short English ones Scots. When it lands on such a neighbour, we re-ask it with each
    preferred language as a hint and take a preferred language it then reports as reliable.
  - *The words.* :mod:`~crisisdesk.analysis.language_markers` counts the words that speak for
    each language ("Ekelhaft. Schimmel im Brot.": "im" and "-haft" for German, nothing for
    Dutch). A preferred language wins when more words speak for it than for CLD2's verdict,
    for the other preferred languages and for any other language (one word when CLD2
    declined, two against a reliable verdict). Words shared between languages count for
    all of them, so a Dutch or Spanish post keeps its language. Conversely, when CLD2 names a
    preferred language but more words speak for one other language, that one wins (a tie
    between several: ``"und"``), which stops short Spanish or Italian posts from coming out
    English.

  A blanket hint (CLD2's ``hintLanguage`` on every post, or the HTTP-header hint ``"de,en"``)
  was measured and rejected: it turned short Portuguese, Italian and Spanish crisis tweets into
  English or German. ``bench/eval_language_short.py`` measures all of this on short real posts
  (numbers in ``docs/analysis.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import pycld2

from crisisdesk.analysis.language_markers import marker_scores

__all__ = [
    "KNOWN_LANGUAGES",
    "PREFERRED_LANGUAGES",
    "UNDETERMINED",
    "LanguageGuess",
    "check_languages",
    "detect",
    "detect_many",
]

UNDETERMINED: Final = "und"

# crisisdesk's audience unless a workspace says otherwise (``analysis.languages``). Order is
# preference: a reliable CLD2 verdict for the first language is never second-guessed, and ties
# between preferred languages go to the earlier one.
PREFERRED_LANGUAGES: Final[tuple[str, ...]] = ("de", "en")

# Longer posts add nothing to the verdict on the dominant language but cost linear time: CLD2
# takes ~230 µs on 10,000 characters against ~4 µs on a 100-character tweet; capped, 83 µs.
# 2,000 characters is seven full tweets.
_MAX_CHARS: Final = 2000

# Everything pycld2 0.42 rejects, found by feeding it every code point: C0 controls except
# \t \n \f \r, DEL and C1 controls, surrogates, and the noncharacters (U+FDD0..U+FDEF and the
# last two code points of every plane). Two regexes because one class holding the BMP ranges
# and the 32 astral noncharacters scans about 5x slower; the astral one matches any astral
# character first (emoji are common) and only then checks for a noncharacter.
_ASTRAL_NONCHARACTERS = "".join(
    f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17)
)
_UNSAFE_BMP_RE: Final = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_UNSAFE_ASTRAL_RE: Final = re.compile(f"[\U0001fffe-\U0010ffff](?<=[{_ASTRAL_NONCHARACTERS}])")

# URLs, @handles, retweet markers, the HTML entities Twitter exports, and the hashtag sign
# (not the hashtag's word, which is content). Each match becomes one space. Written as "one
# trigger character, then a look-behind on it" because that lets the regex engine skip ahead
# on a character class: 2.5x faster than the plain alternation on real tweets.
_NOISE_RE: Final = re.compile(
    r"[@#&hwR](?:(?<=@)\w+|(?<=h)ttps?://\S*|(?<=w)ww\.\S+|(?<=\bR)T\b"
    r"|(?<=&)(?:amp|lt|gt|quot|#39);|(?<=#))"
)

# CLD2's neighbours of the preferred languages, plus artefact classes it uses for short text
# (Interlingua, Volapük, Waray). Calibration set: 16,219 de/en posts (GermEval 2018 rows 1000+,
# GermEval 2019 gold, airline rows 1000+, OLID first 5,000; disjoint from the benchmark rows).
# CLD2 called 39 of them reliably but wrongly, nearly all short posts in these classes.
# Re-asking with a hint for these classes only overrode 23 verdicts (22 right) and, together
# with keeping short de/en guesses (below), cut calibration errors from 391 to 112; on 5,000
# pt/it/es/fr crisis tweets (CrisisLexT26) it changed 7 verdicts, all und/vo -> en on posts
# that were only a hashtag and a URL. Re-asking for *every* non-preferred verdict, or hinting
# every post, turned 22 of those foreign tweets into de/en ("vamos pra boate kiss" -> en).
# Re-measured with the word prior (below) by bench/eval_language_short.py ("Whole posts"): the
# calibration posts 112 -> 82 errors; the 8,462 tweets of the pt/it/es/fr events de 4 -> 3 and
# en 2,991 -> 2,812 (those events have English tweets too), und 17 -> 87.
_NEIGHBOURS: Final = frozenset({"af", "da", "fy", "lb", "nl", "nn", "no", "sco", "sv", "ia", "vo", "war"})

# The prior only runs on short input: a long text CLD2 calls Dutch is Dutch. CLD2's count of
# letters and spaces; 80 bytes is about 12 words. Chosen on short cuts of real posts (the dev
# half of bench/eval_language_short.py: 89,813 German, 62,761 English, 21,757 foreign): with the
# limit at 40 / 60 / 80 / 100 bytes, 4,392 / 4,179 / 4,099 / 4,078 German and 655 / 654 / 656 /
# 657 English posts came out wrong and 1,083 / 849 / 780 / 776 foreign ones came out de or en
# (CLD2 alone with the rules of before: 6,858 German, 1,005 English, 2,275 foreign de/en).
_PRIOR_MAX_BYTES: Final = 80

# How many more words must speak for a preferred language. Against a declined CLD2 one word is
# enough ("Re: Noch"); against a reliable verdict two, so that one German-looking word in a
# post CLD2 is sure is Malay ("dann tahukah anda", CLD2: ms) leaves it alone. On the same dev
# cuts, one word against reliable verdicts too fixed 215 more German posts and turned 21 more
# foreign ones into de/en; three words cost 343 German posts and saved 14 foreign ones. Two
# words against a declined CLD2 cost 580 German and 217 English posts.
_MIN_MARKERS: Final = 1
_MIN_MARKERS_RELIABLE: Final = 2

# CLD2 names Hebrew and Javanese by deprecated codes; a hint must use them.
_CLD2_CODES: Final = {"he": "iw", "jv": "jw"}

# When CLD2 declines, its best-effort guess is kept if it names a preferred language and CLD2
# saw at least _MIN_GUESS_BYTES of text (its own count: letters and spaces, no emoji, digits
# or punctuation), or if it names any language on at least _MIN_OTHER_GUESS_BYTES. Below 4
# bytes even a guess is noise ("ok", "xD"). On the de/en calibration set the declined-then-guessed
# posts were right 85 % of the time at every length (1-5 letters: 53/60, 6-10: 159/186), so
# length is not the signal; language is. On short text an unpreferred guess is mostly a Germanic
# look-alike ("Danke" -> Norwegian, "thnx" -> Dutch), on 20+ bytes of pt/it/es/fr/ru crisis
# tweets it was right in roughly 3 of 4 sampled cases ("Привет как дела" -> ru).
_MIN_GUESS_BYTES: Final = 4
_MIN_OTHER_GUESS_BYTES: Final = 20

# Score bands. A reliable CLD2 verdict scores the share of the text in that language (0.9+ for
# a clean single-language post; lower when CLD2 attributes part of the text to another language). A verdict
# that only the prior made reliable, and an unreliable best-effort guess, are scaled down so
# that a consumer thresholding on the score sees them below every plain reliable verdict.
# Precision per band on the calibration set (before the word prior): plain reliable 0.9986
# (15,727/15,749), prior override 0.96 (22/23), unreliable guess 0.92 (358/390). A verdict of
# the words is unreliable and scores between those: right 0.99 of the time on the dev cuts
# (3,167/3,212), against 0.86 for guesses there.
# A language the words name against CLD2's preferred one scores lowest: right 0.75 of the time
# on the dev cuts (593/788), mostly Spanish and Italian posts CLD2 had called English.
_PRIOR_FACTOR: Final = 0.7
_GUESS_FACTOR: Final = 0.4
_WORD_SCORE: Final = 0.45
_RIVAL_SCORE: Final = 0.3

# CLD2 codes that are not ISO 639-1: deprecated codes, regional variants, and pseudo-languages.
# Codes of languages with no ISO 639-1 code (``ceb``, ``haw``, ``sco``, ...) stay as CLD2 gives
# them (ISO 639-2/3).
_CODE_MAP: Final[dict[str, str]] = {
    "iw": "he",
    "jw": "jv",
    "zh-Hant": "zh",
    "sr-ME": "sr",
    "un": UNDETERMINED,
    "xxx": UNDETERMINED,
    "tlh": UNDETERMINED,
    "zzb": UNDETERMINED,
    "zze": UNDETERMINED,
    "zzh": UNDETERMINED,
    "zzp": UNDETERMINED,
}

# The ISO 639-1 codes CLD2 can answer with: what a workspace may list as its languages.
KNOWN_LANGUAGES: Final = frozenset(
    code
    for code in (_CODE_MAP.get(cld2, cld2) for _, cld2 in pycld2.LANGUAGES)
    if len(code) == 2 and code.isalpha() and code.islower()
)

_Details = tuple[tuple[str, str, int, float], ...]
_Result = tuple[bool, int, _Details]


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The language of one post.

    ``lang`` is an ISO 639-1 code (ISO 639-2/3 where the language has none), or ``"und"`` when
    there is nothing to judge. ``score`` is a 0..1 confidence for ranking and thresholding, not a
    calibrated probability. ``reliable`` is CLD2's own verdict; filters that must not be wrong
    (routing a reply to a language team) should require it.
    """

    lang: str
    score: float
    reliable: bool


_UND: Final = LanguageGuess(UNDETERMINED, 0.0, False)


def check_languages(codes: Sequence[str]) -> list[str]:
    """A workspace's ``analysis.languages`` as given, or a ValueError that says what is wrong."""
    seen: set[str] = set()
    for code in codes:
        if code.lower() in KNOWN_LANGUAGES and code != code.lower():
            raise ValueError(f"{code!r}: write language codes in lower case ({code.lower()!r})")
        if code not in KNOWN_LANGUAGES:
            raise ValueError(
                f"{code!r} is not a language code crisisdesk knows: use two-letter ISO 639-1 codes "
                "such as de, en, fr, nl, tr"
            )
        if code in seen:
            raise ValueError(f"{code!r} is listed twice")
        seen.add(code)
    return list(codes)


def to_iso639_1(code: str) -> str:
    """Map a CLD2 language code to the code crisisdesk stores (``zh-Hant`` -> ``zh``)."""
    mapped = _CODE_MAP.get(code)
    if mapped is not None:
        return mapped
    if code.startswith("xx-"):  # script only ("xx-Qaai"): CLD2 saw characters, not a language
        return UNDETERMINED
    return code


def prepare(text: str) -> str:
    """Return the part of ``text`` that carries language: capped, safe for CLD2, noise removed."""
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS]
    if _UNSAFE_BMP_RE.search(text) is not None:
        text = _UNSAFE_BMP_RE.sub(" ", text)
    if _UNSAFE_ASTRAL_RE.search(text) is not None:
        text = _UNSAFE_ASTRAL_RE.sub(" ", text)
    return _NOISE_RE.sub(" ", text)


def _cld2(text: str, *, best_effort: bool = False, hint: str = "") -> _Result | None:
    try:
        if hint:
            return pycld2.detect(  # type: ignore[no-any-return]
                text, isPlainText=True, bestEffort=best_effort, hintLanguage=hint
            )
        return pycld2.detect(text, isPlainText=True, bestEffort=best_effort)  # type: ignore[no-any-return]
    except (pycld2.error, UnicodeError, ValueError, TypeError):
        # Sanitising should make this unreachable; a CLD2 surprise must still not cost a batch.
        return None


def _neighbour_prior(text: str, preferred: Sequence[str]) -> LanguageGuess | None:
    """A preferred language that CLD2 finds reliable once hinted at, else ``None``."""
    best: LanguageGuess | None = None
    best_raw = -1.0
    for lang in preferred:
        result = _cld2(text, hint=_CLD2_CODES.get(lang, lang))
        if result is None:
            continue
        reliable, _, details = result
        _, code, percent, raw_score = details[0]
        if reliable and to_iso639_1(code) == lang and raw_score > best_raw:
            best = LanguageGuess(lang, round(_PRIOR_FACTOR * percent / 100, 3), True)
            best_raw = raw_score
    return best


def _word_prior(text: str, preferred: Sequence[str], verdict: str, reliable: bool) -> LanguageGuess | None:
    """What the post's words say against CLD2's ``verdict``; ``None``: they say nothing new.

    An expected language wins when more of the words speak for it than for the verdict and for
    every other language. Otherwise, when CLD2 named an expected language and more words speak for
    a single other language, that one is taken (several tied: ``"und"``).
    """
    scores = marker_scores(text)
    if not scores:
        return None
    best, best_score, second = "", 0, 0
    for lang in preferred:
        score = scores.get(lang, 0)
        if score > best_score:
            best, best_score, second = lang, score, best_score
        elif score > second:
            second = score
    rival, rival_score, rivals = "", 0, 0
    for lang, score in scores.items():
        if lang not in preferred:
            if score > rival_score:
                rival, rival_score, rivals = lang, score, 1
            elif score == rival_score:
                rivals += 1
    enough = _MIN_MARKERS_RELIABLE if reliable else _MIN_MARKERS
    ahead = best_score > max(rival_score, second, scores.get(verdict, 0))
    if best != verdict and best_score >= enough and ahead:
        return LanguageGuess(best, _WORD_SCORE, False)
    if verdict in preferred and rival_score > max(best_score, scores.get(verdict, 0)):
        return LanguageGuess(rival, _RIVAL_SCORE, False) if rivals == 1 else _UND
    return None


def _detect_prepared(text: str, preferred: Sequence[str]) -> LanguageGuess:
    result = _cld2(text)
    if result is None:
        return _UND
    reliable, text_bytes, details = result
    _, code, percent, _ = details[0]
    lang = to_iso639_1(code)
    short = bool(preferred) and text_bytes < _PRIOR_MAX_BYTES
    if reliable and lang != UNDETERMINED:
        if short and lang != preferred[0]:
            if code in _NEIGHBOURS and lang not in preferred:
                hinted = _neighbour_prior(text, preferred)
                if hinted is not None:
                    return hinted
            worded = _word_prior(text, preferred, lang, True)
            if worded is not None:
                return worded
        return LanguageGuess(lang, round(percent / 100, 3), True)
    # CLD2 declined (too little text, or no language clearly ahead): it is ambiguous to CLD2.
    if text_bytes < _MIN_GUESS_BYTES:
        return _UND
    guess = _cld2(text, best_effort=True)
    if guess is None:
        return _UND
    _, text_bytes, details = guess
    _, code, percent, _ = details[0]
    lang = to_iso639_1(code)
    if short:
        worded = _word_prior(text, preferred, lang, False)
        if worded is not None:
            return worded
    if lang == UNDETERMINED or text_bytes < (
        _MIN_GUESS_BYTES if lang in preferred else _MIN_OTHER_GUESS_BYTES
    ):
        return _UND
    return LanguageGuess(lang, round(_GUESS_FACTOR * percent / 100, 3), False)


def detect(text: str, *, preferred: Sequence[str] = PREFERRED_LANGUAGES) -> LanguageGuess:
    """Guess the dominant language of one post; never raises.

    ``preferred`` is the audience prior (see the module docstring); ``()`` switches it off.
    """
    if not isinstance(text, str) or not text:
        return _UND
    return _detect_prepared(prepare(text), preferred)


def detect_many(
    texts: Sequence[str], *, preferred: Sequence[str] = PREFERRED_LANGUAGES
) -> list[LanguageGuess]:
    """Guess the language of each post, in order; the pipeline's batch path.

    The same verdicts as calling :func:`detect` per text. It exists so the pipeline has one
    call per batch; CLD2 has no batch API, so the gain is only the hoisted look-ups.
    """
    one: Callable[[str, Sequence[str]], LanguageGuess] = _detect_prepared
    prep = prepare
    und = _UND
    return [one(prep(t), preferred) if isinstance(t, str) and t else und for t in texts]

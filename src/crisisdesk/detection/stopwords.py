"""Which words say nothing about why a monitor spiked (German and English, folded like post text).

The base is the maintained lists of the ``stop-words`` package (BSD-3-Clause). Its German list is the
classic function-word list; its English list is the long stopwords-iso one, which also drops words a
crisis team needs ("fire", "help", "problem", "down", "works", "website"), so :data:`EN_KEEP` takes
those back. On top come social-media filler and letter phrases the lists lack
("hmm", "lol", "bitte", "sehr geehrte", "honestly").

Negations ("not", "never", "nicht", "kein", "nie") stay stopwords as single words, but may stand at
the edge of a phrase: "not working", "funktioniert nicht" and "no power" are complaints, "not" alone
is nothing. A few phrases with stopwords at their edges carry meaning too ("nie wieder", "never
again", "geht nicht", "fällt aus"): :data:`IDIOMS` lists them.

Posts carry a detected language, so a word that is a function word in one language and a content
word in the other is only dropped in posts of the first: "die", "war" in English posts, "Kind",
"Not", "See" in German posts. Posts of unknown language get both lists; posts in a third
language also get that language's list from the package.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stop_words import StopWordError, get_stop_words

from crisisdesk.core.text import fold


def _words(text: str) -> frozenset[str]:
    """Whitespace-separated words, folded like post text (apostrophes as typed on a keyboard)."""
    return frozenset(fold(w.replace("’", "'")) for w in text.split())


#: Words of the package's English list that carry meaning in a crisis or a complaint.
EN_KEEP = _words("""
act affected affecting affects announce area areas available bill billion buy call case cases changes
close computer cry down downed downing effect empty face failing fire fix free goods hell help high
home homepage interest line man men microsoft million need needed needing needs open opened opening
opens order ordered ordering orders parts problem problems research results ring room rooms save sent
serious site state states stop system test tv uk web webpage website wells work worked working works
world
""")

#: Words of the package's German list that carry meaning ("Koffer weg", "Geld weg").
DE_KEEP = _words("weg")

#: Filler, greetings and letter phrases the packages lack; both languages.
FILLER = _words("""
hmm hmmm lol lmao rofl omg pls plz please thx thanks thank thankyou hi hello hey heya dear yeah yea
yep yup nope yes okay honestly literally basically actually really seriously totally definitely gonna
wanna gotta kinda sorta tbh imo imho idk btw fyi smh rt amp via http https www com quot nbsp sincerely
regards cheers guys folks tonight tomorrow yesterday lot lots stuff pretty ugh wow yay xoxo breaking
video photo photos pic pics
bitte danke dank dankeschön vielen vielmals hallo huhu moin servus tschüss ciao liebe lieber liebes
lieben geehrte geehrter geehrten damen herren grüße grüßen gruß gruss grüsse freundlichen freundliche
herzliche herzlichen mfg lg vg bzw usw etc eig vllt vlt halt eben echt eigentlich einfach wirklich
gerade grad gar ganz mal schon immer heute gestern morgen gibt gab geht ging gehen kommt komme kommen
sagen sagt wäre wären hätte hätten habt sei seit ne nen nem ner isses gell gelle naja tja ach
jaja leider sorry bisschen bissl viele wohl nochmal eh sowieso übrigens genau klar
""")

#: Laughter, hesitation and their stretched spellings ("hahaha", "hmmmm", "looool", "ähm").
_FILLER_RE = re.compile(
    r"(?:h+m+|m+h+m*|(?:ha)+h?|a?(?:ha)+|(?:he){2,}|(?:hi){2,}|l+o+l+|a+h+|ae+h+m*|e+h+m*|u+h+m*|u+m+|o+h+"
    r"|x+d+|lmf?a+o+|rofl+|o+m+g+|o+k+(?:a+y+)?|u+g+h+)"
)

#: May open or close a phrase although they are stopwords.
NEGATIONS = _words("""
not no never nothing nobody none cannot can't cant don't dont doesn't doesnt didn't didnt won't wont
isn't isnt aren't arent wasn't wasnt weren't werent haven't havent hasn't hasnt couldn't couldnt
wouldn't wouldnt shouldn't shouldnt without
nicht kein keine keinen keinem keiner keines nie niemals nichts nix niemand ohne
""")

#: Phrases that begin or end with a stopword and still say something: stopwords only ("nie
#: wieder"), and verbs whose particle is a stopword ("fällt aus", "sold out").
IDIOMS = frozenset(fold(p) for p in (
    "nie wieder", "schon wieder", "geht nicht", "nichts geht", "nichts geht mehr", "nie mehr",
    "never again", "not again", "no more", "no longer",
    "fällt aus", "fallen aus", "fiel aus", "fielen aus", "sold out", "locked out", "cut off",
))

#: Function words of one language that are content words in the other, by the post's language.
_CONTENT_IN = {"en": frozenset({"die", "war", "hat", "bin", "den"}),
               "de": frozenset({"not", "kind", "see", "last", "mine"})}


_EN = _words(" ".join(get_stop_words("en"))) - EN_KEEP
_DE = _words(" ".join(get_stop_words("de"))) - DE_KEEP

#: Stopwords by post language ("de", "en"; anything else: both lists).
_BY_LANG = {
    "en": _EN | (_DE - _CONTENT_IN["en"]) | FILLER | NEGATIONS,
    "de": _DE | (_EN - _CONTENT_IN["de"]) | FILLER | (NEGATIONS - _CONTENT_IN["de"]),
    None: _EN | _DE | FILLER | NEGATIONS,
}

#: Every stopword of either language (for callers that do not know the language).
STOPWORDS = _BY_LANG[None]


@lru_cache(maxsize=64)
def stopwords_for(lang: str | None) -> frozenset[str]:
    """The stopwords of a post in ``lang`` (a detected language code or None).

    A post in a third language (a Spanish quake, a Russian meteor) gets both lists plus its own
    language's list from the package, when it has one: "hay", "что" say nothing either.
    """
    if lang in ("de", "en"):
        return _BY_LANG[lang]
    if lang is None:
        return STOPWORDS
    try:
        own = _words(" ".join(get_stop_words(lang.split("-")[0].lower())))
    except StopWordError:
        return STOPWORDS
    return STOPWORDS | own


def is_filler(folded: str) -> bool:
    """Laughter and hesitation in any spelling: "hahaha", "hmmm", "ähm" (folded: "aehm")."""
    return _FILLER_RE.fullmatch(folded) is not None

"""Word evidence for short posts: which language do a few words speak for?

CLD2 judges by character quadgrams and needs more text than a short post has: "Ekelhaft.
Schimmel im Brot." looks Dutch to it. A human reads the *words*: "im" is German and not Dutch,
"-haft" is a German ending. This module counts such markers per language so that
:mod:`crisisdesk.analysis.language` can weigh a workspace's expected languages against CLD2's
verdict on a short post.

The tables are written by hand, not learned: the most frequent function words and everyday
words of each language, spelled as people type them on social media ("nich", "jetz", "dont"),
plus a few dialect forms ("isch", "mei", "ned"). Gaps were found by reading the errors on the
dev half of ``bench/eval_language_short.py`` (never its test half). A word that belongs to
several languages is listed under each of them ("die": German, Dutch, Afrikaans), so it counts
for all and decides nothing; that keeps a short Dutch or Spanish post from being pulled to
German by the words it shares with German. Interjections that German and English posts use
alike ("ok", "oh") are listed under both. The other languages are here as rivals: the ones CLD2
confuses with German and English on short text (Dutch, Afrikaans, the Nordic languages) and
the large ones whose short posts a German or English prior must leave alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Final

__all__ = ["marker_scores"]

_WORDS: Final[dict[str, str]] = {
    "de": """
        der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner
        nicht nich nix net ned nie nichts nimmer nimma ist sind bin bist war waren wird werden
        wurde hat habe hab haben hast hatte kann kannst können muss musst müssen soll sollte will
        ich du er sie es wir ihr mich dich sich mir dir uns euch ihm ihn ihnen mein meine meinen
        meinem mei dein deine sein seine unser unsere euer eure eurem euren ihre ihren und oder
        aber auch noch doch schon scho jetzt jetz wieder immer nur sehr mehr viel ganz gut heute
        gestern mal halt echt eben gerade grad bitte danke nein ja hallo warum wieso weshalb wie
        was wer wo wann weil dass daß wenn ob als denn dann so zu zum zur im am vom beim bei mit
        von nach aus auf für fuer über ueber unter vor seit seid ohne gegen durch um an in bis
        gibt gibts geht gehts macht mach machen kommt komm bleibt steht sagt endlich leider
        wirklich einfach bisschen nen isch fei gell oida ick nö koa hier alles man da na ne
        nee naja ach oh ok jo alle allem genau klar nun also eigentlich vielleicht natürlich trotzdem
        sogar gar eh wohl schade guten gute morgen abend tag woche zeit jahr vielen dank diese
        dieser dieses diesen meiner deiner finde glaube weiß weiss
    """,
    "en": """
        the a an and or but not no yes is are was were be been am i i'm im me my you your you're
        youre u ur we us our they them their he him his she her it its it's this that these
        those there here what why how when who where which will would can can't cant could
        should don't dont doesn't didn't won't isn't wasn't have has had do does did get got go
        going just so very really still again never now today to of for with from on at by about
        after up out if than then like thanks thank thx please pls lol omg wtf all any some one
        more much good great bad worst best love hate people time in man as may over even
        yeah most see into off down back well because cause too only also every other want need
        know think make take say said gonna wanna way day right sure first last next ever since
        while before though yet new old war hat plus min eh oh ok
    """,
    "nl": """
        de het een en van ik je jij u we wij ze zij hij zijn is was ben bent heb hebt heeft
        hebben niet geen wel nog ook maar al dat die dit deze wat wie waar waarom hoe als of om
        te op in met voor naar bij uit aan door over tot tegen zo nu dan toch echt even heel erg
        veel meer weer alleen altijd nooit morgen vandaag gisteren ja nee dank bedankt graag kan
        kun kunnen moet moeten wil wilt gaat ga gaan komt kom doet doen zit staat zegt mijn jouw hallo
        jullie ons onze hun haar zich er hier daar alles iets niets niks goed man
    """,
    "af": """
        die is nie het ek jy hy sy ons julle hulle en van in op met vir na by uit aan oor maar
        ook nog al baie dit wat hoe waarom waar wanneer kan moet wil gaan was sal nou net ja nee
        dankie asseblief
    """,
    "da": """
        og i er det den de at en et til på med for af som har ikke jeg du han hun vi der var så
        men om fra kan skal vil meget bare også nu her hvad hvorfor hvordan når mig dig sig min
        din sin vores jer dem efter over op ud ind ved hvis godt tak nej ja aldrig altid igen
        ingen noget alle man mit
    """,
    "no": """
        og i er det den de å en et ei til på med for av som har ikke jeg du han hun vi der var
        så men om fra kan skal vil veldig bare også nå her hva hvorfor hvordan når meg deg seg
        min din sin vår dere dem etter over opp ut inn ved hvis godt takk nei ja aldri alltid
        igjen ingen noe alle man ned
    """,
    "sv": """
        och i är det den de att en ett till på med för av som har inte jag du han hon vi där var
        så men om från kan ska vill mycket bara också nu här vad varför hur när mig dig sig min
        din sin vår ni dem efter över upp ut in vid bra tack nej ja aldrig alltid igen ingen
        något alla man
    """,
    "es": """
        el la los las un una unos unas y o a pero no sí si que qué de del al en con por para sin
        sobre es son está están era fue ser estar hay ha he han yo tú tu él ella nosotros ellos
        mi mis su sus me te se le lo les nos muy más mas menos ya también tambien todo todos nada
        algo como cómo cuando donde dónde porque gracias hoy ahora aquí bien mal este esta esto
        ese esa eso tiene tengo va vamos
    """,
    "pt": """
        o a os as um uma uns umas e ou mas não nao sim se que de do da dos das no na nos nas em
        com por para pra sem sobre é são está estão era foi ser estar tem têm há eu tu você voce
        ele ela nós eles elas meu minha seu sua me te lhe muito mais menos já também tambem todo
        todos tudo nada algo como quando onde porque obrigado obrigada hoje agora aqui bem mal
        este esta isso isto esse essa vai vamos ainda gente
    """,
    "it": """
        il lo la i gli le un uno una e o a ma non sì si che di del della dei delle da dal dalla in
        nel nella con per su sul sulla è sono era stato essere ha ho hanno c'è io tu lui lei noi
        voi loro mi ti ci vi mio mia suo sua molto più meno già anche tutto tutti niente come
        quando dove perché grazie oggi ora adesso qui bene male questo questa quello quella fare
        va vai siamo l' d' c' un' dell' all' nell' dall' sull'
    """,
    "fr": """
        le la les un une des du de et ou mais ne pas non oui si que qui quoi à au aux dans en
        avec pour par sur sans est sont était été être avoir a ai ont je tu il elle nous vous
        ils elles me te se lui leur mon ma mes ton ta son sa ses notre votre très plus moins déjà
        aussi tout tous rien comme quand où pourquoi merci maintenant ici bien mal ce cette ces
        c'est ça fait va l' d' c' j' qu' n' s'
    """,
    "tl": """
        ang ng sa mga na at ay ko ako ikaw ka siya kami tayo kayo sila ito iyan yan iyon hindi
        oo po opo lang naman din rin pa ba mo niya natin namin nila kung dahil para may wala meron
        sana talaga ngayon bakit paano saan kailan salamat
    """,
    "pl": """
        i na z nie się to jest że do jak co ale o od po za tak już jestem być mam ma są dla
        przez tylko jeszcze bardzo też mnie mi ty ja on ona my wy oni
    """,
}

# Word endings that only German has among the tabled languages (Dutch writes -ing, -heid,
# -lijk, -schap), counted on words of at least six letters.
_SUFFIXES: Final[dict[str, tuple[str, ...]]] = {
    "de": ("ung", "ungen", "keit", "heit", "lich", "liche", "lichen", "schaft", "haft"),
}

# Letters as evidence, once per word: ß is German only; an umlaut speaks as much for Swedish,
# Turkish, Finnish or Hungarian as for German.
_LETTERS: Final[dict[str, tuple[str, ...]]] = {
    "ß": ("de",),
    "ä": ("de", "sv", "fi", "et", "sk"),
    "ö": ("de", "sv", "fi", "et", "tr", "hu", "is"),
    "ü": ("de", "tr", "hu", "et", "az", "tk"),
}

_NOT_A_WORD_RE: Final = re.compile(r"\w\.\w|\d")
_WORD_RE: Final = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _index() -> dict[str, tuple[str, ...]]:
    langs: defaultdict[str, list[str]] = defaultdict(list)
    for lang, words in _WORDS.items():
        for word in set(words.split()):
            langs[word].append(lang)
    return {word: tuple(sorted(ls)) for word, ls in langs.items()}


_INDEX: Final = _index()


def marker_scores(text: str) -> dict[str, int]:
    """How many words of ``text`` speak for each language (a word may speak for several).

    In a post that is not written in capitals, a short word in capitals is an acronym or a code
    ("DEN", "CDU", "ICE"), not a word of any language, and is skipped.
    """
    scores: dict[str, int] = {}
    skip_caps = not text.isupper()
    for token in text.split():
        if skip_caps and len(token) <= 4 and token.isupper():
            continue
        for lang in _speaks_for(token):
            scores[lang] = scores.get(lang, 0) + 1
    return scores


# This runs on every short post, so a whitespace token is judged once and then looked up: posts
# repeat their words, and a cache hit costs less than one regex call on the token.
@lru_cache(maxsize=1 << 16)
def _speaks_for(token: str) -> tuple[str, ...]:
    if _NOT_A_WORD_RE.search(token):  # bahn.de, z.b., UA6357, IBANs: names and codes, not words
        return ()
    found: list[str] = []
    for word in _WORD_RE.findall(token.lower()):
        found.extend(_word_speaks_for(word.replace("’", "'")))
    return tuple(found)


def _word_speaks_for(word: str) -> tuple[str, ...] | set[str]:
    langs = _INDEX.get(word)
    if langs is None and "'" in word:
        langs = _INDEX.get(word.split("'", 1)[0] + "'")
    if langs is not None:
        return langs
    found: set[str] = set()
    if len(word) >= 6:
        found.update(lang for lang, endings in _SUFFIXES.items() if word.endswith(endings))
    for letter, letter_langs in _LETTERS.items():
        if letter in word:
            found.update(letter_langs)
    return found

"""Turning templates into believable post texts, and the demo workspace file.

Real posts are messy: extra hashtags, trailing emoji, typos, all-lowercase. Those touches are added
here with a light hand, never inside brand, product, CEO or competitor names, so that what a monitor
should match stays matchable (people do misspell brands, but a demo that silently loses matches only
confuses its audience).
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
from functools import cache
from typing import Final

from crisisdesk.demo.texts import CALM, COMMON_SLOTS, LANG_SLOTS
from crisisdesk.demo.texts_crisis import CRISIS, NEWS_LEADS

CALM_CATEGORIES: Final = frozenset(CALM)
_CALM_TAGS: Final = ("#ebike", "#escooter", "#mobilitätswende", "#pendeln", "#commute", "#micromobility",
                     "#berlin", "#verkehrswende", "#ride")
_CRISIS_TAGS: Final = ("#voltarofire", "#voltarofire", "#voltarogate", "#pulse3", "#akkubrand",
                       "#rückruf", "#recall", "#boycottvoltaro")
_PROTECTED: Final = ("voltaro", "pulse", "kinetta", "köhler", "koehler", "jana", "#", "@")
_OPENERS: Final = {
    "de": ("Ehrlich,", "Mal ehrlich:", "Leute,", "Hmm.", "Ok,", "Kurz:", "Also", "Update:", "Ganz ehrlich?"),
    "en": ("Honestly,", "Ok so", "Not gonna lie,", "Hmm.", "Quick one:", "Update:", "Right,", "Tbh"),
}
_CLOSERS: Final = ("!!", "…", " lol", "?!", " 🙏", " haha", " 🤷", " 👀", "!!!", " :/", " xD")
_WORD_TYPOS: Final = {
    "de": {"nicht": "nich", "ist": "is", "habe": "hab", "wirklich": "wirklcih", "schon": "schonn",
           "einfach": "eifnach", "Lieferung": "Liefrung", "Akku": "Aku"},
    "en": {"you": "u", "the": "teh", "your": "ur", "really": "realy", "because": "becuase",
           "definitely": "definately", "battery": "batery"},
}


@cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def fill(rng: random.Random, template: str, lang: str, *, plain_brand: bool = False) -> str:
    """Fill only the slots the template uses, so unused slots cost no random draws."""
    values: dict[str, str] = {}
    for name in _fields(template):
        if name in values:
            continue
        if plain_brand and name in {"brand", "product"}:
            values[name] = "Voltaro" if name == "brand" else "Pulse 3"
        elif name in COMMON_SLOTS:
            values[name] = rng.choice(COMMON_SLOTS[name])
        elif name in LANG_SLOTS[lang]:
            values[name] = rng.choice(LANG_SLOTS[lang][name])
        elif name == "order":
            values[name] = f"VO-{rng.randint(100_000, 999_999)}"
        elif name == "km":
            values[name] = str(rng.randint(4, 48))
        elif name == "days":
            values[name] = str(rng.randint(3, 21))
        elif name == "hours":
            values[name] = str(rng.randint(2, 14))
        else:  # "n" and any other small number
            values[name] = str(rng.randint(2, 9))
    return template.format(**values)


def render(
    rng: random.Random, category: str, lang: str, *, crisis: bool, tag_rate: float | None = None
) -> str:
    """A post text of ``category``; crisis categories come from ``CRISIS``, the rest from ``CALM``.

    ``tag_rate`` is how often extra hashtags are appended; a crisis hashtag needs hours to catch on.
    """
    table = CRISIS if crisis and category in CRISIS else CALM
    text = fill(rng, rng.choice(table[category][lang]), lang)
    if category == "official":
        return _tidy(text)
    roll = rng.random()
    if tag_rate is None:
        tag_rate = 0.4 if crisis else 0.15
    if roll < tag_rate:
        tags = [t for t in dict.fromkeys(_CRISIS_TAGS if crisis else _CALM_TAGS) if t not in text]
        text += " " + " ".join(rng.sample(tags, min(len(tags), rng.randint(1, 3))))
    elif roll < tag_rate + 0.35:
        text += " " + rng.choice(COMMON_SLOTS["neg_emoji" if crisis else "pos_emoji"]) * rng.randint(1, 3)
    text = vary(rng, text, lang)
    if rng.random() < 0.12:
        text = typo(rng, text, lang)
    return _tidy(text)


def vary(rng: random.Random, text: str, lang: str) -> str:
    """Openers and closers people add without thinking; they also keep short texts from repeating."""
    roll = rng.random()
    if roll < 0.2 and text[:1].isupper() and not text[1:2].isupper():
        text = f"{rng.choice(_OPENERS[lang])} {text[0].lower()}{text[1:]}"
    elif roll < 0.45:
        text = text.rstrip(".!") + rng.choice(_CLOSERS)
    return text


def headline(rng: random.Random, lang: str, *, crisis: bool) -> str:
    """A news article text: headline, and for crisis coverage the first sentence of the body."""
    if not crisis:
        return _tidy(fill(rng, rng.choice(CALM["brand_news"][lang]), lang, plain_brand=True))
    title = fill(rng, rng.choice(CRISIS["news"][lang]), lang, plain_brand=True)
    lead = fill(rng, rng.choice(NEWS_LEADS[lang]), lang, plain_brand=True)
    return _tidy(f"{title} – {lead}")


def typo(rng: random.Random, text: str, lang: str) -> str:
    """One human slip: a known misspelling, swapped letters, or the whole post in lowercase."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words)
                  if len(w) >= 4 and w.isalpha() and not any(p in w.lower() for p in _PROTECTED)]
    choice = rng.random()
    if choice < 0.3:
        return text.lower()
    known = [i for i, w in enumerate(words) if w in _WORD_TYPOS[lang]]
    if known and choice < 0.65:
        i = rng.choice(known)
        words[i] = _WORD_TYPOS[lang][words[i]]
    elif candidates:
        i = rng.choice(candidates)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def slugify(text: str) -> str:
    """URL slug for article links: German umlauts spelled out, everything else ASCII."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


WORKSPACE_YAML: Final = """\
# crisisdesk demo workspace
#
# The story: Voltaro, a Berlin e-scooter maker (German and English customers), sells the Pulse 3.
# Its CEO is Jana Köhler, its competitor Kinetta. After a calm week, Pulse 3 batteries start to catch
# fire: first a few reports, then complaints, insults, influencers and the press, then a recall.
#
# Query language: terms, "exact phrases", #hashtags, @mentions, AND / OR / NOT, -term, (parentheses),
# trailing wildcards (verspät*), field filters (lang:de platform:x author:name kind:message).
# Matching ignores case, works on whole words and folds ä=ae, ö=oe, ü=ue, ß=ss; a plain term also
# matches its hashtag (voltaro matches #voltaro).
version: 1
monitors:
  - name: voltaro
    description: Everything about the brand, including the crisis hashtags.
    query: 'voltaro OR voltaros OR @voltaro OR #voltarofire OR #voltarogate OR #boycottvoltaro'

  - name: pulse3
    description: The product, however people spell it.
    query: '"pulse 3" OR pulse3 OR "voltaro pulse"'

  - name: ceo
    description: The CEO by name or handle; "Köhler" alone is too common (a football coach, too).
    query: '"jana köhler" OR @janakoehler OR (voltaro AND (ceo OR chefin))'

  - name: kinetta
    description: The competitor, to compare volumes and spot opportunistic campaigns.
    query: 'kinetta OR @kinetta OR "kinetta flow"'

  - name: battery-safety
    description: The early-warning monitor - fire and battery words near the brand or the product.
    query: >-
      (voltaro OR voltaros OR @voltaro OR "pulse 3" OR pulse3)
      AND (akkubr* OR brennt OR brennend* OR feuer OR flammen OR rauch OR qualm* OR geraucht OR fire
      OR flames OR burning OR smoke OR smoking OR rückruf OR recall OR #voltarofire)

  - name: service
    description: Delivery, refund and customer-service trouble, including messages to our inboxes.
    query: >-
      (voltaro OR voltaros OR @voltaro OR kind:message)
      AND (lieferung OR verspät* OR erstattung OR rückerstattung OR storn* OR hotline
      OR kundenservice OR warteschleife OR refund OR delivery OR delayed OR cancel OR "customer service"
      OR support OR order OR bestellung)
"""

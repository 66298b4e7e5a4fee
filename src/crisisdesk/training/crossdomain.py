"""The cross-domain evaluation sets: posts about brands that are neither Deutsche Bahn nor airlines.

The sentiment heads learn German from GermEval 2017 (feedback about Deutsche Bahn) and English
from tweets to US airlines. A crisis desk watches other brands, so the question that matters is
how they do on complaints about a telecom, a parcel service, a shop, a phone. These sets answer
it: the tweets of Mozetič et al. (2016, human-labelled positive/negative, German and English; no
neutral class) that address or name a company, a consumer brand or a customer-service matter
(``@…hilfe``, ``@…support``, Telekom, DHL, Amazon, iPhone, Lieferung, Rechnung, refund …),
without railway and airline posts. They are never trained on: :func:`held_out_for_evaluation`
removes them from every use of the Mozetič sets in training. Labels are the original
annotators'; some are noisy ("Ich habe ein neues Foto auf Facebook gepostet" appears as both).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from crisisdesk.training.datasets_base import Example, LoadReport
from crisisdesk.training.datasets_twitter import load_mozetic_de, load_mozetic_en

_BRANDS = (
    "telekom|vodafone|o2|congstar|unitymedia|1&1|mobilcom|dhl|hermes|dpd|gls|ups|fedex|usps|"
    "amazon|zalando|otto|ebay|ikea|lidl|aldi|rewe|edeka|media ?markt|saturn|walmart|target|"
    "apple|iphone|ipad|samsung|galaxy|sony|playstation|xbox|microsoft|windows|google|android|"
    "facebook|whatsapp|instagram|netflix|spotify|sky|comcast|verizon|at&t|t-mobile|sprint|"
    "paypal|sparkasse|postbank|commerzbank|mcdonald'?s|burger king|starbucks|kfc|"
    "vw|volkswagen|bmw|audi|mercedes|tesla|adidas|nike|h&m|primark|uber"
)
_SERVICE = (
    "kundenservice|kundendienst|hotline|paket|lieferung|bestellung|bestellt|geliefert|rechnung|"
    "vertrag|kündig\\w*|reklamation|erstattung|support|customer service|refund|delivery|"
    "order(?:ed)?|warranty|subscription"
)
_EXCLUDED = re.compile(r"\b(bahn|zug|db_bahn|flug|airline|flight|airport|flughafen)\b", re.IGNORECASE)
_BRAND_RE = re.compile(
    rf"@\w*(?:{_BRANDS}|hilfe|help|support|service)\w*|\b(?:{_BRANDS}|{_SERVICE})\b", re.IGNORECASE)

#: The sets these loaders are cut from, and the sets they are registered as.
SOURCES = {"mozetic_de": "brands_de", "mozetic_en": "brands_en"}


def is_brand_post(text: str) -> bool:
    """True for a post about a company, brand or customer-service matter (not rail or air)."""
    return _BRAND_RE.search(text) is not None and _EXCLUDED.search(text) is None


def held_out_for_evaluation(example: Example) -> bool:
    """True when ``example`` belongs to a cross-domain evaluation set and must not be trained on."""
    return example.source in SOURCES and is_brand_post(example.text)


def _cut(examples: list[Example], name: str, report: LoadReport | None) -> list[Example]:
    out = [replace(e, source=name) for e in examples if is_brand_post(e.text)]
    if report is not None:
        report.rows_read += len(examples)
        report.kept += len(out)
        report.drop("not about a brand or customer service", len(examples) - len(out))
    return out


def load_brands_de(root: Path, report: LoadReport | None = None) -> list[Example]:
    """German brand and customer-service tweets of Mozetič et al., for evaluation only."""
    return _cut(load_mozetic_de(root), "brands_de", report)


def load_brands_en(root: Path, report: LoadReport | None = None) -> list[Example]:
    """English brand and customer-service tweets of Mozetič et al., for evaluation only."""
    return _cut(load_mozetic_en(root), "brands_en", report)

"""A crisis's severity from the danger, not only the volume: what its posts are about, who picked
it up, how far it spread. Each rule that moved the level says so in plain German and English.

The situations' own levels (the playbook's rules on volume, negativity, high-risk terms) are the
start. Then, as a communications lead would sign:

* people may be hurt (posts about safety or health): at least 3, at once and at modest volume;
  at least 4 with many such posts or the press reporting;
* a single report of harm that also hit a high-risk term (a first fire or injury report naming
  the brand): at least 2, so that a crisis opens before the second report (two independent signals,
  the complaint type and the playbook's risk phrase, keep one noisy word from opening it);
* legal steps, data or privacy, discrimination: at least 2;
* a wave of everyday complaints (billing, delivery, service) without any of those and without the
  press is at most 3, however loud;
* the press reporting raises the level by one; a spread over three or more platforms is at least 2.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: Complaint types (crisisdesk.analysis.complaints) that mean people may be hurt.
HARM = ("safety", "health")
#: … that mean legal, data or ethical exposure.
EXPOSURE = ("legal", "data_privacy", "ethics_discrimination")
#: Posts about harm that make it certain even at small volume, and that make it severe.
HARM_POSTS, HARM_MANY = 2, 20
EXPOSURE_POSTS = 3
#: Platforms (and kinds) of the press.
PRESS_PLATFORMS = frozenset({"rss", "news"})
PRESS_KINDS = frozenset({"article"})


@dataclass
class Facts:
    """What the rating reads of a crisis's posts and situations."""

    loudest: int  # the highest level of its situations
    posts: int = 0
    types: Counter[str] = field(default_factory=Counter)
    press: int = 0
    platforms: frozenset[str] = frozenset()
    #: One of its situations was raised by a high-risk term (cause ``keyword``).
    risk_terms: bool = False


def single_harm_report(f: Facts) -> bool:
    """One post about harm among posts that hit a high-risk term: a first report worth a crisis."""
    return f.risk_terms and 0 < sum(f.types[t] for t in HARM) < HARM_POSTS


@dataclass(frozen=True)
class Rating:
    level: int
    reasons: list[dict[str, str]]  # each {"de": ..., "en": ...}, in the order they applied


def rate(f: Facts) -> Rating:
    level = max(1, min(4, f.loudest))
    reasons = [{"de": f"Die lauteste ihrer Lagen hat Stufe {level}.",
                "en": f"The loudest of its situations is at level {level}."}]
    harm = sum(f.types[t] for t in HARM)
    exposure = {t: f.types[t] for t in EXPOSURE if f.types[t] >= EXPOSURE_POSTS}
    if harm >= HARM_POSTS:
        floor = 4 if harm >= HARM_MANY or f.press else 3
        if level < floor:
            level = floor
        reasons.append({"de": f"Menschen könnten zu Schaden kommen: {harm} Beiträge über Sicherheit oder "
                              f"Gesundheit – mindestens Stufe {floor}.",
                        "en": f"People may be hurt: {harm} posts about safety or health – at least level "
                              f"{floor}."})
    if single_harm_report(f) and level < 2:
        level = 2
        reasons.append({"de": "Ein erster Bericht über einen Schaden (Sicherheit oder Gesundheit) mit einem "
                              "Risikobegriff: mindestens Stufe 2 – prüfen, bevor es sich verbreitet.",
                        "en": "A first report of harm (safety or health) with a high-risk term: at least "
                              "level 2 – check it before it spreads."})
    if exposure and level < 2:
        level = 2
    if exposure:
        names = {"legal": ("rechtliche Schritte", "legal action"), "data_privacy": ("Daten/Datenschutz",
                 "data/privacy"), "ethics_discrimination": ("Diskriminierung/Ethik", "discrimination/ethics")}
        de = ", ".join(f"{names[t][0]} ({n})" for t, n in exposure.items())
        en = ", ".join(f"{names[t][1]} ({n})" for t, n in exposure.items())
        reasons.append({"de": f"Rechtliches oder ethisches Risiko: {de} – mindestens Stufe 2.",
                        "en": f"Legal or ethical exposure: {en} – at least level 2."})
    if harm < HARM_POSTS and not exposure and not f.press and level > 3:
        level = 3
        reasons.append({"de": "Nur Alltagsbeschwerden (Rechnung, Lieferung, Service), keine Gefahr, keine "
                              "Presse: höchstens Stufe 3, so laut es auch ist.",
                        "en": "Only everyday complaints (billing, delivery, service), no danger, no press: "
                              "at most level 3, however loud."})
    if f.press:
        raised = min(4, level + 1)
        up = raised > level
        de, en = (": eine Stufe höher", ": one level higher") if up else ("", "")
        reasons.append({"de": f"Die Presse berichtet ({f.press} Artikel){de}.",
                        "en": f"The press reports it ({f.press} articles){en}."})
        level = raised
    if len(f.platforms) >= 3 and level < 2:
        level = 2
        reasons.append({"de": f"Auf {len(f.platforms)} Plattformen: mindestens Stufe 2.",
                        "en": f"On {len(f.platforms)} platforms: at least level 2."})
    return Rating(level, reasons)

"""The draft of an update, prefilled from the crisis record: what happened, what we know, what we
do, and when the next update comes.

Only what may be said in public goes in: the crisis type's public name and holding statement,
when it began, on which kinds of channels people talk about it, whether it is over, and the
promise of the next update. Internal things (tasks, people, figures of the posts) stay out; the
writer adds what is known. A playbook's template (``updates[].template``) replaces the standard
text and may use the same parts by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from crisisdesk.crises.mode_effects import promised_time, said_time
from crisisdesk.crises.models import Crisis
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.updates.config import AudiencePlan, Phase

TITLE = {
    Phase.INVESTIGATING: {"de": "Wir prüfen: {topic}", "en": "We are looking into it: {topic}"},
    Phase.IDENTIFIED: {"de": "Ursache erkannt: {topic}", "en": "Cause identified: {topic}"},
    Phase.MONITORING: {"de": "Wir beobachten die Lage: {topic}", "en": "We are monitoring: {topic}"},
    Phase.RESOLVED: {"de": "Behoben: {topic}", "en": "Resolved: {topic}"},
}
#: The title's topic while the crisis has no type (the body says "about a problem with our service").
UNTYPED = {"de": "Hinweise auf ein Problem", "en": "reports of a problem"}
HAPPENED = {"de": "Seit {since} erreichen uns Hinweise zum Thema {topic}.",
            "en": "Since {since} we have been receiving reports about {topic}."}
OVER = {"de": "Die Lage ist seit {until} geklärt.", "en": "The matter has been settled since {until}."}
KNOWN = {"de": "Es tut uns leid, dass Sie davon betroffen sind. Wir verstehen Ihren Ärger und nehmen jeden "
               "Hinweis ernst.",
         "en": "We are sorry that you are affected. We understand your frustration and take every report "
               "seriously."}
DOING = {"de": "Unser Team klärt die Ursache und antwortet auf allen Kanälen. Wenn Sie betroffen sind, "
               "schreiben Sie uns bitte eine Direktnachricht.",
         "en": "Our team is working out the cause and answering on every channel. If you are affected, "
               "please send us a direct message."}
DONE = {"de": "Danke für Ihre Geduld. Wenn Sie noch Fragen haben, schreiben Sie uns bitte eine "
              "Direktnachricht; wir melden uns innerhalb von 24 Stunden.",
        "en": "Thank you for your patience. If you still have questions, please send us a direct message; we "
              "will answer within 24 hours."}
NEXT = {"de": "Das nächste Update veröffentlichen wir spätestens am {next} Uhr.",
        "en": "We will publish the next update by {next} at the latest."}
STANDARD = {"de": "{what_happened}\n\n{what_we_know}\n\n{what_we_do}\n\n{next_update}",
            "en": "{what_happened}\n\n{what_we_know}\n\n{what_we_do}\n\n{next_update}"}
TOPIC = {"de": "Probleme mit unserem Angebot", "en": "a problem with our service"}
#: What we know once it is over (the holding statement's promise of news is kept by then).
SETTLED = {"de": "Es tut uns leid, dass Sie davon betroffen waren. Wir haben die Ursache behoben und "
                 "beobachten weiter, ob alles wieder wie gewohnt funktioniert.",
           "en": "We are sorry that you were affected. We have fixed the cause and keep watching that "
                 "everything works as it should again."}


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    body: str
    phase: Phase


def _when(moment: datetime, lang: str, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%d.%m.%Y, %H:%M") if lang == "de" else local.strftime("%Y-%m-%d %H:%M %Z")


def prefill(crisis: Crisis, ct: CrisisTypeConfig | None, plan: AudiencePlan, *, lang: str, phase: Phase,
            next_update_at: datetime | None, zone: ZoneInfo, now: datetime) -> Draft:
    """The draft for ``plan``'s audience in ``lang`` (de or en). The holding statement's ``{time}``
    is the next update's time (without a cadence: the crisis mode's promise, two hours on)."""
    promise = (said_time(next_update_at, now, lang, zone.key) if next_update_at is not None
               else promised_time(now, lang, zone.key))
    topic = ct.name.get(lang) if ct is not None else TOPIC[lang]
    if ct is not None and lang == "de":
        topic = f"„{topic}“"
    elif ct is not None:
        topic = f"“{topic}”"
    parts = {
        "crisis": topic,
        "time": promise,
        "what_happened": HAPPENED[lang].format(since=_when(crisis.opened_at, lang, zone), topic=topic),
        "what_we_know": SETTLED[lang] if phase is Phase.RESOLVED
        else ct.holding_statement.get(lang).replace("{time}", promise)
        if ct is not None and ct.holding_statement else KNOWN[lang],
        "what_we_do": DONE[lang] if phase is Phase.RESOLVED else DOING[lang],
        "next_update": NEXT[lang].format(next=_when(next_update_at, lang, zone)) if next_update_at
        and phase is not Phase.RESOLVED else "",
    }
    if phase is Phase.RESOLVED and crisis.resolved_at is not None:
        parts["what_happened"] += " " + OVER[lang].format(until=_when(crisis.resolved_at, lang, zone))
    template = plan.template.get(lang) if plan.template is not None else STANDARD[lang]
    body = template.format_map(_Parts(parts)).strip()
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return Draft(TITLE[phase][lang].format(topic=topic if ct is not None else UNTYPED[lang]), body, phase)


class _Parts(dict[str, str]):
    """Leaves an unknown ``{name}`` of a template as it is instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"

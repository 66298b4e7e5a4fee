"""The one-paragraph summary of a situation, in German or English, from its numbers."""

from __future__ import annotations

from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
from crisisdesk.detection.config import Signal
from crisisdesk.detection.explain import Explanation
from crisisdesk.detection.reasons import decimal_text, percent_text
from crisisdesk.detection.severity import Signals
from crisisdesk.detection.terms import TermMethod

_COMPLAINT_LABELS = {t.name: (t.label_de, t.label_en) for t in DEFAULT_TAXONOMY}

_TEXT = {
    "en": {
        "volume": "{monitor}: {posts} posts in the last hour, at {ratio} times the usual rate; "
                  "{neg} negative.",
        "rise": "{monitor}: sustained rise, {ratio} times the usual volume for {hours} hours "
                "({total} posts); {posts} in the last hour, {neg} negative.",
        "keyword": "{monitor}: high-risk terms {terms} in {posts} posts in the last hour; {neg} negative.",
        "influencer": "{monitor}: negative posts by influential authors ({who}); {posts} posts in the "
                      "last hour, {neg} negative.",
        "surging": "Surging: {terms}.",
        "frequent": "Most frequent words (nothing stands out against the posts before): {terms}.",
        "channels": "Mostly on {channels}.",
        "complaint": "Top complaint: {label} ({share}).",
        "level": "Level {level} ({name}).",
    },
    "de": {
        "volume": "{monitor}: {posts} Beiträge in der letzten Stunde, {ratio}-mal so viele wie üblich; "
                  "{neg} negativ.",
        "rise": "{monitor}: anhaltender Anstieg, seit {hours} Stunden {ratio}-mal so viele Beiträge "
                "wie üblich ({total}); {posts} in der letzten Stunde, {neg} negativ.",
        "keyword": "{monitor}: Risikobegriffe {terms} in {posts} Beiträgen der letzten Stunde; "
                   "{neg} negativ.",
        "influencer": "{monitor}: negative Beiträge einflussreicher Accounts ({who}); {posts} Beiträge in "
                      "der letzten Stunde, {neg} negativ.",
        "surging": "Auffällig häufig: {terms}.",
        "frequent": "Häufigste Wörter (gegenüber den Beiträgen davor fällt keins auf): {terms}.",
        "channels": "Vor allem auf {channels}.",
        "complaint": "Häufigste Beschwerde: {label} ({share}).",
        "level": "Stufe {level} ({name}).",
    },
}


def display_term(query: str) -> str:
    """``recall*`` → ``recall``, ``"data breach"`` → ``data breach``: how people read a term."""
    return query.replace('"', "").rstrip("*")


def quote(term: str, lang: str) -> str:
    """„nie wieder“ / “never again”: the reader's quotation marks."""
    return f"„{term}“" if lang == "de" else f"“{term}”"


def term_list(terms: list[str], lang: str) -> str:
    """Terms as a reader takes them in: phrases quoted (their words belong together), words as is."""
    return ", ".join(quote(x, lang) if " " in x else x for x in terms)


def summarize(*, monitor: str, cause: str, level: int, level_name: str, signals: Signals,
              explanation: Explanation, lang: str, terms: list[str] | None = None,
              rise: tuple[float, int, int] | None = None) -> str:
    """``rise``: (ratio, hours, posts) of a sustained rise, when the CUSUM raised a volume alert:
    "1.8 times for 6 hours" says more than the last hour alone, which may look ordinary."""
    t = _TEXT["de" if lang == "de" else "en"]
    v = signals.values
    neg = percent_text(v.get(Signal.NEGATIVE_SHARE, 0.0), lang)
    posts = int(v.get(Signal.POSTS, 0))
    if cause == "keyword":
        shown = [display_term(x) for x in (terms or [])[:5]]
        quoted = ", ".join(quote(x, lang) for x in shown)
        parts = [t["keyword"].format(monitor=monitor, terms=quoted, posts=posts, neg=neg)]
    elif cause == "influencer":
        who = ", ".join(f"@{a.handle}" for a in explanation.influential_authors[:3]) or "?"
        parts = [t["influencer"].format(monitor=monitor, who=who, posts=posts, neg=neg)]
    elif rise is not None:
        ratio, hours, total = rise
        parts = [t["rise"].format(monitor=monitor, ratio=decimal_text(ratio, lang), hours=hours, total=total,
                                  posts=posts, neg=neg)]
    else:
        parts = [t["volume"].format(monitor=monitor, posts=posts,
                                    ratio=decimal_text(v.get(Signal.VOLUME_RATIO, 0.0), lang), neg=neg)]
    surging = [*explanation.top_terms[:5], *explanation.top_hashtags[:2]]
    if surging:
        frequent = explanation.terms_method == TermMethod.FREQUENT
        parts.append(t["frequent" if frequent else "surging"].format(terms=term_list(surging, lang)))
    if explanation.channels:
        top = list(explanation.channels.items())[:2]
        parts.append(t["channels"].format(
            channels=", ".join(f"{name} ({percent_text(s['share'], lang)})" for name, s in top)))
    if explanation.complaint_types:
        name, s = next(iter(explanation.complaint_types.items()))
        labels = _COMPLAINT_LABELS.get(name, (name, name))
        parts.append(t["complaint"].format(label=labels[0] if lang == "de" else labels[1],
                                           share=percent_text(s["share"], lang)))
    parts.append(t["level"].format(level=level, name=level_name))
    return " ".join(parts)

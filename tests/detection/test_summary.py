"""Situation summaries name the terms people used, in the reader's language; a spike never opens
without the terms that moved."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.core.text import fold
from crisisdesk.detection.config import Signal
from crisisdesk.detection.explain import Explanation
from crisisdesk.detection.models import Situation
from crisisdesk.detection.service import get_situation
from crisisdesk.detection.stopwords import STOPWORDS
from crisisdesk.detection.summary import summarize
from crisisdesk.detection.terms import TermMethod
from tests.detection.test_engine import T0, Feed

SIGNALS = {Signal.POSTS: 40.0, Signal.VOLUME_RATIO: 20.0, Signal.NEGATIVE_SHARE: 0.6}


def _summary(explanation: Explanation, lang: str, cause: str = "spike",
             terms: list[str] | None = None) -> str:
    from crisisdesk.detection.severity import Signals

    return summarize(monitor="DB", cause=cause, level=2, level_name="issue", signals=Signals(SIGNALS),
                     explanation=explanation, lang=lang, terms=terms)


@pytest.mark.parametrize(("lang", "method", "expected"), [
    ("de", TermMethod.SURGING, "Auffällig häufig: „Deutsche Bahn“, Stellwerk, „nie wieder“, #bahnchaos."),
    ("en", TermMethod.SURGING, "Surging: “Deutsche Bahn”, Stellwerk, “nie wieder”, #bahnchaos."),
    ("de", TermMethod.FREQUENT, "Häufigste Wörter (gegenüber den Beiträgen davor fällt keins auf): "
                                "„Deutsche Bahn“, Stellwerk, „nie wieder“, #bahnchaos."),
    ("en", TermMethod.FREQUENT, "Most frequent words (nothing stands out against the posts before): "
                                "“Deutsche Bahn”, Stellwerk, “nie wieder”, #bahnchaos."),
])
def test_summaries_quote_phrases_and_say_how_terms_were_found(lang: str, method: TermMethod,
                                                              expected: str) -> None:
    explanation = Explanation(top_terms=["Deutsche Bahn", "Stellwerk", "nie wieder"],
                              top_hashtags=["#bahnchaos"], terms_method=method.value)
    assert expected in _summary(explanation, lang)


def test_an_explanation_stored_before_methods_still_summarises() -> None:
    """Stored explanations of older versions: folded single words, no ``terms_method``."""
    old = Explanation(**json.loads('{"top_terms": ["akku", "rueckruf"], "top_hashtags": ["#akku"]}'))
    assert "Surging: akku, rueckruf, #akku." in _summary(old, "en")


def test_keyword_summaries_quote_the_keywords() -> None:
    text = _summary(Explanation(), "de", cause="keyword", terms=['"data breach"', "recall*"])
    assert "Risikobegriffe „data breach“, „recall“" in text


def test_a_quiet_monitors_spike_opens_with_the_terms_people_wrote(engine: Engine) -> None:
    """A brand with a post every few hours, then twelve German complaints in half an hour: a 20×
    spike against a baseline of a handful of posts, where the significance test has nothing to
    compare with (the case that opened situations without terms)."""
    f = Feed(engine)
    f.feed(f.calm(T0, T0 + timedelta(days=2), per_hour=0.2))
    onset = T0 + timedelta(days=2, hours=1)
    texts = ["Sehr geehrte Deutsche Bahn, Stellwerk in Köln kaputt?", "bitte: Stellwerk Störung, nie wieder!",
             "Stellwerk Köln, Zug fällt aus", "hmm, wieder das Stellwerk", "Deutsche Bahn: nie wieder",
             "S-Bahn steht, Stellwerk", "Die Deutsche Bahn und ihr Stellwerk", "Stellwerk!!! nie wieder",
             "Köln Hbf: Stellwerk", "Danke Deutsche Bahn, Stellwerk schon wieder", "Stellwerk Störung Köln",
             "nie wieder Deutsche Bahn"]
    wave = [dataclasses.replace(f.post(onset + timedelta(minutes=2 * i), f"brand {t}", negative=True),
                                lang="de") for i, t in enumerate(texts)]
    opened = [e for e in f.feed(wave) if e["cause"] == "spike" and e["event"] == "alert.opened"]
    assert opened, f.events
    terms = [str(t) for t in opened[0]["top_terms"]]  # type: ignore[attr-defined]
    assert "Stellwerk" in terms and "Deutsche Bahn" in terms, terms
    assert "brand" not in terms  # in every post, before as now: not what moved
    assert not {fold(w) for t in terms if " " not in t for w in [t.lstrip("#")]} & STOPWORDS, terms
    summaries = opened[0]["summaries"]
    assert isinstance(summaries, dict)
    assert "„Deutsche Bahn“" in summaries["de"] and "Stellwerk" in summaries["de"]
    assert "“Deutsche Bahn”" in summaries["en"]
    with engine.connect() as conn:
        sid = conn.execute(select(Situation.id).where(Situation.cause == "spike")).scalar_one()
        stored = get_situation(conn, sid)
    assert stored is not None and stored["top_terms"] == terms  # the page shows what the alert said
    assert stored["explanation"]["terms_method"] in {m.value for m in TermMethod}
    assert ("Häufigste Wörter" in summaries["de"]) is (stored["explanation"]["terms_method"] == "frequent")

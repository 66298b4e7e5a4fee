"""Every condition and action of an inbox rule said in words, in both languages: a pure function,
so a table of rules and the sentences people read."""

from __future__ import annotations

import pytest

from crisisdesk.inbox.rules_config import RuleConfig
from crisisdesk.web import rule_words
from crisisdesk.web.i18n import LANGS, Lang

EVERYTHING = RuleConfig.model_validate(
    {
        "name": "all",
        "when": {
            "channel": ["fb", "ig"],
            "platform": "facebook",
            "public": True,
            "kind": "comment",
            "lang": "de",
            "sentiment": ["negative", "neutral"],
            "insult": False,
            "insult_score_at_least": 0.85,
            "complaint_types": ["delivery_delay"],
            "monitor": "bahn",
            "query": "akku",
            "min_followers": 10000,
            "verified": True,
        },
        "then": [
            {"tag": "vip"},
            {"priority": "urgent"},
            {"assign": "anna@example.org"},
            {"team": "social"},
            {"reply": {"de": "Danke!", "en": "Thanks!"}},
            {"reply_private": {"en": "Hello"}},
            {
                "move_to_private": {
                    "public": {"de": "Wir schreiben privat."},
                    "private": {"de": "Hallo " * 40},
                }
            },
            {"hide": True},
            {"ticket": True},
            {"status": "pending"},
        ],
    }
)


@pytest.mark.parametrize(
    ("lang", "when", "then"),
    [
        (
            "en",
            [
                "channel: fb or ig",
                "platform: facebook",
                "kind: comment",
                "language: de",
                "public",
                "sentiment: negative or neutral",
                "not flagged as an insult",
                "insult probability at least 85%",
                "complaint type: Late delivery",
                "monitor: bahn",
                "matches the query akku",
                "at least 10,000 followers",
                "verified account",
            ],
            [
                "tag “vip”",
                "set the priority to urgent",
                "assign to anna@example.org",
                "hand to the team social",
                "answer automatically: “Thanks!”",
                "answer privately: “Hello”",
            ],
        ),
        (
            "de",
            [
                "Kanal: fb oder ig",
                "Plattform: facebook",
                "Art: comment",
                "Sprache: de",
                "öffentlich sichtbar",
                "Stimmung: negativ oder neutral",
                "nicht als Beleidigung erkannt",
                "Beleidigung mit mindestens 85\xa0% Wahrscheinlichkeit",
                "Beschwerdeart: Lieferverzug",
                "Monitor: bahn",
                "passt auf die Suche akku",
                "mindestens 10.000 Follower",
                "verifiziertes Konto",
            ],
            [
                "Schlagwort „vip“ setzen",
                "Priorität auf dringend setzen",
                "zuweisen an anna@example.org",
                "an das Team social geben",
                "automatisch antworten: „Danke!“",
                "privat antworten: „Hello“",
            ],
        ),
    ],
)
def test_every_condition_and_action_in_words(lang: Lang, when: list[str], then: list[str]) -> None:
    labels = {"delivery_delay": "Late delivery" if lang == "en" else "Lieferverzug"}
    assert rule_words.conditions(EVERYTHING.when, lang, complaint_labels=labels) == when
    said = rule_words.actions(EVERYTHING, lang)
    assert said[: len(then)] == then
    assert said[6].endswith("…“" if lang == "de" else "…”") and len(said[6]) < 250  # long answers shortened
    assert (
        said[-3:]
        == (
            {
                "de": [
                    "auf der Plattform verbergen (zur Prüfung)",
                    "Ticket anlegen",
                    "Status auf wartet auf Antwort der Person setzen",
                ],
                "en": [
                    "hide on the platform (for review)",
                    "open a ticket",
                    "set the status to pending (waiting for the person)",
                ],
            }[lang]
        )
    )


@pytest.mark.parametrize("lang", LANGS)
def test_a_rule_without_conditions_acts_on_every_message_and_runs_say_what_they_did(lang: Lang) -> None:
    rule = RuleConfig.model_validate({"name": "r", "then": [{"tag": "x"}, {"assign": "nobody@example.org"}]})
    assert rule_words.conditions(rule.when, lang) == [
        {"de": "jede eingehende Nachricht", "en": "every inbound message"}[lang]
    ]
    ok = rule_words.done({"action": "tag", "ok": True}, rule, 0, lang)
    failed = rule_words.done({"action": "assign", "ok": False, "error": "no active user"}, rule, 1, lang)
    gone = rule_words.done({"action": "ticket", "ok": True}, rule, 5, lang)  # the rule changed since
    assert (ok, failed, gone) == {
        "en": (
            "tag “x” (done)",
            "assign to nobody@example.org (not done: no active user)",
            "open a ticket (done)",
        ),
        "de": (
            "Schlagwort „x“ setzen (erledigt)",
            "zuweisen an nobody@example.org (nicht möglich: no active user)",
            "Ticket anlegen (erledigt)",
        ),
    }[lang]


@pytest.mark.parametrize(
    ("lang", "when", "then"),
    [
        (
            "en",
            ["while one of its monitors has an open situation", "an open situation of severity 3 or higher"],
            [
                "assign in turn within the team social (who is on shift)",
                "notify role:crisis_lead",
                "notify person:anna, target:room: “Look at this”",
            ],
        ),
        (
            "de",
            ["während einer offenen Lage eines seiner Monitore", "offene Lage mindestens der Stufe 3"],
            [
                "reihum zuweisen im Team social (wer Schicht hat)",
                "benachrichtigen: role:crisis_lead",
                "benachrichtigen: person:anna, target:room: „Schau mal“",
            ],
        ),
    ],
)
def test_situations_round_robin_and_notices_in_words(lang: Lang, when: list[str], then: list[str]) -> None:
    rule = RuleConfig.model_validate(
        {
            "name": "crisis",
            "when": {"in_situation": True, "situation_severity_at_least": 3},
            "then": [
                {"assign_round_robin": "social"},
                {"notify": {"to": ["role:crisis_lead"]}},
                {
                    "notify": {
                        "to": ["person:anna", "target:room"],
                        "text": {"de": "Schau mal", "en": "Look at this"},
                    }
                },
            ],
        }
    )
    assert rule_words.conditions(rule.when, lang) == when
    assert rule_words.actions(rule, lang) == then
    assert rule_words.conditions(
        RuleConfig.model_validate(
            {"name": "calm", "when": {"in_situation": False}, "then": [{"tag": "x"}]}
        ).when,
        lang,
    ) == [
        {
            "en": "none of its monitors has an open situation",
            "de": "keiner seiner Monitore hat eine offene Lage",
        }[lang]
    ]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "de",
            [
                "privat antworten: mit der gespeicherten Antwort „refund“",
                "öffentlich antworten mit der gespeicherten Antwort „sorry“ und privat weiterschreiben „Hi“",
            ],
        ),
        (
            "en",
            [
                "answer privately: with the saved reply “refund”",
                "answer publicly with the saved reply “sorry” and go on privately “Hi”",
            ],
        ),
    ],
)
def test_an_answer_from_a_saved_reply_is_named_not_quoted(lang: Lang, said: list[str]) -> None:
    rule = RuleConfig.model_validate(
        {
            "name": "saved",
            "then": [
                {"reply_private": {"saved": "refund"}},
                {"move_to_private": {"public": {"saved": "sorry"}, "private": {"en": "Hi"}}},
            ],
        }
    )
    assert rule_words.actions(rule, lang) == said

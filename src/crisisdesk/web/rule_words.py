"""An inbox rule said in words, in the reader's language: its conditions, its actions, and what a
run did. The rules page shows these instead of the YAML, so that a team lead reads "public,
sentiment: negative → tag “complaint”, set the priority to high" without knowing the format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crisisdesk.inbox.rules_config import Answer, RuleConfig, Then, When
from crisisdesk.web.formatting import format_number, format_percent
from crisisdesk.web.i18n import MESSAGES, Lang, t

#: Longest piece of an automatic answer quoted in a sentence.
QUOTE = 80


def _label(key: str, lang: Lang, fallback: str) -> str:
    return t(key, lang) if key in MESSAGES else fallback


def _any_of(values: Sequence[str], lang: Lang, labels: Mapping[str, str] | None = None) -> str:
    words = [labels.get(v, v) if labels else v for v in values]
    return f" {t('rules.or', lang)} ".join(words)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


def conditions(when: When, lang: Lang, *, complaint_labels: Mapping[str, str] | None = None) -> list[str]:
    """Every condition of ``when`` as a phrase; all must hold ("every inbound message" when none)."""
    out: list[str] = []
    for name in ("channel", "platform", "kind", "lang"):
        values = getattr(when, name)
        if values is not None:
            out.append(t(f"rules.c.{name}", lang, values=_any_of(values, lang)))
    if when.public is not None:
        out.append(t("rules.c.public" if when.public else "rules.c.private", lang))
    if when.sentiment is not None:
        names: dict[str, str] = {s: _label(f"sentiment.{s}", lang, s) for s in when.sentiment}
        out.append(t("rules.c.sentiment", lang, values=_any_of(when.sentiment, lang, names)))
    if when.insult is not None:
        out.append(t("rules.c.insult" if when.insult else "rules.c.no_insult", lang))
    if when.insult_score_at_least is not None:
        score = when.insult_score_at_least
        whole = round(score * 100, 1).is_integer()
        out.append(
            t("rules.c.insult_score", lang, score=format_percent(score, lang, decimals=0 if whole else 1))
        )
    if when.complaint_types is not None:
        out.append(
            t("rules.c.complaint_types", lang, values=_any_of(when.complaint_types, lang, complaint_labels))
        )
    if when.monitor is not None:
        out.append(t("rules.c.monitor", lang, values=_any_of(when.monitor, lang)))
    if when.query is not None:
        out.append(t("rules.c.query", lang, query=when.query))
    if when.min_followers is not None:
        out.append(t("rules.c.min_followers", lang, count=format_number(when.min_followers, lang)))
    if when.verified is not None:
        out.append(t("rules.c.verified" if when.verified else "rules.c.unverified", lang))
    if when.in_situation is not None:
        out.append(t("rules.c.in_situation" if when.in_situation else "rules.c.no_situation", lang))
    if when.situation_severity_at_least is not None:
        out.append(t("rules.c.situation_severity", lang, level=when.situation_severity_at_least))
    if when.business_hours is not None:
        out.append(t("rules.c.business_hours" if when.business_hours else "rules.c.after_hours", lang))
    out += _on_conversation(when, lang)
    return out or [t("rules.c.any", lang)]


def _on_conversation(when: When, lang: Lang) -> list[str]:
    out: list[str] = []
    names: dict[str, str]
    if when.changed is not None:
        names = {c: t(f"rules.changed.{c}", lang) for c in when.changed}
        out.append(t("rules.c.changed", lang, values=_any_of(list(when.changed), lang, names)))
    if when.status is not None:
        names = {s: t(f"inbox.status.{s}", lang) for s in when.status}
        out.append(t("rules.c.status", lang, values=_any_of(list(when.status), lang, names)))
    if when.priority is not None:
        values = [p.value for p in when.priority]
        names = {v: t(f"inbox.priority.{v}", lang) for v in values}
        out.append(t("rules.c.priority", lang, values=_any_of(values, lang, names)))
    if when.tags is not None:
        out.append(t("rules.c.tags", lang, values=_any_of(when.tags, lang)))
    if when.assigned is not None:
        out.append(t("rules.c.assigned" if when.assigned else "rules.c.unassigned", lang))
    if when.ticket is not None:
        out.append(t("rules.c.ticket" if when.ticket else "rules.c.no_ticket", lang))
    return out


def _answer(answer: Answer, lang: Lang) -> str:
    """An automatic answer as a sentence quotes it: its text, quoted, or the saved reply it names."""
    if answer.saved is not None:
        return t("rules.saved_reply", lang, name=answer.saved)
    opening, closing = ("„", "“") if lang == "de" else ("“", "”")
    return f"{opening}{_quote(answer.pick(lang))}{closing}"


def trigger(rule: RuleConfig, lang: Lang) -> str:
    """When the rule is tried, as the rules page says it."""
    return t("rules.trigger." + "_".join(sorted(rule.trigger)), lang)


def action(then: Then, lang: Lang) -> str:
    """One action as a phrase (answers quoted in the reader's language, shortened)."""
    kind = then.kind
    value: Any = getattr(then, kind)
    if kind in ("reply", "reply_private"):
        return t(f"rules.a.{kind}", lang, value=_answer(value, lang))
    if kind == "move_to_private":
        return t(
            "rules.a.move_to_private",
            lang,
            public=_answer(value.public, lang),
            private=_answer(value.private, lang),
        )
    if kind in ("hide", "ticket"):
        return t(f"rules.a.{kind}", lang)
    if kind == "notify":
        said = t("rules.a.notify", lang, value=", ".join(value.to))
        if value.text is None:
            return said
        opening, closing = ("„", "“") if lang == "de" else ("“", "”")
        return f"{said}: {opening}{_quote(value.text.pick(lang))}{closing}"
    if kind == "priority":
        value = _label(f"inbox.priority.{value}", lang, str(value))
    elif kind == "status":
        value = _label(f"inbox.status.{value}", lang, str(value))
    return t(f"rules.a.{kind}", lang, value=value)


def actions(rule: RuleConfig, lang: Lang) -> list[str]:
    return [action(then, lang) for then in rule.then]


def kind_word(kind: str, lang: Lang) -> str:
    """An action kind alone (as a run or a dry run records it): "open a ticket", "tag"."""
    key = f"rules.a.{kind}"
    if key not in MESSAGES:
        return kind
    text = MESSAGES[key][lang]
    return text.split("{")[0].strip(" :„“”") or kind


def done(recorded: Mapping[str, Any], rule: RuleConfig | None, index: int, lang: Lang) -> str:
    """What one recorded action did: the action in words (from the rule when it still has it at
    that place) and whether it could be done."""
    kind = str(recorded.get("action", ""))
    if kind == "trigger":  # last of a run of ``trigger: change``: what the person changed
        changed = [str(c) for c in recorded.get("changed") or []]
        names = {c: t(f"rules.changed.{c}", lang) if f"rules.changed.{c}" in MESSAGES else c for c in changed}
        return t("rules.run.after_change", lang, values=_any_of(changed, lang, names))
    if kind == "crisis_mode":  # the rule acted below its insult threshold: crisis mode lowered it
        before, after = [*(recorded.get("insult_score_at_least") or []), "?", "?"][:2]
        return t("rules.run.crisis_mode", lang, before=before, after=after)
    said = (
        action(rule.then[index], lang)
        if rule is not None and index < len(rule.then) and rule.then[index].kind == kind
        else kind_word(kind, lang)
    )
    if "holding_statement" in recorded:
        said = f"{said} – {t('rules.run.holding_statement', lang)}"
    if recorded.get("ok"):
        return f"{said} ({t('rules.ok', lang)})"
    return f"{said} ({t('rules.not_done', lang, error=recorded.get('error') or '?')})"

"""The rule editor's text: a rule as YAML (or JSON, which YAML reads too) for the text area, and
what was typed back into a rule's value for :mod:`crisisdesk.configuration.items`.

Nothing here validates a rule: the configuration does (``put_item``, or :class:`RuleConfig` for a
dry run), so the editor, the API and the file refuse the same things with the same words. What
this module adds is the text's own problems (not YAML, not a mapping), with line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from crisisdesk.configuration.items import Kind, check_item
from crisisdesk.inbox.rules_config import RuleConfig
from crisisdesk.web.i18n import Lang, t

#: What a new rule's text area starts with: a harmless example to change.
NEW_RULE = """\
enabled: true
when:
  public: true
  sentiment: [negative]
then:
  - tag: complaint
  - priority: high
stop: false
"""
#: How long a typed rule may be (a rule with two answers in two languages is about 1,500 characters).
MAX_TEXT = 20_000


class RuleTextError(Exception):
    """The typed text is not a rule's value; the message says where, in the reader's language."""


@dataclass
class RuleForm:
    """The editor as shown: the rule's name, its text as typed, and the problems with them."""

    name: str = ""
    text: str = NEW_RULE
    days: str = "7"
    problems: list[str] = field(default_factory=list)
    #: Problems that are about the name (the page puts them beside the name's input).
    name_problems: list[str] = field(default_factory=list)
    #: The small form's fields as sent (``q-…``: values), shown again as they were.
    quick: dict[str, list[str]] = field(default_factory=dict)


def to_text(value: Any) -> str:
    """A stored rule's value for the text area (its name is the address, so it is left out)."""
    shown = {k: v for k, v in value.items() if k != "name"} if isinstance(value, dict) else value
    return yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def parse(text: str, lang: Lang) -> dict[str, Any]:
    """The typed text as a rule's value (a mapping), or RuleTextError naming line and column."""
    if len(text) > MAX_TEXT:
        raise RuleTextError(t("rules.not_mapping", lang, what=f"> {MAX_TEXT}"))
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleTextError(
            t(
                "rules.bad_yaml",
                lang,
                line=mark.line + 1 if mark else "?",
                column=mark.column + 1 if mark else "?",
                problem=problem,
            )
        ) from None
    if not isinstance(value, dict):
        what = "nothing" if value is None else type(value).__name__
        raise RuleTextError(t("rules.not_mapping", lang, what=what))
    return {str(k): v for k, v in value.items()}


def rule_of(name: str, value: dict[str, Any]) -> RuleConfig:
    """An unsaved rule for a dry run, checked exactly as saving it would check it (ConfigError
    naming the field: ``inbox.rules[name=x].then[0]: …``)."""
    return RuleConfig.model_validate(check_item(Kind.RULES, name, value))


# --------------------------------------------------------------------------------------------
# The small form: the common conditions and actions as fields, for people who do not write YAML

#: The fields of the small form (``q-`` names), each kept as typed when the form comes back.
QUICK_FIELDS = (
    "q-public",
    "q-sentiment",
    "q-channel",
    "q-query",
    "q-insult",
    "q-tag",
    "q-priority",
    "q-assign",
    "q-ticket",
    "q-hide",
    "q-stop",
)


def quick_value(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """The rule's value from the small form's fields (empty ones left out); the configuration
    then checks it like a typed rule, so a wrong score or address is named by its field."""

    def one(name: str) -> str:
        values = fields.get(name) or [""]
        return values[0].strip()

    when: dict[str, Any] = {}
    if one("q-public") in ("true", "false"):
        when["public"] = one("q-public") == "true"
    for key in ("sentiment", "channel"):
        chosen = [v for v in fields.get(f"q-{key}", []) if v.strip()]
        if chosen:
            when[key] = chosen
    if one("q-query"):
        when["query"] = one("q-query")
    if one("q-insult"):
        when["insult_score_at_least"] = _number(one("q-insult"))
    then: list[dict[str, Any]] = []
    for key in ("tag", "priority", "assign"):
        if one(f"q-{key}"):
            then.append({key: one(f"q-{key}")})
    for key in ("ticket", "hide"):
        if one(f"q-{key}") == "true":
            then.append({key: True})
    value: dict[str, Any] = {"enabled": True}
    if when:
        value["when"] = when
    value["then"] = then
    value["stop"] = one("q-stop") == "true"
    return value


def _number(text: str) -> float | str:
    """A score as typed: "0.85", "0,85" or "85 %" (a share), else the text for the model to refuse."""
    cleaned = text.replace(",", ".").replace("%", "").strip()
    try:
        number = float(cleaned)
    except ValueError:
        return text
    return number / 100 if "%" in text or number > 1 else number

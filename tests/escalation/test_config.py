"""Bad escalation configuration is refused at load time, naming the file, the path and the problem."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisisdesk.core.errors import ConfigError
from crisisdesk.escalation.config import WorkingHours
from crisisdesk.workspace import parse_config

BASE = """
notify:
  targets:
    room: {kind: slack, webhook_url: "https://hooks.example.org/x"}
people:
  anna: {name: Anna, targets: [room]}
roles:
  crisis_lead: [anna]
"""


@pytest.mark.parametrize(("extra", "expected"), [
    ("escalation:\n  policies:\n    - severity: 2\n      steps:\n        - notify: ['role:legal']\n",
     "escalation.policies[0].steps[0].notify[0]: unknown role 'legal'"),
    ("escalation:\n  policies:\n    - severity: 2\n      steps:\n        - notify: []\n",
     "escalation.policies[0].steps[0].notify"),
    ("escalation:\n  policies:\n    - severity: 2\n      steps:\n        - notify: ['lead']\n",
     "write role:NAME, person:NAME or target:NAME"),
    ("escalation:\n  policies:\n    - severity: 2\n      steps: []\n", "escalation.policies[0].steps"),
    ("escalation:\n  policies:\n    - severity: 5\n      steps:\n        - notify: ['role:crisis_lead']\n",
     "escalation.policies[0].severity"),
    ("escalation:\n  policies:\n    - severity: 2\n      steps:\n        - {notify: ['person:bob']}\n",
     "unknown person 'bob'"),
    ("escalation:\n  policies:\n    - severity: 2\n      steps:\n        - {notify: ['target:pager']}\n",
     "unknown target 'pager'"),
    ("escalation:\n  policies:\n    - severity: 2\n      steps:\n"
     "        - {notify: ['role:crisis_lead'], wait_minutes: 0}\n", "wait_minutes"),
])
def test_bad_escalation_is_refused_with_its_place(extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(BASE + extra, path="team/crisisdesk.yaml")
    assert str(exc.value).startswith("team/crisisdesk.yaml")
    assert expected in str(exc.value), str(exc.value)


@pytest.mark.parametrize(("yaml_text", "expected"), [
    ("people:\n  anna: {name: Anna, targets: [pager]}\n", "people.anna.targets[0]: unknown target 'pager'"),
    ("roles:\n  legal: [zoe]\n", "roles.legal[0]: unknown person 'zoe'"),
    ("roles:\n  legal: []\n", "roles.legal: nobody holds this role"),
    ("notify:\n  targets:\n    room: {kind: slack, webhook_url: 'https://x.example'}\npeople:\n"
     "  anna:\n    name: Anna\n    targets: [room]\n    working_hours: {timezone: Mars/Olympus}\n",
     "unknown time zone"),
    ("playbook:\n  levels:\n    - {level: 1, name_en: a, name_de: b, when: [{reach: -1}]}\n", "below 0"),
])
def test_bad_people_roles_and_thresholds(yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(yaml_text, path="ws.yaml")
    assert expected in str(exc.value), str(exc.value)


def test_a_good_configuration_loads() -> None:
    config = parse_config(BASE + "escalation:\n  policies:\n    - severity: 1\n      steps:\n"
                                 "        - {notify: ['role:crisis_lead', 'target:room'], wait_minutes: 5}\n",
                          path="x.yaml")
    assert config.escalation.policy_for(3) is not None and config.escalation.policy_for(3).severity == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(("at", "covered"), [
    (datetime(2026, 11, 2, 8, 30, tzinfo=UTC), True),   # Monday 09:30 in Berlin
    (datetime(2026, 11, 2, 7, 30, tzinfo=UTC), False),  # Monday 08:30 in Berlin
    (datetime(2026, 11, 7, 10, 0, tzinfo=UTC), False),  # Saturday
])
def test_working_hours_are_local_time(at: datetime, covered: bool) -> None:
    hours = WorkingHours(start="09:00", end="17:00", timezone="Europe/Berlin")
    assert hours.covers(at) is covered


def test_night_shifts_span_midnight() -> None:
    night = WorkingHours(days=["fri"], start="22:00", end="06:00", timezone="UTC")
    assert night.covers(datetime(2026, 11, 6, 23, 0, tzinfo=UTC))  # Friday 23:00
    assert night.covers(datetime(2026, 11, 7, 3, 0, tzinfo=UTC))  # Saturday 03:00, Friday's shift
    assert not night.covers(datetime(2026, 11, 7, 23, 0, tzinfo=UTC))  # Saturday night

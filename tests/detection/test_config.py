"""Bad detection or playbook configuration is refused at load time, with its place in the file."""

from __future__ import annotations

import pytest

from crisisdesk.core.errors import ConfigError
from crisisdesk.detection.config import DEFAULT_LEVELS, PlaybookConfig, Signal
from crisisdesk.detection.severity import Signals, rate
from crisisdesk.workspace import parse_config


@pytest.mark.parametrize(("yaml_text", "expected"), [
    ("playbook:\n  levels:\n    - {level: 1, name_en: w, name_de: b, when: [{volum_ratio: 2}]}\n",
     "playbook.levels[0].when[0].volum_ratio"),
    ("playbook:\n  levels:\n    - {level: 1, name_en: w, name_de: b, when: [{negative_share: 1.5}]}\n",
     "negative_share: 1.5 is a share"),
    ("playbook:\n  levels:\n    - {level: 1, name_en: w, name_de: b, when: [{posts: -3}]}\n",
     "below 0"),
    ("playbook:\n  levels:\n    - {level: 1, name_en: w, name_de: b, when: [{}]}\n", "is empty"),
    ("playbook:\n  levels:\n    - {level: 2, name_en: w, name_de: b, when: [{posts: 3}]}\n",
     "levels must be 1, 2"),
    ("detection:\n  min_ratio: 0.5\n", "detection.min_ratio"),
    ("detection:\n  method: magic\n", "detection.method"),
    ("detection:\n  high_risk_terms: ['\"unclosed']\n", "high_risk_terms[0]"),
])
def test_bad_configuration_names_the_place(yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(yaml_text, path="ws/crisisdesk.yaml")
    assert "ws/crisisdesk.yaml" in str(exc.value)
    assert expected in str(exc.value)


def test_defaults_load_and_name_levels_in_both_languages() -> None:
    config = parse_config("monitors: []\n", path="x.yaml")
    assert [lv.level for lv in config.playbook.levels] == [1, 2, 3, 4]
    assert config.playbook.name(3, "de") == "Krise"
    assert config.playbook.name(3, "en") == "crisis"


def _signals(**values: float) -> Signals:
    return Signals({Signal(k): v for k, v in values.items()})


@pytest.mark.parametrize(("signals", "level", "reason"), [
    (_signals(volume_ratio=1.2, posts=30), 1, "detector"),
    (_signals(volume_ratio=2.5, posts=30, negative_share=0.1), 1, "volume_ratio 2.5 ≥ 2"),
    (_signals(volume_ratio=3.5, negative_share=0.45, posts=40), 2, "negative_share 0.45 ≥ 0.4"),
    (_signals(volume_ratio=6, negative_share=0.55, reach=150_000, posts=80), 3, "reach 150000 ≥ 100000"),
    (_signals(volume_ratio=6, negative_share=0.55, channels=3, posts=80), 3, "channels 3 ≥ 3"),
    (_signals(volume_ratio=12, negative_share=0.7, reach=2_000_000, posts=500), 4, "reach 2,000,000"),
])
def test_severity_is_the_highest_level_reached_and_says_why(signals: Signals, level: int,
                                                            reason: str) -> None:
    rating = rate(signals, PlaybookConfig(levels=list(DEFAULT_LEVELS)), floor=1, floor_reason="detector")
    assert rating.level == level
    assert any(reason in r for r in rating.reasons), rating.reasons


def test_a_custom_playbook_changes_the_level() -> None:
    config = parse_config(
        "playbook:\n  levels:\n"
        "    - {level: 1, name_en: watch, name_de: Beobachten, when: [{posts: 1}]}\n"
        "    - {level: 2, name_en: alarm, name_de: Alarm, when: [{negative_share: 0.2, posts: 10}]}\n",
        path="x.yaml")
    rating = rate(_signals(posts=12, negative_share=0.25), config.playbook)
    assert rating.level == 2 and config.playbook.name(2, "en") == "alarm"

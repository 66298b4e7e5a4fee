"""Shared wording in German and English."""

from __future__ import annotations

import pytest

from crisisdesk.notify import NotificationKind, render
from crisisdesk.notify.render import STRINGS
from tests.notify.samples import notification


def test_both_languages_have_the_same_keys() -> None:
    assert set(STRINGS["de"]) == set(STRINGS["en"])


@pytest.mark.parametrize(
    ("lang", "kind", "headline", "ack", "reach"),
    [
        ("de", NotificationKind.OPENED, "Kritisch · Neue Lage: Zugausfälle rund um Berlin",
         "Alarm bestätigen: https://crisisdesk.example/ack/42?t=abc&step=1", "Reichweite 12.345"),
        ("en", NotificationKind.ESCALATED, "Critical · Situation escalated: Zugausfälle rund um Berlin",
         "Acknowledge this alert: https://crisisdesk.example/ack/42?t=abc&step=1", "reach 12,345"),
    ],
)
def test_plain_text_in_each_language(
    lang: str, kind: NotificationKind, headline: str, ack: str, reach: str
) -> None:
    n = notification(lang=lang, kind=kind)
    text = render.plain_text(n)
    assert text.startswith(headline + "\n")
    assert ack in text
    assert reach in text
    assert ("Warum dieser Schweregrad:" in text) == (lang == "de")
    assert ("Why this severity:" in text) == (lang == "en")
    assert "2026-03-02 07:40 UTC" in text


@pytest.mark.parametrize(("lang", "line", "label"), [("en", "The situation: ", "Open the situation"),
                                                      ("de", "Zur Lage: ", "Lage öffnen")])
def test_a_resolved_notice_opens_the_situation_instead_of_acknowledging(lang: str, line: str,
                                                                        label: str) -> None:
    n = notification(lang=lang, kind=NotificationKind.RESOLVED, ack_url="https://crisisdesk.example/situations/42")
    text = render.plain_text(n)
    assert f"{line}https://crisisdesk.example/situations/42" in text
    assert "Acknowledge this alert" not in text and "Alarm bestätigen" not in text
    assert render.action_label(n) == label


def test_severity_labels_and_override() -> None:
    assert [render.severity_label(notification(severity=s, lang="en")) for s in (1, 2, 3, 4)] == [
        "Low", "Elevated", "High", "Critical"]
    assert render.severity_label(notification(severity_label="Shitstorm")) == "Shitstorm"


def test_clip() -> None:
    assert render.clip("a  b\n c", 10) == "a b c"
    assert render.clip("abcdefghij", 5) == "abcd…"

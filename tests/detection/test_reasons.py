"""Why a severity, said in German and English from the data detection stores."""

from __future__ import annotations

from typing import Any

from crisisdesk.detection.reasons import describe, note_text

NOTES: list[dict[str, Any]] = [
    {"kind": "volume", "posts": 42, "minutes": 60, "ratio": 6.49, "expected": 6.47, "z": 7.21},
    {"kind": "negativity", "share": 0.62, "usual": 0.2, "z": 6.5},
    {"kind": "sustained", "ratio": 2.5, "hours": 4, "posts": 120, "expected": 48.0, "cusum": 6.8,
     "threshold": 6.0},
    {"kind": "keyword", "terms": ["rückruf", "data breach"]},
    {"kind": "influencer", "count": 3},
]


def test_every_note_reads_in_both_languages() -> None:
    english = [note_text(n, "en") for n in NOTES]
    assert english == [
        "volume 42 posts in 60 min, 6.5× the expected 6.5 (z 7.2)",
        "negative share 62% vs usual 20% (z 6.5)",
        "sustained rise: 2.5× expected for 4 h (120 posts vs 48.0; CUSUM 6.8 ≥ 6)",
        "high-risk terms: rückruf, data breach",
        "3 negative posts by influential authors",
    ]
    german = [note_text(n, "de") for n in NOTES]
    assert german[0] == "Volumen: 42 Beiträge in 60 Min., 6,5-fach der erwarteten 6,5 (z 7,2)"
    assert german[1] == "Anteil negativ 62 % statt üblich 20 % (z 6,5)"
    assert german[2].startswith("anhaltender Anstieg: 2,5-fach des Erwarteten seit 4 Std.")
    assert german[3] == "Risikobegriffe: rückruf, data breach"
    assert german[4] == "3 negative Beiträge einflussreicher Accounts"


def test_a_note_stored_as_text_by_an_older_version_stays_as_it_is() -> None:
    assert note_text("volume 42 posts in 60 min", "de") == "volume 42 posts in 60 min"
    detail = {"severity": 1, "level": 0, "signals": [], "notes": ["old text", NOTES[4]]}
    said = describe(detail, "de", lambda level: "")
    assert said == ["old text", "3 negative Beiträge einflussreicher Accounts"]
    assert describe(None, "en", lambda level: "") == []

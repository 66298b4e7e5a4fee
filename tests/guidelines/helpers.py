"""What the table tests share: the codes a reply gets, and the words a finding points at."""

from __future__ import annotations

from crisisdesk.guidelines import Finding, Lang, check


def run(text: str, lang: Lang, *, name: str | None = None, apology: bool = True) -> list[Finding]:
    findings = check(text, lang, name=name, apology_expected=apology)
    for f in findings:
        assert 0 <= f.start <= f.end <= len(text), f
        assert f.message and f.suggestion, f
    return findings


def codes(text: str, lang: Lang, *, name: str | None = None, apology: bool = True) -> set[str]:
    return {f.code.value for f in run(text, lang, name=name, apology=apology)}


def words(text: str, lang: Lang, code: str, *, name: str | None = None, apology: bool = True) -> list[str]:
    """The passages of ``text`` that findings of ``code`` point at."""
    return [
        text[f.start : f.end] for f in run(text, lang, name=name, apology=apology) if f.code.value == code
    ]

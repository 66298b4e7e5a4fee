"""Reply guidelines: does a reply blame, excuse, half-apologise, or miss an apology, empathy,
the person's name, a next step or a time frame? Rules per language (German, English); see
``docs/guidelines.md``."""

from __future__ import annotations

from crisisdesk.guidelines.checker import Check, check, check_reply, detect_lang
from crisisdesk.guidelines.codes import LANGS, Code, Finding, Lang

__all__ = ["LANGS", "Check", "Code", "Finding", "Lang", "check", "check_reply", "detect_lang"]

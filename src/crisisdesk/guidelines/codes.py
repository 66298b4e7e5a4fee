"""What the reply guideline checker can say about a reply: the codes and one finding.

The codes are the promise to the API, the CLI's ``--json`` and the web page: they are stable
strings, so a client can count, filter or translate them without parsing the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Lang = Literal["de", "en"]
LANGS: tuple[Lang, ...] = ("de", "en")


class Code(StrEnum):
    """One guideline a reply breaks (see ``docs/guidelines.md`` for what each one means)."""

    BLAME = "blame"
    EXCUSE = "excuse"
    CONDITIONAL_APOLOGY = "conditional_apology"
    NO_APOLOGY = "no_apology"
    NO_EMPATHY = "no_empathy"
    NO_NAME = "no_name"
    NO_NEXT_STEP = "no_next_step"
    NO_TIMELINE = "no_timeline"
    HOSTILE = "hostile"


#: Codes that point at words in the reply; the others say that something is missing, and their
#: span is the whole reply (or, for ``no_name`` and ``no_timeline``, the greeting or the promise).
PRESENT_CODES: frozenset[Code] = frozenset({Code.BLAME, Code.EXCUSE, Code.CONDITIONAL_APOLOGY, Code.HOSTILE})


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where it is (character offsets into the reply as given, ``end`` exclusive),
    what is wrong and what to write instead, both in the reply's language."""

    code: Code
    message: str
    start: int
    end: int
    suggestion: str

    def as_dict(self) -> dict[str, str | int]:
        """The JSON shape the CLI and the API share."""
        return {
            "code": self.code.value,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "suggestion": self.suggestion,
        }

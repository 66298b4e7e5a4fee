"""The shapes every dataset loader shares: one ``Example``, one ``LoadReport``, one text clean-up.

The public labelled sets come in six formats with six label vocabularies. Models, evaluation and
reports should not have to know any of that, so every loader maps its rows onto ``Example`` with
the task's one vocabulary (``Sentiment``, ``Offense`` + ``OffenseKind``, complaint names) and
puts whatever else the source knows into ``extra``. Import from ``crisisdesk.training.datasets``;
this module only exists to keep the loaders and the splitter free of import cycles.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from crisisdesk.core.errors import CrisisdeskError

__all__ = [
    "NO_COMPLAINT",
    "DataFormatError",
    "DataNotFoundError",
    "Example",
    "LoadReport",
    "Offense",
    "OffenseKind",
    "Sentiment",
    "clean_text",
    "has_undecodable",
    "read_text",
]


class DataNotFoundError(CrisisdeskError):
    """The data folder or one of its files is missing; the message says where we looked."""


class DataFormatError(CrisisdeskError):
    """A whole file is unusable (not well-formed XML, header without the needed columns).

    Single bad rows never raise this: they are skipped and counted in the ``LoadReport``.
    """


class Sentiment(StrEnum):
    """Document sentiment, the one vocabulary of the sentiment task."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Offense(StrEnum):
    """Coarse label of the insult task (GermEval's OFFENSE/OTHER, OLID's OFF/NOT)."""

    OFFENSE = "offense"
    NONE = "none"


class OffenseKind(StrEnum):
    """Fine kind of an offence, after the GermEval 2018 guidelines.

    ``abuse`` attacks a group or a person for belonging to one, ``insult`` degrades an
    individual, ``profanity`` is swearing that targets no one. Stored in ``extra`` as ``kind``.
    """

    INSULT = "insult"
    ABUSE = "abuse"
    PROFANITY = "profanity"


NO_COMPLAINT = "none"
"""Complaint label of an item that complains about nothing (a positive tweet, an off-topic doc)."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text, whatever set it came from.

    ``extra`` is a tuple of pairs rather than a dict so that examples stay hashable and a key may
    repeat (GermEval 2017 documents name several aspects).
    """

    text: str
    label: str
    lang: str
    source: str
    created_at: datetime | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str | None:
        """The first value stored under ``key`` in ``extra``, or None."""
        for k, v in self.extra:
            if k == key:
                return v
        return None

    def get_all(self, key: str) -> tuple[str, ...]:
        """Every value stored under ``key`` (aspect categories are multi-valued)."""
        return tuple(v for k, v in self.extra if k == key)


MAX_REASONS = 5


@dataclass(slots=True)
class LoadReport:
    """What a loader did with the rows it read, so that silent data loss cannot happen.

    ``skipped`` counts malformed rows (wrong column count, unknown label, empty text, bad bytes);
    ``dropped`` counts rows left out on purpose (duplicates, conflicting copies, irrelevant
    documents when asked). Always ``rows_read == kept + skipped + sum(dropped.values())``.
    """

    source: str
    rows_read: int = 0
    kept: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    skip_counts: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    def skip(self, where: str, reason: str) -> None:
        """Count a malformed row; the first few keep their location for the error message."""
        self.skipped += 1
        self.skip_counts[reason] += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(f"{where}: {reason}")

    def drop(self, why: str, n: int = 1) -> None:
        self.dropped[why] += n

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.kept + self.skipped + sum(self.dropped.values())

    def summary(self) -> str:
        parts = [f"{self.source}: read {self.rows_read}, kept {self.kept}, skipped {self.skipped}"]
        parts.extend(f"dropped {n} ({why})" for why, n in sorted(self.dropped.items()))
        text = ", ".join(parts)
        if self.reasons:
            text += "; first problems: " + "; ".join(self.reasons)
        return text


# Only entities closed by ";": html.unescape alone would also turn the legacy forms without it
# into characters ("&not" in "&nothing" -> "¬hing").
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_UNDECODABLE_RE = re.compile("[\udc80-\udcff]")


def clean_text(raw: str) -> str:
    """The text a model should see: HTML entities decoded, line ends unified, ends stripped.

    All of the sets keep some text HTML-escaped as the Twitter API delivered it (``&amp;``,
    Davidson even ``&#128514;`` for emoji) while live posts reach crisisdesk decoded; training on
    the escaped form would teach the models a spelling they never meet.
    """
    text = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), raw)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def has_undecodable(text: str) -> bool:
    """True when ``text`` holds bytes that were not UTF-8 (see ``read_text``)."""
    return _UNDECODABLE_RE.search(text) is not None


def read_text(path: Path) -> str:
    """A data file as text, without letting one bad byte fail the whole file.

    Invalid UTF-8 survives as lone surrogates (``surrogateescape``), so the row that holds it can
    be skipped and counted via ``has_undecodable`` while its neighbours load.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataNotFoundError(f"{path} is missing; see the data README for what belongs there") from None
    text = data.decode("utf-8", errors="surrogateescape")
    return text.removeprefix("\ufeff")

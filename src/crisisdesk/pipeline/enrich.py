"""The enrich hook: where analysis (language, sentiment, insults, complaint types) plugs in.

The foundation ships no analysis; :class:`NoEnrichment` keeps the stage a safe no-op so the
pipeline's shape does not change when a later issue fills it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from crisisdesk.pipeline.events import NormalizedPost


class Enricher(Protocol):
    """Adds facts to a batch of posts; returns one dict per post, in order."""

    name: str

    def enrich(self, posts: Sequence[NormalizedPost]) -> list[dict[str, Any]]: ...


class NoEnrichment:
    """The empty enricher: adds nothing."""

    name = "none"

    def enrich(self, posts: Sequence[NormalizedPost]) -> list[dict[str, Any]]:
        return [{} for _ in posts]

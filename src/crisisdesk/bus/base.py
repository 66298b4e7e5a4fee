"""The bus interface the pipeline runner speaks.

Embedded mode uses the in-process bus; multi-process deployments put Redis Streams behind the
same protocol (a later issue). Messages are plain JSON-able dicts so that no stage can come to
depend on sharing memory with another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Message = dict[str, Any]

#: Raw items waiting for the ingest pipeline.
INGEST_TOPIC = "ingest.raw"
#: Everything the pipeline emits (post.ingested now; alert.* in later issues).
EVENTS_TOPIC = "events"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message handed to one consumer group; ``id`` is what that group acknowledges."""

    id: str
    message: Message


class Bus(Protocol):
    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        """Append messages to a topic; every consumer group sees each message once."""

    def subscribe(self, topic: str, group: str) -> None:
        """Create a consumer group that sees messages published from now on."""

    def has_subscribers(self, topic: str) -> bool:
        """Whether any group listens; publishers may skip building messages nobody will read."""

    def read(self, topic: str, group: str, *, max_count: int = 1000) -> list[Delivery]:
        """Next messages for the group (at most ``max_count``); empty when nothing is waiting."""

    def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        """Mark deliveries done, so that they are not handed out again."""

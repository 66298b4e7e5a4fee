"""The inbox's refusals, with the HTTP status an API or page answers them with."""

from __future__ import annotations

from crisisdesk.core.errors import CrisisdeskError


class InboxError(CrisisdeskError):
    """A request the inbox refuses; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status

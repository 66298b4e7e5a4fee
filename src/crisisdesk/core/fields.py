"""Values as they arrive over HTTP (a path, a query or a JSON body), typed so that what cannot be
right is a 422 naming the parameter, and the OpenAPI description says what is accepted.

* :data:`Id` (path and query parameters: text, converted) and :data:`StrictId` (JSON bodies, where
  ``true`` or ``"5"`` must not pass for an id): 1 to ``2**63 - 1``. Keys are 64-bit
  (``db.BigIntKey``), so a larger id names nothing; as a plain ``int`` it reached the driver and
  overflowed there (a 500).
* :data:`Text`: free text that is stored; a NUL character is refused.
* :data:`IsoDateTime`: an ISO 8601 date-time only. Pydantic alone also reads a bare number such as
  ``0.5`` as seconds since 1970, which nobody means in a query string.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictInt

#: The largest value a 64-bit signed key column holds (PostgreSQL BIGINT, SQLite INTEGER).
MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
StrictId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected an ISO 8601 date-time such as 2026-12-01T09:00:00Z, not a number")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def only_booleans(value: Any) -> Any:
    """Before a ``Literal[True]`` (which cannot be marked strict): ``1`` equals ``True`` in Python
    and would pass for it."""
    if not isinstance(value, bool):
        raise ValueError("expected a JSON boolean (true or false)")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000), which no text may hold")
    return value


#: Free text that is stored (a reason, a note, a reply): PostgreSQL's text refuses NUL characters,
#: so they are a 422 naming the field here instead of a 500 from the driver.
Text = Annotated[str, AfterValidator(_no_nul)]

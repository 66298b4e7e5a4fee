"""Database ids as they arrive over HTTP: in a path, a query or a JSON body.

Keys are 64-bit (``db.BigIntKey``), so an id past ``2**63 - 1`` can name nothing; left as a plain
``int`` it reaches the driver and overflows there (a 500). Declared with these types it is a 422
that names the parameter, and the OpenAPI description says the range. Use :data:`Id` for path and
query parameters (text, converted) and :data:`StrictId` in request bodies, where ``true`` or
``"5"`` must not pass for an id.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

#: The largest value a 64-bit signed key column holds (PostgreSQL BIGINT, SQLite INTEGER).
MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
StrictId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

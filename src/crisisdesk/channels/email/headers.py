"""Reading a mail's headers without tripping over real mail's broken ones.

The standard library's modern parser (``policy.default``) turns a header into a structured object
when it is read, and some malformed values (an unbalanced quote in an address, a stray encoded
word) make that raise instead of registering a defect. A mail must never be lost for one odd
header: where the structured reading fails, the header's raw text is used.
"""

from __future__ import annotations

import re
from email.message import Message

_ID = re.compile(r"<([^<>\s]+)>")


def header(message: Message, name: str) -> str:
    """The header's value as text ("" when absent); its raw text where parsing it fails."""
    try:
        value = message.get(name)
    except (IndexError, ValueError, TypeError, LookupError, AttributeError):
        value = next((raw for key, raw in message.raw_items() if key.lower() == name.lower()), None)
    return "" if value is None else str(value)


def message_ids(value: str | None) -> list[str]:
    """The Message-IDs named in a header (``<id>`` each), without the angle brackets."""
    return _ID.findall(value or "")

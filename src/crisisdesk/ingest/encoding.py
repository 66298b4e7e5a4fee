"""Which text encoding a file is in: given with ``--encoding``, else told by its bytes, and said.

Exports arrive in what the tool that wrote them used: UTF-8 (with or without a byte order mark),
UTF-16 (Windows tools, PowerShell redirects) or Windows-1252 (German Excel's "CSV (Trennzeichen-
getrennt)"). Reading one as another loses every line or stores broken umlauts, so the importer
decides once per file and tells the user whenever it was anything but plain UTF-8. It never
guesses silently.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from crisisdesk.core.errors import CrisisdeskError

_SAMPLE = 64 * 1024
_CHUNK = 1024 * 1024
#: A complete UTF-8 sequence of two to four bytes (what cp1252 text almost never forms by chance).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class TextEncoding:
    """How a file is decoded: ``codec`` for Python, ``label`` for people, ``note`` when worth saying."""

    codec: str
    label: str
    note: str | None = None

    @property
    def is_utf8(self) -> bool:
        return self.codec in ("utf-8", "utf-8-sig")


UTF8 = TextEncoding("utf-8", "UTF-8")


def named(encoding: str) -> TextEncoding:
    """The encoding given with ``--encoding``; UTF-8 also skips a byte order mark."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise CrisisdeskError(
            f"--encoding {encoding!r}: unknown encoding; use for example utf-8, utf-16 or cp1252"
        ) from None
    if info.name == "utf-8":
        return UTF8
    if info.name in ("utf-16", "utf-32"):
        return TextEncoding(info.name, info.name.upper())
    return TextEncoding(info.name, encoding)


def utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when every other byte is 0, as in mostly Latin UTF-16 text."""
    head = sample[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 3 * even:
        return "utf-16-le"
    if even > 3 * odd:
        return "utf-16-be"
    return None


def looks_like(data: bytes, what: str = "file") -> str | None:
    """A hint for bytes that are not UTF-8: what they look like, and the option that reads them."""
    guess = utf16_without_bom(data)
    if guess:
        return f"the {what} looks like {guess.upper()}: pass --encoding {guess}"
    if _NON_ASCII.search(data) and not _UTF8_SEQUENCE.search(data):
        return f"the {what} looks like cp1252 (Windows-1252, as Excel writes it): pass --encoding cp1252"
    return None


class Hints:
    """Why lines of a file are not UTF-8: from the file's start (a wide encoding shows there;
    lines split at ``\\n`` lose UTF-16's byte pairing), else from the line itself. The start is
    read once, at the first bad line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._head: bytes | None = None

    def __call__(self, line: bytes) -> str | None:
        if self._head is None:
            with self.path.open("rb") as f:
                self._head = f.read(_SAMPLE)
        return looks_like(self._head) or looks_like(line, "line")


def _from_bom(head: bytes) -> TextEncoding | None:
    if head.startswith(codecs.BOM_UTF8):
        return UTF8
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TextEncoding("utf-16", "UTF-16", "read as UTF-16 (the file starts with its byte order mark)")
    return None


def _first_non_ascii(path: Path) -> tuple[int, bytes] | None:
    """Offset of the first byte above 127 and the bytes from there (up to 64 KB); None if ASCII."""
    with path.open("rb") as f:
        offset = 0
        while chunk := f.read(_CHUNK):
            if not chunk.isascii():
                m = _NON_ASCII.search(chunk)
                assert m is not None
                start = m.start()
                window = chunk[start:start + _SAMPLE]
                if len(window) < _SAMPLE:
                    window += f.read(_SAMPLE - len(window))
                return offset + start, window
            offset += len(chunk)
    return None


def detect(path: Path, *, fallback_cp1252: bool) -> TextEncoding:
    """The file's encoding from its bytes.

    A byte order mark decides first (UTF-8, UTF-16); then UTF-16 without one (every other byte
    0). Otherwise UTF-8, unless ``fallback_cp1252`` (CSV) and the first non-ASCII bytes do not
    form UTF-8: then Windows-1252, with a note. JSON Lines stay UTF-8 (RFC 8259), so a stray
    broken line there is refused on its own rather than changing how the whole file is read.
    """
    with path.open("rb") as f:
        head = f.read(_SAMPLE)
    bom = _from_bom(head)
    if bom is not None:
        return bom
    guess = utf16_without_bom(head)
    if guess:
        return TextEncoding(guess, guess.upper(),
                            f"read as {guess.upper()}: no byte order mark, but every other byte is 0 "
                            f"as in UTF-16; pass --encoding to choose another")
    if not fallback_cp1252:
        return UTF8
    found = _first_non_ascii(path)
    if found is None:
        return UTF8
    offset, window = found
    multibyte = sum(len(m.group()) for m in _UTF8_SEQUENCE.finditer(window))
    if multibyte * 2 >= len(_NON_ASCII.findall(window)):
        return UTF8
    return TextEncoding(
        "cp1252", "cp1252",
        f"read as cp1252 (Windows-1252, as Excel writes CSV): the text is not UTF-8 (first at byte "
        f"{offset}); pass --encoding to choose another (e.g. --encoding latin-1)",
    )


def choose(path: Path, explicit: str | None, *, fallback_cp1252: bool) -> TextEncoding:
    """``--encoding`` when given, else :func:`detect`."""
    return named(explicit) if explicit else detect(path, fallback_cp1252=fallback_cp1252)

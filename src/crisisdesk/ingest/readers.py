"""Readers: turn a file into raw items (or rejections) with the line each came from.

Readers do not validate posts (the normalize stage does, for every source alike); they only deal
with what is specific to the file: bytes, encodings, CSV columns, time formats.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.ingest.encoding import UTF8, Hints, TextEncoding
from crisisdesk.pipeline.events import RawItem, Rejection, jsonable
from crisisdesk.posts.schemas import MAX_COUNT

ReadResult = RawItem | Rejection
Progress = Callable[[int], None]  # bytes read so far

#: Canonical fields a CSV column can be mapped to.
CSV_FIELDS = (
    "platform", "id", "created_at", "text", "kind", "lang", "url", "in_reply_to", "conversation_id",
    "channel", "author.id", "author.handle", "author.name", "author.followers", "author.verified",
    "metrics.likes", "metrics.shares", "metrics.replies", "metrics.views", "metrics.saves",
)
_INT_FIELDS = {"author.followers", "metrics.likes", "metrics.shares", "metrics.replies", "metrics.views",
               "metrics.saves"}
_TRUE = {"1", "true", "yes", "y", "ja", "wahr", "t"}
_FALSE = {"0", "false", "no", "n", "nein", "falsch", "f", ""}


class InputError(CrisisdeskError):
    """The input as a whole cannot be read (missing file, bad column mapping)."""


def detect_format(path: Path, explicit: str | None) -> str:
    if explicit:
        if explicit not in ("jsonl", "csv"):
            raise InputError(f"unknown --format {explicit!r}: use jsonl or csv")
        return explicit
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise InputError(f"{path}: cannot tell the format from the name; pass --format jsonl or --format csv")


def read_jsonl(path: Path, *, encoding: TextEncoding = UTF8,
               progress: Progress | None = None) -> Iterator[ReadResult]:
    """One raw item per non-blank line; a line that is not valid text becomes a rejection."""
    if not encoding.is_utf8:
        yield from _read_jsonl_text(path, encoding, progress)
        return
    source = str(path)
    done = 0
    hint_for = Hints(path)
    with path.open("rb") as f:
        for lineno, line in enumerate(f, start=1):
            done += len(line)
            if progress is not None and lineno % 1000 == 0:
                progress(done)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                hint = hint_for(line)
                reason = f"invalid UTF-8 at byte {exc.start}" + (f" ({hint})" if hint else "")
                yield Rejection(source, lineno, reason, line.decode("utf-8", "replace").rstrip("\r\n"))
                continue
            if lineno == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text.strip():
                continue
            if "\x00" in text:  # never in JSON text; a wide encoding read as UTF-8
                hint = hint_for(line)
                yield Rejection(source, lineno, "NUL bytes in the line" + (f" ({hint})" if hint else ""),
                                text.replace("\x00", "").rstrip("\r\n"))
                continue
            yield RawItem(source, lineno, text.rstrip("\r\n"))
    if progress is not None:
        progress(done)


def _read_jsonl_text(path: Path, encoding: TextEncoding, progress: Progress | None) -> Iterator[ReadResult]:
    """JSON Lines in another encoding (UTF-16, cp1252, …): decoded as a stream, line by line."""
    source = str(path)
    with path.open("rb") as raw:
        f = io.TextIOWrapper(raw, encoding=encoding.codec, errors="surrogateescape", newline="")
        for lineno, line in enumerate(f, start=1):
            if progress is not None and lineno % 1000 == 0:
                progress(raw.tell())
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:]
            text = line.rstrip("\r\n")
            if _has_surrogates(text):
                yield Rejection(source, lineno, f"bytes that are not valid {encoding.label}", jsonable(text))
                continue
            if text.strip():
                yield RawItem(source, lineno, text)
        if progress is not None:
            progress(raw.tell())


@dataclass
class CsvOptions:
    """How CSV columns become canonical fields (``--map``, ``--time-format``, …)."""

    mapping: dict[str, str] = field(default_factory=dict)  # canonical field -> column
    time_format: str | None = None
    timezone: str = "UTC"
    platform: str | None = None  # when no column is mapped to platform
    delimiter: str | None = None


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["text=body", "created_at=date"]`` → ``{"text": "body", …}``, checked against CSV_FIELDS."""
    out: dict[str, str] = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not target or not column:
            raise InputError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. --map text=body")
        if target not in CSV_FIELDS:
            raise InputError(f"--map {pair!r}: unknown field {target!r}; fields: {', '.join(CSV_FIELDS)}")
        out[target] = column
    return out


def _tz(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"--timezone {name!r}: unknown time zone") from exc


def _parse_time(value: str, fmt: str | None, tz: tzinfo) -> str:
    value = value.strip()
    if fmt:
        dt = datetime.strptime(value, fmt)  # noqa: DTZ007 - naive results get the --timezone below
    else:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.isoformat()


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_csv(path: Path, options: CsvOptions, *, encoding: TextEncoding = UTF8,
             progress: Progress | None = None) -> Iterator[ReadResult]:
    """Rows mapped to canonical dicts. Without an id column, the id is a hash of time, author and text."""
    source = str(path)
    tz = _tz(options.timezone)
    codec = "utf-8-sig" if encoding.is_utf8 else encoding.codec
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
        sample = text.read(64 * 1024)
        text.seek(0)
        delimiter = options.delimiter
        if delimiter is None:
            try:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
            except csv.Error:  # e.g. one uneven row in the sample: let the header decide
                delimiter = max(",;\t|", key=sample.partition("\n")[0].count)
        reader = csv.DictReader(text, delimiter=delimiter)
        header = reader.fieldnames or []
        mapping = dict(options.mapping)
        for target in CSV_FIELDS:
            if target not in mapping and target in header:
                mapping[target] = target  # a column already named like the field needs no --map
        problems = [f"--map {t}={c}: no column {c!r}" for t, c in mapping.items() if c not in header]
        for required in ("text", "created_at"):
            if required not in mapping:
                problems.append(f"no column for {required!r}: add --map {required}=COLUMN")
        if "platform" not in mapping and options.platform is None:
            problems.append("no column for 'platform': add --map platform=COLUMN or --platform NAME")
        if problems:
            raise InputError(f"{path}: " + "; ".join(problems) + f" (columns: {', '.join(header)})")
        for count, row in enumerate(reader, start=1):
            lineno = reader.line_num
            if progress is not None and count % 1000 == 0:
                progress(raw.tell())
            item = _map_row(row, mapping, options, tz, encoding.label)
            if isinstance(item, str):
                yield Rejection(source, lineno, item, {k: v for k, v in row.items() if k is not None})
            else:
                yield RawItem(source, lineno, item)
        if progress is not None:
            progress(raw.tell())


def _map_row(row: Mapping[str | None, Any], mapping: Mapping[str, str], options: CsvOptions,
             tz: tzinfo, label: str) -> dict[str, Any] | str:
    if None in row:
        return f"{len(row[None])} more fields than the header has"
    out: dict[str, Any] = {}
    for target, column in mapping.items():
        value = row.get(column)
        if value is None:
            continue
        if _has_surrogates(value):
            return f"column {column!r}: bytes that are not valid {label}"
        if target == "created_at":
            try:
                value = _parse_time(value, options.time_format, tz)
            except ValueError as exc:
                return f"column {column!r} (created_at): cannot read time {value!r} ({exc})"
        elif target in _INT_FIELDS:
            cleaned = value.strip().replace(",", "").replace("_", "")
            if not cleaned:
                continue
            if not (cleaned.isascii() and cleaned.isdigit()):
                return f"column {column!r} ({target}): not a whole number: {value!r}"
            if len(cleaned.lstrip("0")) > len(str(MAX_COUNT)):  # int() of 5000 digits would raise
                shown = cleaned if len(cleaned) <= 20 else cleaned[:20] + "…"
                return f"column {column!r} ({target}): {shown} is over the limit of {MAX_COUNT}"
            value = int(cleaned)
        elif target == "author.verified":
            low = value.strip().lower()
            if not low:
                continue
            if low not in _TRUE | _FALSE:
                return f"column {column!r} (author.verified): not a yes/no value: {value!r}"
            value = low in _TRUE
        elif value == "" and target not in ("text",):
            continue
        head, _, tail = target.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[target] = value
    if "platform" not in out and options.platform:
        out["platform"] = options.platform
    if "id" not in out:
        author = out.get("author", {})
        basis = f"{out.get('created_at')}\x1f{author.get('id') or author.get('handle')}\x1f{out.get('text')}"
        out["id"] = "csv-" + hashlib.blake2b(basis.encode("utf-8", "replace"), digest_size=12).hexdigest()
    return out

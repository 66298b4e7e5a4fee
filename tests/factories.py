"""Small builders for canonical posts used across tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson


def post(n: int = 1, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform": "x",
        "id": f"p{n}",
        "created_at": f"2026-11-02T08:{n % 60:02d}:00+01:00",
        "text": f"Die Deutsche Bahn hat wieder Verspätung #{n}",
        "author": {"id": f"u{n % 7}", "handle": f"user{n % 7}", "name": f"User {n % 7}",
                   "followers": 10 * n, "verified": False},
        "kind": "post",
        "lang": "de",
        "metrics": {"likes": n, "shares": 0, "replies": 0, "views": 100},
    }
    data.update(overrides)
    return data


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """Rows may be dicts (written as JSON) or raw bytes/str lines written as they are."""
    with path.open("wb") as f:
        for row in rows:
            if isinstance(row, bytes):
                f.write(row + b"\n")
            elif isinstance(row, str):
                f.write(row.encode() + b"\n")
            else:
                f.write(orjson.dumps(row) + b"\n")
    return path

"""`crisisdesk import` with files as they arrive: a bad line never ends the run, every encoding is
read or named, and a file of nothing but rejects says so. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.models import Author, Post
from tests.factories import post, write_jsonl

runner = CliRunner()


def import_file(ws: Path, *args: str) -> Any:
    return runner.invoke(app, ["import", *args, "--config", str(ws), "--json"])


def summary_of(result: Any) -> dict[str, int]:
    out: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def rejects_of(path: Path) -> dict[int, dict[str, Any]]:
    return {r["line"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def stored(url: str, *columns: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(*columns))]
    finally:
        engine.dispose()


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = {"x": value}
    return value


def test_bad_lines_past_the_first_batch_never_end_the_run(workspace_file: Path, tmp_path: Path,
                                                          database_url: str) -> None:
    """Bad lines in several batches (1,024 posts each): the rest of the file is still imported."""
    rows: list[Any] = [post(i) for i in range(1, 2601)]
    bad = {
        5: post(5, metrics={"likes": 2**63}),                               # over 64 bits signed
        1500: json.dumps(post(1500, author={"id": "u", "followers": 2**70})),  # over any integer column
        2000: json.dumps(post(2000, junk=nested(300))),                     # deeper than JSON writers go
        2100: post(2100, id="p2100\x00"),                                   # NUL in an id
        2200: post(2200, created_at="9999-12-31T23:59:59-01:00"),           # beyond year 9999 in UTC
    }
    for line, row in bad.items():
        rows[line - 1] = row
    rows[2300 - 1] = json.dumps(post(2300, text="abgeschnitten \ud83d"))   # stored, surrogate removed
    rows[2400 - 1] = post(2400, metrics={"views": 3_000_000_000}, author={"id": "big", "followers": 2**39})
    src = write_jsonl(tmp_path / "big.jsonl", rows)

    result = import_file(workspace_file, str(src))
    assert result.exit_code == 0, result.output
    assert summary_of(result) == {
        "read": 2600, "imported": 2595, "updated": 0, "duplicates": 0, "rejected": 5}
    rejects = rejects_of(tmp_path / "big.rejects.jsonl")
    assert set(rejects) == set(bad)
    assert rejects[5]["reason"] == f"metrics.likes: {2**63} is over the limit of {10**12}"
    assert rejects[1500]["reason"].startswith("author.followers: ")
    assert rejects[2000]["reason"].startswith("junk: nested more than 64 levels deep")
    assert rejects[2100]["reason"].startswith("id: contains a NUL character")
    assert rejects[2200]["reason"].startswith("created_at: 9999-12-31T23:59:59-01:00 is out of range")
    ids = {r[0] for r in stored(database_url, Post.external_id)}
    assert len(ids) == 2595 and "p2600" in ids and "p5" not in ids
    assert ("abgeschnitten ",) in stored(database_url, Post.text)
    engine = create_engine(database_url)
    with engine.connect() as conn:  # 64-bit counts, on PostgreSQL too
        got = conn.execute(select(Post.views, Author.followers).join(Author, Author.id == Post.author_id)
                           .where(Post.external_id == "p2400")).one()
    engine.dispose()
    assert tuple(got) == (3_000_000_000, 2**39)


GERMAN_CSV = (
    "Datum;Nutzer;Beitrag;Likes\n"
    "02.11.2026 08:15;jürgen;Zugausfall in München – schon wieder;12\n"
    "02.11.2026 09:20;anna;Grüße aus Köln, der ICE fährt nicht;3\n"
    "02.11.2026 09:30;björn;Verspätung € 50 Entschädigung?;7\n"
)
CSV_ARGS = ["--map", "created_at=Datum", "--map", "author.handle=Nutzer", "--map", "text=Beitrag",
            "--map", "metrics.likes=Likes", "--platform", "x", "--time-format", "%d.%m.%Y %H:%M",
            "--timezone", "Europe/Berlin"]


def test_windows_1252_csv_is_detected_said_and_its_broken_row_rejected(workspace_file: Path, tmp_path: Path,
                                                                       database_url: str) -> None:
    """What German Excel writes: cp1252, ``;``. A byte cp1252 has no character for (0x81) rejects
    its row, and the rejects file is written (it used to end the run with a TypeError)."""
    src = tmp_path / "excel.csv"
    data = GERMAN_CSV.encode("cp1252") + b"02.11.2026 10:00;carl;kaputt \x81 hier;1\n"
    src.write_bytes(data)
    result = import_file(workspace_file, str(src), *CSV_ARGS)
    assert result.exit_code == 0, result.output
    assert summary_of(result) == {"read": 4, "imported": 3, "updated": 0, "duplicates": 0, "rejected": 1}
    assert "cp1252" in result.stderr and "--encoding" in result.stderr
    texts = {r[0] for r in stored(database_url, Post.text)}
    assert "Grüße aus Köln, der ICE fährt nicht" in texts
    assert "Verspätung € 50 Entschädigung?" in texts
    assert {r[0] for r in stored(database_url, Author.handle)} == {"jürgen", "anna", "björn"}
    reject = rejects_of(tmp_path / "excel.rejects.jsonl")[5]
    assert reject["reason"] == "column 'Beitrag': bytes that are not valid cp1252"
    assert reject["input"]["Beitrag"] == "kaputt \ufffd hier"


def test_encoding_option_wins_and_a_wrong_one_is_named(workspace_file: Path, tmp_path: Path,
                                                       database_url: str) -> None:
    src = tmp_path / "excel.csv"
    src.write_bytes(GERMAN_CSV.encode("cp1252"))
    result = import_file(workspace_file, str(src), *CSV_ARGS, "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    assert summary_of(result)["imported"] == 3
    assert "note:" not in result.stderr  # chosen by the user: nothing to explain
    # Read as UTF-8 on purpose, every row is refused: that is a failure, said as such.
    result = import_file(workspace_file, str(src), *CSV_ARGS, "--encoding", "utf-8")
    assert result.exit_code == 1
    assert summary_of(result)["rejected"] == 3
    assert "nothing could be imported" in result.stderr
    assert "bytes that are not valid UTF-8" in (tmp_path / "excel.rejects.jsonl").read_text(encoding="utf-8")
    result = import_file(workspace_file, str(src), *CSV_ARGS, "--encoding", "klingonisch")
    assert result.exit_code == 2
    assert "unknown encoding" in result.stderr


@pytest.mark.parametrize(("codec", "bom", "note"), [
    ("utf-8", b"\xef\xbb\xbf", None),
    ("utf-16-le", b"\xff\xfe", "UTF-16"),
    ("utf-16-be", b"\xfe\xff", "UTF-16"),
    ("utf-16-le", b"", "UTF-16-LE"),
])
def test_jsonl_in_utf8_and_utf16_is_read_and_said(workspace_file: Path, tmp_path: Path, database_url: str,
                                                   codec: str, bom: bytes, note: str | None) -> None:
    lines = [json.dumps(post(i, text=f"Grüße aus Köln #{i}"), ensure_ascii=False) for i in (1, 2)]
    src = tmp_path / "export.jsonl"
    src.write_bytes(bom + "\r\n".join(lines).encode(codec))
    result = import_file(workspace_file, str(src))
    assert result.exit_code == 0, result.output
    assert summary_of(result)["imported"] == 2
    if note is None:
        assert "note:" not in result.stderr
    else:
        assert note in result.stderr
    assert sorted(r[0] for r in stored(database_url, Post.text)) == ["Grüße aus Köln #1", "Grüße aus Köln #2"]


def test_utf16_csv_from_excel_unicode_text(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    src = tmp_path / "unicode.csv"
    src.write_bytes(GERMAN_CSV.replace(";", "\t").encode("utf-16"))
    result = import_file(workspace_file, str(src), *CSV_ARGS)
    assert result.exit_code == 0, result.output
    assert summary_of(result)["imported"] == 3
    assert "UTF-16" in result.stderr
    assert ("Zugausfall in München – schon wieder",) in stored(database_url, Post.text)


def test_a_file_of_nothing_but_rejects_fails_and_says_why(workspace_file: Path, tmp_path: Path,
                                                          database_url: str) -> None:
    """UTF-16 read as UTF-8 (forced): each line is refused with what the bytes look like, and the
    run exits 1 because nothing at all could be imported."""
    src = tmp_path / "wide.jsonl"
    src.write_bytes("\n".join(json.dumps(post(i)) for i in (1, 2, 3)).encode("utf-16-le"))
    result = import_file(workspace_file, str(src), "--encoding", "utf-8")
    assert result.exit_code == 1
    assert summary_of(result)["rejected"] == 3
    assert "nothing could be imported: all 3 item(s) were rejected" in result.stderr.replace("\n", " ")
    reasons = [r["reason"] for r in rejects_of(tmp_path / "wide.rejects.jsonl").values()]
    assert reasons and all("looks like UTF-16-LE: pass --encoding utf-16-le" in r for r in reasons)
    assert stored(database_url, Post.id) == []
    # An empty file imports nothing but is not an error: there was nothing to reject.
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert import_file(workspace_file, str(empty)).exit_code == 0


def test_csv_counts_too_large_for_any_column_are_rejected_by_column(workspace_file: Path, tmp_path: Path,
                                                                     database_url: str) -> None:
    src = tmp_path / "counts.csv"
    src.write_text(
        "created_at,text,platform,Likes\n"
        "2026-11-02T08:00:00Z,eins,x,12\n"
        f"2026-11-02T08:01:00Z,zwei,x,{'9' * 5000}\n"
        f"2026-11-02T08:02:00Z,drei,x,{2**63}\n"
        "2026-11-02T08:03:00Z,vier,x,²\n"
        "2026-11-02T08:04:00Z,fünf,x,3000000000\n",
        encoding="utf-8",
    )
    result = import_file(workspace_file, str(src), "--map", "metrics.likes=Likes")
    assert result.exit_code == 0, result.output
    assert summary_of(result) == {"read": 5, "imported": 2, "updated": 0, "duplicates": 0, "rejected": 3}
    rejects = rejects_of(tmp_path / "counts.rejects.jsonl")
    assert rejects[3]["reason"].startswith("column 'Likes' (metrics.likes): 99999999999999999999… is over")
    assert rejects[4]["reason"] == f"column 'Likes' (metrics.likes): {2**63} is over the limit of {10**12}"
    assert "not a whole number" in rejects[5]["reason"]
    assert sorted(stored(database_url, Post.text, Post.likes)) == [("eins", 12), ("fünf", 3_000_000_000)]


def test_replay_keeps_a_post_with_a_lone_surrogate_in_its_place_in_time(workspace_file: Path,
                                                                        tmp_path: Path) -> None:
    rows = [json.dumps(post(1, created_at="2026-11-02T10:00:00Z")),
            json.dumps(post(2, created_at="2026-11-02T11:00:00Z", text="Bahn \ud83d")),
            json.dumps(post(3, created_at="2026-11-02T09:00:00Z"))]
    src = write_jsonl(tmp_path / "stream.jsonl", rows)
    events = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["replay", str(src), "--config", str(workspace_file), "--events-out",
                                 str(events), "--post-events", "--json"])
    assert result.exit_code == 0, result.output
    got = [json.loads(line)["post"] for line in events.read_text().splitlines()]
    assert [(p["id"], p["text"]) for p in got][-1:] == [("p2", "Bahn ")]
    assert [p["id"] for p in got] == ["p3", "p1", "p2"]  # by time, not first as "untimed"

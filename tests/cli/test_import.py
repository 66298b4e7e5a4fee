"""`crisisdesk import` at the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.models import Author, Monitor, MonitorMatch, Post
from tests.factories import post, write_jsonl

runner = CliRunner()


def run_import(ws: Path, *args: str) -> dict[str, int]:
    result = runner.invoke(app, ["import", *args, "--config", str(ws), "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def rows(url: str, stmt):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(stmt).all()
    finally:
        engine.dispose()


def test_import_is_idempotent_and_matches_monitors(workspace_file: Path, tmp_path: Path,
                                                   database_url: str) -> None:
    posts = [post(i) for i in range(1, 21)]
    posts.append(post(99, text="Streik bei der Lufthansa", lang="de"))
    posts.append(post(100, text="nothing to see here", lang="en"))
    src = write_jsonl(tmp_path / "posts.jsonl", posts)

    first = run_import(workspace_file, str(src))
    assert first == {"read": 22, "imported": 22, "updated": 0, "duplicates": 0, "rejected": 0}
    again = run_import(workspace_file, str(src))
    assert again == {"read": 22, "imported": 0, "updated": 0, "duplicates": 22, "rejected": 0}

    assert len(rows(database_url, select(Post.id))) == 22
    matches = rows(database_url, select(Monitor.name, Post.external_id)
                   .join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
                   .join(Post, Post.id == MonitorMatch.post_id))
    by_monitor: dict[str, set[str]] = {}
    for name, ext in matches:
        by_monitor.setdefault(name, set()).add(ext)
    assert by_monitor["bahn"] == {f"p{i}" for i in range(1, 21)}
    assert by_monitor["streik"] == {"p99"}
    # authors are shared between posts, one row each
    assert len(rows(database_url, select(Author.id))) == 7


def test_newer_version_updates_post_and_rematches(workspace_file: Path, tmp_path: Path,
                                                  database_url: str) -> None:
    run_import(workspace_file, str(write_jsonl(tmp_path / "a.jsonl", [post(1), post(2)])))
    edited = post(1, text="Streik! Alles steht.", metrics={"likes": 50})
    summary = run_import(workspace_file, str(write_jsonl(tmp_path / "b.jsonl", [edited, post(2)])))
    assert summary == {"read": 2, "imported": 0, "updated": 1, "duplicates": 1, "rejected": 0}
    text, likes, version = rows(database_url, select(Post.text, Post.likes, Post.version)
                                .where(Post.external_id == "p1"))[0]
    assert (text, likes, version) == ("Streik! Alles steht.", 50, 2)
    names = {r[0] for r in rows(database_url, select(Monitor.name)
                                .join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
                                .join(Post, Post.id == MonitorMatch.post_id)
                                .where(Post.external_id == "p1"))}
    assert names == {"streik"}


def test_broken_lines_are_rejected_with_line_numbers(workspace_file: Path, tmp_path: Path,
                                                     database_url: str) -> None:
    no_time = post(3)
    del no_time["created_at"]
    lines = [
        post(1),                                        # 1 good
        "{not json",                                    # 2
        no_time,                                        # 3
        post(4, created_at="yesterday at noon"),        # 4
        post(5, text="x" * 20_001),                     # 5 over the limit
        b'{"platform": "x", "id": "p6", "text": "\xff\xfe", "created_at": "2026-11-02T08:00:00Z"}',  # 6
        post(7, created_at="2026-11-02T08:00:00"),      # 7 naive time
        "",                                             # 8 blank: skipped, not an error
        post(9),                                        # 9 good
        post(10, platform="myspace"),                   # 10
    ]
    src = write_jsonl(tmp_path / "mixed.jsonl", lines)
    result = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"read": 9, "imported": 2, "updated": 0, "duplicates": 0, "rejected": 7}
    rejects_file = tmp_path / "mixed.rejects.jsonl"
    rejects = [json.loads(line) for line in rejects_file.read_text().splitlines()]
    reasons = {r["line"]: r["reason"] for r in rejects}
    assert set(reasons) == {2, 3, 4, 5, 6, 7, 10}
    assert "not valid JSON" in reasons[2]
    assert "created_at" in reasons[3] and "missing" in reasons[3]
    assert "created_at" in reasons[4]
    assert "20001 characters" in reasons[5]
    assert "UTF-8" in reasons[6]
    assert "created_at" in reasons[7] and "timezone" in reasons[7]
    assert "platform" in reasons[10]
    assert str(rejects_file) in result.stderr.replace("\n", "")
    assert {r[0] for r in rows(database_url, select(Post.external_id))} == {"p1", "p9"}

    strict = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), "--strict"])
    assert strict.exit_code == 1


def test_csv_import_with_column_mapping(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    src = tmp_path / "export.csv"
    src.write_text(
        "Datum;Nutzer;Beitrag;Likes;Kanal\n"
        "02.11.2026 08:15;anna;Deutsche Bahn wieder zu spät;12;x\n"
        "02.11.2026 09:20;ben;\"Streik, schon wieder; echt jetzt\";1,204;facebook\n"
        "99.99.2026 09:20;carl;kaputte Zeit;3;x\n"
        "02.11.2026 10:00;dora;zu viele likes;viele;x\n",
        encoding="utf-8",
    )
    args = ["import", str(src), "--config", str(workspace_file), "--json",
            "--map", "created_at=Datum", "--map", "author.handle=Nutzer", "--map", "text=Beitrag",
            "--map", "metrics.likes=Likes", "--map", "platform=Kanal",
            "--time-format", "%d.%m.%Y %H:%M", "--timezone", "Europe/Berlin"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "read": 4, "imported": 2, "updated": 0, "duplicates": 0, "rejected": 2}
    got = sorted(rows(database_url, select(Post.platform, Post.text, Post.likes, Post.created_at)))
    assert [(g[0], g[1], g[2]) for g in got] == [
        ("facebook", "Streik, schon wieder; echt jetzt", 1204),
        ("x", "Deutsche Bahn wieder zu spät", 12),
    ]
    assert got[1][3].isoformat() == "2026-11-02T07:15:00+00:00"  # Berlin is UTC+1 in November
    rejects = (tmp_path / "export.rejects.jsonl").read_text()
    assert '"line":4' in rejects and '"line":5' in rejects
    # idempotent without an id column: ids are derived from time, author and text
    again = runner.invoke(app, args)
    assert json.loads(again.stdout.strip().splitlines()[-1])["duplicates"] == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--map", "txt=body"], "unknown field 'txt'"),
        (["--map", "text"], "expected FIELD=COLUMN"),
        (["--map", "text=nope", "--map", "created_at=Datum"], "no column 'nope'"),
    ],
)
def test_csv_mapping_errors_are_clear(workspace_file: Path, tmp_path: Path, extra: list[str],
                                      message: str) -> None:
    src = tmp_path / "e.csv"
    src.write_text("Datum,body\n2026-11-02T08:00:00Z,hallo\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), *extra])
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", "")


def test_missing_file_and_config_are_clear_errors(workspace_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope.jsonl"), "--config", str(workspace_file)])
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    src = write_jsonl(tmp_path / "a.jsonl", [post(1)])
    result = runner.invoke(app, ["import", str(src), "--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "crisisdesk init" in result.stderr


def test_csv_semicolon_with_uneven_row_and_auto_mapped_columns(workspace_file: Path, tmp_path: Path,
                                                               database_url: str) -> None:
    src = tmp_path / "de.csv"
    src.write_text(
        "created_at;text;lang;platform;author.verified\n"
        "2026-11-02T08:00:00+01:00;Bahn Streik heute;de;x;\n"
        "2026-11-02T08:05:00+01:00;zu viele;felder;x;ja;extra\n"
        "2026-11-02T08:10:00+01:00;strike again;en;mastodon;yes\n",
        encoding="utf-8",
    )
    summary = run_import(workspace_file, str(src))
    assert summary == {"read": 3, "imported": 2, "updated": 0, "duplicates": 0, "rejected": 1}
    got = sorted(rows(database_url, select(Post.platform, Post.lang)))
    assert got == [("mastodon", "en"), ("x", "de")]
    reject = json.loads((tmp_path / "de.rejects.jsonl").read_text())
    assert reject["line"] == 3
    assert "more fields than the header" in reject["reason"]

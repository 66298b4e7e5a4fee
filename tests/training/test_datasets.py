"""Dataset loaders: parsers on tiny synthetic files (always), and the real sets (when present).

The real data lives outside the repository. Its tests skip when the folder is absent, except in
CI (``CI`` or ``CRISISDESK_REQUIRE_SERVERS`` set), where the folder must be there.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crisisdesk.training.datasets import (
    LOADERS,
    TASKS,
    DataFormatError,
    DataNotFoundError,
    Example,
    LoadReport,
    data_root,
    load,
    load_with_report,
    near_duplicate_key,
    split,
)
from crisisdesk.training.datasets_germeval import load_germeval2017, load_germeval2017_aspects
from crisisdesk.training.datasets_twitter import AIRLINE_FILE

# --- synthetic files ----------------------------------------------------------------------------


def write(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def loaded(name: str, root: Path) -> tuple[list[Example], LoadReport]:
    examples, report = load_with_report(name, root=root)
    assert report.balanced, report.summary()
    assert report.kept == len(examples)
    return examples, report


def test_germeval2018_parses_rows_and_skips_broken_ones(tmp_path: Path) -> None:
    rows = [
        "Erste Zeile |LBR| zweite Zeile\tOTHER\tOTHER",
        "Du Vollidiot\tOFFENSE\tINSULT",
        "Scheiße &amp; Mist\tOFFENSE\tPROFANITY",
        "nur zwei Felder\tOTHER",
        "unbekannt\tMAYBE\tOTHER",
        "Widerspruch\tOFFENSE\tOTHER",
        "   \tOTHER\tOTHER",
    ]
    body = ("\n".join(rows) + "\n").encode() + b"kaputt \xff\tOTHER\tOTHER\n"
    write(tmp_path, "germeval2018/germeval2018.training.txt", body)
    examples, report = loaded("germeval2018", tmp_path)
    assert [(e.text, e.label, e.get("kind")) for e in examples] == [
        ("Erste Zeile\nzweite Zeile", "none", None),
        ("Du Vollidiot", "offense", "insult"),
        ("Scheiße & Mist", "offense", "profanity"),
    ]
    assert {e.lang for e in examples} == {"de"}
    assert (report.rows_read, report.skipped) == (8, 5)
    assert len(report.reasons) == 5 and report.reasons[0].startswith("germeval2018.training.txt:4:")
    assert report.skip_counts["empty or undecodable text"] == 2


GERMEVAL2017_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Documents>
  <Document id="http://twitter.com/a/statuses/1">
    <Opinions>
      <Opinion category="Allgemein#Haupt" from="0" to="0" target="NULL" polarity="negative" />
      <Opinion category="Zugfahrt#P&#252;nktlichkeit" from="0" to="0" target="NULL" polarity="negative" />
      <Opinion category="Allgemein#Haupt" from="0" to="0" target="NULL" polarity="negative" />
    </Opinions>
    <relevance>true</relevance><sentiment>negative</sentiment>
    <text>Zug &amp;amp; Bahn wieder zu sp&#228;t</text>
  </Document>
  <Document id="http://example.org/2">
    <relevance>false</relevance><sentiment>neutral</sentiment><text>Die Bahn im Kreisel</text>
  </Document>
  <Document id="3"><relevance>true</relevance><sentiment>angry</sentiment><text>x</text></Document>
  <Document id="4"><relevance>true</relevance><sentiment>neutral</sentiment><text> </text></Document>
  <Document id="5">
    <Opinions><Opinion category="" polarity="neutral" /></Opinions>
    <relevance>true</relevance><sentiment>neutral</sentiment><text>y</text>
  </Document>
</Documents>
"""

TRIAL_XML = """<Documents><Document id="t1"><relevance>true</relevance><sentiment>positive</sentiment>
<text>Danke, DB!</text></Document></Documents>"""


def test_germeval2017_sentiment_and_aspects(tmp_path: Path) -> None:
    write(tmp_path, "germeval2017/fixed_dev-2017-09-15.xml", GERMEVAL2017_XML)
    write(tmp_path, "germeval2017/trial.xml", TRIAL_XML)

    sentiment, report = loaded("germeval2017", tmp_path)
    assert [e.label for e in sentiment] == ["negative", "neutral", "positive"]
    assert sentiment[0].text == "Zug & Bahn wieder zu spät"
    assert [e.get("part") for e in sentiment] == ["dev", "dev", "trial"]
    assert (report.rows_read, report.skipped) == (6, 3)

    aspects, _ = loaded("germeval2017_aspects", tmp_path)
    assert [e.label for e in aspects] == ["Allgemein", "none", "none"]
    assert aspects[0].get_all("aspect") == ("Allgemein", "Zugfahrt")
    assert "Zugfahrt#Pünktlichkeit:negative" in aspects[0].get_all("opinion")

    relevant = LoadReport("germeval2017")
    only = load_germeval2017(tmp_path, relevant, relevant_only=True)
    assert [e.label for e in only] == ["negative", "positive"]
    assert relevant.dropped == Counter({"irrelevant document": 1}) and relevant.balanced
    assert len(load_germeval2017_aspects(tmp_path, relevant_only=True)) == 2


def test_germeval2017_broken_xml_is_a_file_error(tmp_path: Path) -> None:
    write(tmp_path, "germeval2017/fixed_dev-2017-09-15.xml", "<Documents><Document>")
    write(tmp_path, "germeval2017/trial.xml", TRIAL_XML)
    with pytest.raises(DataFormatError, match="not well-formed"):
        load("germeval2017", root=tmp_path)


def test_olid_kinds_placeholders_and_crlf(tmp_path: Path) -> None:
    rows = [
        "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c",
        "1\t@USER She is fine URL\tNOT\tNULL\tNULL",
        "2\t@USER you idiot\tOFF\tTIN\tIND",
        "3\tthose people are vermin\tOFF\tTIN\tGRP",
        "4\twhat the fuck\tOFF\tUNT\tNULL",
        "5\tshort row\tOFF",
        "6\tnot offensive yet targeted\tNOT\tTIN\tIND",
    ]
    write(tmp_path, "olid/olid-training-v1.0.tsv", "\r\n".join(rows) + "\r\n")
    examples, report = loaded("olid", tmp_path)
    assert [(e.label, e.get("kind")) for e in examples] == [
        ("none", None), ("offense", "insult"), ("offense", "abuse"), ("offense", "profanity"),
    ]
    assert examples[0].text == "@USER She is fine URL"
    assert report.skipped == 2


def test_olid_without_header_is_a_file_error(tmp_path: Path) -> None:
    write(tmp_path, "olid/olid-training-v1.0.tsv", "1\tx\tNOT\tNULL\tNULL\n")
    with pytest.raises(DataFormatError, match="header"):
        load("olid", root=tmp_path)


def test_davidson_classes_entities_and_quoted_line_breaks(tmp_path: Path) -> None:
    csv_text = (
        ",count,hate_speech,offensive_language,neither,class,tweet\n"
        '0,3,0,0,3,2,"plain tweet &#128514;"\n'
        '1,3,0,3,0,1,"two\nlines"\n'
        "2,3,3,0,0,0,group hate\n"
        "3,3,0,0,3,7,unknown class\n"
        "4,3,0,0,3,2\n"
        "5,3,x,0,3,2,bad votes\n"
    )
    write(tmp_path, "davidson/labeled_data.csv", csv_text)
    examples, report = loaded("davidson", tmp_path)
    assert [(e.text, e.label, e.get("kind")) for e in examples] == [
        ("plain tweet 😂", "none", None),
        ("two\nlines", "offense", "insult"),
        ("group hate", "offense", "abuse"),
    ]
    assert examples[2].get("hate_speech") == "3"
    assert (report.rows_read, report.skipped) == (6, 3)


def test_mozetic_rejoins_multi_line_tweets(tmp_path: Path) -> None:
    raw = (
        "stray text before any record\n"
        "111111111111111111\tPositive\t\\Erste Zeile\n"
        "\n"
        "2015 war gut\n"
        "#Super\n"
        '222222222222222222\tNegative\t\\Er sagte \\"nein\\" \\o/\r\n'
        "333333333333333333\tPositive\t\\Eins\rZwei\n"
        "444444444444444444\tMaybe\t\\unklar\n"
        "fortsetzung des kaputten\n"
        "555555555555555555\tNegative\t\\\n"
    )
    write(tmp_path, "mozetic_twitter15/retrieved_dataset_deu.txt", raw)
    examples, report = loaded("mozetic_de", tmp_path)
    assert [(e.text, e.label) for e in examples] == [
        ("Erste Zeile\n\n2015 war gut\n#Super", "positive"),
        ('Er sagte "nein" \\o/', "negative"),
        ("Eins\nZwei", "positive"),
    ]
    assert examples[0].get("id") == "111111111111111111"
    assert {e.lang for e in examples} == {"de"}
    assert (report.rows_read, report.skipped) == (6, 3)


AIRLINE_HEADER = (
    "tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,"
    "airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,"
    "tweet_created,tweet_location,user_timezone\r\n"
)


def airline_row(tweet_id: str, sentiment: str, reason: str, text: str, created: str) -> str:
    return f'{tweet_id},{sentiment},1.0,{reason},,United,,someone,,0,"{text}",,{created},,\r\n'


def test_airline_dedupes_and_keeps_aware_times(tmp_path: Path) -> None:
    rows = [
        airline_row("1", "negative", "Late Flight", "@united late &amp; again", "2015-02-20 15:50:19 -0800"),
        airline_row("1", "negative", "Late Flight", "@united late &amp; again", "2015-02-20 15:50:19 -0800"),
        airline_row("2", "positive", "", "@united thanks", "2015-02-19 10:00:00 -0800"),
        airline_row("3", "negative", "Lost Luggage", "@united bag", "2015-02-18 10:00:00 -0800"),
        airline_row("3", "neutral", "", "@united bag", "2015-02-18 10:00:00 -0800"),
        airline_row("4", "positive", "", "@united when", "yesterday"),
        airline_row("5", "negative", "", "@united reasonless", "2015-02-18 10:00:00 -0800"),
        airline_row("6", "furious", "", "@united ?", "2015-02-18 10:00:00 -0800"),
    ]
    write(tmp_path, AIRLINE_FILE, AIRLINE_HEADER + "".join(rows))
    examples, report = loaded("airline", tmp_path)
    assert [(e.get("id"), e.label) for e in examples] == [("1", "negative"), ("2", "positive")]
    assert examples[0].text == "@united late & again"
    assert examples[0].created_at == datetime(2015, 2, 20, 23, 50, 19, tzinfo=UTC)
    assert examples[0].get("negativereason") == "Late Flight" and examples[0].get("airline") == "United"
    assert report.dropped == Counter({"duplicate tweet_id": 1, "tweet_id with conflicting labels": 2})
    assert report.skipped == 3

    complaints, _ = loaded("airline_complaints", tmp_path)
    assert [e.label for e in complaints] == ["Late Flight", "none"]


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"olid-training-v1\.0\.tsv"):
        load("olid", root=tmp_path)
    with pytest.raises(ValueError, match="unknown data set"):
        load("nope", root=tmp_path)


def test_data_root_env_walk_and_failure(tmp_path: Path) -> None:
    data = tmp_path / "with" / "shared" / "data"
    data.mkdir(parents=True)
    deep = tmp_path / "with" / "main" / "src" / "pkg"
    deep.mkdir(parents=True)
    elsewhere = tmp_path / "without"
    elsewhere.mkdir()
    assert data_root(environ={}, search_from=[deep], ceiling=tmp_path) == data.resolve()
    assert data_root(environ={"CRISISDESK_DATA": str(deep)}) == deep
    with pytest.raises(DataNotFoundError, match="CRISISDESK_DATA"):
        data_root(environ={"CRISISDESK_DATA": str(tmp_path / "missing")})
    with pytest.raises(DataNotFoundError, match="no shared/data folder"):
        data_root(environ={}, search_from=[elsewhere], ceiling=tmp_path)
    # Without a ceiling the walk goes on to the file system's root: a shared/data folder above the
    # test's folder (a clone in /tmp beside /tmp/shared) is found, and the ceiling is what stops it.
    above = tmp_path / "outer" / "shared" / "data"
    above.mkdir(parents=True)
    inner = tmp_path / "outer" / "a" / "b"
    inner.mkdir(parents=True)
    assert data_root(environ={}, search_from=[inner]) == above.resolve()
    with pytest.raises(DataNotFoundError):
        data_root(environ={}, search_from=[inner], ceiling=tmp_path / "outer" / "a")


def test_registry_is_complete_and_documented() -> None:
    in_tasks = [name for names in TASKS.values() for name in names]
    assert sorted(in_tasks) == sorted(LOADERS), "every loader belongs to exactly one task"
    for name, loader in LOADERS.items():
        assert loader.__doc__, f"loader {name} says nothing about its data"


# --- split --------------------------------------------------------------------------------------


def synthetic(n: int) -> list[Example]:
    labels = ["a"] * (n * 7 // 10) + ["b"] * (n - n * 7 // 10)
    return [Example(text=f"text number {i}", label=x, lang="en", source="t") for i, x in enumerate(labels)]


def test_split_is_deterministic_stratified_and_disjoint() -> None:
    examples = synthetic(200)
    train, dev = split(examples, dev_fraction=0.25, seed=3)
    assert (train, dev) == split(examples, dev_fraction=0.25, seed=3)
    assert split(examples, seed=4) != split(examples, seed=3)
    assert set(train).isdisjoint(dev) and len(train) + len(dev) == len(examples)
    assert Counter(e.label for e in dev) == {"a": 35, "b": 15}
    reordered_train, reordered_dev = split(list(reversed(examples)), dev_fraction=0.25, seed=3)
    assert set(reordered_dev) == set(dev) and set(reordered_train) == set(train)


def test_split_keeps_near_duplicates_on_one_side() -> None:
    copies = [
        Example(text=f"RT @u{i}: The flight is late again https://t.co/{i}", label="a", lang="en", source="t")
        for i in range(5)
    ]
    assert len({near_duplicate_key(e.text) for e in copies}) == 1
    for seed in range(10):
        _, dev = split([*synthetic(50), *copies], seed=seed)
        assert sum(e in dev for e in copies) in (0, 5)


def test_time_split_trains_on_the_past_and_drops_seen_text() -> None:
    examples = [
        Example(text=f"tweet {i}" if i != 9 else "tweet 0", label="a", lang="en", source="t",
                created_at=datetime(2015, 2, 20, i, tzinfo=UTC))
        for i in range(10)
    ]
    train, dev = split(list(reversed(examples)), dev_fraction=0.3, by_time=True)
    assert {e.created_at.hour for e in train if e.created_at} == set(range(7))
    assert [e.text for e in dev] == ["tweet 8", "tweet 7"]
    with pytest.raises(ValueError, match="created_at"):
        split(synthetic(10), by_time=True)
    with pytest.raises(ValueError, match="dev_fraction"):
        split(synthetic(10), dev_fraction=1.0)


# --- the real data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_root() -> Path:
    try:
        return data_root()
    except DataNotFoundError as exc:
        if os.environ.get("CI") or os.environ.get("CRISISDESK_REQUIRE_SERVERS"):
            pytest.fail(f"the labelled data must be present in CI: {exc}")
        pytest.skip(f"labelled data not available: {exc}")


# Rows each file holds according to the data README (GermEval 2017: final dev + trial).
EXPECTED_ROWS = {
    "germeval2017": 2369 + 100,
    "germeval2017_aspects": 2369 + 100,
    "germeval2018": 5009,
    "germeval2019_train": 3995,
    "germeval2019_test": 3031,
    "olid": 13240,
    "davidson": 24783,
    "mozetic_de": 10935,
    "mozetic_en": 8421,
    "airline": 5179,
    "airline_complaints": 5179,
    "brands_de": 10935,  # cut from Mozetič's German tweets
    "brands_en": 8421,
}
SENTIMENT = {"negative", "neutral", "positive"}
INSULT = {"offense", "none"}
KINDS = {"insult", "abuse", "profanity"}
# Only the airline set repeats a tweet id, and the copies in the pre-2015-02-21 file all agree.
EXPECTED_KEPT = {**EXPECTED_ROWS, "brands_de": 470, "brands_en": 261}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_real_set_loads_cleanly(real_root: Path, name: str) -> None:
    examples, report = loaded(name, real_root)
    assert report.rows_read == EXPECTED_ROWS[name], report.summary()
    assert report.kept == EXPECTED_KEPT[name] and report.skipped == 0, report.summary()
    for e in examples:
        assert e.text and e.text == e.text.strip()
        assert "|LBR|" not in e.text and "&amp;" not in e.text and "\r" not in e.text
    task = next(t for t, names in TASKS.items() if name in names)
    labels = {e.label for e in examples}
    if task == "sentiment":
        two_class = name.startswith(("mozetic", "brands"))  # Mozetič has no neutral class
        assert labels == (SENTIMENT - {"neutral"} if two_class else SENTIMENT)
    elif task == "insult":
        assert labels == INSULT
        assert {e.get("kind") for e in examples if e.label == "offense"} <= KINDS
        assert all(e.get("kind") is None for e in examples if e.label == "none")
    else:
        assert "none" in labels and len(labels) >= 11


def test_real_mozetic_multi_line_tweets_are_joined(real_root: Path) -> None:
    for name in ("mozetic_de", "mozetic_en"):
        examples = load(name, root=real_root)
        assert sum("\n" in e.text for e in examples) > 400
        for e in examples:
            assert not any(re.match(r"\d+\t", line) for line in e.text.split("\n")), e.text
            assert "\t" not in e.text and '\\"' not in e.text


def test_real_airline_times_and_ids(real_root: Path) -> None:
    examples = load("airline", root=real_root)
    cutoff = datetime(2015, 2, 21, tzinfo=UTC)
    assert all(e.created_at is not None and e.created_at.utcoffset() is not None for e in examples)
    assert all(e.created_at is not None and e.created_at < cutoff for e in examples)
    assert len({e.get("id") for e in examples}) == len(examples) == 5179
    assert {e.get("negativereason") is not None for e in examples if e.label == "negative"} == {True}
    train, dev = split(examples, by_time=True)
    assert max(e.created_at for e in train if e.created_at) <= min(e.created_at for e in dev if e.created_at)


def test_real_germeval2017_aspects_use_the_twenty_categories(real_root: Path) -> None:
    categories = {a for e in load("germeval2017_aspects", root=real_root) for a in e.get_all("aspect")}
    assert len(categories) == 20 and {"Zugfahrt", "Ticketkauf", "Sicherheit"} <= categories


@pytest.mark.parametrize("name", ["germeval2018", "olid", "mozetic_en", "airline"])
def test_real_split_is_stratified(real_root: Path, name: str) -> None:
    examples = load(name, root=real_root)
    train, dev = split(examples)
    assert set(train).isdisjoint(dev) and len(train) + len(dev) == len(examples)
    assert not {near_duplicate_key(e.text) for e in train} & {near_duplicate_key(e.text) for e in dev}
    total, in_dev = Counter(e.label for e in examples), Counter(e.label for e in dev)
    for label, n in total.items():
        assert abs(in_dev[label] / n - 0.2) < 0.02, (label, in_dev[label], n)

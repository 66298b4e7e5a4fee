"""The complaint classifier: training on a team's file, thresholds, save/load, union, bad input."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest

from crisisdesk.analysis.complaint_model import ComplaintModel
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, ComplaintClassifier
from crisisdesk.analysis.features import Featurizer
from crisisdesk.analysis.linear import ModelError
from crisisdesk.analysis.service import SHIPPED_MODEL
from crisisdesk.training.complaint_data import (
    Labelled,
    corrections_examples,
    map_airline,
    read_own_file,
)
from crisisdesk.training.complaint_maps import AIRLINE_LEFT_OUT, AIRLINE_MAP, germeval_types
from crisisdesk.training.complaint_training import train_complaint_model
from crisisdesk.training.datasets_base import Example, LoadReport
from crisisdesk.training.eval_data import EvalDataError

NAMES = [t.name for t in DEFAULT_TAXONOMY]
# Words the default queries do not know: only a trained classifier can find these complaints.
_DELAY = ["Der Zug ist wieder unpünktlich", "Schon wieder unpünktlich heute", "unpünktlich wie immer",
          "the train was behind schedule again", "behind schedule, as usual"]
_SERVICE = ["Niemand am Schalter wollte helfen", "am Schalter ignoriert worden",
            "the agent at the counter ignored me", "counter staff ignored us completely"]
_NONE = ["Schöner Tag am See", "Danke für die angenehme Fahrt", "lovely view from the window",
         "reading a good book on the way", "Kaffee war lecker"]


def synthetic_rows(n_per_class: int = 30, seed: int = 0) -> list[tuple[str, str]]:
    """Distinct labelled texts: delays, service complaints, both, and none."""
    rng = random.Random(seed)
    fillers = ["Linie", "Gleis", "Wagen", "Montag", "Dienstag", "Berlin", "Hamburg", "Köln", "route",
               "platform", "coach", "Friday", "Munich", "Leipzig", "Bonn", "Essen"]
    rows = []
    for i in range(n_per_class):
        tag = f"{rng.choice(fillers)} {rng.choice(fillers)} nr{i} {rng.choice(fillers)}"
        rows.append((f"{rng.choice(_DELAY)} {tag}", "delivery_delay"))
        rows.append((f"{rng.choice(_SERVICE)} {tag}", "customer_service"))
        rows.append((f"{rng.choice(_NONE)} {tag}", "none"))
        if i % 3 == 0:
            rows.append((f"{rng.choice(_DELAY)} und {rng.choice(_SERVICE)} {tag}",
                         "delivery_delay|customer_service"))
    return rows


def write_labelled_csv(path: Path, rows: list[tuple[str, str]] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows if rows is not None else synthetic_rows())
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> ComplaintModel:
    path = write_labelled_csv(tmp_path_factory.mktemp("c") / "own.csv")
    rows, report = read_own_file(path, "csv", NAMES)
    assert report.skipped == 0
    featurizer = Featurizer(bits=14).fit_idf([r.text for r in rows])
    run = train_complaint_model({"own": rows}, taxonomy=DEFAULT_TAXONOMY, featurizer=featurizer,
                                combine="union")
    assert run.test, "a set of this size holds a fifth out"
    return run.model


def test_training_learns_the_words_the_queries_lack(trained: ComplaintModel) -> None:
    # Only types with enough examples get a head; the others stay query-only.
    assert set(trained.names) == {"delivery_delay", "customer_service"}
    assert trained.card["query_only"] == [n for n in NAMES if n not in trained.names]
    assert all(0.0 < t < 1.0 for t in trained.thresholds)
    texts = ["unpünktlich, Gleis 4 Kassel", "the agent at the counter ignored me in Kassel",
             "lovely view from the window in Kassel"]
    queries_only = ComplaintClassifier().classify_texts(texts)
    assert queries_only == [[], [], []]
    backed = ComplaintClassifier(DEFAULT_TAXONOMY, trained).classify_texts(texts)
    assert backed == [["delivery_delay"], ["customer_service"], []]


def test_held_out_scores_compare_queries_classifier_and_union(trained: ComplaintModel) -> None:
    scores = trained.card["test_scores"]
    assert set(scores) == {"query", "classifier", "union"}
    delay = {mode: scores[mode]["per_type"]["delivery_delay"]["recall"] for mode in scores}
    assert delay["query"] == 0.0  # the queries cannot see "unpünktlich"
    assert delay["union"] >= 0.8
    assert trained.card["data"] == {"own": "your own data"}
    assert trained.card["non_commercial"] == []


def test_save_load_round_trip(trained: ComplaintModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    card_path = trained.save(path)
    loaded = ComplaintModel.load(path)
    assert loaded.names == trained.names
    assert loaded.combine == "union"
    np.testing.assert_array_equal(loaded.thresholds, trained.thresholds)
    texts = ["Der Zug ist wieder unpünktlich nr 99", "Kaffee war lecker"]
    np.testing.assert_allclose(loaded.predict(texts), trained.predict(texts), atol=2e-3)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    assert card["thresholds"] == {n: round(float(t), 4) for n, t in zip(trained.names, trained.thresholds,
                                                                          strict=True)}
    assert card["combine"] == "union"
    assert not any(k.startswith("__") for k in np.load(path, allow_pickle=False).files)


def test_load_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a complaint model"):
        ComplaintModel.load(SHIPPED_MODEL)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="cannot read the complaint model"):
        ComplaintModel.load(junk)


def _model(bits: int = 12, thresholds: tuple[float, float] = (0.5, 0.5), combine: str = "union",
           bias: tuple[float, float] = (0.0, 0.0)) -> ComplaintModel:
    """Two heads with no weights: their probability is the sigmoid of the bias alone."""
    featurizer = Featurizer(bits=bits)
    return ComplaintModel(featurizer, ("delivery_delay", "safety"), np.zeros((1 << bits, 2), np.float32),
                          np.array(bias, np.float32), np.array(thresholds, np.float32), combine)


@pytest.mark.parametrize(
    ("combine", "hits", "probs", "expected"),
    [
        ("union", [["delivery_delay"]], [[0.1, 0.1]], [["delivery_delay"]]),  # the query alone
        ("union", [[]], [[0.9, 0.1]], [["delivery_delay"]]),  # the classifier alone
        ("union", [["outage"]], [[0.1, 0.7]], [["safety", "outage"]]),  # taxonomy order, outage query-only
        ("union", [[]], [[0.49, 0.1]], [[]]),  # below the threshold
        ("classifier", [["delivery_delay", "outage"]], [[0.1, 0.1]], [["outage"]]),  # backed: model decides
    ],
)
def test_combine(combine: str, hits: list[list[str]], probs: list[list[float]],
                 expected: list[list[str]]) -> None:
    model = _model(combine=combine)
    got = model.combine_with(hits, np.array(probs, np.float32), NAMES)
    assert got == expected


def test_types_outside_the_taxonomy_are_ignored() -> None:
    model = _model(bias=(5.0, 5.0))  # both heads always sure
    got = model.combine_with([[]], np.array([[0.99, 0.99]], np.float32), ["delivery_delay", "battery"])
    assert got == [["delivery_delay"]]


def test_a_post_without_features_gets_no_type_from_the_classifier() -> None:
    model = _model(bias=(5.0, 5.0))
    probs = model.predict(["🙂", "irgendein Text"])
    assert probs[0].tolist() == [0.0, 0.0]
    assert probs[1].min() > 0.99


def test_shape_and_mode_checks() -> None:
    with pytest.raises(ModelError, match="shapes"):
        ComplaintModel(Featurizer(bits=12), ("a",), np.zeros((10, 1), np.float32), np.zeros(1, np.float32),
                       np.zeros(1, np.float32))
    with pytest.raises(ModelError, match="combine mode"):
        _model(combine="intersection")


def test_feature_sharing_needs_the_same_bits_and_idf() -> None:
    idf = np.ones(1 << 12, np.float32)
    model = _model()
    assert model.shares_features_with(Featurizer(bits=12))
    assert not model.shares_features_with(Featurizer(bits=13))
    assert not model.shares_features_with(Featurizer(bits=12, idf=idf))


def test_unknown_type_in_the_label_file_names_line_and_value(tmp_path: Path) -> None:
    path = write_labelled_csv(tmp_path / "bad.csv", [("Zug unpünktlich", "delivery_delay"),
                                                      ("Paket weg", "delivery_dealy;safety")])
    with pytest.raises(EvalDataError, match=r"line 3: unknown complaint type 'delivery_dealy'"):
        read_own_file(path, "csv", NAMES)


def test_broken_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("text,label\n"
                    "Zug unpünktlich,delivery_delay\n"
                    ",customer_service\n"  # no text
                    "a,b,c,d\n"  # too many fields
                    "Hotline legt auf,customer_service | delivery_delay\n"
                    "Alles gut,none\n", encoding="utf-8")
    rows, report = read_own_file(path, "csv", NAMES)
    assert [sorted(r.types) for r in rows] == [["delivery_delay"], ["customer_service", "delivery_delay"], []]
    assert report.skipped == 2
    assert report.reasons == ["line 3: empty text", "line 4: wrong number of fields"]


def test_corrections_with_types_the_taxonomy_no_longer_has_are_skipped() -> None:
    stored = [Example("Zug zu spät", '["delivery_delay"]', "de", "corrections"),
              Example("Akku platt", '["battery"]', "de", "corrections"),
              Example("kaputt", "not json", "de", "corrections")]
    report = LoadReport("corrections")
    rows = corrections_examples(stored, NAMES, report)
    assert rows == [Labelled("Zug zu spät", frozenset({"delivery_delay"}), "corrections")]
    assert report.skipped == 2 and report.kept == 1


@pytest.mark.parametrize(
    ("opinions", "expected"),
    [
        (["Zugfahrt#Pünktlichkeit:negative"], {"delivery_delay"}),
        (["Zugfahrt#Pünktlichkeit:positive"], set()),  # praise is no complaint
        (["Sonstige_Unregelmässigkeiten#Haupt:negative"], {"outage"}),
        (["Ticketkauf#Haupt:negative", "Sicherheit#Haupt:negative"], {"billing_price", "safety"}),
        (["Zugfahrt#Technische_Schäden_und_Störungen_am_Zug:negative"], {"product_defect"}),
        (["Service_und_Kundenbetreuung#Zugbetreuung:negative"], {"customer_service"}),
        (["Allgemein#Haupt:negative", "Atmosphäre#Temperatur:negative"], set()),
    ],
)
def test_germeval_aspect_mapping(opinions: list[str], expected: set[str]) -> None:
    assert germeval_types(opinions) == expected


def test_airline_reason_mapping() -> None:
    examples = [Example("late again", "Late Flight", "en", "airline"),
                Example("seat broken and food cold", "Bad Flight", "en", "airline"),
                Example("??", "Can't Tell", "en", "airline"),
                Example("thanks!", "none", "en", "airline")]
    report = LoadReport("airline")
    rows = map_airline(examples, report)
    assert [(sorted(r.types), r.other_complaint) for r in rows] == [
        (["delivery_delay"], False), ([], True), ([], False)]
    assert report.dropped == {"airline reason \"Can't Tell\" (no type)": 1}
    with pytest.raises(ValueError, match="has no mapping"):
        map_airline([Example("x", "Weird Reason", "en", "airline")])


def test_every_real_airline_reason_and_germeval_category_is_decided() -> None:
    """The mapping covers the real data: a new reason must be decided, not silently dropped."""
    from crisisdesk.core.errors import CrisisdeskError
    from crisisdesk.training.complaint_maps import GERMEVAL2017_MAP
    from crisisdesk.training.datasets import data_root, load
    from tests.conftest import servers_required

    try:
        root = data_root()
    except CrisisdeskError:
        if servers_required():
            raise
        pytest.skip("no ../shared/data here")
    reasons = {e.label for e in load("airline_complaints", root=root)}
    assert reasons <= set(AIRLINE_MAP) | AIRLINE_LEFT_OUT
    aspects = load("germeval2017_aspects", root=root)
    mapped = {main.split("#", 1)[0] for main in GERMEVAL2017_MAP}
    assert mapped <= {a for e in aspects for a in e.get_all("aspect")}  # no typo in a category

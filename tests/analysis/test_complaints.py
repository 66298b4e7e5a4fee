"""Complaint types from the default taxonomy: German and English, table-driven."""

from __future__ import annotations

import pytest

from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, ComplaintClassifier, ComplaintType
from crisisdesk.sources.matcher import MatchDoc
from crisisdesk.sources.query import parse

CLASSIFIER = ComplaintClassifier()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mein Paket ist immer noch nicht da, seit zwei Wochen!", {"delivery_delay"}),
        ("Zug 20 Minuten verspätet, wie immer", {"delivery_delay"}),
        ("Flight delayed 3 hours and nobody tells us anything", {"delivery_delay"}),
        ("Das Gerät ist nach 3 Tagen kaputt", {"product_defect"}),
        ("my new phone stopped working after a week", {"product_defect"}),
        ("Ihr habt doppelt abgebucht, ich will mein Geld zurück", {"billing_price"}),
        ("I was charged twice, where is my refund", {"billing_price"}),
        ("45 Minuten in der Warteschleife der Hotline", {"customer_service"}),
        ("your customer service is so rude", {"customer_service"}),
        ("Datenleck bei euch? Meine Daten tauchen im Netz auf", {"data_privacy"}),
        ("you leaked my personal data", {"data_privacy"}),
        ("Der Akku hat Feuer gefangen, das ist lebensgefährlich", {"safety"}),
        ("the charger caught fire, this is dangerous", {"safety"}),
        ("Kinderarbeit in der Lieferkette? Boykott!", {"ethics_discrimination"}),
        ("this ad is racist, boycott them", {"ethics_discrimination"}),
        ("App seit heute früh offline, Störung?", {"outage"}),
        ("site is down again, can't log in", {"outage"}),
        ("Danke für den tollen Service!", set()),
        ("What a lovely day", set()),
        ("", set()),
    ],
)
def test_default_taxonomy(text: str, expected: set[str]) -> None:
    assert set(CLASSIFIER.classify_texts([text])[0]) == expected


def test_every_default_query_parses_and_names_are_unique() -> None:
    names = [t.name for t in DEFAULT_TAXONOMY]
    assert len(names) == len(set(names)) == 10
    for t in DEFAULT_TAXONOMY:
        parse(t.query)
        assert t.label_de and t.label_en


def test_custom_taxonomy() -> None:
    custom = ComplaintClassifier([ComplaintType(name="akku", label_de="Akku", label_en="Battery",
                                                query="akku* OR battery")])
    got = custom.classify_texts(["Akkulaufzeit mies", "battery dead", "alles gut"])
    assert got == [["akku"], ["akku"], []]


def _sure_about_safety(combine: str) -> ComplaintClassifier:
    """A classifier backing delivery_delay and safety that is sure of safety only for "zischt"."""
    import numpy as np

    from crisisdesk.analysis.complaint_model import ComplaintModel
    from crisisdesk.analysis.features import Featurizer

    featurizer = Featurizer(bits=12)
    weights = np.zeros((1 << 12, 2), np.float32)
    weights[featurizer.transform(["zischt"]).indices, 1] = 40.0
    model = ComplaintModel(featurizer, ("delivery_delay", "safety"), weights,
                           np.array([-10.0, -10.0], np.float32), np.array([0.5, 0.5], np.float32), combine)
    return ComplaintClassifier(DEFAULT_TAXONOMY, model)


def test_a_trained_classifier_backs_the_queries_union() -> None:
    backed = _sure_about_safety("union")
    got = backed.classify_texts(["Das Ladegerät zischt", "Zug 20 Minuten verspätet", "App offline", "🙂"])
    assert got == [["safety"], ["delivery_delay"], ["outage"], []]  # classifier OR query
    assert backed.classify(MatchDoc("Das Ladegerät zischt")) == ["safety"]


def test_classifier_mode_lets_the_model_decide_the_types_it_knows() -> None:
    backed = _sure_about_safety("classifier")
    got = backed.classify_texts(["Das Ladegerät zischt", "Zug 20 Minuten verspätet", "App offline"])
    assert got == [["safety"], [], ["outage"]]  # delay query overruled; outage has no head

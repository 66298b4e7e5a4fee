"""How the public data sets' categories map onto the default complaint taxonomy.

The public sets use other taxonomies; they are mapped onto the default one per category, and only
where the mapping is defensible (kept apart from :mod:`complaint_data` so that reading an
evaluation file and building training data do not import each other):

GermEval 2017 (Deutsche Bahn feedback; an aspect counts only with **negative** polarity, a praised
punctuality is no delay complaint):

=================================================  ==================
``Zugfahrt#Pünktlichkeit``, ``#Anschlusserreichung``,  delivery_delay
``#Fahrtzeit_und_Schnelligkeit``, ``#Haupt``
``Sonstige_Unregelmässigkeiten`` (cancellations,   outage
disruptions, closures), ``Zugfahrt#Streckennetz``
(line closures), ``DB_App_und_Website``,
``Connectivity`` (Wi-Fi, reception)
``Zugfahrt#Technische_Schäden_und_Störungen_am_Zug``, product_defect
``Toiletten#Funktionsfähigkeit_Toiletten``
``Ticketkauf``, ``Gastronomisches_Angebot#Preise``  billing_price
``Service_und_Kundenbetreuung``, ``Informationen``  customer_service
``Sicherheit``                                     safety
=================================================  ==================

Every other category (Allgemein, Atmosphäre, Komfort, Auslastung, Barrierefreiheit, …) names no
type of the taxonomy: such documents are examples of "none of these types".

Airline ``negativereason``: Late Flight and Lost Luggage → delivery_delay (a bag that never
arrives is a failed delivery), Cancelled Flight → outage (as the taxonomy query reads
"cancelled"), Customer Service Issue and Flight Attendant Complaints → customer_service, Flight
Booking Problems → billing_price, Damaged Luggage → product_defect; Bad Flight (comfort, food)
maps to none. "Can't Tell" and "longlines" are left out entirely: the annotators did not say what
the complaint was about, or it sits between waiting (delay) and service.
"""

from __future__ import annotations

from collections.abc import Sequence

GERMEVAL2017_MAP: dict[str, str] = {
    "Zugfahrt#Pünktlichkeit": "delivery_delay",
    "Zugfahrt#Anschlusserreichung": "delivery_delay",
    "Zugfahrt#Fahrtzeit_und_Schnelligkeit": "delivery_delay",
    "Zugfahrt#Haupt": "delivery_delay",
    "Sonstige_Unregelmässigkeiten": "outage",
    "Zugfahrt#Streckennetz": "outage",
    "DB_App_und_Website": "outage",
    "Connectivity": "outage",
    "Zugfahrt#Technische_Schäden_und_Störungen_am_Zug": "product_defect",
    "Toiletten#Funktionsfähigkeit_Toiletten": "product_defect",
    "Ticketkauf": "billing_price",
    "Gastronomisches_Angebot#Preise": "billing_price",
    "Service_und_Kundenbetreuung": "customer_service",
    "Informationen": "customer_service",
    "Sicherheit": "safety",
}
AIRLINE_MAP: dict[str, str | None] = {
    "Late Flight": "delivery_delay",
    "Lost Luggage": "delivery_delay",
    "Cancelled Flight": "outage",
    "Customer Service Issue": "customer_service",
    "Flight Attendant Complaints": "customer_service",
    "Flight Booking Problems": "billing_price",
    "Damaged Luggage": "product_defect",
    "Bad Flight": None,
    "none": None,
}
AIRLINE_LEFT_OUT = frozenset({"Can't Tell", "longlines"})


def germeval_types(opinions: Sequence[str]) -> frozenset[str]:
    """Types of a GermEval 2017 document from its ``category#sub:polarity`` opinions."""
    out = set()
    for opinion in opinions:
        category, _, polarity = opinion.rpartition(":")
        if polarity != "negative":
            continue
        main = category.split("#", 1)[0]
        mapped = GERMEVAL2017_MAP.get(category) or GERMEVAL2017_MAP.get(main)
        if mapped is not None:
            out.add(mapped)
    return frozenset(out)

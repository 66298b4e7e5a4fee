"""Complaint types: a taxonomy of what people complain about, matched with monitor queries.

Each type is a query in crisisdesk's monitoring language over German and English seed terms,
so a team reads, tests (``crisisdesk check-query``) and edits its taxonomy with the same tool it
uses for monitors, and all types of all posts are matched with one compiled prefilter. The
defaults cover common brand crises; a workspace replaces or extends them in ``crisisdesk.yaml``.

A trained classifier (:mod:`.complaint_model`, ``analysis.complaint_model``) can back the
queries: a type is then also given when the classifier is sure enough, so complaints in words
the queries lack are found too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from crisisdesk.sources.matcher import Matchable, MatchDoc, MonitorSet

if TYPE_CHECKING:
    from scipy import sparse

    from crisisdesk.analysis.complaint_model import ComplaintModel


class ComplaintType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_de: str
    label_en: str
    query: str


#: Types that name harm to people or legal action: a post with one is rarely neutral, whatever
#: the sentiment head learned (:data:`crisisdesk.analysis.linear.HARM_AT`).
HARM_TYPES = frozenset({"safety", "health", "legal"})

DEFAULT_TAXONOMY: tuple[ComplaintType, ...] = (
    ComplaintType(
        name="delivery_delay", label_de="Lieferung/Verspätung", label_en="Delivery/delay",
        query=(
            'verspät* OR "zu spät" OR "immer noch nicht" OR "noch nicht da" OR "nicht angekommen" '
            "OR lieferzeit* OR lieferverzug OR lieferung OR paket OR zustell* OR sendungsverfolgung "
            "OR wartezeit OR delay* OR late OR \"not arrived\" OR \"still waiting\" OR \"never arrived\" "
            "OR shipping OR delivery OR parcel OR package OR tracking OR \"late flight\" OR stranded"
        ),
    ),
    ComplaintType(
        name="product_defect", label_de="Produktmangel", label_en="Product defect",
        query=(
            'kaputt OR defekt* OR "funktioniert nicht" OR "geht nicht mehr" OR mangelhaft OR '
            "schrott OR reklamation OR garantie OR broken OR defect* OR faulty OR \"stopped working\" "
            "OR \"doesn't work\" OR \"does not work\" OR malfunction* OR warranty OR junk"
        ),
    ),
    ComplaintType(
        name="billing_price", label_de="Rechnung/Preis", label_en="Billing/price",
        query=(
            'rechnung OR abbuchung OR abgebucht OR "zu teuer" OR preiserhöhung OR gebühr* OR '
            "erstattung OR rückerstattung OR \"geld zurück\" OR abzocke OR abo OR kündigung OR "
            "refund* OR charged OR overcharged OR \"too expensive\" OR fee OR fees OR billing OR "
            "invoice OR \"money back\" OR ripoff OR \"rip off\" OR subscription OR voucher"
        ),
    ),
    ComplaintType(
        name="customer_service", label_de="Kundenservice", label_en="Customer service",
        query=(
            'hotline OR kundenservice OR kundendienst OR warteschleife OR "keine antwort" OR '
            "\"niemand erreichbar\" OR unfreundlich* OR servicewüste OR \"customer service\" OR "
            "support OR \"no response\" OR \"no answer\" OR \"on hold\" OR rude OR unhelpful OR "
            "\"nobody answers\" OR \"hung up\""
        ),
    ),
    ComplaintType(
        name="data_privacy", label_de="Daten/Datenschutz", label_en="Data/privacy",
        query=(
            "datenschutz OR datenleck OR datenpanne OR dsgvo OR gehackt OR hackerangriff OR "
            "\"meine daten\" OR privacy OR \"data breach\" OR \"data leak\" OR leaked OR hacked OR "
            "gdpr OR phishing OR \"my data\" OR \"personal data\""
        ),
    ),
    ComplaintType(
        name="safety", label_de="Sicherheit", label_en="Safety",
        query=(
            "gefahr OR gefährlich OR lebensgefährlich OR brand OR brennt OR feuer OR flammen OR "
            "explodiert OR explosion OR verletz* OR unfall OR rückruf OR giftig OR unsafe OR "
            "dangerous OR danger OR fire OR flames OR exploded OR explosion OR injur* OR accident OR "
            "recall OR toxic OR burned OR burning OR brennen OR verbrannt OR qualm* OR rauchentwicklung OR "
            "überhitz* OR \"in flammen\" OR overheat* OR \"caught fire\" OR "
            "\"on fire\" OR electrocut* OR stromschlag OR raucht OR \"rauch aus\" OR schmort OR "
            "geschmort OR \"smoke from\" OR \"smoke coming\" OR smoulder* OR smolder* OR "
            # People killed: phrases, not bare "dead"/"crash" (a dead battery, an app that crashed).
            "\"were killed\" OR \"people killed\" OR \"killed in\" OR \"feared dead\" OR \"death toll\" OR "
            "fatalities OR \"plane crash\" OR \"train crash\" OR \"crashed into\" OR derail* OR "
            "todesopfer OR \"ums leben\" OR getötet OR entgleis* OR flugzeugabsturz OR zugunglück"
        ),
    ),
    ComplaintType(
        name="ethics_discrimination", label_de="Ethik/Diskriminierung",
        label_en="Ethics/discrimination",
        query=(
            "rassis* OR diskrimin* OR sexis* OR ausbeut* OR kinderarbeit OR boykott* OR "
            "greenwashing OR homophob* OR racis* OR discriminat* OR exploitation OR \"child labor\" "
            "OR \"child labour\" OR boycott* OR homophobic OR transphobic OR unethical"
        ),
    ),
    ComplaintType(
        name="outage", label_de="Störung/Ausfall", label_en="Outage",
        query=(
            'ausfall OR ausfälle OR ausgefallen OR "fällt aus" OR "fallen aus" OR störung* OR '
            '"geht nicht" OR offline OR "nicht erreichbar" OR '
            "\"app stürzt\" OR fehlermeldung OR outage OR down OR \"not working\" OR \"can't log in\" "
            "OR \"cannot log in\" OR crashed OR crashes OR \"error message\" OR cancelled OR canceled"
        ),
    ),
    ComplaintType(
        name="health", label_de="Gesundheit", label_en="Health",
        query=(
            "lebensmittelvergiftung OR vergiftung OR vergiftet OR salmonell* OR listeri* OR schimmel* "
            "OR verschimmelt "
            "OR übelkeit OR erbrochen OR durchfall OR allergisch* OR \"krank geworden\" OR "
            "\"ins krankenhaus\" OR \"im krankenhaus\" OR \"food poisoning\" OR poisoned OR "
            "salmonella OR listeria OR mold OR mould OR moldy OR mouldy OR \"got sick\" OR vomit* OR "
            "diarrh* OR \"allergic reaction\" OR hospitali*"
        ),
    ),
    ComplaintType(
        name="legal", label_de="Rechtliche Schritte", label_en="Legal action",
        query=(
            "anwalt OR anwältin OR rechtsanwalt* OR anwaltlich* OR klage OR verklag* OR strafanzeige "
            "OR verbraucherzentrale OR \"rechtliche schritte\" OR lawyer OR lawyers OR attorney OR "
            "lawsuit OR sue OR suing OR \"legal action\" OR \"class action\""
        ),
    ),
)


class ComplaintClassifier:
    """Assigns complaint types to posts by their taxonomy queries (all compiled together),
    optionally backed by a trained classifier for the types it knows."""

    def __init__(self, taxonomy: Sequence[ComplaintType] = DEFAULT_TAXONOMY,
                 model: ComplaintModel | None = None) -> None:
        self.taxonomy = tuple(taxonomy)
        self.names = tuple(t.name for t in self.taxonomy)
        self.model = model
        self._set = MonitorSet.compile([(t.name, t.query) for t in self.taxonomy])

    def classify(self, doc: Matchable) -> list[str]:
        return self.classify_many([doc])[0]

    def classify_many(self, docs: Sequence[Matchable],
                      features: sparse.csr_matrix | None = None) -> list[list[str]]:
        """Types per post. ``features``: the batch's matrix in the model's feature space, when
        the caller has it already (the analyzer shares its own when they match)."""
        hits = self._set.match_many(docs)
        if self.model is None or not docs:
            return hits
        if features is None:
            features = self.model.featurizer.transform([d.text for d in docs])
        return self.model.combine_with(hits, self.model.probabilities(features), self.names)

    def classify_texts(self, texts: Sequence[str]) -> list[list[str]]:
        return self.classify_many([MatchDoc(t) for t in texts])

"""The labelled public data the analysis models learn from, as one typed list per set.

Training scripts, evaluation commands and tests ask for a set by name (``load("olid")``) and get
``Example`` objects whose labels use one vocabulary per task, whatever the source file called
them. The data itself never enters the repository (licences, size): it lives in a ``shared/data``
folder beside the checkout, or wherever ``CRISISDESK_DATA`` points. See the data README there
for provenance and licences; GermEval 2017 and airline are non-commercial (CC BY-NC), which any
model trained on them inherits.

Tasks and labels:

- sentiment: ``negative`` | ``neutral`` | ``positive`` (Mozetič has no neutral class)
- insult: ``offense`` | ``none``; offences carry ``("kind", "insult" | "abuse" | "profanity")``
- complaints: a complaint type (GermEval 2017 aspect category, airline ``negativereason``) or
  ``none``; GermEval 2017 keeps all its categories as ``("aspect", name)`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from crisisdesk.settings import load_settings
from crisisdesk.training.crossdomain import load_brands_de, load_brands_en
from crisisdesk.training.datasets_base import (
    NO_COMPLAINT,
    DataFormatError,
    DataNotFoundError,
    Example,
    LoadReport,
    Offense,
    OffenseKind,
    Sentiment,
)
from crisisdesk.training.datasets_germeval import (
    load_germeval2017,
    load_germeval2017_aspects,
    load_germeval2018,
    load_germeval2019_test,
    load_germeval2019_train,
)
from crisisdesk.training.datasets_split import near_duplicate_key, split
from crisisdesk.training.datasets_twitter import (
    load_airline,
    load_airline_complaints,
    load_davidson,
    load_mozetic_de,
    load_mozetic_en,
    load_olid,
)

__all__ = [
    "DATA_ROOT_ENV",
    "LOADERS",
    "NO_COMPLAINT",
    "TASKS",
    "DataFormatError",
    "DataNotFoundError",
    "Example",
    "LoadReport",
    "Loader",
    "Offense",
    "OffenseKind",
    "Sentiment",
    "data_root",
    "load",
    "load_with_report",
    "near_duplicate_key",
    "split",
]

DATA_ROOT_ENV = "CRISISDESK_DATA"


class Loader(Protocol):
    """A loader reads its files below the data root; it fills ``report`` when given one."""

    def __call__(self, root: Path, report: LoadReport | None = None, /) -> list[Example]: ...


LOADERS: dict[str, Loader] = {
    "germeval2017": load_germeval2017,
    "germeval2017_aspects": load_germeval2017_aspects,
    "germeval2018": load_germeval2018,
    "germeval2019_train": load_germeval2019_train,
    "germeval2019_test": load_germeval2019_test,
    "olid": load_olid,
    "davidson": load_davidson,
    "mozetic_de": load_mozetic_de,
    "mozetic_en": load_mozetic_en,
    "airline": load_airline,
    "airline_complaints": load_airline_complaints,
    "brands_de": load_brands_de,
    "brands_en": load_brands_en,
}

TASKS: dict[str, tuple[str, ...]] = {
    "sentiment": ("germeval2017", "mozetic_de", "mozetic_en", "airline", "brands_de", "brands_en"),
    "insult": ("germeval2018", "germeval2019_train", "germeval2019_test", "olid", "davidson"),
    "complaints": ("germeval2017_aspects", "airline_complaints"),
}


def data_root(
    *, environ: Mapping[str, str] | None = None, search_from: Sequence[Path] | None = None,
    ceiling: Path | None = None,
) -> Path:
    """The folder holding the labelled sets.

    ``CRISISDESK_DATA`` wins when set. Otherwise the first ``shared/data`` folder found walking up
    from the working directory, then from this file (or from ``search_from``): scripts run from
    anywhere inside the checkout, and an editable install still finds the data beside its source
    tree. ``environ``, ``search_from`` and ``ceiling`` (the walk looks no higher than this folder)
    exist for tests, whose outcome must not depend on where the checkout sits.
    """
    if environ is None:
        setting = load_settings().data  # settings.py is the one reader of the environment
        configured = str(setting) if setting else None
    else:
        configured = environ.get(DATA_ROOT_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"{DATA_ROOT_ENV}={configured} is not a directory")
        return path
    starts = search_from if search_from is not None else (Path.cwd(), Path(__file__).resolve().parent)
    looked: list[str] = []
    for origin in starts:
        for folder in (origin.resolve(), *origin.resolve().parents):
            candidate = folder / "shared" / "data"
            if candidate.is_dir():
                return candidate
            if ceiling is not None and folder == ceiling.resolve():
                break
        looked.append(str(origin))
    raise DataNotFoundError(
        f"no shared/data folder above {' or '.join(looked)}; set {DATA_ROOT_ENV} to the folder "
        "holding the labelled data sets"
    )


def load_with_report(name: str, *, root: Path | None = None) -> tuple[list[Example], LoadReport]:
    """A set by name, with the counts of what was read, kept, skipped and dropped."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(sorted(LOADERS))}") from None
    report = LoadReport(name)
    examples = loader(root if root is not None else data_root(), report)
    return examples, report


def load(name: str, *, root: Path | None = None) -> list[Example]:
    """A set by name (a key of ``LOADERS``); malformed rows are skipped, see ``load_with_report``."""
    return load_with_report(name, root=root)[0]

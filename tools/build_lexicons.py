"""Build the polarity word lists shipped in ``src/crisisdesk/analysis/lexicon/``.

Run once when a source changes; the output is committed, the sources are not:

* German: the German Polarity Lexicon of Klenner, Clematide, Wiegand and Peters (2010), in the
  XML form that textblob-de ships (``textblob_de/data/de-sentiment.xml``, Apache License 2.0):
  ``pip download --no-deps textblob-de`` and unzip the wheel.
* English: VADER's ``vader_lexicon.txt`` (Hutto and Gilbert 2014, MIT licence), from the
  vaderSentiment package (a dev dependency of this project).

Usage: ``python tools/build_lexicons.py PATH/de-sentiment.xml``
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "crisisdesk" / "analysis" / "lexicon"


def german(xml_path: Path) -> list[str]:
    rows = []
    # The file is the one named in the docstring, read on a developer's machine: not untrusted.
    for word in ET.parse(xml_path).getroot().iter("word"):  # noqa: S314
        form = word.get("form", "").strip()
        polarity = float(word.get("polarity") or 0)
        if not form or " " in form or "_" in form or abs(polarity) < 0.3:
            continue
        rows.append(f"{form}\t{word.get('pos', 'JJ')}\t{polarity:+.1f}")
    return sorted(set(rows))


def english() -> list[str]:
    import vaderSentiment

    path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].replace("'", "").replace("-", "").isalpha():
            continue  # emoticons like ":-(" are not words; the emoji list covers faces
        valence = float(parts[1]) / 4  # VADER rates -4..+4
        if abs(valence) >= 0.3:
            rows.append(f"{parts[0]}\tJJ\t{valence:+.1f}")
    return sorted(set(rows))


def main() -> None:
    header = "# form\tpos\tpolarity (-1..+1)\n"
    german_rows = german(Path(sys.argv[1]))
    (OUT / "de_polarity.tsv").write_text(header + "\n".join(german_rows) + "\n", encoding="utf-8")
    (OUT / "en_polarity.tsv").write_text(header + "\n".join(english()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

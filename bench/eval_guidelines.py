"""Precision and recall of the reply guideline checker per code, on labelled replies.

    python bench/eval_guidelines.py FILE.jsonl [FILE.jsonl ...] [--split dev|heldout] [--errors CODE]

Each line of a file is one reply: ``{"id", "lang": "de"|"en", "split": "dev"|"heldout", "text",
"complaint": bool, "codes": [...], "name": str|null, "corpus": str}``. ``complaint`` is passed as
``apology_expected`` (a complaint calls for an apology, empathy and a next step), ``name`` as the
known name. A reply counts once per code (a code found twice in one reply is one prediction).
The labelled data stays outside the repository (licences; see ``docs/guidelines.md`` for where it
comes from and how it was labelled).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from crisisdesk.guidelines import Code, check


def load(paths: list[Path]) -> list[dict[str, Any]]:
    items = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    return items


def score(items: list[dict[str, Any]], *, errors: str | None = None) -> dict[str, Counter[str]]:
    """Per code: tp, fp, fn, and how many replies could have it (``n``)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        found = {
            f.code.value
            for f in check(
                item["text"], item["lang"], name=item.get("name"), apology_expected=bool(item["complaint"])
            )
        }
        gold = set(item["codes"])
        for code in Code:
            c = code.value
            if code is Code.NO_NAME and not item.get("name"):
                continue  # the name is unknown: the code cannot apply, and is not scored
            counts[c]["n"] += 1
            hit, want = c in found, c in gold
            counts[c]["tp" if hit and want else "fp" if hit else "fn" if want else "tn"] += 1
            if errors == c and hit != want:
                print(f"  {'FP' if hit else 'FN'} {item['id']}: {item['text'][:200]!r}")
    return counts


def table(title: str, counts: dict[str, Counter[str]]) -> None:
    print(f"\n{title}")
    print(f"  {'code':<20} {'gold':>5} {'found':>6} {'precision':>10} {'recall':>8}")
    for code in Code:
        c = counts.get(code.value)
        if not c or not c["n"]:
            print(f"  {code.value:<20} {'(not scored: no reply with a known name)':>40}")
            continue
        gold, found = c["tp"] + c["fn"], c["tp"] + c["fp"]
        precision = f"{c['tp'] / found:.2f}" if found else "–"
        recall = f"{c['tp'] / gold:.2f}" if gold else "–"
        print(f"  {code.value:<20} {gold:>5} {found:>6} {precision:>10} {recall:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--split", choices=["dev", "heldout"], help="Only this part [default: each part].")
    parser.add_argument("--errors", metavar="CODE", help="List the false positives and negatives of CODE.")
    args = parser.parse_args()
    items = load(args.files)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if args.split and item["split"] != args.split:
            continue
        source = "own (written)" if item.get("corpus") == "own" else "real"
        groups[(item["split"], f"{item['lang']} {source}")].append(item)
    for (split, what), part in sorted(groups.items()):
        table(f"{split} · {what} · {len(part)} replies", score(part, errors=args.errors))
    for split in sorted({s for s, _ in groups}):
        real = [i for (s, w), part in groups.items() if s == split and "real" in w for i in part]
        if real:
            table(f"{split} · all real replies (de + en) · {len(real)} replies", score(real))


if __name__ == "__main__":
    main()

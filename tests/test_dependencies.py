"""Every module the package imports is declared in pyproject.toml.

A dependency that only arrives through another package (jinja2 through torch) passes every test in a
development environment and breaks a plain ``pip install``; this test reads the imports of the
source tree and checks each top-level third-party name against the declared requirements: the base
``dependencies`` for every module, or an extra for the modules that import it lazily and say so.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "crisisdesk"

#: Imports that only optional features make, inside the function that needs them, and the extra
#: that provides them.
OPTIONAL = {"torch": "transformers", "transformers": "transformers", "psycopg": "postgres",
            "weasyprint": "pdf"}


def _requirement_name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {_requirement_name(s) for s in project["dependencies"]}
    extras = {name: {_requirement_name(s) for s in specs}
              for name, specs in project.get("optional-dependencies", {}).items()}
    return base, extras


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_imported_distribution_is_declared() -> None:
    base, extras = _declared()
    dists = packages_distributions()
    missing: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        for name in sorted(_top_level_imports(path)):
            if name in sys.stdlib_module_names or name in {"crisisdesk", "__future__"}:
                continue
            provided = {d.lower().replace("_", "-").replace(".", "-") for d in dists.get(name, [name])}
            if provided & base:
                continue
            extra = OPTIONAL.get(name)
            if extra is not None and provided & extras.get(extra, set()):
                continue
            missing.append(f"{path.relative_to(ROOT)}: {name} ({', '.join(sorted(provided))})")
    assert not missing, "imported but not declared in pyproject.toml dependencies:\n" + "\n".join(missing)


def test_the_check_sees_an_undeclared_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import jinja2\nfrom markupsafe import Markup\nimport os\nfrom . import x\n")
    assert _top_level_imports(module) == {"jinja2", "markupsafe", "os"}
    assert "jinja2" in _declared()[0], "jinja2 is imported by the web app and must be a base dependency"

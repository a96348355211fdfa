"""The report layer's layout: what it exports, what its leaf modules import, and that the notebooks
call only what the report modules export.

These are static facts of the code, checked by importing modules in a fresh interpreter or by
reading their syntax trees (no season is computed).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest
from conftest import REPO

import shnor_lib.report as report
from shnor_lib.report import cards, plots, sections
from shnor_lib.report import html as report_html

REPORT = REPO / "shnor_lib" / "report"
# batch.py imports cli._check_selection; the contract room moves that check out of the CLI
KNOWN_PRIVATE_IMPORTS = {("batch.py", "_check_selection")}


def test_every_public_name_of_the_report_package_resolves():
    for name in report.__all__:
        assert getattr(report, name) is not None, name


def test_the_formatter_is_a_leaf_that_loads_no_plotting_or_notebook_machinery():
    code = ("import sys, shnor_lib.report.format, shnor_lib.analysis.rules; "
            "print([m for m in ('matplotlib', 'nbconvert', 'IPython', 'shnor_lib.report.sections') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_report_modules_import_no_private_names_of_other_modules():
    found = set()
    for path in REPORT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                found |= {(path.name, a.name) for a in node.names
                          if a.name.startswith("_") and not a.name.endswith("__")}
    assert found <= KNOWN_PRIVATE_IMPORTS


def test_section_modules_export_what_the_sections_package_exports():
    for path in (REPORT / "sections").glob("*.py"):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = next(ast.literal_eval(n.value) for n in tree.body
                     if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "__all__")
        assert set(names) <= set(sections.__all__), path.name


@pytest.mark.parametrize("notebook", ["season_report", "school_card", "pervouralsk_2022"])
def test_notebooks_call_only_names_the_report_modules_export(notebook):
    nb = json.loads((REPO / "notebooks" / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    aliases = dict(re.findall(r"from shnor_lib\.report import (\w+) as (\w+)", code))
    aliases.update({m: m for m in re.findall(r"from shnor_lib\.report import (\w+)$", code, re.M)})
    modules = {"sections": sections, "html": report_html, "plots": plots, "cards": cards}
    calls = 0
    for module, alias in aliases.items():
        if module not in modules:
            continue
        for name in set(re.findall(rf"\b{alias}\.(\w+)", code)):
            assert name in modules[module].__all__, f"{notebook}: {alias}.{name}"
            calls += 1
    assert calls > 0

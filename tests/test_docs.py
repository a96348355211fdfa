"""The documentation site (mkdocs.yml, docs/): it builds strictly and offline, and what it states
about the program — parameter defaults, output columns, messages, public API, section numbers —
is checked against the program itself, so the pages cannot drift from the code."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

import shnor_lib
from shnor_lib import band_group, wilson_interval
from shnor_lib.cli import main as shnor_main

DOCS = REPO / "docs"
BAD_INPUTS = REPO / "tests" / "bad_inputs"


def _pages() -> dict[str, str]:
    return {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md"))}


def _tables(text: str) -> list[tuple[int, list[str], list[list[str]]]]:
    """Markdown tables of a page: (position, header cells, body rows of cells)."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-|: ]+\|$", lines[i + 1]):
            header = _cells(lines[i])
            body, j = [], i + 2
            while j < len(lines) and lines[j].startswith("|"):
                body.append(_cells(lines[j]))
                j += 1
            out.append((i, header, body))
            i = j
        else:
            i += 1
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _code(cell: str) -> str:
    m = re.fullmatch(r"`([^`]+)`", cell.strip())
    assert m, f"expected a single `code` cell, got {cell!r}"
    return m.group(1)


# ---------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                         cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    log = run.stdout + run.stderr
    # --strict (and strict: true in mkdocs.yml) turns every warning into a failure: broken links,
    # missing anchors, pages left out of the nav, docstrings mkdocstrings cannot parse.
    assert run.returncode == 0, log
    assert "WARNING" not in log, log
    return out


def test_site_builds_strictly_with_every_page_in_the_nav(site):
    built = {str(p.relative_to(site)) for p in site.rglob("*.html")}
    for page in _pages():
        assert page.replace(".md", ".html") in built, page


def test_site_needs_no_network(site):
    # Offline readers: no web fonts, no scripts or styles from another host.
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        external = re.findall(r"<(?:script|link)\b[^>]*(?:src|href)=\"(?:https?:)?//[^\"]+\"", html)
        assert not external, (page, external)
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, page


def test_generated_parts_are_filled_from_the_project(site):
    contract = (site / "methodology" / "data-contract.html").read_text(encoding="utf-8")
    for spec in shnor_lib.CONTRACT.values():
        for col in spec.columns:
            assert f"<code>{col.name}</code>" in contract, col.name
    assert "shnor:" not in contract  # no marker left unreplaced
    params = (site / "guide" / "parameters.html").read_text(encoding="utf-8")
    assert "shnor_threshold" in params and "shnor:default-yml" not in params
    monitoring = (site / "methodology" / "monitoring.html").read_text(encoding="utf-8")
    assert "shnor_shnsu_share" in monitoring and "shnor:indicators" not in monitoring


def test_api_reference_renders_the_docstrings(site):
    html = (site / "research" / "api.html").read_text(encoding="utf-8")
    assert "Compute statuses, indices, model and clusters for one municipality and year." in html
    assert "Wilson score interval for a binomial proportion" in html


# ---------------------------------------------------------------- parameters


def _default(key: str):
    node = yaml.safe_load((REPO / "parameters" / "default.yml").read_text(encoding="utf-8"))
    for part in key.split("."):
        assert isinstance(node, dict) and part in node, f"параметра «{key}» нет в parameters/default.yml"
        node = node[part]
    return node


def test_every_parameter_table_states_the_default_of_default_yml():
    checked = 0
    for name, text in _pages().items():
        for _, header, body in _tables(text):
            if header[:2] != ["Параметр", "По умолчанию"]:
                continue
            for row in body:
                key, value = _code(row[0]), yaml.safe_load(_code(row[1]))
                assert value == _default(key), f"{name}: `{key}` documented as {value!r}, default.yml has {_default(key)!r}"
                checked += 1
    assert checked >= 60  # the Методика has a parameter table in every section


def test_every_default_stated_in_the_text_is_the_one_of_default_yml():
    pattern = re.compile(r"`([a-z_][a-z0-9_.]*)`\s*\(по умолчанию\s*`([^`]+)`")
    checked = 0
    for name, text in _pages().items():
        for key, value in pattern.findall(text):
            assert yaml.safe_load(value) == _default(key), f"{name}: `{key}` (по умолчанию `{value}`)"
            checked += 1
    assert checked >= 20


_EXTENSIONS = {"csv", "xlsx", "yml", "json", "txt", "md", "html", "pdf", "ipynb", "py"}


def test_every_dotted_parameter_named_in_the_docs_exists():
    top = set(yaml.safe_load((REPO / "parameters" / "default.yml").read_text(encoding="utf-8")))
    for text in _pages().values():
        for key in re.findall(r"`([a-z_]+(?:\.[a-z_0-9]+)+)`", text):
            if key.split(".")[0] in top and key.rsplit(".", 1)[1] not in _EXTENSIONS:  # not a file name
                _default(key)  # fails with the key's name when it is not in default.yml


# ---------------------------------------------------------------- output columns


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert shnor_main(["compute", "--data-root", str(REPO / "data_raw"), "--municipality", "demo",
                       "--year", "2024", "--out", str(out)]) == 0
    return out / "demo" / "2024"


def _documented_columns() -> dict[str, list[str]]:
    found = {}
    for name, text in _pages().items():
        for m in re.finditer(r"<!-- columns: (\S+) -->\n", text):
            tables = [t for t in _tables(text[m.end():]) if t[0] == 0]
            assert tables, f"{name}: no table right after {m.group(0).strip()}"
            found[m.group(1)] = [_code(row[0]) for row in tables[0][2]]
    return found


def test_documented_columns_are_the_columns_compute_writes_on_the_demo(demo_outputs):
    documented = _documented_columns()
    written = sorted(p.name for p in demo_outputs.glob("*.csv"))
    assert sorted(documented) == written  # every CSV documented, nothing documented that is not written
    for name, columns in documented.items():
        with open(demo_outputs / name, encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert columns == header, name


def test_schools_xlsx_has_the_columns_of_schools_csv(demo_outputs):
    from openpyxl import load_workbook

    ws = load_workbook(demo_outputs / "schools.xlsx", read_only=True).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header == _documented_columns()["schools.csv"]


def test_manifest_fields_documented_are_the_fields_written(demo_outputs):
    import json

    text = _pages()["outputs/manifest.md"]
    table = [t for t in _tables(text) if t[1][0] == "Поле"][0][2]
    documented = [k for row in table for k in re.findall(r"`([a-z_]+)`", row[0])]
    written = list(json.loads((demo_outputs / "manifest.json").read_text(encoding="utf-8")))
    assert documented == written


# ---------------------------------------------------------------- messages


def _expected_texts() -> dict[str, str]:
    return {p.parent.name: p.read_text(encoding="utf-8") for p in sorted(BAD_INPUTS.glob("*/expected.txt"))}


def test_every_message_quoted_in_the_guide_is_one_the_program_prints():
    text = _pages()["guide/messages.md"]
    blocks = re.findall(r"```text\n(.*?)```", text, flags=re.S)
    quoted = [line for b in blocks for line in b.splitlines() if line.strip()]
    assert len(quoted) >= 40
    expected = "\n".join(_expected_texts().values())
    for line in quoted:
        assert line in expected, f"docs/guide/messages.md quotes a message no bad-input case prints: {line}"


def test_every_bad_input_case_is_explained_in_the_guide():
    text = _pages()["guide/messages.md"]
    for case in _expected_texts():
        code = case.split("_")[0]
        assert f"`{code}`" in text, f"tests/bad_inputs/{case} is not explained in docs/guide/messages.md"


# ---------------------------------------------------------------- API and citations


def test_api_reference_lists_exactly_the_public_names():
    text = _pages()["research/api.md"]
    listed = re.findall(r"^::: shnor_lib\.(\w+)$", text, flags=re.M)
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(shnor_lib.__all__)


def _section_ids() -> set[str]:
    ids = set()
    for name, text in _pages().items():
        if name.startswith("methodology/"):
            ids.update(re.findall(r"\{ #(s[\d-]+) \}", text))
    return ids


def test_every_section_the_code_cites_exists_in_the_methodology():
    ids = _section_ids()
    cited = 0
    for path in sorted((REPO / "shnor_lib").rglob("*.py")):
        for sec in re.findall(r"§\s?(\d+(?:\.\d+)*)", path.read_text(encoding="utf-8")):
            assert "s" + sec.replace(".", "-") in ids, f"{path.relative_to(REPO)} cites §{sec}, absent from docs/methodology"
            cited += 1
    assert cited >= 10


def test_nothing_points_at_a_methodology_outside_the_repository():
    files = [REPO / "README.md", *sorted((REPO / "shnor_lib").rglob("*.py"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "METHODOLOGY" not in text, (
            f"{path.relative_to(REPO)}: cite the documentation instead («Методика §N, docs/methodology/…»)")


# ---------------------------------------------------------------- worked examples


def _ru(x: float, digits: int) -> str:
    return f"{x:.{digits}f}".replace(".", ",").replace("-", "−")


def test_worked_examples_of_the_methodology_are_what_the_library_computes():
    metrics = _pages()["methodology/metrics.md"]
    for k, n, lo_hi in ((195, 287, "62,3 %–73,1 %"), (31, 76, "30,4 %–52,0 %"), (4, 20, "8,1 %–41,6 %")):
        lo, hi = wilson_interval(k, n)
        assert f"{_ru(100 * float(lo), 1)} %–{_ru(100 * float(hi), 1)} %" == lo_hi
        assert lo_hi in metrics
    # ИСБШ of the four-school example (Методика §4.1), through the library's own function.
    import numpy as np
    import pandas as pd

    from shnor_lib.analysis.indices import compute_isbsh

    shares = pd.DataFrame({"municipality": "m", "year": 2024, "school_id": ["1", "2", "3", "4"],
                           "both_parents_higher_ed": [0.10, 0.20, 0.30, 0.40],
                           "on_register": [0.04, 0.02, 0.02, 0.00]})
    for c in ("unemployed_parents", "single_parent", "non_native_russian"):
        shares[c] = np.nan
    out, _ = compute_isbsh(shares, shnor_lib.load_params())
    indices = _pages()["methodology/indices.md"]
    for sid, z, group, quartile in zip(out["school_id"], out["isbsh"], out["isbsh_group"], out["isbsh_quartile"]):
        shown = ("+" if z > 0 else "") + _ru(z, 3)
        assert f"| {sid} |" in indices and f"| {shown} | {int(group)} | {int(quartile)} |" in indices, (sid, shown)
    assert list(band_group([-1.396, -0.227, 0.227, 1.396])) == [3, 6, 6, 9]


def test_percent_conversion_example_is_the_one_of_the_bad_input_case():
    # Методика §10.5 works through 179 × 43,0/26,3/21,8/8,9 %; the case r01 prints the result.
    expected = _expected_texts()["r01_percentages_converted"]
    assert "77+47+39+16" in expected
    assert "77 + 47 + 39 + 16 = 179" in _pages()["methodology/data-contract.md"]
    rows = list(csv.DictReader(io.StringIO(expected)))
    assert rows[0]["action"] == "преобразована"

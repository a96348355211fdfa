"""The season report notebook: committed clean, declares its parameters, runs on the demo.

The notebook is executed once per module with papermill (about 20 s: it computes the three
demo seasons for sections 8–11) on the demo season — or on Pervouralsk 2022 while the demo is
not generated yet — and each test then checks one property of the executed notebook.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path

import nbformat
import papermill
import pytest
from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "season_report.ipynb"
PARAMETERS = ["municipality", "year", "data_root", "params_file", "school_cards", "published_root"]
SECTIONS = ["## 1. Итоги", "## 2. Выявленные школы", "## 3. Результаты оценочных процедур",
            "## 4. Объективность результатов", "## 5. Социальный контекст и учительский ресурс",
            "## 6. Качество с учётом контекста", "## 7. Кластеры школ", "## 8. Показатели мониторинга",
            "## 9. Рисковые профили", "## 10. Динамика", "## 11. Школы-лидеры", "## 12. Качество данных",
            "## 13. Методика"]
DEMO_READY = (REPO / "data_raw" / "demo" / "2024" / "results.csv").exists()
SEASON = ("demo", 2024) if DEMO_READY else ("pervouralsk", 2022)


def test_notebook_is_committed_without_outputs_or_execution_counts():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] for c in code)
    assert all(c.execution_count is None for c in code)


def test_parameters_cell_declares_exactly_the_report_parameters():
    declared = papermill.inspect_notebook(str(NOTEBOOK))
    assert list(declared) == PARAMETERS
    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", [])


def test_parameters_default_to_the_demo_with_paths_relative_to_the_notebook():
    declared = papermill.inspect_notebook(str(NOTEBOOK))
    defaults = {k: v["default"] for k, v in declared.items()}
    assert defaults == {"municipality": '"demo"', "year": "2024", "data_root": '"../data_raw"',
                        "params_file": "None",
                        "school_cards": "True", "published_root": "None"}


def test_notebook_cells_hold_calls_not_logic():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for c in nb.cells:
        if c.cell_type != "code" or "setup" in c.metadata.get("tags", []):
            continue
        lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert len(lines) <= 6, c.source
        assert "def " not in c.source and "class " not in c.source


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from traitlets.config import Config

    out = tmp_path_factory.mktemp("report")
    municipality, year = SEASON
    sockets = tempfile.mkdtemp(prefix="shnor-k-")
    # a private IPC socket per kernel (papermill issue #511; silences the TCP warning)
    config = Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/k-{uuid.uuid4().hex[:12]}"}})
    return papermill.execute_notebook(
        str(NOTEBOOK), str(out / "report.ipynb"), kernel_name="python3", progress_bar=False, start_timeout=60,
        parameters={"municipality": municipality, "year": year, "data_root": str(REPO / "data_raw"),
                    "params_file": None},
        cwd=str(NOTEBOOK.parent), config=config)


def _sections(nb) -> dict[str, list]:
    """Code-cell outputs grouped by the «## N.» section they follow."""
    current, out = None, {}
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.startswith("## "):
            current = c.source.splitlines()[0]
            out[current] = []
        elif c.cell_type == "code" and current:
            out[current].extend(c.get("outputs", []))
    return out


def test_executed_report_has_every_section_heading_in_order(executed):
    headings = [c.source.splitlines()[0] for c in executed.cells if c.cell_type == "markdown"
                and c.source.startswith("## ")]
    assert headings == SECTIONS


def test_sections_3_5_6_and_9_show_charts(executed):
    sections = _sections(executed)
    for h in (SECTIONS[2], SECTIONS[4], SECTIONS[5], SECTIONS[8]):
        images = [o for o in sections[h] if "image/png" in o.get("data", {})]
        assert images, h
        assert all(o["metadata"]["image/png"]["alt"] for o in images)  # Russian alt text for each figure


def test_every_section_has_a_generated_conclusion(executed):
    for h, outputs in _sections(executed).items():
        if h in SECTIONS:
            assert any("text/markdown" in o.get("data", {}) for o in outputs), h


def test_title_carries_the_municipality_and_year(executed):
    from shnor_lib import load_params

    municipality, year = SEASON
    first = next(o for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    title = first["data"]["text/markdown"]
    assert title.startswith("# Аналитическая справка")
    name = load_params(municipality, None, REPO / "parameters").get("municipality_name") or municipality
    assert name in title and str(year) in title


def _text_of(outputs, mime="text/markdown") -> str:
    return "\n".join(o.get("data", {}).get(mime, "") for o in outputs)


def test_identified_schools_link_to_their_cards(executed):
    html = _text_of(_sections(executed)[SECTIONS[1]], "text/html")
    assert re.search(r'<a href="schools/[^"/]+\.html">[^<]+</a>', html)
    if SEASON == ("demo", 2024):
        for sid in ("7", "14", "33", "3"):  # ШНОР, ШНОР+ШНСУ, ШНСУ, зона риска (data_raw/demo/README.md)
            assert f'<a href="schools/{sid}.html">{sid}</a>' in html


@pytest.mark.skipif(not DEMO_READY, reason="the demo season is not generated")
def test_monitoring_risk_dynamics_and_leaders_show_real_content_on_the_demo(executed):
    sec = _sections(executed)
    monitoring = _text_of(sec[SECTIONS[7]])
    assert "план выполнен по" in monitoring and "Динамика за 2022–2024 годы" in monitoring
    assert "План выполнен" in _text_of(sec[SECTIONS[7]], "text/html")
    assert "Адресные рекомендации:" in _text_of(sec[SECTIONS[8]])
    dynamics = _text_of(sec[SECTIONS[9]])
    assert "**2023 → 2024**" in dynamics and "не рассчитывается" not in dynamics
    assert "Причина" in _text_of(sec[SECTIONS[9]], "text/html")  # «что изменилось и почему»
    assert "Предложено" in _text_of(sec[SECTIONS[10]])


def test_report_has_no_errors_warnings_or_missing_values(executed):
    for c in executed.cells:
        for o in c.get("outputs", []):
            assert o["output_type"] != "error"
            assert not (o["output_type"] == "stream" and o["name"] == "stderr"), o.get("text")
            for mime in ("text/markdown", "text/html"):
                text = o.get("data", {}).get(mime, "")
                assert not re.search(r"\b(NaN|nan|None|NaT)\b", text), text[:300]


def test_prose_uses_decimal_commas(executed):
    for c in executed.cells:
        for o in c.get("outputs", []):
            text = o.get("data", {}).get("text/markdown", "")
            text = re.sub(r"`[^`]*`", "", text)  # formulas in code spans
            assert not re.search(r"\d\.\d", text), text[:300]


def test_all_figures_are_closed(executed):
    # each chart is displayed once as a PNG (show_figure) — the inline backend adds none at cell end
    for c in executed.cells:
        pngs = [o for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert all(o["output_type"] == "display_data" for o in pngs)
        assert len(pngs) <= 3


def test_template_stays_clean_after_a_run(executed):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")
    assert Path(NOTEBOOK).read_text(encoding="utf-8").count('"execution_count": null') == \
        sum(c.cell_type == "code" for c in nb.cells)

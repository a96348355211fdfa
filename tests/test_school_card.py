"""The school card notebook: committed clean, declares exactly its six parameters, and runs for a
ШНОР and a ШНСУ school of the demo and for a Pervouralsk school (one year, no monitoring file).

Each card is executed once per module with papermill (about 8 s each); the tests then read the
executed notebooks. The card's page count is checked by hand with the project's exporter (it
needs Chromium): two A4 pages for every school of interest of the demo 2024.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from types import SimpleNamespace

import nbformat
import papermill
import pytest
from conftest import REPO

from shnor_lib.report import cards, sections

NOTEBOOK = REPO / "notebooks" / "school_card.ipynb"
DEFAULTS = {"municipality": '"demo"', "year": "2024", "school_id": '"7"', "data_root": '"../data_raw"',
            "params_file": "None"}
SECTIONS = ["#### Статус и основания", "#### Результаты по классам и предметам", "#### Положение с учётом контекста",
            "#### Рисковый профиль", "#### Рекомендации", "#### Школа-лидер", "#### Динамика за три года"]
# data_raw/demo/README.md: 7 is ШНОР («два года подряд»), 33 is ШНСУ with the risk-zone flag
RUNS = {"shnor": ("demo", 2024, "7"), "shnsu": ("demo", 2024, "33"), "pervouralsk": ("pervouralsk", 2022, "3")}


def test_card_is_committed_without_outputs_or_execution_counts():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_card_declares_exactly_its_five_parameters():
    declared = papermill.inspect_notebook(str(NOTEBOOK))
    assert {k: v["default"] for k, v in declared.items()} == DEFAULTS
    first = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    assert first.metadata.get("tags") == ["parameters"]


def test_card_cells_hold_calls_not_logic():
    for c in nbformat.read(NOTEBOOK, as_version=4).cells:
        if c.cell_type != "code" or {"setup", "parameters"} & set(c.metadata.get("tags", [])):
            continue
        lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert len(lines) <= 6 and "def " not in c.source, c.source


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from traitlets.config import Config

    out = tmp_path_factory.mktemp("cards")
    sockets = tempfile.mkdtemp(prefix="shnor-k-")
    runs = {}
    for key, (municipality, year, school_id) in RUNS.items():
        # a private IPC socket per kernel (papermill issue #511)
        config = Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/k-{uuid.uuid4().hex[:12]}"}})
        runs[key] = papermill.execute_notebook(
            str(NOTEBOOK), str(out / f"{key}.ipynb"), kernel_name="python3", progress_bar=False, start_timeout=60,
            parameters={"municipality": municipality, "year": year, "school_id": school_id,
                        "data_root": str(REPO / "data_raw"), "params_file": None},
            cwd=str(NOTEBOOK.parent), config=config)
    return runs


def _markdown(nb) -> str:
    return "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))


def _html(nb) -> str:
    return "\n".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("key", list(RUNS))
def test_card_runs_clean_and_shows_every_section(executed, key):
    nb = executed[key]
    headings = [c.source.strip() for c in nb.cells if c.cell_type == "markdown"]
    assert headings == SECTIONS
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o["output_type"] != "error"
            assert not (o["output_type"] == "stream" and o["name"] == "stderr"), o.get("text")
    text = _markdown(nb) + _html(nb)
    assert not re.search(r"\b(NaN|nan|None|NaT)\b", text)
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1 and images[0]["metadata"]["image/png"]["alt"]


@pytest.mark.parametrize("key", list(RUNS))
def test_card_title_names_the_school_its_code_and_year(executed, key):
    municipality, year, school_id = RUNS[key]
    title = _markdown(executed[key]).splitlines()[0]
    assert re.fullmatch(rf"# Карточка школы: .+ \(код {school_id}\), {year}", title), title


def test_shnor_card_gives_status_reasons_recommendations_leader_and_trend(executed):
    text = _markdown(executed["shnor"])
    assert "**Статус 2024: ШНОР** — по условию «два года подряд»." in text
    assert "ВПР 2023, математика: 36,2% (111 из 307)" in text  # data_raw/demo/README.md, school 7
    assert "**Школа-лидер:" in text
    assert "Изменения статуса" in text or "Почему" in text or "2022→2023" in text
    html = _html(executed["shnor"])
    assert "95% ДИ" in html and "статус ШНОР" in html and "2022" in html and "2024" in html


def test_shnsu_card_says_shnsu_with_the_risk_flag(executed):
    text = _markdown(executed["shnsu"])
    assert "**Статус 2024: ШНСУ**; есть и признаки зоны риска." in text
    assert "ШНСУ: группа ИСБШ ≤ 2: группа 1" in text
    assert "**высокая значимость" in text


def test_pervouralsk_card_says_what_is_missing(executed):
    text = _markdown(executed["pervouralsk"])
    assert "нет файла monitoring за 2022 год" in text
    assert "Динамика не рассчитывается: загружен один год (2022)" in text
    assert "Группа ИСБШ 5 из 11 (опубликованная; ИСБШ не рассчитан)" in text


def test_template_stays_clean_after_the_runs(executed):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------- pure helpers of shnor_lib.report.cards

def test_consecutive_years_end_with_the_report_year():
    assert cards.consecutive_years([2024, 2022, 2023, 2020], 2024) == [2022, 2023, 2024]
    assert cards.consecutive_years([2022], 2022) == [2022]
    with pytest.raises(ValueError):
        cards.consecutive_years([2022, 2023], 2024)


def test_measure_headline_keeps_the_first_clause_within_the_limit():
    # the report's table by school shows first clauses; the full text is in its list of measures
    assert sections.measure_headline("Провести аудит базы: интернет, техника.") == "Провести аудит базы\u00a0…"
    assert sections.measure_headline("Коротко и ясно.") == "Коротко и ясно"
    long = "Слово " * 30
    assert len(sections.measure_headline(long)) <= 92 and sections.measure_headline(long).endswith("…")


def test_card_recommendations_give_the_full_measure_its_addressee_and_reason_in_words():
    from report_season import recommendations_frame
    ctx = SimpleNamespace(recommendations=recommendations_frame())
    t = cards.recommendations_table(ctx, "1")
    assert list(t.columns) == ["Мера", "Кто выполняет", "Основание"]
    assert list(t["Мера"]) == ["Мера S01.", "Мера O01.", "Мера O02."]  # the full text, no code, no «…»
    assert t["Кто выполняет"].iat[0] == "руководитель ОО"
    assert t["Основание"].iat[2] == "фактор риска 1 — низкий уровень оснащения школы (высокая значимость)"

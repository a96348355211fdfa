"""The season workbook ``таблицы.xlsx`` (``shnor_lib.io.workbook``) and CSV tables without float noise
(``shnor_lib.io.writers.plain_numbers``).

The demo 2024 season is computed once (module fixture); its workbook is read back with openpyxl
the way Excel would show it: Russian headers, number formats, «да»/«нет», frozen header, filter.
"""

from __future__ import annotations

import io
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import REPO

import shnor_lib as sh
from shnor_lib.io.workbook import SHEETS, season_tables, workbook_bytes
from shnor_lib.io.writers import csv_text


@pytest.fixture(scope="module")
def season():
    data = sh.load_dataset(REPO / "data_raw", "demo")
    return sh.compute_season(data, "demo", 2024, sh.load_params("demo"))


@pytest.fixture(scope="module")
def book(season):
    data = workbook_bytes(season_tables(season))
    return data, openpyxl.load_workbook(io.BytesIO(data))


def _column(ws, header):
    heads = [c.value for c in ws[1]]
    return heads.index(header) + 1


def test_workbook_has_a_sheet_per_table_with_frozen_header_and_filter(book):
    _, wb = book
    assert wb.sheetnames == list(SHEETS)
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.max_row > 1, ws.title


def test_workbook_headers_are_russian_not_column_keys(book):
    _, wb = book
    for ws in wb:
        for cell in ws[1]:
            assert not re.fullmatch(r"[a-z0-9_]+", str(cell.value)), (ws.title, cell.value)  # a raw CSV key
            assert re.search(r"[А-Яа-яЁё]", str(cell.value)), (ws.title, cell.value)


def test_workbook_number_formats_percent_counts_and_yes_no(book, season):
    _, wb = book
    ws = wb["Показатели"]
    share, count, scope = (_column(ws, h) for h in ("Доля «2»", "Участников", "Учитывается правилом"))
    row = 2
    assert ws.cell(row, share).number_format == "0.0%"
    assert isinstance(ws.cell(row, share).value, float) and 0 <= ws.cell(row, share).value <= 1
    assert ws.cell(row, count).number_format == "0" and isinstance(ws.cell(row, count).value, int)
    assert {ws.cell(r, scope).value for r in range(2, ws.max_row + 1)} <= {"да", "нет"}
    schools = wb["Школы"]
    col = _column(schools, "ШНОР")
    values = [schools.cell(r, col).value for r in range(2, schools.max_row + 1)]
    # as many «да» as the computation's ШНОР schools
    assert values.count("да") == int(season.schools["shnor"].sum()) and "TRUE" not in map(str, values)


def test_workbook_columns_are_wide_enough_for_their_headers(book):
    _, wb = book
    ws = wb["Школы"]
    from openpyxl.utils import get_column_letter
    for i, cell in enumerate(ws[1], start=1):
        width = ws.column_dimensions[get_column_letter(i)].width
        longest_word = max(len(w) for w in str(cell.value).split())
        assert width >= longest_word, (cell.value, width)


def test_workbook_is_byte_identical_on_rerun(book, season):
    data, _ = book
    assert workbook_bytes(season_tables(season)) == data


def test_workbook_neutralises_formula_like_text():
    df = pd.DataFrame({"school_id": ["1"], "name": ['=HYPERLINK("x")'], "shnor": [True]})
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes({"Школы": df})))["Школы"]
    assert ws["B2"].value == "'=HYPERLINK(\"x\")" and ws["B2"].data_type == "s" and ws["C2"].value == "да"


def test_csv_has_no_float_noise_and_whole_counts_without_decimal_point():
    df = pd.DataFrame({"participants": [203.0, np.nan, 5.0], "change": [1.3877787807814457e-17, 0.30000000000000004, -0.0],
                       "p_value": [1.23456789e-20, 0.0123456789, np.nan], "name": ["a", "b", "c"]})
    text = csv_text(df)
    assert text.splitlines() == ["participants,change,p_value,name", "203,0.0,1.23457e-20,a", ",0.3,0.0123457,b",
                                 "5,0.0,,c"]


def test_demo_tables_carry_no_float_noise(season, tmp_path):
    sh.write_outputs(season, tmp_path)
    folder = tmp_path / "demo" / "2024"
    for name in ("schools.csv", "metrics.csv", "recommendations.csv", "indicators.csv", "fail_changes.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "e-17" not in text and "e-16" not in text and "999999999" not in text, name
    metrics = pd.read_csv(folder / "metrics.csv", dtype=str)
    assert not metrics["participants"].str.contains(r"\.", na=False).any()
    assert (folder / "таблицы.xlsx").exists()

"""Writing a season's tables (``shnor_lib.pipeline.outputs``, ``shnor_lib.io.writers``).

``schools.xlsx`` is written with XlsxWriter since issue 16 (before: openpyxl's bytes, reproduced
by hand). Its bytes changed with the writer; what a reader gets did not: every cell read back
with openpyxl is the value and type it read from the openpyxl-written workbook of the same table.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import REPO

import shnor_lib as sh
from shnor_lib.io.writers import safe_cells, xlsx_bytes


def _openpyxl_reference(df: pd.DataFrame, sheet: str) -> bytes:
    """The workbook as compute wrote it before issue 16 (openpyxl; the code of that version)."""
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False):
        ws.append([None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else
                   (v.item() if isinstance(v, np.generic) else v) for v in row])
    ws.freeze_panes = "A2"
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cells(data: bytes) -> tuple[str, str | None, list[list[tuple[object, str]]], list[bool]]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[(c.value, type(c.value).__name__) for c in row] for row in ws.iter_rows()]
    return ws.title, ws.freeze_panes, rows, [bool(c.font.bold) for c in ws[1]]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    out = {}
    for m, y in (("demo", 2024), ("pervouralsk", 2022)):  # pervouralsk: schools outside the model (blank cells)
        data = sh.load_dataset(REPO / "data_raw", m)
        out[m] = safe_cells(sh.compute_season(data, m, y, sh.load_params(m), support=False).schools)
    return out


@pytest.mark.parametrize("municipality", ["demo", "pervouralsk"])
def test_schools_xlsx_reads_back_the_cells_of_the_openpyxl_workbook(tables, municipality):
    df = tables[municipality]
    new, old = _cells(xlsx_bytes(df, "Школы")), _cells(_openpyxl_reference(df, "Школы"))
    assert new == old
    title, frozen, rows, bold = new
    assert (title, frozen, all(bold), len(rows)) == ("Школы", "A2", True, len(df) + 1)


def test_equal_tables_give_equal_workbook_bytes(tables):
    assert xlsx_bytes(tables["demo"], "Школы") == xlsx_bytes(tables["demo"].copy(), "Школы")


def test_text_that_looks_like_a_formula_number_or_link_stays_text():
    df = pd.DataFrame({"a": ["=1+1", "007", "https://example.org", "'=SUM(A1)"], "b": [1.5, np.nan, np.inf, 2]})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(df, "t"))).active
    assert [c.value for c in ws["A"][1:]] == ["=1+1", "007", "https://example.org", "'=SUM(A1)"]
    assert [c.data_type for c in ws["A"][1:]] == ["s", "s", "s", "s"]
    assert not ws["A4"].hyperlink
    assert [ws["B2"].value, ws["B3"].value, ws["B4"].value, ws["B5"].value] == [1.5, None, "inf", 2]
    assert ws["B4"].data_type == "s"  # an infinite number as schools.csv shows it, never a formula

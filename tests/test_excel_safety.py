"""Every table the program writes is safe in Excel: no text cell starts like a formula.

School codes and names come from people's files. A code «=1+1», «+7», «-3» or «@SUM(A1)»
flows into every table keyed by school (schools, metrics, metrics_by_grade, objectivity,
data issues, identifier table); each output is scanned cell by cell.
"""

from __future__ import annotations

import csv
import io

import openpyxl
from conftest import write_csv

from shnor_lib.cli import main
from shnor_lib.io.writers import FORMULA_STARTS, csv_text

HOSTILE = ["=1+1", "+7", "-3", "@SUM(A1)"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formula_cells(folder):
    """(file, cell text) of every text cell that Excel would take for a formula."""
    bad = []
    for path in sorted(folder.rglob("*.csv")):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            bad += [(path.name, c) for c in row if c.startswith(FORMULA_STARTS) and not _is_number(c)]
    for path in sorted(folder.rglob("*.xlsx")):
        for ws in openpyxl.load_workbook(path).worksheets:
            for r in ws.iter_rows():
                bad += [(path.name, c.value) for c in r
                        if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS))]
    return bad


def test_hostile_school_codes_and_names_never_become_formulas_in_any_output(tmp_path):
    root = tmp_path / "data_raw"
    folder = root / "t" / "2024"
    write_csv(folder / "schools.csv", ["school_id", "name", "students_total"],
              [[sid, f"{sid} школа", 900] for sid in HOSTILE])
    rows = []
    for sid in HOSTILE:
        for grade in (5, 6, 7, 8):
            # grade 8 of «-3» jumps: an objectivity flag keyed by the hostile code
            failed = 28 if (sid == "-3" and grade == 8) else 4
            rows.append([sid, "ВПР", "математика", grade, 40, failed, 40 - failed, 0, 0, None, None, None])
    rows.append(["+7", "ВПР", "русский язык", 5, 40, 4, 30, 0, 0, None, None, None])  # quarantined: 34 ≠ 40
    write_csv(folder / "results.csv", ["school_id", "procedure", "subject", "grade", "participants", "n2", "n3",
                                       "n4", "n5", "failed", "high", "mean_score"], rows)
    out = tmp_path / "out"
    assert main(["compute", "--data-root", str(root), "--out", str(out)]) == 0
    season = out / "t" / "2024"
    # the hostile codes did reach the tables that would carry them
    assert "'-3" in (season / "objectivity.csv").read_text(encoding="utf-8")
    assert "'+7" in (season / "data_issues.csv").read_text(encoding="utf-8")
    assert "'=1+1" in (season / "metrics_by_grade.csv").read_text(encoding="utf-8")
    assert _formula_cells(season) == []


def test_numbers_are_left_as_numbers():
    import pandas as pd

    text = csv_text(pd.DataFrame({"z": [-0.5, 1.25], "code": ["-1", "ok"]}))
    assert text == "z,code\n-0.5,'-1\n1.25,ok\n"

"""Copied rows: a school whose results of a procedure repeat the previous year's, row for row,
is warned about in data_issues.csv and in the report's «Качество данных» (issue 11, class 8)."""

from __future__ import annotations

import pandas as pd
from conftest import row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.cli import main
from shnor_lib.report.sections import data_quality_text


def _two_years(season_writer):
    same = [row("1", "ВПР", "математика", 5, 20, 7), row("1", "ВПР", "математика", 6, 20, 7)]
    season_writer(2023, same + [row("2", "ВПР", "математика", 5, 30, 2), row("1", "ОГЭ", "математика", 9, 20, 1)])
    # 2024: school 1's ВПР rows are the 2023 rows (in another order); its ОГЭ and school 2 changed.
    return season_writer(2024, same[::-1] + [row("2", "ВПР", "математика", 5, 30, 3),
                                             row("1", "ОГЭ", "математика", 9, 21, 1)])


def test_rows_identical_to_last_year_are_warned_once_per_school_and_procedure(season_writer, tmp_path):
    root = _two_years(season_writer)
    out = tmp_path / "out"
    assert main(["compute", "--data-root", str(root), "--out", str(out)]) == 0
    issues = pd.read_csv(out / "t" / "2024" / "data_issues.csv", dtype=str)
    assert list(issues["school_id"]) == ["1"] and list(issues["procedure"]) == ["ВПР"]
    assert issues["action"][0] == "предупреждение"
    assert issues["row"][0] == "2"  # the first of school 1's ВПР rows in the 2024 file
    assert "совпадают со строками 2023 г." in issues["reason"][0] and "2 строки" in issues["reason"][0]
    # 2023 has no earlier year to repeat
    assert pd.read_csv(out / "t" / "2023" / "data_issues.csv").empty


def test_copied_rows_stay_in_the_computation_and_reach_the_data_quality_text(season_writer):
    root = _two_years(season_writer)
    res = compute_season(load_dataset(root), "t", 2024, load_params())
    s = res.schools.set_index("school_id").loc["1"]
    # ВПР 5–6: (7 + 7) of (20 + 20) = 35 % in both years: ШНОР «two years running» — on the same numbers,
    # which is why the warning matters
    assert s["status"] == "ШНОР" and "ВПР 2023" in s["reasons"] and "ВПР 2024" in s["reasons"]
    text = data_quality_text(res)
    assert "совпадают со строками прошлого года" in text and "1 (ВПР)" in text


def test_strict_makes_copied_rows_an_error(season_writer, capsys):
    root = _two_years(season_writer)
    assert main(["validate", "--data-root", str(root), "--strict"]) == 2
    assert "совпадают со строками 2023 г." in capsys.readouterr().err

"""ФИС ОКО exports read as they are downloaded (shnor_lib.io.fisoko).

The realistic season is ``tests/fixtures/fisoko/``, written by ``make_fisoko_exports.py`` there:
``by_hand/`` types every number as counts, ``exports/`` is the same season with the ВПР rows as
ФИС ОКО reports (percentages computed from the same counts, rounded to two decimals half up).
The error cases are the bad inputs ``tests/bad_inputs/s50…s58`` (their exact messages are
checked by test_bad_inputs.py; here, what each message must name).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shnor_lib import DataValidationError, load_dataset
from shnor_lib.cli import main
from shnor_lib.io.fisoko import LAYOUTS

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "fisoko"
BAD = HERE / "bad_inputs"
HAND, EXPORTS = FIXTURES / "by_hand", FIXTURES / "exports"
FOLDER_2022 = EXPORTS / "okrug" / "2022" / "fisoko"

_spec = importlib.util.spec_from_file_location("make_fisoko_exports", FIXTURES / "make_fisoko_exports.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


@pytest.fixture(scope="module")
def exported():
    return load_dataset(EXPORTS, "okrug")


@pytest.fixture(scope="module")
def typed():
    return load_dataset(HAND, "okrug")


def _row(data, year, school, subject, grade, procedure="ВПР") -> pd.Series:
    res = data.seasons[("okrug", year)].results
    hit = res[res["school_id"].eq(school) & res["procedure"].eq(procedure) & res["subject"].eq(subject)
              & res["grade"].eq(grade)]
    assert len(hit) == 1
    return hit.iloc[0]


def _export_cells(path: Path, login: str, sheet: int = 0) -> tuple:
    ws = openpyxl.load_workbook(path).worksheets[sheet]
    return next(r for r in ws.iter_rows(values_only=True) if r[0] and str(r[0]).endswith(f"({login})"))


# ---------------------------------------------------------------- each layout is read


def test_marks_export_percentages_become_the_counts_of_a_hand_computation(exported):
    # The export's cells: 27 participants, 11,11 / 40,74 / 37,04 / 11,11 %.
    cells = _export_cells(FOLDER_2022 / "ВПР 2022 РУ 5 Статистика по отметкам.xlsx", "edu203389")
    assert cells[2:] == (27, 11.11, 40.74, 37.04, 11.11)
    # By hand: 27 × 11,11 % = 2,9997; 27 × 40,74 % = 10,9998; 27 × 37,04 % = 10,0008; 27 × 11,11 % = 2,9997.
    # Floors 2 + 10 + 10 + 2 = 24; the 3 pupils left go to the largest remainders (0,9998 «3», then
    # 0,9997 «2» and «5»): 3 + 11 + 10 + 3. Back: 3/27 = 11,11 %, 11/27 = 40,74 %, 10/27 = 37,04 %.
    r = _row(exported, 2022, "1", "русский язык", 5)
    assert (r["participants"], r["n2"], r["n3"], r["n4"], r["n5"]) == (27, 3, 11, 10, 3)


def test_largest_remainder_decides_between_equal_looking_shares(exported):
    cells = _export_cells(FOLDER_2022 / "ВПР 2022 МА 4 Статистика по отметкам.xlsx", "edu203392")
    assert cells[2:] == (7, 14.29, 28.57, 28.57, 28.57)
    # By hand: 7 × 14,29 % = 1,0003 and 7 × 28,57 % = 1,9999 (three times): floors 1 + 1 + 1 + 1 = 4,
    # the 3 left go to the three remainders 0,9999: 1 + 2 + 2 + 2 (1/7 = 14,29 %, 2/7 = 28,57 %).
    r = _row(exported, 2022, "4", "математика", 4)
    assert (r["participants"], r["n2"], r["n3"], r["n4"], r["n5"]) == (7, 1, 2, 2, 2)


def test_journal_export_counts_fill_the_journal_columns_as_shares_of_participants(exported):
    # The merged workbook's sheet «РУ 5 …»: 27 pupils, понизили 2 (7,41 %), подтвердили 16 (59,26 %),
    # повысили 9 (33,33 %) — the counts are in the export; their shares of 27 are what the rules read.
    book = FOLDER_2022 / "ВПР 2022 Сравнение с журналом (все).xlsx"
    assert openpyxl.load_workbook(book).sheetnames[1] == "РУ 5 Сравнение отметок с отметк"  # cut to 31
    assert _export_cells(book, "edu203391", sheet=1)[1:] == (27, 7.41, 2, 59.26, 16, 33.33, 9)
    r = _row(exported, 2022, "3", "русский язык", 5)
    assert (r["journal_lowered"], r["journal_confirmed"], r["journal_raised"]) == (2 / 27, 16 / 27, 9 / 27)


def test_journal_export_also_fills_a_vpr_row_typed_in_results(exported, typed):
    # ВПР 8 класс математика is typed in results.csv (marks only); its journal comparison is exported.
    results_csv = (EXPORTS / "okrug" / "2022" / "results.csv").read_text(encoding="utf-8").splitlines()
    assert "1;ВПР;математика;8;25;2;10;9;4;;;;;;" in results_csv
    got, want = _row(exported, 2022, "1", "математика", 8), _row(typed, 2022, "1", "математика", 8)
    cols = ["participants", "n2", "n3", "n4", "n5", "journal_lowered", "journal_confirmed", "journal_raised"]
    assert got[cols].notna().all()
    assert got[cols].tolist() == want[cols].tolist()


def test_every_exported_work_is_read_with_its_procedure_subject_and_grade(exported):
    for year in (2021, 2022):
        res = exported.seasons[("okrug", year)].results
        vpr = res[res["procedure"].eq("ВПР") & res["grade"].isin([4, 5, 6, 7]) & ~res["subject"].eq("история")]
        works = set(zip(vpr["subject"], vpr["grade"].astype(int)))
        assert works == {(s, g) for s in ("русский язык", "математика") for g in (4, 5, 6, 7)}
        # 8 schools in grade 4 (the primary school too), 7 in grades 5–7; two subjects
        assert len(vpr) == 2 * (8 + 3 * 7)


def test_old_sch_logins_and_codes_that_are_logins_find_their_schools(exported):
    # 2021 exports write «(sch203389)», schools.csv says edu203389 (same digits); school edu203395 has no
    # «Логин ФИС ОКО»: its code is its login.
    assert "(sch203389)" in str(_export_cells(EXPORTS / "okrug/2021/fisoko/ВПР 2021 РУ 5 Статистика по отметкам.xlsx",
                                              "sch203389")[0])
    for year in (2021, 2022):
        ids = set(exported.seasons[("okrug", year)].results["school_id"])
        assert {"1", "2", "3", "4", "5", "6", "8", "edu203395"} <= ids


def test_exported_rows_are_read_exactly_as_the_same_numbers_typed_by_hand(exported, typed):
    key = ["school_id", "procedure", "subject", "grade"]
    cols = [*key, "participants", "n2", "n3", "n4", "n5", "failed", "high", "mean_score", "journal_lowered",
            "journal_confirmed", "journal_raised"]
    for year in (2021, 2022):
        a = exported.seasons[("okrug", year)].results[cols].sort_values(key).reset_index(drop=True)
        b = typed.seasons[("okrug", year)].results[cols].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------- same statuses as by hand


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    out = tmp_path_factory.mktemp("fisoko")
    for kind, root in (("by_hand", HAND), ("exports", EXPORTS)):
        assert main(["compute", "--data-root", str(root), "--out", str(out / kind)]) == 0
    return out


def test_exports_of_a_season_give_the_same_statuses_and_metrics_as_the_numbers_typed_by_hand(computed):
    # The exports' results.csv holds no exported work: the ВПР of grades 4–7 come from fisoko/ only.
    for year in (2021, 2022):
        text = (EXPORTS / "okrug" / str(year) / "results.csv").read_text(encoding="utf-8")
        assert not any(f";ВПР;{s};{g};" in text for s in ("русский язык", "математика") for g in (4, 5, 6, 7))
    for year in (2021, 2022):
        for name in ("schools.csv", "metrics.csv", "metrics_by_grade.csv", "objectivity.csv", "data_issues.csv",
                     "identifier_table.csv", "clusters.csv"):
            a = (computed / "by_hand" / "okrug" / str(year) / name).read_bytes()
            b = (computed / "exports" / "okrug" / str(year) / name).read_bytes()
            assert a == b, (year, name)
    # The season is not trivial: both branches of ШНОР, ШНСУ, зона риска and journal flags occur.
    schools = pd.read_csv(computed / "exports" / "okrug" / "2022" / "schools.csv", dtype=str)
    assert set(schools["status"].dropna()) == {"ШНОР+ШНСУ", "ШНОР", "зона риска"}
    assert set(schools["shnor_branch"].dropna()) == {"два года подряд", "две процедуры"}
    flags = pd.read_csv(computed / "exports" / "okrug" / "2022" / "objectivity.csv", dtype=str)
    assert (flags["flag"] == "journal_mismatch").sum() >= 3


def test_reference_shares_keep_the_region_and_municipality_rows(computed, typed):
    assert not (computed / "by_hand" / "okrug" / "2022" / "reference_shares.csv").exists()
    ref = pd.read_csv(computed / "exports" / "okrug" / "2022" / "reference_shares.csv", dtype={"code": str})
    ru5 = ref[ref["subject"].eq("русский язык") & ref["grade"].eq(5) & ref["report"].eq("Статистика по отметкам")]
    assert ru5["level"].tolist() == ["вся выборка", "регион", "муниципалитет"]
    assert ru5["name"].tolist() == ["Вся выборка", "Свердловская обл.", "ГО Образцовый"]
    muni = ru5.iloc[2]
    assert muni["code"] == "reg66_m099"
    # The municipality's percentages are its schools' pooled counts (typed by hand), rounded half up.
    res = typed.seasons[("okrug", 2022)].results
    mine = res[res["procedure"].eq("ВПР") & res["subject"].eq("русский язык") & res["grade"].eq(5)]
    n = int(mine["participants"].sum())
    assert muni["participants"] == n == 188
    assert [muni[f"percent_{m}"] for m in "2345"] == [gen.pct(int(mine[f"n{m}"].sum()), n) for m in "2345"]
    journal = ref[ref["report"].eq("Сравнение отметок с отметками по журналу") & ref["subject"].eq("русский язык")
                  & ref["grade"].eq(5)]
    assert journal["level"].tolist() == ["регион", "муниципалитет"]  # this report has no «Вся выборка»
    assert journal.iloc[1][["percent_lowered", "percent_confirmed", "percent_raised"]].tolist() == [4.26, 87.77, 7.98]


def test_manifest_lists_every_export_with_its_checksum(computed):
    manifest = json.loads((computed / "exports" / "okrug" / "2022" / "manifest.json").read_text(encoding="utf-8"))
    inputs = {i["file"]: i["sha256"] for i in manifest["inputs"]}
    for year in (2021, 2022):
        for path in sorted((EXPORTS / "okrug" / str(year) / "fisoko").glob("*.xlsx")):
            assert inputs[f"okrug/{year}/fisoko/{path.name}"] == hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- errors (tests/bad_inputs/s50…s58)


def _problems(case: str) -> list[str]:
    with pytest.raises(DataValidationError) as exc:
        load_dataset(BAD / case / "data_raw", "t")
    return [str(p) for p in exc.value.problems]


def test_a_login_missing_from_schools_is_named_with_the_school_name_of_the_export():
    (msg,) = _problems("s50_fisoko_login_not_in_schools")
    assert "«edu203397»" in msg and "«МБОУ «СОШ №9»»" in msg and "строка 13" in msg and "«Логин ФИС ОКО»" in msg


def test_an_unknown_report_lists_the_reports_that_are_read():
    (msg,) = _problems("s51_fisoko_unknown_layout")
    assert "«Выполнение заданий»" in msg and "лист «РУ 5 Выполнение заданий»" in msg
    assert all(f"«{layout.title}»" in msg for layout in LAYOUTS.values())


def test_percentages_no_count_reproduces_stop_the_run_naming_file_row_and_school():
    (msg,) = _problems("s52_fisoko_percentages_not_reproducible")
    # 25 × 10 % = 2,5: the largest remainder gives 3 (12,00 %), not 10,00 %.
    assert "ВПР 2024 РУ 5 Статистика по отметкам.xlsx" in msg and "строка 12" in msg
    assert "«МБОУ «СОШ №1»» (edu203389)" in msg and "3+10+9+3" in msg and "10,00; 42,00; 36,00; 12,00%" in msg


def test_a_work_both_exported_and_typed_in_results_names_both_places():
    (msg,) = _problems("s53_fisoko_row_also_in_results")
    assert "fisoko/ВПР 2024 РУ 5 Статистика по отметкам.xlsx" in msg and "results.csv, строка 3" in msg


def test_sch_and_edu_logins_of_one_school_are_one_school_and_a_duplicate():
    (msg,) = _problems("s54_fisoko_sch_and_edu_login_of_one_school")
    assert "edu203389" in msg and "sch203389" in msg and "одна и та же школа" in msg


def test_one_login_given_to_two_schools_is_an_error_in_schools():
    (msg,) = _problems("s58_fisoko_one_login_for_two_schools")
    assert msg.startswith("файл data_raw/t/2024/schools.csv, строка 3, столбец «Логин ФИС ОКО»")


def test_an_export_outside_fisoko_a_wrong_year_and_a_journal_without_marks_are_named():
    assert "переложите" in _problems("s55_fisoko_export_outside_the_fisoko_folder")[0].lower()
    assert "выгрузка за 2023 год лежит в папке сезона 2024" in _problems("s56_fisoko_export_of_another_year")[0]
    assert "нет результатов (отметок)" in _problems("s57_fisoko_journal_without_marks")[0]


# ---------------------------------------------------------------- small seasons built here


def _season(tmp_path: Path, schools=None) -> Path:
    folder = tmp_path / "data_raw" / "t" / "2024"
    gen.write_csv(folder / "schools.csv", ["Код ОО", "Наименование ОО", "Число обучающихся", "Логин ФИС ОКО"],
                  schools or gen.BAD_SCHOOLS)
    gen.write_csv(folder / "results.csv", gen.RESULTS_HEADER, gen.BAD_OGE)
    return folder


@pytest.mark.filterwarnings("ignore:Title is more than 31 characters")  # the copy's name, before it is renamed
def test_every_sheet_of_a_merged_workbook_is_read_and_an_unknown_sheet_is_named(tmp_path):
    folder = _season(tmp_path)
    path = folder / "fisoko" / "ВПР 2024 (все).xlsx"
    gen._bad_marks(path, [gen.GOOD_1])
    wb = openpyxl.load_workbook(path)
    second = wb.copy_worksheet(wb.worksheets[0])
    second.title = "МА 5 Статистика по отметкам"
    second["A3"], second["B4"] = "ВПР 2024 Математика 5 класс", "Математика"
    gen.save_workbook(wb, path)
    res = load_dataset(tmp_path / "data_raw", "t").seasons[("t", 2024)].results
    assert sorted(res.loc[res["procedure"].eq("ВПР"), "subject"]) == ["математика", "русский язык"]

    third = wb.create_sheet("Заметки")
    third["A1"] = "проверить школу 2"
    gen.save_workbook(wb, path)
    (msg,) = _problems_at(tmp_path)
    assert "лист «Заметки»" in msg and "не распознана выгрузка ФИС ОКО" in msg


def _problems_at(tmp_path: Path) -> list[str]:
    with pytest.raises(DataValidationError) as exc:
        load_dataset(tmp_path / "data_raw", "t")
    return [str(p) for p in exc.value.problems]


def test_percentages_written_as_text_with_a_decimal_comma_are_read(tmp_path):
    folder = _season(tmp_path)
    gen._bad_marks(folder / "fisoko" / "e.xlsx", [("МБОУ «СОШ №1»(edu203389)", 25, ["12,00", "40,00", "36,00", "12,00"])])
    r = load_dataset(tmp_path / "data_raw", "t").seasons[("t", 2024)].results
    vpr = r[r["procedure"].eq("ВПР")].iloc[0]
    assert (vpr["n2"], vpr["n3"], vpr["n4"], vpr["n5"]) == (3, 10, 9, 3)  # 25 × 12 % = 3, × 40 % = 10 …


def test_a_school_with_no_participants_is_left_out_and_listed(tmp_path):
    folder = _season(tmp_path)
    gen._bad_marks(folder / "fisoko" / "e.xlsx", [gen.GOOD_1, ("МБОУ «СОШ №2»(edu203390)", 0, [None] * 4)])
    season = load_dataset(tmp_path / "data_raw", "t").seasons[("t", 2024)]
    assert set(season.results.loc[season.results["procedure"].eq("ВПР"), "school_id"]) == {"1"}
    (issue,) = season.issues.to_dict("records")
    assert (issue["school_id"], issue["action"], issue["reason"], issue["row"]) == ("2", "исключена",
                                                                                     "нет участников (0).", 13)
    assert issue["file"].endswith("fisoko/e.xlsx, лист «РУ 5 Статистика по отметкам»")


def test_an_edited_header_and_a_file_that_is_not_xlsx_are_named(tmp_path):
    folder = _season(tmp_path)
    path = folder / "fisoko" / "e.xlsx"
    gen._bad_marks(path, [gen.GOOD_1])
    wb = openpyxl.load_workbook(path)
    wb.active["D8"] = "Отметка «2», %"
    gen.save_workbook(wb, path)
    (folder / "fisoko" / "e.csv").write_text("Группы участников;2\n", encoding="utf-8")
    first, second = _problems_at(tmp_path)
    assert "e.csv" in first and "только выгрузки ФИС ОКО в XLSX" in first
    assert "строка 8, столбец «Отметка «2», %»" in second and "ожидается столбец «2»" in second


def test_journal_participants_other_than_the_marks_export_are_an_error(tmp_path):
    folder = _season(tmp_path)
    shutil.copytree(BAD / "s57_fisoko_journal_without_marks" / "data_raw" / "t" / "2024" / "fisoko",
                    folder / "fisoko")
    gen.write_csv(folder / "results.csv", gen.RESULTS_HEADER,
                  gen.BAD_OGE + [["1", "ВПР", "математика", 6, 21, 2, 10, 6, 3, "", "", "", "", "", ""]])
    (msg,) = _problems_at(tmp_path)
    assert "участников 20, а в результатах (в файле data_raw/t/2024/results.csv, строка 3) — 21" in msg

"""Two-tier validation (METHODOLOGY §10): structural errors stop, row-level problems are ledgered."""

from __future__ import annotations

import pytest
from conftest import RESULT_HEADER, row, write_csv

from shnor_lib import DataValidationError, load_dataset
from shnor_lib.cli import main


def problems_of(root, municipality="t"):
    with pytest.raises(DataValidationError) as info:
        load_dataset(root, municipality)
    return [str(p) for p in info.value.problems]


def season(tmp_path, results_rows, header=RESULT_HEADER, schools=None, **kw):
    folder = tmp_path / "data_raw" / "t" / "2024"
    write_csv(folder / "schools.csv", ["school_id", "name", "students_total"], schools or [["1", "Школа 1", 500]])
    write_csv(folder / "results.csv", header, results_rows, **kw)
    return tmp_path / "data_raw"


def test_missing_required_file_is_named(tmp_path):
    folder = tmp_path / "data_raw" / "t" / "2024"
    write_csv(folder / "schools.csv", ["school_id", "name"], [["1", "Ш"]])
    msgs = problems_of(tmp_path / "data_raw")
    assert any("results" in m and "нет обязательного файла" in m for m in msgs)


def test_missing_required_column_names_file_and_column(tmp_path):
    root = season(tmp_path, [["1", "ВПР", "математика", 5, 20]], header=RESULT_HEADER[:4] + ["n2"])
    msgs = problems_of(root)
    assert msgs == ["файл data_raw/t/2024/results.csv, строка 1, столбец «Участников»: нет обязательного столбца. "
                    "Добавьте столбец «Участников» (или «participants»)."]


def test_blank_required_cell_names_row_and_column(tmp_path):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5), ["1", "ВПР", "математика", 6, "", 1, 1, 1, 1]])
    msgs = problems_of(root)
    assert len(msgs) == 1 and "строка 3, столбец «participants»: пустая обязательная ячейка" in msgs[0]


def test_unparseable_number(tmp_path):
    root = season(tmp_path, [["1", "ВПР", "математика", 5, "двадцать", 5, 15, 0, 0]])
    assert "строка 2, столбец «participants»: значение «двадцать» не является числом" in problems_of(root)[0]


def test_unknown_school_id(tmp_path):
    root = season(tmp_path, [row("7", "ВПР", "математика", 5, 20, 5)])
    assert "неизвестный код ОО «7»" in problems_of(root)[0]


def test_duplicate_key_names_both_rows(tmp_path):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5), row("1", "ВПР", "математика", 5, 20, 5)])
    msgs = problems_of(root)
    assert len(msgs) == 1 and "строка 3" in msgs[0] and "уже в строке 2" in msgs[0]


def test_gia9_and_oge_spellings_are_one_procedure_for_duplicates(tmp_path):
    root = season(tmp_path, [row("1", "ОГЭ", "математика", 9, 20, 5), row("1", "ГИА-9", "математика", 9, 20, 5)])
    assert any("повтор записи" in m for m in problems_of(root))


def test_negative_count(tmp_path):
    root = season(tmp_path, [["1", "ВПР", "математика", 5, 20, -1, 21, 0, 0]])
    assert "отрицательное значение -1" in problems_of(root)[0]


def test_count_above_students_total(tmp_path):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 900, 5)])
    assert "больше, чем «Число обучающихся (schools)» (500)" in problems_of(root)[0]


def test_unknown_procedure(tmp_path):
    root = season(tmp_path, [row("1", "ВПРР", "математика", 5, 20, 5)])
    assert "значение «ВПРР» не найдено в словаре процедур. Возможно, имелось в виду: «ВПР»." in problems_of(root)[0]


def test_undecodable_file(tmp_path):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5)])
    (root / "t" / "2024" / "results.csv").write_bytes(b"\x00\x01\x02binary")
    assert "двоичные данные" in problems_of(root)[0]


def test_all_problems_are_collected_not_just_the_first(tmp_path):
    root = season(tmp_path, [["1", "ВПР", "математика", 5, "x", 5, 15, 0, 0], ["9", "ВПР", "математика", 6, 20, -2, 22, 0, 0]])
    assert len(problems_of(root)) == 3


def test_percentage_row_is_converted_and_listed(tmp_path):
    # Seed 004 table 7, school 1, Russian grade 5: 43,0 26,3 21,8 8,9 % of 179 pupils.
    # Largest remainder: 76.97→77, 47.08→47, 39.02→39, 15.93→16; sum 179.
    root = season(tmp_path, [["1", "ВПР", "русский язык", 5, 179, "43,0", "26,3", "21,8", "8,9"]], sep=";")
    s = load_dataset(root, "t").seasons[("t", 2024)]
    r = s.results.iloc[0]
    assert [r.n2, r.n3, r.n4, r.n5] == [77, 47, 39, 16]
    assert list(s.issues["action"]) == ["преобразована"]
    assert "в процентах" in s.issues.iloc[0]["reason"]


def test_marks_not_adding_up_are_quarantined_verbatim(tmp_path):
    # Seed 004, school 10, Russian grade 8: 28+31+22+0 = 81 ≠ 93.
    root = season(tmp_path, [["1", "ВПР", "русский язык", 8, 93, 28, 31, 22, 0], row("1", "ВПР", "математика", 8, 20, 2)])
    s = load_dataset(root, "t").seasons[("t", 2024)]
    assert len(s.results) == 1
    issue = s.issues.iloc[0]
    assert issue["action"] == "исключена" and issue["row"] == 2
    assert "81 не равна числу участников 93" in issue["reason"]
    assert "n2=28" in issue["original"]


def test_blank_mark_taken_as_zero_when_the_rest_adds_up(tmp_path):
    root = season(tmp_path, [["1", "ВПР", "русский язык", 5, 42, 22, 12, 8, ""]])
    s = load_dataset(root, "t").seasons[("t", 2024)]
    assert s.results.iloc[0]["n5"] == 0
    assert "«5»" in s.issues.iloc[0]["reason"] and s.issues.iloc[0]["action"] == "преобразована"


def test_strict_turns_quarantine_into_error(tmp_path):
    root = season(tmp_path, [["1", "ВПР", "русский язык", 8, 93, 28, 31, 22, 0]])
    with pytest.raises(DataValidationError) as info:
        load_dataset(root, "t", strict=True)
    assert "--strict" in str(info.value.problems[0])


def test_cp1251_semicolon_decimal_comma_and_russian_headers(tmp_path):
    header = ["Код ОО", "Процедура", "Предмет", "Класс", "Участников", "Отметка 2", "Отметка 3", "Отметка 4",
              "Отметка 5", "Средний балл"]
    root = season(tmp_path, [["1", "ОГЭ", "Русский язык", 9, 20, 2, 8, 6, 4, "3,6"]], header=header,
                  encoding="cp1251", sep=";")
    s = load_dataset(root, "t").seasons[("t", 2024)]
    r = s.results.iloc[0]
    assert r["subject"] == "русский язык" and r["mean_score"] == pytest.approx(3.6) and r["n5"] == 4
    assert s.issues.empty


def test_xlsx_is_read(tmp_path):
    import pandas as pd
    folder = tmp_path / "data_raw" / "t" / "2024"
    folder.mkdir(parents=True)
    pd.DataFrame({"Код ОО": ["1"], "Наименование ОО": ["Ш"]}).to_excel(folder / "schools.xlsx", index=False)
    pd.DataFrame([row("1", "ВПР", "математика", 5, 20, 5)], columns=RESULT_HEADER).to_excel(folder / "results.xlsx", index=False)
    s = load_dataset(tmp_path / "data_raw", "t").seasons[("t", 2024)]
    assert s.results.iloc[0]["n2"] == 5


def test_both_csv_and_xlsx_is_ambiguous(tmp_path):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5)])
    (root / "t" / "2024" / "results.xlsx").write_bytes(b"")
    assert "и в CSV, и в XLSX" in problems_of(root)[0]


def test_cli_structural_error_exits_2_and_writes_nothing(tmp_path, capsys):
    root = season(tmp_path, [row("7", "ВПР", "математика", 5, 20, 5)])
    out = tmp_path / "outputs"
    code = main(["compute", "--data-root", str(root), "--out", str(out)])
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "results.csv, строка 2, столбец «school_id»: неизвестный код ОО «7»" in err
    assert "ничего не записано" in err


def test_cli_compute_writes_the_tables(tmp_path, capsys):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5), ["1", "ВПР", "русский язык", 8, 93, 28, 31, 22, 0]])
    out = tmp_path / "outputs"
    assert main(["compute", "--data-root", str(root), "--out", str(out)]) == 0
    folder = out / "t" / "2024"
    for name in ["schools.csv", "schools.xlsx", "metrics.csv", "metrics_by_grade.csv", "data_issues.csv",
                 "identifier_table.csv", "model.txt", "manifest.json"]:
        assert (folder / name).exists(), name
    import pandas as pd
    issues = pd.read_csv(folder / "data_issues.csv")
    assert list(issues.columns[:9]) == ["municipality", "year", "file", "row", "school_id", "procedure", "subject",
                                        "grade", "action"]
    assert len(issues) == 1
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_compute_is_deterministic(tmp_path):
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5)])
    a, b = tmp_path / "a", tmp_path / "b"
    main(["compute", "--data-root", str(root), "--out", str(a)])
    main(["compute", "--data-root", str(root), "--out", str(b)])
    for name in ["schools.csv", "metrics.csv", "schools.xlsx", "identifier_table.csv"]:
        assert (a / "t" / "2024" / name).read_bytes() == (b / "t" / "2024" / name).read_bytes(), name


def test_formula_like_text_is_neutralised_in_csv_and_xlsx(tmp_path):
    import openpyxl
    import pandas as pd
    root = season(tmp_path, [row("1", "ВПР", "математика", 5, 20, 5)], schools=[["1", "=HYPERLINK(\"x\")", 500]])
    out = tmp_path / "o"
    assert main(["compute", "--data-root", str(root), "--out", str(out)]) == 0
    csv_name = pd.read_csv(out / "t" / "2024" / "schools.csv", dtype=str)["name"][0]
    xlsx_cell = openpyxl.load_workbook(out / "t" / "2024" / "schools.xlsx").active["B2"]
    assert csv_name == "'=HYPERLINK(\"x\")"
    assert xlsx_cell.data_type == "s" and xlsx_cell.value == "'=HYPERLINK(\"x\")"

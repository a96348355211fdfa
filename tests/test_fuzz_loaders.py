"""Fuzzing the loaders: whatever lands in data_raw/, ``load_dataset`` either returns a
Dataset or raises DataValidationError whose every problem names a file — never any other
exception (a traceback tells a methodologist nothing).

Bounded and derandomised (same examples on every run); under a minute in total.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tempfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shnor_lib import DataValidationError, load_dataset
from shnor_lib.contract.schema import CONTRACT
from shnor_lib.contract.validate import parse_number

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEASON = "data_raw/t/2024/"

SCHOOLS = [["school_id", "name", "students_total"], ["1", "Школа 1", "500"], ["2", "Школа 2", "300"]]
RESULTS = [
    ["school_id", "procedure", "subject", "grade", "participants", "n2", "n3", "n4", "n5", "failed", "high",
     "mean_score"],
    ["1", "ВПР", "математика", "5", "20", "5", "15", "0", "0", "", "", ""],
    ["2", "ОГЭ", "русский язык", "9", "30", "3", "10", "10", "7", "", "", "4,1"],
    ["2", "ЕГЭ", "математика (профильный уровень)", "11", "12", "", "", "", "", "1", "2", "55"],
]
NASTY = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e300", "99999999999999999999", "-1", "-0",
         "0x10", "1_000", "=1+2", "+7", "-7", "@SUM(A1)", "=HYPERLINK(\"x\")", "\t=1", "'001", "1,2,3", "1.2.3",
         "١٢", "²", "½", "Ⅻ", "１２", "", " ", "\u00a0", "%", "12%", "--1", "+-1", ".", ",", "e5", "1e", "None",
         "null", "#N/A", "#DIV/0!", "да", "нет", "\x00", "\ufeff", "\u202e12", "ВПР", "ГИА-9", "0" * 500]


@contextmanager
def season_folder():
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data_raw" / "t" / "2024"
        folder.mkdir(parents=True)
        yield folder


def csv_bytes(rows: list[list[str]], sep: str = ",", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def loads_or_explains(folder: Path):
    """The property: a Dataset, or a DataValidationError naming a file of the season for every problem."""
    root = folder.parent.parent
    try:
        data = load_dataset(root, "t")
    except DataValidationError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file.startswith(SEASON), p
            assert str(p) and exc.report()
        return None
    for season in data.seasons.values():
        for stem, table in season.tables.items():
            numeric = [c.name for c in CONTRACT[stem].columns if c.kind != "str" and c.name in table.columns]
            values = table[numeric].to_numpy(dtype=float).ravel()
            assert all(math.isfinite(v) for v in values if not math.isnan(v)), stem
    return data


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["schools.csv", "results.csv", "social.csv", "results.xlsx"]))
def test_random_bytes_as_a_file(blob, name):
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        if not name.startswith("results"):
            (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        (folder / name).write_bytes(blob)
        loads_or_explains(folder)


_TEXT = st.text(alphabet=st.sampled_from(list("ШколаВПРОГЭ ;,\t\"'\r\n0123456789.-=+@%ёЁ«»\x00\ufeff\u2028")
                                         + list("school_idnameparticipantsКодОО")), max_size=400)


@FUZZ
@given(_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16", "utf-16-le", "latin-1"]),
       st.sampled_from(["schools.csv", "results.csv", "risk_profiles.csv"]))
def test_random_text_in_random_encodings(text, encoding, name):
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        (folder / name).write_bytes(text.encode(encoding, errors="replace"))
        loads_or_explains(folder)


def _spelling(stem: str, name: str, choice: int) -> str:
    col = CONTRACT[stem].column(name)
    options = [col.name, col.label, col.label.upper(), f" {col.label} ", *col.aliases]
    return options[choice % len(options)]


@FUZZ
@given(st.permutations(range(len(RESULTS[0]))), st.lists(st.integers(0, 11), max_size=2),
       st.lists(st.integers(0, 9), min_size=len(RESULTS[0]), max_size=len(RESULTS[0])),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]))
def test_shuffled_and_duplicated_columns(order, duplicated, spellings, sep, encoding):
    header = [_spelling("results", n, k) for n, k in zip(RESULTS[0], spellings, strict=True)]
    rows = [header, *RESULTS[1:]]
    cols = list(order) + list(duplicated)
    shuffled = [[r[j] for j in cols] for r in rows]
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(shuffled, sep, encoding))
        data = loads_or_explains(folder)
    if not duplicated:  # column order and header spelling must not matter
        assert data is not None
        res = data.seasons[("t", 2024)].results
        assert sorted(res["participants"]) == [12, 20, 30]
    else:
        assert data is None


@FUZZ
@given(st.lists(st.tuples(st.integers(1, len(RESULTS) - 1), st.integers(0, len(RESULTS[0]) - 1),
                          st.sampled_from(NASTY)), min_size=1, max_size=4),
       st.sampled_from(["results.csv", "results.xlsx"]))
def test_huge_negative_nan_like_and_formula_looking_values(edits, name):
    rows = [list(r) for r in RESULTS]
    for i, j, value in edits:
        rows[i][j] = value
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        if name.endswith(".csv"):
            (folder / name).write_bytes(csv_bytes(rows, ";"))
        else:
            wb = openpyxl.Workbook()
            for r in rows:
                wb.active.append([v.replace("\x00", "") for v in r])  # openpyxl refuses NUL in cells
            wb.save(folder / name)
        loads_or_explains(folder)


def test_parse_number_gives_none_nan_or_a_finite_number():
    for value in NASTY:
        num = parse_number(value)
        assert num is None or math.isnan(num) or math.isfinite(num), value


def test_every_nasty_value_in_each_kind_of_results_column():
    # Small enough to walk through entirely: every value in one column of each kind
    # (procedure: canonicalised text; grade: ranged count; participants: required count;
    # n2: mark or percentage; mean_score: ЕГЭ score).
    for j in (1, 3, 4, 5, 11):
        for value in NASTY:
            rows = [list(r) for r in RESULTS]
            rows[3 if j in (9, 10, 11) else 2][j] = value  # ЕГЭ columns on the ЕГЭ row, the rest on ОГЭ
            with season_folder() as folder:
                (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
                (folder / "results.csv").write_bytes(csv_bytes(rows, ";"))
                loads_or_explains(folder)


@FUZZ
@given(st.sets(st.sampled_from(list(CONTRACT)), min_size=1),
       st.sampled_from([b"", b"\n\n", b"   ", b"\xef\xbb\xbf", b";;;\n;;\n", b"\r\n", b"\xff\xfe"]),
       st.sampled_from([".csv", ".xlsx"]))
def test_empty_files(stems, content, ext):
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        for stem in stems:
            (folder / f"{stem}.csv").unlink(missing_ok=True)
            (folder / f"{stem}{ext}").write_bytes(content)
        loads_or_explains(folder)


_CELL = st.one_of(
    st.none(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.sampled_from(NASTY[:-1]).map(lambda s: s.replace("\x00", "")),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)


@FUZZ
@given(st.lists(st.lists(_CELL, max_size=8), max_size=8), st.booleans(),
       st.sampled_from(["schools", "results", "monitoring", "risk_profiles", "indices"]))
def test_random_xlsx_cells(grid, with_header, stem):
    wb = openpyxl.Workbook()
    ws = wb.active
    if with_header:  # a real header makes the random cells reach the typing and the checks
        ws.append([c.label for c in CONTRACT[stem].columns])
    for row in grid:
        ws.append(row)
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        (folder / f"{stem}.csv").unlink(missing_ok=True)
        wb.save(folder / f"{stem}.xlsx")
        loads_or_explains(folder)


_POOL = NASTY + ["1", "2", "3", "ВПР", "ЕГЭ", "математика", "5", "20", "500", "да", "высокая", "1e309", "2.5"]


@FUZZ
@given(st.sampled_from(list(CONTRACT)), st.data())
def test_random_rows_under_a_valid_header(stem, data):
    names = [c.name for c in CONTRACT[stem].columns]
    rows = data.draw(st.lists(st.lists(st.sampled_from(_POOL), min_size=len(names), max_size=len(names) + 1),
                              min_size=1, max_size=6))
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        (folder / f"{stem}.csv").write_bytes(csv_bytes([names, *rows], ";"))
        loads_or_explains(folder)


# ---------------------------------------------------------------- regressions found by the fuzzers

def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    try:
        load_dataset(folder.parent.parent, "t")
    except DataValidationError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_overflowing_number_is_not_a_number_and_does_not_crash_a_risk_factor():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        _write(folder, "risk_profiles.csv", "school_id,factor,significance\n1,1e309,высокая\n1,2.5,низкая\n")
        assert _problems(folder) == [
            "файл data_raw/t/2024/risk_profiles.csv, строка 3, столбец «factor»: фактор «2.5» — номер без варианта "
            "профиля. Напишите название фактора или укажите в столбце «Вариант профиля», чья это нумерация "
            "(ШНОР, ШНСУ, каталог): в таблицах ФИОКО одни и те же номера означают разные факторы."]


def test_duplicate_or_blank_school_codes_are_reported_not_crashed_on():
    with season_folder() as folder:
        _write(folder, "schools.csv", "school_id,name,students_total\n1,А,500\n1,Б,300\n,В,10\n,Г,10\n")
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS[:2]))
        assert _problems(folder) == [  # two blank codes are not «a duplicate» of each other
            "файл data_raw/t/2024/schools.csv, строка 4, столбец «school_id»: пустая обязательная ячейка. Заполните её.",
            "файл data_raw/t/2024/schools.csv, строка 5, столбец «school_id»: пустая обязательная ячейка. Заполните её.",
            "файл data_raw/t/2024/schools.csv, строка 3, столбец «school_id»: повтор записи 1 (уже в строке 2). "
            "Удалите дубликат или исправьте ключ.",
        ]


def test_bare_carriage_returns_end_lines():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(b"school_id,name\r1,A\r2,B\r")
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        assert loads_or_explains(folder) is not None


def test_a_cell_above_the_csv_field_limit_is_explained():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(b'school_id,name\n1,"' + b"a" * 140_000 + b"\n2,b\n")
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        [msg] = _problems(folder)
        assert msg.startswith("файл data_raw/t/2024/schools.csv, строка 2: файл CSV повреждён: слишком длинная ячейка")


def test_a_folder_named_like_a_file_is_reported():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").mkdir()
        [msg] = _problems(folder)
        assert msg.startswith("файл data_raw/t/2024/results.csv: файл не читается (это папка, а не файл).")


def test_free_monitoring_columns_cannot_take_the_pipelines_own_names():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        _write(folder, "monitoring.csv", "school_id,year,municipality,_row,custom_field\n1,2023,x,99,7\n")
        data = load_dataset(folder.parent.parent, "t")
        mon = data.table("monitoring")  # would raise «cannot insert year, already exists»
        assert list(mon[["year", "municipality", "_row", "custom_field"]].iloc[0]) == [2024, "t", 2, "7"]


def test_year_folders_must_be_ascii_digits():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        (folder.parent / "²").mkdir()  # str.isdigit() is true, int() fails
        assert sorted(load_dataset(folder.parent.parent, "t").seasons) == [("t", 2024)]


def test_xlsx_float_noise_of_formulas_reads_as_excel_shows_it():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        wb = openpyxl.Workbook()
        for r in RESULTS:
            wb.active.append(r)
        wb.active["E2"] = 0.1 * 3 * 200 / 3  # 20.000000000000004
        wb.save(folder / "results.xlsx")
        res = load_dataset(folder.parent.parent, "t").seasons[("t", 2024)].results
        assert 20 in set(res["participants"])


def test_negative_z_scores_are_allowed_but_negative_counts_are_not():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes(RESULTS))
        _write(folder, "indices.csv", "school_id,isbsh,iursh,quality_index\n1,-1.2,-0.3,0.5\n2,0.4,0.1,-0.1\n")
        assert _problems(folder) == [
            "файл data_raw/t/2024/indices.csv, строка 3, столбец «quality_index»: отрицательное значение -0.1. "
            "Количество не может быть меньше нуля."]


def test_results_frame_is_typed_even_when_every_row_but_one_is_quarantined():
    with season_folder() as folder:
        (folder / "schools.csv").write_bytes(csv_bytes(SCHOOLS))
        (folder / "results.csv").write_bytes(csv_bytes([RESULTS[0], RESULTS[1], ["2", "ВПР", "математика", "5", "0",
                                                                                "", "", "", "", "", "", ""]]))
        season = load_dataset(folder.parent.parent, "t").seasons[("t", 2024)]
        assert len(season.results) == 1 and list(season.issues["row"]) == [3]
        assert pd.api.types.is_float_dtype(season.results["participants"])

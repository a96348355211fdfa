"""XLSX templates (shnor_lib.io.templates) and safe folder names (shnor_lib.io.paths)."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from shnor_lib import DataValidationError, ShnorError, load_dataset
from shnor_lib.cli import main
from shnor_lib.contract.schema import CONTRACT, RISK_FACTORS
from shnor_lib.errors import PathError
from shnor_lib.io.paths import safe_component
from shnor_lib.io.templates import FIRST_DATA_ROW, create_templates

# One valid row per file, by contract name (the filler finds each column by its label).
VALID = {
    "schools": [{"school_id": "001", "name": "Школа № 1", "kind": "СОШ", "territory": "город", "students_total": 500},
                {"school_id": "002", "name": "Школа № 2", "kind": "ООШ", "territory": "село", "students_total": 120}],
    "results": [{"school_id": "001", "procedure": "ВПР", "subject": "математика", "grade": 5, "participants": 20,
                 "n2": 5, "n3": 10, "n4": 4, "n5": 1},
                {"school_id": "002", "procedure": "ЕГЭ", "subject": "русский язык", "grade": 11, "participants": 9,
                 "failed": 1, "high": 2, "mean_score": 61.5}],
    "social": [{"school_id": "001", "students_total": 500, "single_parent": 60, "ovz": 12}],
    "teachers": [{"school_id": "001", "teachers_total": 40, "higher_education": 35, "vacancies": 2}],
    "monitoring": [{"school_id": "001", "teachers_total": 40, "teachers_diagnosed": 12, "has_curator": "да",
                    "has_shppko": "нет"}],
    "risk_profiles": [{"school_id": "001", "factor": 3, "significance": "высокая", "profile_variant": "ШНОР"},
                      {"school_id": "002", "factor": "Дефицит педагогических кадров", "significance": "низкая"}],
    "indices": [{"school_id": "002", "isbsh": -0.4, "isbsh_group": 3, "iursh_group": 2}],
    "official_lists": [{"school_id": "001", "list_name": "ФИОКО ШНОР", "source": "письмо ФИОКО"}],
}


def fill(path, rows, *, keep_hint=True):
    """Type rows into a template the way a methodologist would (below the hint row)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    spec = CONTRACT[path.stem]
    by_label = {c.label: c.name for c in spec.columns}
    columns = {by_label[cell.value]: cell.column for cell in ws[1]}
    if not keep_hint:
        ws.delete_rows(2)
    first = FIRST_DATA_ROW if keep_hint else 2
    for i, row in enumerate(rows):
        for name, value in row.items():
            ws.cell(row=first + i, column=columns[name], value=value)
    wb.save(path)


@pytest.fixture
def templates(tmp_path):
    root = tmp_path / "data_raw"
    return root, create_templates(root, "demo", 2024)


def test_every_contract_file_gets_a_template_in_the_season_folder(templates):
    root, paths = templates
    assert [p.name for p in paths] == [f"{stem}.xlsx" for stem in CONTRACT]
    assert all(p.parent == root / "demo" / "2024" for p in paths)


def test_data_sheet_comes_first_and_the_instruction_second(templates):
    for path in templates[1]:
        assert openpyxl.load_workbook(path).sheetnames == [path.stem, "Инструкция"]


def test_header_row_holds_the_contract_labels_in_bold_above_a_grey_english_hint(templates):
    for path in templates[1]:
        spec = CONTRACT[path.stem]
        ws = openpyxl.load_workbook(path).worksheets[0]
        assert [c.value for c in ws[1]] == [c.label for c in spec.columns]
        assert all(c.font.bold for c in ws[1])
        hints = [c.value for c in ws[2]]
        assert [h.split(" ")[0] for h in hints] == [c.name for c in spec.columns]
        assert all(c.font.italic for c in ws[2])
        assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"
        assert ws.max_row == 2  # nothing below the hint row: no styled empty cells to read


def test_units_and_required_flags_are_in_the_hint_row(templates):
    ws = openpyxl.load_workbook(templates[0] / "demo" / "2024" / "results.xlsx").worksheets[0]
    hints = {c.value.split(" ")[0]: c.value for c in ws[2]}
    assert hints["participants"] == "participants (чел.) — обязательный"
    assert hints["mean_score"] == "mean_score (балл)"


def _lists(path):
    ws = openpyxl.load_workbook(path).worksheets[0]
    labels = {c.column_letter: c.value for c in ws[1]}
    found = {}
    for dv in ws.data_validations.dataValidation:
        letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
        found[labels[letter]] = (dv.type, dv.formula1, dv.errorStyle)
    return found


def test_drop_down_lists_offer_procedures_subjects_and_significance(templates):
    folder = templates[0] / "demo" / "2024"
    res = _lists(folder / "results.xlsx")
    assert res["Процедура"][0] == "list" and res["Процедура"][1].startswith('"ВПР,ОГЭ,ЕГЭ')
    assert res["Предмет"][0] == "list" and "русский язык,математика" in res["Предмет"][1]
    assert res["Предмет"][2] == "warning"  # aliases («Рус. яз.») may still be typed; unknown names are refused on reading
    assert res["Класс"][:2] == ("whole", "1")
    rp = _lists(folder / "risk_profiles.xlsx")
    assert rp["Значимость"][1] == '"высокая,средняя,низкая"'
    assert rp["Фактор риска"][1] == '"' + ",".join(str(k) for k in RISK_FACTORS) + '"'
    assert rp["Вариант профиля"][:3] == ("list", '"ШНОР,ШНСУ,каталог"', "stop")


def test_every_yes_no_column_has_a_yes_no_list(templates):
    lists = _lists(templates[0] / "demo" / "2024" / "monitoring.xlsx")
    for col in CONTRACT["monitoring"].columns:
        if col.kind == "yesno":
            assert lists[col.label][:2] == ("list", '"да,нет"'), col.name


def test_instruction_names_every_file_its_required_columns_and_the_commands(templates):
    ws = openpyxl.load_workbook(templates[1][0]).worksheets[1]
    text = "\n".join(" | ".join(str(v) for v in row if v is not None) for row in ws.iter_rows(values_only=True))
    for spec in CONTRACT.values():
        assert f"{spec.stem}.xlsx — {spec.title}" in text
        for col in spec.columns:
            assert col.label in text
    for phrase in ("data_raw/demo/2024/", "shnor validate --data-root data_raw --municipality demo --year 2024",
                   "shnor compute", "ГИА-9 — это ОГЭ", "проценты", "Пустая ячейка", "data_issues.csv"):
        assert phrase in text, phrase
    for name in RISK_FACTORS.values():
        assert name in text


def test_instruction_says_where_each_number_comes_from_and_how_ege_mathematics_is_entered(templates):
    ws = openpyxl.load_workbook(templates[1][0]).worksheets[1]
    lines = [" ".join(str(v) for v in row if v is not None) for row in ws.iter_rows(values_only=True)]
    text = "\n".join(lines)
    sources = next(i for i, line in enumerate(lines) if line == "Откуда берутся числа")
    said = "\n".join(lines[sources:sources + 6])
    assert "ВПР — из ФИС ОКО" in said and "data_raw/demo/2024/fisoko/" in said and "Логин ФИС ОКО" in said
    assert "ОГЭ (ГИА-9) и ЕГЭ (ГИА-11) — из РИС ГИА" in said
    assert "social — из социального паспорта школы" in said and "teachers — из кадрового отчёта" in said
    ege = next(line for line in lines if line.startswith("ЕГЭ по математике"))
    basic, profile = ege.split("; ")[0], ege.split("; ")[1]
    assert "«математика (базовый уровень)»" in basic and "отметки 2–5" in basic
    assert "«математика (профильный уровень)»" in profile
    assert all(f"«{c}»" in profile for c in ("Не преодолели порог", "Высокий балл", "Средний балл"))
    # the names the instruction tells people to write are the vocabulary's (the reader accepts them)
    from shnor_lib.contract.vocabulary import load_vocabulary
    vocab = load_vocabulary()
    assert vocab.subject("математика (базовый уровень)") and vocab.subject("математика (профильный уровень)")
    assert "Статистика по отметкам" in text and "Сравнение отметок с отметками по журналу" in text


def test_untouched_templates_say_that_the_required_files_must_be_filled(templates):
    with pytest.raises(DataValidationError) as info:
        load_dataset(templates[0], "demo")
    assert [str(p) for p in info.value.problems] == [
        "файл data_raw/demo/2024/schools.xlsx: в файле нет ни одной строки данных (только заголовок). "
        "Заполните его: одна строка на каждую школу.",
        "файл data_raw/demo/2024/results.xlsx: в файле нет ни одной строки данных (только заголовок). "
        "Заполните его: одна строка на каждое сочетание «Код ОО» × «Процедура» × «Предмет» × «Класс».",
    ]


def test_filled_templates_validate_and_the_hint_row_is_skipped(templates):
    root, paths = templates
    for path in paths:
        fill(path, VALID[path.stem])
    season = load_dataset(root, "demo").seasons[("demo", 2024)]
    assert sorted(season.tables) == sorted(CONTRACT)
    assert list(season.schools["school_id"]) == ["001", "002"]  # text cells keep leading zeros
    assert list(season.schools["_row"]) == [3, 4]  # messages count the hint row
    assert season.results.set_index("procedure").loc["ВПР", "n4"] == 4
    assert season.tables["monitoring"].iloc[0]["has_curator"] == 1.0
    assert list(season.tables["risk_profiles"]["factor_code"]) == [3, 2]
    assert season.issues.empty


def test_filled_templates_run_through_compute(templates, tmp_path, capsys):
    root, paths = templates
    for path in paths:
        fill(path, VALID[path.stem])
    assert main(["compute", "--data-root", str(root), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "demo" / "2024" / "schools.csv").exists()


def test_a_template_without_its_hint_row_is_read_from_row_two(templates):
    root, paths = templates
    for path in paths[:2]:
        fill(path, VALID[path.stem], keep_hint=False)
    season = load_dataset(root, "demo").seasons[("demo", 2024)]
    assert list(season.schools["_row"]) == [2, 3]


def test_an_error_in_a_filled_template_names_the_spreadsheet_row(templates):
    root, paths = templates
    fill(paths[0], VALID["schools"])
    fill(paths[1], [VALID["results"][0], {**VALID["results"][1], "grade": 12}])
    with pytest.raises(DataValidationError) as info:
        load_dataset(root, "demo")
    assert [str(p) for p in info.value.problems] == [
        "файл data_raw/demo/2024/results.xlsx, строка 4, столбец «Класс»: класс 12 вне диапазона 1–11."]


def test_optional_templates_left_empty_count_as_absent(templates):
    root, paths = templates
    fill(paths[0], VALID["schools"])
    fill(paths[1], VALID["results"])
    season = load_dataset(root, "demo").seasons[("demo", 2024)]
    assert sorted(season.tables) == ["results", "schools"]


def test_same_arguments_give_the_same_bytes(tmp_path):
    a = create_templates(tmp_path / "a" / "data_raw", "demo", 2024)
    b = create_templates(tmp_path / "b" / "data_raw", "demo", "2024")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    with zipfile.ZipFile(a[0]) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = openpyxl.load_workbook(a[0]).properties
    assert props.created == props.modified and props.created.year == 2000


def test_existing_files_are_never_overwritten(tmp_path):
    root = tmp_path / "data_raw"
    folder = root / "demo" / "2024"
    folder.mkdir(parents=True)
    (folder / "schools.xlsx").write_bytes(b"filled by hand")
    said = []
    written = create_templates(root, "demo", 2024, log=said.append)
    assert (folder / "schools.xlsx").read_bytes() == b"filled by hand"
    assert folder / "schools.xlsx" not in written and len(written) == len(CONTRACT) - 1
    assert said[0].startswith("пропущен schools.xlsx: файл уже есть")
    assert create_templates(root, "demo", 2024) == []


def test_overwrite_replaces_existing_templates_and_says_so(tmp_path):
    root = tmp_path / "data_raw"
    create_templates(root, "demo", 2024)
    target = root / "demo" / "2024" / "schools.xlsx"
    target.write_bytes(b"old")
    said = []
    written = create_templates(root, "demo", 2024, overwrite=True, log=said.append)
    assert len(written) == len(CONTRACT) and target.read_bytes() != b"old"
    assert said[0] == f"перезаписан {target}"


def test_a_csv_of_the_same_kind_is_never_shadowed_by_a_template(tmp_path):
    root = tmp_path / "data_raw"
    folder = root / "demo" / "2024"
    folder.mkdir(parents=True)
    (folder / "results.csv").write_text("Код ОО;Процедура\n", encoding="utf-8")
    said = []
    written = create_templates(root, "demo", 2024, overwrite=True, log=said.append)
    assert not (folder / "results.xlsx").exists() and folder / "results.xlsx" not in written
    assert any(line.startswith("пропущен results.xlsx: в папке уже есть results.csv") for line in said)


@pytest.mark.parametrize("municipality, year", [
    ("..", 2024), (".", 2024), ("a/b", 2024), ("a\\b", 2024), ("/etc", 2024), ("", 2024), ("   ", 2024),
    ("demo\x00", 2024), ("demo\n", 2024), ("C:demo", 2024), ("_hidden", 2024), (".hidden", 2024),
    ("demo", ".."), ("demo", "../2024"), ("demo", "20x4"), ("demo", "24"), ("demo", ""), ("demo", "２０２４"),
])
def test_unsafe_municipality_or_year_is_refused_and_nothing_is_created(tmp_path, municipality, year):
    with pytest.raises(PathError) as info:
        create_templates(tmp_path / "data_raw", municipality, year)
    assert isinstance(info.value, ShnorError)
    assert str(info.value).startswith("Недопустимое значение (")
    assert not (tmp_path / "data_raw").exists()


@pytest.mark.parametrize("value", ["demo", "Первоуральск", "г. Первоуральск", "Каменск-Уральский", 2024, "2024"])
def test_safe_component_returns_ordinary_names_unchanged(value):
    assert safe_component(value, "муниципалитет") == str(value)


@pytest.mark.parametrize("value, reason", [
    ("..", "это ссылка на папку"), ("a/b", "«/»"), ("a\\b", "«\\»"), ("x\ty", "управляющие символы"),
    (" x", "пробел в начале или в конце"), ("x.", "точка в конце"), ("NUL", "зарезервировано в Windows"),
    ("a" * 101, "длиннее 100 символов"), (None, "пустое имя"),
])
def test_safe_component_says_why_a_name_is_refused(value, reason):
    with pytest.raises(PathError, match="Недопустимое значение \\(муниципалитет\\)") as info:
        safe_component(value, "муниципалитет")
    assert reason in str(info.value)


def test_control_characters_are_shown_escaped_in_the_message():
    with pytest.raises(PathError) as info:
        safe_component("demo\x00\n", "муниципалитет")
    assert "«demo\\x00\\n»" in str(info.value)

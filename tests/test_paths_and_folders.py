"""Paths and folders (issue 11, class 10): outputs never mix with the inputs, a folder that looks
like a season is never skipped silently, published folders get the usual permissions, and
every structural error is listed somewhere a methodologist finds it.

The CLI runs in-process, as in tests/test_bad_inputs.py; expected messages are written by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import RESULT_HEADER, row, write_csv

from shnor_lib.cli import main
from shnor_lib.errors import ERRORS_FILE
from shnor_lib.io.paths import season_folder_problems


@pytest.fixture
def root(season_writer, tmp_path, monkeypatch):
    for year in (2023, 2024):
        data = season_writer(year, [row("1", "ВПР", "русский язык", 5, 20, 10), row("2", "ВПР", "математика", 5, 20, 1)])
    monkeypatch.chdir(tmp_path)
    return data


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# ---------------------------------------------------------------- outputs apart from the inputs

@pytest.mark.parametrize("command", ["validate", "compute", "report"])
@pytest.mark.parametrize("out, reason", [
    ("data_raw", "совпадает с папкой данных (--data-root) «data_raw»"),
    ("data_raw/results", "лежит внутри папки данных (--data-root) «data_raw»"),
    (".", "содержит папку данных (--data-root) «data_raw»"),
])
def test_out_mixed_with_the_data_root_is_refused_before_anything_is_written(root, tmp_path, capsys, command, out,
                                                                            reason):
    before = _digest(tmp_path)
    code, err = _run(capsys, command, "--data-root", "data_raw", "--out", out)
    assert code == 2
    shown = "." if out == "." else out
    assert err == (f"Ошибка: Папка результатов (--out) «{shown}» {reason}: результаты смешались бы с входными "
                   "файлами и могли бы заменить их. Укажите отдельную папку, например --out outputs.\n")
    assert _digest(tmp_path) == before


def test_out_inside_the_parameters_folder_is_refused(root, tmp_path, capsys):
    (tmp_path / "parameters").mkdir()
    code, err = _run(capsys, "compute", "--data-root", "data_raw", "--out", "parameters/out")
    assert code == 2
    assert "«parameters/out» лежит внутри папки параметров «parameters»" in err
    assert list((tmp_path / "parameters").iterdir()) == []


# ---------------------------------------------------------------- season folders

@pytest.mark.parametrize("command", ["validate", "compute"])
def test_year_folders_with_stray_spaces_are_named_never_skipped(root, tmp_path, capsys, command):
    shutil.move(root / "t" / "2023", root / "t" / " 2023")
    shutil.copytree(root / "t" / "2024", root / "t" / "2024 ")
    code, err = _run(capsys, command, "--data-root", root, "--out", "out")
    assert code == 2
    assert err == (
        "Найдено ошибок во входных данных: 2. Расчёт остановлен, ничего не записано.\n"
        "  • папка data_raw/t: вложенная папка « 2023» похожа на папку сезона, но не будет прочитана: пробел в "
        "начале имени; папка сезона называется годом из четырёх цифр, например 2024. Переименуйте её в «2023».\n"
        "  • папка data_raw/t: вложенная папка «2024 » похожа на папку сезона, но не будет прочитана: пробел в "
        "конце имени; папка сезона называется годом из четырёх цифр, например 2024. Если это копия или архив, "
        "уберите её из папки муниципалитета или начните имя с «_» (такие папки программа пропускает).\n")
    assert not (tmp_path / "out").exists()


def test_a_municipality_with_only_an_odd_year_folder_is_not_skipped_under_all(root, capsys):
    write_csv(root / "u" / "2024_копия" / "results.csv", RESULT_HEADER, [row("1", "ВПР", "русский язык", 5, 20, 1)])
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out")
    assert code == 2
    assert ("папка data_raw/u: вложенная папка «2024_копия» похожа на папку сезона, но не будет прочитана: кроме "
            "года в имени есть другие знаки; папка сезона называется годом из четырёх цифр, например 2024. "
            "Если это сезон 2024 года, переименуйте её в «2024»; если копия или архив — уберите её из папки "
            "муниципалитета или начните имя с «_» (такие папки программа пропускает).") in err


@pytest.mark.parametrize("name, reason", [
    ("2024 (2)", "кроме года в имени есть другие знаки"), ("2023-2024", "кроме года в имени есть другие знаки"),
    ("24", "год записан не четырьмя цифрами"), ("２０２４", "цифры набраны не латинскими (ASCII) знаками"),
])
def test_every_name_with_digits_but_not_a_year_is_an_error(tmp_path, name, reason):
    (tmp_path / "m" / name).mkdir(parents=True)
    (problem,) = season_folder_problems(tmp_path)
    assert f"«{name}»" in problem.message and reason in problem.message


def test_files_folders_without_digits_and_folders_put_aside_are_not_seasons(root, capsys):
    (root / "t" / "README.md").write_text("сценарий", encoding="utf-8")
    (root / "t" / "published.yml").write_text("a: 1", encoding="utf-8")
    (root / "t" / "source").mkdir()
    (root / "t" / "source" / "2022.txt").write_text("опубликованный текст", encoding="utf-8")
    shutil.copytree(root / "t" / "2024", root / "t" / "_2024_старое")
    (root / "t" / ".2024.tmp").mkdir()
    assert season_folder_problems(root) == []
    code, _ = _run(capsys, "validate", "--data-root", root, "--out", "out")
    assert code == 0


def test_the_shipped_data_have_no_odd_season_folder():
    repo = Path(__file__).resolve().parent.parent
    assert season_folder_problems(repo / "data_raw") == []


# ---------------------------------------------------------------- permissions

@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o002, 0o775, 0o664)])
def test_published_folders_and_files_get_the_usual_permissions(root, tmp_path, capsys, umask, folder_mode, file_mode):
    old = os.umask(umask)
    try:
        assert main(["compute", "--data-root", str(root), "--out", "out"]) == 0
    finally:
        os.umask(old)
    season = tmp_path / "out" / "t" / "2024"
    assert stat.S_IMODE(season.stat().st_mode) == folder_mode  # not mkdtemp's 0700
    for f in season.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == file_mode, f.name


# ---------------------------------------------------------------- the full list of errors

def _unknown_ids(root: Path, n: int) -> None:
    """``n`` results rows naming schools absent from schools.csv: ``n`` structural errors."""
    rows = [row("1", "ВПР", "русский язык", 5, 20, 10)] + [row(str(100 + i), "ВПР", "русский язык", 5, 20, 1)
                                                          for i in range(n)]
    write_csv(root / "t" / "2024" / "results.csv", RESULT_HEADER, rows)


@pytest.mark.parametrize("command", ["validate", "compute"])
def test_more_errors_than_the_screen_shows_are_all_written_to_a_file(root, tmp_path, capsys, command):
    _unknown_ids(root, 60)
    code, err = _run(capsys, command, "--data-root", root, "--out", "out")
    assert code == 2
    lines = err[err.index("Найдено"):].splitlines()  # after compute's progress bar
    listed = tmp_path / "out" / ERRORS_FILE
    assert lines[0] == "Найдено ошибок во входных данных: 60. Расчёт остановлен, ничего не записано."
    assert len([x for x in lines if x.startswith("  • ")]) == 50
    assert lines[-2:] == ["  … и ещё 10.", f"Все ошибки (всего: 60) записаны в файл: {listed}"]
    text = listed.read_text(encoding="utf-8").splitlines()
    assert text[0] == "Найдено ошибок во входных данных: 60."
    assert [x for x in text if x.startswith("  • ")] == [x for x in lines if x.startswith("  • ")] + [
        f"  • файл data_raw/t/2024/results.csv, строка {r}, столбец «school_id»: неизвестный код ОО «{100 + r - 3}» — "
        "его нет в файле schools. Добавьте школу в schools или исправьте код." for r in range(53, 63)]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [ERRORS_FILE]  # no result beside it


def test_an_old_list_of_errors_is_removed_by_the_next_run(root, tmp_path, capsys):
    _unknown_ids(root, 60)
    assert main(["validate", "--data-root", str(root), "--out", "out"]) == 2
    assert (tmp_path / "out" / ERRORS_FILE).exists()
    _unknown_ids(root, 3)  # fewer than the screen shows: the old list would be misleading
    assert main(["validate", "--data-root", str(root), "--out", "out"]) == 2
    assert not (tmp_path / "out" / ERRORS_FILE).exists()


def test_report_writes_the_full_list_of_a_failed_municipality(root, tmp_path, capsys):
    _unknown_ids(root, 12)
    code, err = _run(capsys, "report", "--data-root", root, "--out", "out", "--format", "html")
    assert code == 2
    listed = tmp_path / "out" / ERRORS_FILE
    assert f"Все ошибки во входных данных (всего: 12) записаны в файл: {listed}" in err
    assert len([x for x in listed.read_text(encoding="utf-8").splitlines() if x.startswith("  • ")]) == 12


def test_validate_run_inside_the_data_root_keeps_its_long_list_out_of_the_data(root, tmp_path, capsys, monkeypatch):
    # `validate` writes only the list of errors: the default --out («outputs», here inside the data
    # root) is not refused, and the list goes to the temporary folder, never into the data.
    _unknown_ids(root, 60)
    monkeypatch.chdir(root)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    code, err = _run(capsys, "validate", "--data-root", ".")
    assert code == 2
    listed = next(tmp_path.glob("shnor-validation_errors-*.txt"))
    assert err.endswith(f"Все ошибки (всего: 60) записаны в файл: {listed}\n")
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before

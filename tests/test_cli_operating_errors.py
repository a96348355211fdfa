"""Operating errors never show a traceback (issue 11, class 11): an output folder that is
read-only, full or a file, ``--jobs 0``, an unknown ``--format``, a parameter file that is not
UTF-8, an error of the model, an error nobody expected. Every argument is checked before
anything is written; exit codes as README.md states (2: the command, the inputs or the
parameters; 3: the system refuses to write; 1: an internal error).

The CLI runs in-process (``shnor_lib.cli.main``), as in tests/test_bad_inputs.py. The disk
cannot be filled nor a folder made read-only for root here, so those two are simulated by
making the write (or the permission check) fail as the system would.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from conftest import REPO, row

from shnor_lib import cli
from shnor_lib.cli import main
from shnor_lib.errors import ParameterError
from shnor_lib.io import paths
from shnor_lib.pipeline import batch, outputs, season


@pytest.fixture
def root(season_writer, tmp_path, monkeypatch):
    """A small valid season (two schools, two years) and the current folder at tmp_path."""
    for year in (2023, 2024):
        data = season_writer(year, [row("1", "ВПР", "русский язык", 5, 20, 10), row("2", "ВПР", "математика", 5, 20, 1)])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHNOR_DEBUG", raising=False)
    monkeypatch.delenv("SHNOR_JOBS", raising=False)
    return data


def _run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the output folder

def test_read_only_output_folder_is_named_with_exit_3_and_nothing_is_written(root, tmp_path, capsys, monkeypatch):
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(paths, "_can_write", lambda folder: folder != tmp_path / "ro")
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "ro/out")
    assert code == 3
    assert err == ("Ошибка записи: Нет прав на запись в папку «ro» (папка результатов --out «ro/out»). "
                   "Укажите другую папку или попросите администратора дать права на запись.\n")
    assert list((tmp_path / "ro").iterdir()) == []


def test_permission_lost_while_writing_is_a_message_with_exit_3(root, tmp_path, capsys, monkeypatch):
    def refuse(prefix, folder):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(Path(folder) / f"{prefix}x"))

    monkeypatch.setattr(outputs, "make_temp_dir", refuse)
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out")
    assert code == 3
    assert err.endswith("Ошибка файловой системы при записи в папку результатов «out»: нет прав доступа. Укажите "
                        "другую папку (--out) или попросите администратора дать права. Наполовину записанных файлов "
                        "нет: каждый файл заменяется целиком или остаётся прежним.\n")


def test_a_full_disk_leaves_the_previous_outputs_intact_with_exit_3(root, tmp_path, capsys, monkeypatch):
    assert main(["compute", "--data-root", str(root), "--out", "out"]) == 0
    before = _digest(tmp_path / "out")

    def full(df, path, sheet):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(outputs, "write_xlsx", full)
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out")
    assert code == 3
    assert err.endswith("Ошибка файловой системы при записи в папку результатов «out»: на диске нет свободного "
                        "места. Освободите место или укажите --out на другом диске и запустите команду снова. "
                        "Наполовину записанных файлов нет: каждый файл заменяется целиком или остаётся прежним.\n")
    assert _digest(tmp_path / "out") == before  # no temporary folder left, no table half-replaced


def test_an_output_path_that_is_a_file_is_refused_with_exit_2(root, tmp_path, capsys):
    (tmp_path / "out.txt").write_text("x", encoding="utf-8")
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out.txt")
    assert code == 2
    assert err == "Ошибка: Папка результатов (--out) «out.txt» — это файл, а не папка. Укажите папку для результатов.\n"
    code, err = _run(capsys, "report", "--data-root", root, "--out", "out.txt/sub")
    assert code == 2
    assert err == ("Ошибка: Папка результатов (--out) «out.txt/sub» — это файл, а не папка (внутри пути есть файл "
                   "«out.txt»). Укажите папку для результатов.\n")


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize("jobs", ["0", "-2"])
def test_jobs_below_one_is_refused_before_anything_is_written(root, tmp_path, capsys, jobs):
    code, err = _run(capsys, "report", "--data-root", root, "--out", "out", "--jobs", jobs)
    assert code == 2
    assert err == (f"Ошибка: --jobs {jobs}: число параллельных отчётов должно быть целым, не меньше 1 "
                   "(или не указывайте --jobs: по числу ядер).\n")
    assert not (tmp_path / "out").exists()


def test_jobs_that_is_not_a_number_is_a_russian_message(root, capsys):
    with pytest.raises(SystemExit) as info:
        main(["report", "--data-root", str(root), "--jobs", "два"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.endswith("shnor report: ошибка: аргумент --jobs: «два» — не целое число\n")


def test_an_unknown_argument_is_a_russian_message(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compute", "--muncipality", "demo"])
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith("shnor: ошибка: неизвестные аргументы: --muncipality demo\n")


def test_an_unknown_format_is_refused_before_anything_is_written(root, tmp_path, capsys):
    code, err = _run(capsys, "report", "--data-root", root, "--out", "out", "--format", "html,docx")
    assert code == 2
    assert err == "Ошибка: --format: неизвестный формат «docx». Допустимо: html, pdf (через запятую, например html,pdf).\n"
    code, err = _run(capsys, "report", "--data-root", root, "--out", "out", "--format", " , ")
    assert code == 2 and "не указан ни один формат" in err
    assert not (tmp_path / "out").exists()


def test_formats_are_read_in_any_case_without_repeats():
    from shnor_lib.report.batch import check_report_arguments

    assert check_report_arguments("HTML, pdf,html", None) == (("html", "pdf"), None)


def test_shnor_jobs_environment_variable_that_is_not_a_number_is_refused(root, capsys, monkeypatch):
    monkeypatch.setenv("SHNOR_JOBS", "все")
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out")
    assert code == 2
    assert err == ("Ошибка: Переменная окружения SHNOR_JOBS = «все»: ожидается целое число не меньше 1 "
                   "(число параллельных процессов) или пусто.\n")


# ---------------------------------------------------------------- parameters and the model

def test_a_parameter_file_not_in_utf8_is_a_message_with_exit_2(root, tmp_path, capsys):
    (tmp_path / "p.yml").write_bytes("municipality_name: Первоуральск\n".encode("cp1251"))
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out", "--params", "p.yml")
    assert code == 2
    assert err == ("Ошибка в параметрах: Файл параметров p.yml не в кодировке UTF-8 (первый непонятный байт — "
                   "в строке 1; возможно, он сохранён в Windows-1251). Сохраните его в UTF-8: в Блокноте "
                   "«Сохранить как» → «Кодировка: UTF-8».\n")
    assert not (tmp_path / "out").exists()


def test_a_parameter_error_raised_by_the_model_reaches_the_user_with_exit_2(root, tmp_path, capsys, monkeypatch):
    # What the model layer raises for a formula naming an unknown column (the list is its own).
    def bad_formula(*args, **kwargs):
        raise ParameterError("«model.formula»: неизвестный столбец «isbsh_typo»; можно использовать: isbsh, iursh.")

    monkeypatch.setattr(season, "fit_quality_model", bad_formula)
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out")
    assert code == 2
    assert err.endswith("Ошибка в параметрах: «model.formula»: неизвестный столбец «isbsh_typo»; можно использовать: "
                        "isbsh, iursh.\n")
    assert not (tmp_path / "out").exists()  # nothing published, and the folder made for the run removed


def test_a_formula_naming_an_unknown_column_shows_no_traceback(tmp_path, capsys, monkeypatch):
    # The demo has enough schools for the model to be fitted (a small season is not modelled at all).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # a crash log, if any, stays in the test's folder
    (tmp_path / "f.yml").write_text("model:\n  formula: quality_index ~ nosuch + isbsh\n", encoding="utf-8")
    code, err = _run(capsys, "compute", "--data-root", REPO / "data_raw", "--municipality", "demo", "--out", "out",
                     "--params", "f.yml")
    assert code in (1, 2)  # 2 once the model layer names the columns (ParameterError); 1 until then
    assert "nosuch" in err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- errors nobody expected

def test_an_unexpected_error_is_a_short_message_with_a_log_and_exit_1(root, tmp_path, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyError("isbsh_group")

    monkeypatch.setattr(batch, "compute_season", boom)
    monkeypatch.setattr(batch, "_iter_compute", boom)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code, err = _run(capsys, "compute", "--data-root", root, "--out", "out")
    assert code == 1
    log = next(tmp_path.glob("shnor-error-*.txt"))
    assert err.endswith(f"Программа остановилась из-за непредвиденной ошибки (KeyError: 'isbsh_group'). Подробности "
                        f"записаны в файл {log} — приложите его, сообщая об ошибке разработчикам. Трассировка на "
                        "экране — с --debug или SHNOR_DEBUG=1.\n")
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "KeyError: 'isbsh_group'" in text and "команда: shnor compute" in text


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(root, capsys, monkeypatch, how):
    monkeypatch.setattr(batch, "_iter_compute", lambda *a, **k: (_ for _ in ()).throw(KeyError("x")))
    argv = ["compute", "--data-root", str(root), "--out", "out"]
    if how == "flag":
        argv.append("--debug")
    else:
        monkeypatch.setenv("SHNOR_DEBUG", "1")
    with pytest.raises(KeyError):
        main(argv)


def test_the_exit_codes_are_those_of_the_readme():
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    para = text.split("Exit codes:", 1)[1].split("\n\n", 1)[0]
    for code in (cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_DATA, cli.EXIT_WRITE):
        assert f"`{code}`" in para

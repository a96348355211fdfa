"""A first run that a non-programmer can follow: every command the program prints as a hint
works when typed as printed, from the folder the user is in."""

from __future__ import annotations

import shlex

import pytest

from shnor_lib.cli import main


@pytest.mark.parametrize("data_root", ["data_raw", "мои данные"])
def test_the_hint_shnor_init_prints_is_a_command_that_finds_the_new_templates(data_root, tmp_path, monkeypatch,
                                                                              capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--data-root", data_root, "--municipality", "Новый МО", "--year", "2025"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    hint = shlex.split(printed.split("запустите: ", 1)[1])
    assert hint[0] == "shnor"
    # the templates are still empty: the hinted command reads them and names them
    assert main(hint[1:]) == 2
    err = capsys.readouterr().err
    assert f"{data_root}/Новый МО/2025/schools.xlsx" in err and "нет ни одной строки данных" in err

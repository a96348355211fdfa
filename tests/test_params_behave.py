"""Parameters behave like data (issue 11, class 9): values read as a person means them through
the same vocabulary as the input files, shares in the notations people use, nested overrides
that merge, a project's parameters folder without a default.yml, and every run saying which
files it used and which values differ from the defaults.

Expected values are the package's defaults (parameters/default.yml) and the spellings of
parameters/vocabulary.yml; statuses are worked out by hand in the tests that compute.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import REPO, row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.rules import status_of
from shnor_lib.cli import main
from shnor_lib.config.params import (
    REMOVED,
    STATUSES,
    differences_from_defaults,
    load_project_params,
    parameter_file,
    project_parameters_dir,
)
from shnor_lib.errors import ParameterError


def _file(tmp_path: Path, text: str, name: str = "p.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the vocabulary in parameter files

def test_subjects_and_procedures_are_read_through_the_vocabulary(tmp_path):
    p = load_params(path=_file(tmp_path, """
        subjects: [Русский язык, Матем.]
        procedures: [впр, гиа-9]
        clustering: {procedures: [ВПР, огэ]}
    """))
    assert p["subjects"] == ["русский язык", "математика"]
    assert p["procedures"] == ["ВПР", "ОГЭ"]
    assert p["clustering"]["procedures"] == ["ВПР", "ОГЭ"]


def test_lower_case_procedures_in_a_parameter_file_give_the_same_statuses(tmp_path, season_writer):
    # School 1: ВПР 5 русский, 10 of 20 failed (50 %) in 2023 and 2024 → ШНОР (two years running).
    # Before, «впр» never equalled «ВПР»: no row was in scope and nobody was ШНОР, without a word.
    for year in (2023, 2024):
        root = season_writer(year, [row("1", "ВПР", "русский язык", 5, 20, 10), row("2", "ВПР", "русский язык", 5, 20, 0)])
    data = load_dataset(root)
    spelled = load_params(path=_file(tmp_path, "procedures: [впр, огэ, егэ]\nsubjects: [Русский язык, МАТЕМАТИКА]\n"))
    got = compute_season(data, "t", 2024, spelled).schools.set_index("school_id")["status"].to_dict()
    want = compute_season(data, "t", 2024, load_params()).schools.set_index("school_id")["status"].to_dict()
    assert got == want and got["1"] == "ШНОР"


def test_one_string_of_comma_separated_values_is_a_list(tmp_path):
    p = load_params(path=_file(tmp_path, "subjects: русский язык, математика\nvpr_grades: 5\n"))
    assert p["subjects"] == ["русский язык", "математика"] and p["vpr_grades"] == [5]


def test_an_unknown_subject_is_refused_with_file_key_and_nearest_name(tmp_path):
    path = _file(tmp_path, "subjects: [русский язык, Матемтика]\n")
    with pytest.raises(ParameterError) as info:
        load_params(path=path)
    assert str(info.value) == (
        f"{path}: параметр «subjects»: значение «Матемтика» не найдено в словаре предметов. "
        "Возможно, имелось в виду: «математика». Исправьте написание; если это верное название, "
        "добавьте его в parameters/vocabulary.yml.")


def test_a_latin_letter_in_a_procedure_is_named(tmp_path):
    path = _file(tmp_path, "procedures: [OГЭ]\n")  # Latin «O»
    with pytest.raises(ParameterError, match=r"«procedures».*«O» \(латинская, 1-й знак\).*получится «ОГЭ»"):
        load_params(path=path)


@pytest.mark.parametrize("written", [["5", "6"], ["5 класс", "6 кл."], "5, 6"])
def test_grades_written_as_text_are_numbers(tmp_path, written):
    path = _file(tmp_path, f"vpr_grades: {written!r}\n".replace("'", '"'))
    assert load_params(path=path)["vpr_grades"] == [5, 6]


def test_a_grade_in_which_vpr_is_not_held_is_refused(tmp_path):
    path = _file(tmp_path, "vpr_grades: [5, 9]\n")
    with pytest.raises(ParameterError) as info:
        load_params(path=path)
    assert str(info.value) == (f"{path}: параметр «vpr_grades»: ВПР не проводится в 9 классе; по словарю "
                               "parameters/vocabulary.yml — в классах 4, 5, 6, 7, 8, 10, 11.")


def test_statuses_in_any_spelling_are_the_statuses_of_the_rules(tmp_path):
    p = load_params(path=_file(tmp_path, """
        leaders: {partner_statuses: [шнор + шнсу, ШНСУ и ШНОР, шнор]}
        risk: {recommend_for: [Зона  риска, ШНОР+ШНСУ]}
    """))
    assert p["leaders"]["partner_statuses"] == ["ШНОР+ШНСУ", "ШНОР"]
    assert p["risk"]["recommend_for"] == ["зона риска", "ШНОР+ШНСУ"]


def test_an_unknown_status_is_refused_with_the_nearest(tmp_path):
    path = _file(tmp_path, "leaders: {partner_statuses: [ШНР]}\n")
    with pytest.raises(ParameterError) as info:
        load_params(path=path)
    assert str(info.value) == (f"{path}: параметр «leaders.partner_statuses»: статус «ШНР» неизвестен. "
                               "Возможно, имелось в виду: «ШНОР», «ШНСУ». "
                               "Статусы: ШНОР+ШНСУ, ШНОР, ШНСУ, зона риска.")


def test_the_status_list_holds_every_status_the_rules_give():
    given = {status_of(a, b, c) for a in (True, False) for b in (True, False) for c in (True, False)} - {""}
    assert given == set(STATUSES)


# ---------------------------------------------------------------- shares and numbers

@pytest.mark.parametrize("written", ['"0,25"', "25%", '"25 %"', "0.25"])
def test_a_share_may_be_written_with_a_comma_or_in_percent(tmp_path, written):
    assert load_params(path=_file(tmp_path, f"shnor_threshold: {written}\n"))["shnor_threshold"] == 0.25


def test_a_share_out_of_range_is_refused_with_a_hint(tmp_path):
    path = _file(tmp_path, "shnor_threshold: 30\n")
    with pytest.raises(ParameterError) as info:
        load_params(path=path)
    assert str(info.value) == (f"{path}: параметр «shnor_threshold» = 30 должен быть долей между 0 и 1 "
                               "(например 0,25 или 25%). Если это проценты, напишите 30%.")


@pytest.mark.parametrize("key", ["leaders.fail_quantile", "dynamics.alpha", "shnsu_rule.isbsh_quantile"])
def test_other_shares_are_checked_too(tmp_path, key):
    section, name = key.split(".")
    extra = "  isbsh_group_max: null\n" if section == "shnsu_rule" else ""
    with pytest.raises(ParameterError, match=f"«{key}» = 1,5 должен быть долей|«{key}» = 1.5 должен быть долей"):
        load_params(path=_file(tmp_path, f"{section}:\n  {name}: 1.5\n{extra}"))


def test_a_number_with_a_decimal_comma_is_a_number(tmp_path):
    p = load_params(path=_file(tmp_path, 'group_band_sd: "0,5"\nmin_participants: "7"\n'))
    assert p["group_band_sd"] == 0.5 and p["min_participants"] == 7


def test_a_target_in_percent_may_carry_the_percent_sign(tmp_path):
    p = load_params(path=_file(tmp_path, 'targets: {shnor_shnsu_share: {plan: 10%, baseline: "17,5"}}\n'))
    assert p["targets"]["shnor_shnsu_share"] == {"baseline": 17.5, "plan": 10}


# ---------------------------------------------------------------- nested overrides

def test_one_isbsh_weight_overrides_and_the_other_weights_stay(tmp_path):
    p = load_params(path=_file(tmp_path, "isbsh: {weights: {on_register: -2}}\n"))
    defaults = load_params()["isbsh"]["weights"]
    assert p["isbsh"]["weights"] == {**defaults, "on_register": -2}
    assert len(defaults) == 5


def test_a_target_override_keeps_the_other_keys_of_the_target(tmp_path):
    base = _file(tmp_path, "targets: {shnor_shnsu_share: {baseline: 17, plan: 10}}\n", "m.yml")
    extra = _file(tmp_path, "targets: {shnor_shnsu_share: {plan: 8}}\n")
    p = load_params("m", extra, tmp_path)
    assert p["targets"]["shnor_shnsu_share"] == {"baseline": 17, "plan": 8}
    assert base.name in p["_sources"][1]


def test_an_entry_of_a_free_mapping_can_be_removed_with_null(tmp_path):
    p = load_params(path=_file(tmp_path, "targets: {shnor_shnsu_share: null}\n"))
    assert "shnor_shnsu_share" not in p["targets"]
    assert ("targets.shnor_shnsu_share", REMOVED) in differences_from_defaults(p)


def test_an_input_of_an_index_is_left_out_with_null(tmp_path):
    p = load_params(path=_file(tmp_path, "isbsh: {weights: {single_parent: null}}\n"))
    assert "single_parent" not in p["isbsh"]["weights"] and len(p["isbsh"]["weights"]) == 4


def test_an_unknown_column_in_isbsh_weights_is_refused_with_the_known_ones(tmp_path):
    path = _file(tmp_path, "isbsh: {weights: {ovz: 1}}\n")
    with pytest.raises(ParameterError) as info:
        load_params(path=path)
    assert str(info.value) == (
        f"{path}: в «isbsh.weights» неизвестный столбец «ovz». ИСБШ строится из: both_parents_higher_ed "
        "(Оба родителя с высшим образованием); on_register (Состоят на учёте); unemployed_parents "
        "(Безработные родители); single_parent (Из неполных семей); non_native_russian (Русский язык не родной).")


def test_an_unknown_column_in_iursh_weights_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(ParameterError, match=r"в «iursh.weights» неизвестный столбец «stazh». ИУРШ строится из: "
                                             r"higher_education .*; category .*; experience"):
        load_params(path=_file(tmp_path, "iursh: {weights: {stazh: 1}}\n"))


def test_a_fixed_reference_names_known_columns_with_mean_and_sd(tmp_path):
    p = load_params(path=_file(tmp_path, "isbsh: {fixed: {on_register: [0.02, 0.01], index: [0, 1]}}\n"))
    assert p["isbsh"]["fixed"] == {"on_register": [0.02, 0.01], "index": [0, 1]}
    with pytest.raises(ParameterError, match="«isbsh.fixed.on_register» должен быть парой"):
        load_params(path=_file(tmp_path, "isbsh: {fixed: {on_register: [0.02]}}\n"))
    with pytest.raises(ParameterError, match="в «iursh.fixed» неизвестный столбец «ovz»"):
        load_params(path=_file(tmp_path, "iursh: {fixed: {ovz: [0.1, 0.1]}}\n"))


# ---------------------------------------------------------------- files

def test_a_parameter_file_not_in_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "cp.yml"
    path.write_bytes("municipality_name: тест\nshnor_threshold: 0.3\n# Первоуральск\n".encode("cp1251"))
    with pytest.raises(ParameterError) as info:
        load_params(path=path)
    assert str(info.value) == (
        f"Файл параметров {path} не в кодировке UTF-8 (первый непонятный байт — в строке 1; возможно, он "
        "сохранён в Windows-1251). Сохраните его в UTF-8: в Блокноте «Сохранить как» → «Кодировка: UTF-8».")


@pytest.mark.parametrize("name", ["vocabulary", "indicators", "recommendations", "default", "Vocabulary"])
def test_a_municipality_named_like_a_shared_file_is_refused(name):
    with pytest.raises(ParameterError, match=f"Муниципалитет не может называться «{name}»: файл parameters/"):
        load_params(name)


def _project(tmp_path: Path, season_writer) -> Path:
    """A project folder: data_raw/t/2024 and parameters/t.yml, without a parameters/default.yml."""
    root = season_writer(2024, [row("1", "ВПР", "русский язык", 5, 20, 10)])
    (root.parent / "parameters").mkdir()
    (root.parent / "parameters" / "t.yml").write_text(
        "municipality_name: Тестовый округ\ntargets: {shnor_shnsu_share: {plan: 10}}\n", encoding="utf-8")
    return root


def test_a_municipal_file_beside_the_data_root_is_found_without_a_default_yml(tmp_path, season_writer):
    root = _project(tmp_path, season_writer)
    pdir = project_parameters_dir(root)
    assert pdir == (tmp_path / "parameters").resolve()
    p = load_params("t", None, pdir)
    assert p["municipality_name"] == "Тестовый округ"
    assert p["_sources"] == [str(REPO / "parameters" / "default.yml"), str(pdir / "t.yml")]


def test_every_command_finds_the_project_folder_through_the_one_lookup(tmp_path, season_writer):
    # compute (cli), report (report.batch) and the notebooks (report.context) load parameters
    # through load_project_params: the project's file beside the data root, then --params.
    root = _project(tmp_path, season_writer)
    extra = _file(tmp_path, "min_participants: 7\n", "extra.yml")
    p = load_project_params(root, "t", extra)
    assert (p["municipality_name"], p["min_participants"]) == ("Тестовый округ", 7)
    assert p["_sources"][1:] == [str((tmp_path / "parameters" / "t.yml").resolve()), str(extra)]
    package = Path(__file__).resolve().parent.parent / "shnor_lib"
    callers = sorted(str(f.relative_to(package)) for f in package.rglob("*.py")
                     if "project_parameters_dir(" in f.read_text(encoding="utf-8"))
    # folders.py defines it, params.py loads through it; the CLI also keeps --out out of that folder.
    assert callers == ["cli.py", "config/folders.py", "config/params.py"]


def test_a_project_default_yml_is_an_override_of_the_package_defaults(tmp_path):
    (tmp_path / "default.yml").write_text("min_participants: 7\n", encoding="utf-8")
    (tmp_path / "t.yml").write_text("shnor_threshold: 0.4\n", encoding="utf-8")
    p = load_params("t", None, tmp_path)
    assert (p["min_participants"], p["shnor_threshold"], p["risk_threshold"]) == (7, 0.4, 0.10)


def test_catalogues_come_from_the_project_when_it_has_them_else_from_the_package(tmp_path):
    (tmp_path / "indicators.yml").write_text("indicators: {}\n", encoding="utf-8")
    p = load_params(None, None, tmp_path)
    assert parameter_file(p, "indicators.yml") == tmp_path / "indicators.yml"
    assert parameter_file(p, "recommendations.yml") == REPO / "parameters" / "recommendations.yml"


def test_every_run_prints_the_files_used_and_the_values_that_differ(tmp_path, season_writer, capsys, monkeypatch):
    root = _project(tmp_path, season_writer)
    extra = _file(tmp_path, 'shnor_threshold: 35%\nsubjects: [Русский язык]\n', "extra.yml")
    monkeypatch.chdir(tmp_path)
    for command in ("validate", "compute"):
        assert main([command, "--data-root", str(root), "--params", str(extra), "--out", str(tmp_path / "o")]) == 0
        out = capsys.readouterr().out
        assert out.startswith(
            "Параметры (t): по умолчанию + parameters/t.yml + extra.yml; отличаются от умолчаний:\n"
            "    municipality_name = Тестовый округ\n"
            "    subjects = [русский язык]\n"
            "    shnor_threshold = 0,35\n"
            "    targets.shnor_shnsu_share.plan = 10\n"), command


def test_a_run_on_the_defaults_says_so(season_writer, capsys):
    root = season_writer(2024, [row("1", "ВПР", "русский язык", 5, 20, 10)])
    assert main(["validate", "--data-root", str(root), "--out", str(root.parent / "o")]) == 0
    assert capsys.readouterr().out.startswith("Параметры (t): по умолчанию.\n")

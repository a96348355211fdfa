"""The vocabulary of procedures and subjects (parameters/vocabulary.yml) and the two levels of
ЕГЭ mathematics. Expected values are worked out by hand in each test."""

from __future__ import annotations

import pytest
from conftest import row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.cli import main
from shnor_lib.contract.vocabulary import Vocabulary, _parse, load_vocabulary, mixed_script, normalize_term
from shnor_lib.errors import ParameterError

BASE, PROFILE = "математика (базовый уровень)", "математика (профильный уровень)"


def base_row(school, n, twos):
    """ЕГЭ базовый уровень: marks 2–5, ``twos`` pupils with «2», the rest «3»."""
    return [school, "ЕГЭ", BASE, 11, n, twos, n - twos, 0, 0, None, None, None]


@pytest.mark.parametrize("written, meant", [
    ("Рус. яз.", "русский язык"), ("Русский яз.", "русский язык"), ("русский  язык ", "русский язык"),
    ("Матем.", "математика"), ("МАТЕМАТИКА", "математика"), ("Математика (профильный уровень)", PROFILE),
    ("математика, базовая", BASE), ("Окружающий мир", "окружающий мир"), ("Биология", "биология"),
])
def test_exports_spellings_of_subjects_read_as_meant(written, meant):
    assert load_vocabulary().subject(written) == meant


@pytest.mark.parametrize("written, meant", [("ГИА-9", "ОГЭ"), ("огэ", "ОГЭ"), ("ГИА 11", "ЕГЭ"), ("впр", "ВПР")])
def test_procedure_spellings_read_as_meant(written, meant):
    assert load_vocabulary().procedure(written) == meant


def test_unknown_subject_is_not_guessed_and_the_nearest_name_is_offered():
    v = load_vocabulary()
    assert v.subject("Матемтика") is None
    assert v.nearest("subject", "Матемтика") == ["математика"]


def test_latin_letter_inside_a_cyrillic_word_is_found_with_its_position():
    # «мaтематика»: the second letter is the Latin «a» (U+0061).
    assert mixed_script("мaтематика") == [(2, "a", "латинская")]
    assert mixed_script("математика") == []
    # and the reverse: a Cyrillic «о» inside a Latin word
    assert mixed_script("mоdel") == [(2, "о", "русская")]
    assert "получится «математика»" in load_vocabulary().explain("subject", "мaтематика")


def test_normalisation_ignores_case_yo_spaces_and_punctuation():
    assert normalize_term("  Рус. яз. ") == "рус яз"
    assert normalize_term("Естествознание Ёж") == "естествознание еж"


def test_a_spelling_given_to_two_names_is_refused():
    text = "procedures: {ВПР: {aliases: [x]}}\nsubjects: {a: {aliases: [общее]}, b: {aliases: [общее]}}\n"
    with pytest.raises(ParameterError, match="«общее» отнесено и к «a», и к «b»"):
        _parse(text, "test.yml")


def test_ege_basic_level_is_marked_and_profile_level_is_scored():
    v: Vocabulary = load_vocabulary()
    assert v.marked("ЕГЭ", BASE) and not v.marked("ЕГЭ", PROFILE) and not v.marked("ЕГЭ", "русский язык")
    assert v.marked("ВПР", "математика")


def test_both_levels_of_ege_mathematics_in_one_file_are_not_duplicates_and_pool(season_writer):
    # базовый: 10 pupils, 2 with «2» (20 %); профильный: 10 pupils, 4 below the threshold (40 %).
    # Pooled by hand: (2 + 4) / (10 + 10) = 30,0 % → ЕГЭ triggers; ОГЭ 6 of 20 = 30 % → ШНОР in one year.
    root = season_writer(2024, [base_row("1", 10, 2), row("1", "ЕГЭ", PROFILE, 11, 10, 4),
                                row("1", "ОГЭ", "математика", 9, 20, 6)])
    data = load_dataset(root)
    res = compute_season(data, "t", 2024, load_params())
    s = res.schools.set_index("school_id").loc["1"]
    assert s["shnor"]
    assert "ЕГЭ 2024, математика: 30,0% (6 из 20)" in s["reasons"]
    m = res.metrics.set_index(["procedure", "subject"]).loc[("ЕГЭ", "математика")]
    assert m["participants"] == 20 and m["failed"] == 6
    # «4 and 5» and the mean mark mean different things on the two levels: not pooled.
    assert m[["quality_share", "mean_mark", "high_share"]].isna().all()


def test_separate_levels_leave_ege_mathematics_out_of_the_default_subjects(season_writer, tmp_path):
    root = season_writer(2024, [base_row("1", 10, 2), row("1", "ЕГЭ", PROFILE, 11, 10, 4),
                                row("1", "ОГЭ", "математика", 9, 20, 6)])
    params = load_params()
    params["subject_levels"] = "separate"
    res = compute_season(load_dataset(root), "t", 2024, params)
    s = res.schools.set_index("school_id").loc["1"]
    assert not s["shnor"]  # only ОГЭ triggers; ЕГЭ mathematics is two subjects outside `subjects`
    # Naming the profile level in `subjects` brings it back on its own: 4 of 10 = 40 %.
    params["subjects"] = ["русский язык", "математика", PROFILE]
    res = compute_season(load_dataset(root), "t", 2024, params)
    s = res.schools.set_index("school_id").loc["1"]
    assert s["shnor"] and f"ЕГЭ 2024, {PROFILE}: 40,0% (4 из 10)" in s["reasons"]


def test_validate_lists_the_spellings_read_through_the_vocabulary(season_writer, capsys):
    root = season_writer(2024, [row("1", "ВПР", "Рус. яз.", 5, 20, 2), row("1", "ВПР", "Рус. яз.", 6, 20, 2),
                                row("1", "ГИА-9", "МАТЕМАТИКА", 9, 20, 2)])
    assert main(["validate", "--data-root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "столбец «procedure»: «ГИА-9» прочитано как «ОГЭ»" in out
    assert "«Рус. яз.» прочитано как «русский язык» (словарь parameters/vocabulary.yml; 2 строки)" in out
    # a change of case only is not a different spelling
    assert "МАТЕМАТИКА" not in out

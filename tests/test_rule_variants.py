"""ШНОР rule variants (Методика §3.1.1): ``shnor_rule.procedure_unit`` (kind | work) and
``shnor_rule.branches`` (or | and). Every expected status is derived by hand below from the
rule: a unit is triggered when its fail share (Σ «2» / Σ participants) reaches 30%.
"""

from __future__ import annotations

import pytest
from conftest import row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.rules import triggered_procedures
from shnor_lib.config.params import ParameterError


def _params(tmp_path, text: str):
    path = tmp_path / "variant.yml"
    path.write_text(text, encoding="utf-8")
    return load_params(path=path)


def _schools(root, year, params):
    return compute_season(load_dataset(root, "t"), "t", year, params).schools.set_index("school_id")


@pytest.fixture
def kind_and_work_disagree(season_writer):
    # School A, 2024 only: ВПР математика 5 класс 20 of 50 (40%), 6 класс 20 of 50 (40%).
    #   kind: one procedure (ВПР, 40 of 100) in one year, no 2023 row → not ШНОР;
    #   work: two works ≥ 30% in one year → ШНОР «две процедуры».
    # School B: 2023 ВПР математика 5 класс 20 of 50 (40%); 2024 5 класс 5 of 50 (10%),
    #   6 класс 25 of 50 (50%) → ВПР pooled 30 of 100 = 30%.
    #   kind: ВПР ≥ 30% in 2023 and 2024 → ШНОР «два года подряд»;
    #   work: 2023 «5 класс», 2024 «6 класс» are different works, one each year → not ШНОР.
    season_writer(2023, [row("B", "ВПР", "математика", 5, 50, 20)], schools=["A", "B"])
    return season_writer(2024, [row("A", "ВПР", "математика", 5, 50, 20), row("A", "ВПР", "математика", 6, 50, 20),
                                row("B", "ВПР", "математика", 5, 50, 5), row("B", "ВПР", "математика", 6, 50, 25)])


def test_default_kind_pools_grades_into_one_procedure(kind_and_work_disagree):
    s = _schools(kind_and_work_disagree, 2024, load_params())
    assert (s.loc["A", "shnor"], s.loc["B", "shnor"]) == (False, True)
    assert s.loc["B", "shnor_branch"] == "два года подряд"
    assert "ВПР 2024, математика: 30,0% (30 из 100)" in s.loc["B", "reasons"]


def test_work_unit_counts_each_work_and_disagrees_with_kind(kind_and_work_disagree, tmp_path):
    s = _schools(kind_and_work_disagree, 2024, _params(tmp_path, "shnor_rule:\n  procedure_unit: work\n"))
    assert (s.loc["A", "shnor"], s.loc["B", "shnor"]) == (True, False)
    assert s.loc["A", "shnor_branch"] == "две процедуры"
    assert ("ШНОР: не менее 30% не преодолели порог в двух различных работах в один год: "
            "ВПР 2024, математика, 5 класс: 40,0% (20 из 50); ВПР 2024, математика, 6 класс: 40,0% (20 из 50)"
            in s.loc["A", "reasons"])
    # B: 2024 has one work ≥ 30% (6 класс 50%) and 2023 another (5 класс 40%) → not ШНОР; at the 10%
    # threshold 2024 5 класс (10%) and 6 класс (50%) are two works in one year → зона риска.
    assert s.loc["B", "status"] == "зона риска"
    assert ("зона риска: не менее 10% (но условие ШНОР не выполнено) в двух различных работах в один год: "
            "ВПР 2024, математика, 5 класс: 10,0% (5 из 50); ВПР 2024, математика, 6 класс: 50,0% (25 из 50)"
            in s.loc["B", "reasons"])


def test_branches_and_needs_two_procedures_and_two_years(season_writer, tmp_path):
    # C: 2023 ВПР русский 20 of 50 (40%); 2024 ВПР русский 20 of 50 (40%) and ОГЭ математика 7 of 20 (35%)
    #    → two procedures in 2024 AND ВПР in both years → ШНОР under «and».
    # D: 2024 ВПР 40% and ОГЭ 35%, nothing in 2023 → «or»: ШНОР (две процедуры); «and»: not.
    # E: 2023 and 2024 ВПР 40%, no ОГЭ → «or»: ШНОР (два года подряд); «and»: not.
    season_writer(2023, [row("C", "ВПР", "русский язык", 6, 50, 20), row("E", "ВПР", "русский язык", 6, 50, 20)],
                  schools=["C", "D", "E"])
    root = season_writer(2024, [
        row("C", "ВПР", "русский язык", 7, 50, 20), row("C", "ОГЭ", "математика", 9, 20, 7),
        row("D", "ВПР", "русский язык", 7, 50, 20), row("D", "ОГЭ", "математика", 9, 20, 7),
        row("E", "ВПР", "русский язык", 7, 50, 20)])
    either = _schools(root, 2024, load_params())
    assert list(either.loc[["C", "D", "E"], "shnor"]) == [True, True, True]
    both = _schools(root, 2024, _params(tmp_path, "shnor_rule:\n  branches: and\n"))
    assert list(both.loc[["C", "D", "E"], "shnor"]) == [True, False, False]
    assert both.loc["C", "shnor_branch"] == "две процедуры и два года подряд"
    assert "в двух различных процедурах в один год, а также в одной процедуре два года подряд" in both.loc["C", "reasons"]
    assert "условие требует двух процедур и двух лет" in both.loc["D", "reasons"]


def test_unknown_variant_is_a_parameter_error_naming_the_choices(tmp_path):
    with pytest.raises(ParameterError, match="procedure_unit"):
        _params(tmp_path, "shnor_rule:\n  procedure_unit: grade\n")


def test_work_unit_refuses_metrics_pooled_over_grades(season_writer, tmp_path):
    root = season_writer(2024, [row("A", "ВПР", "математика", 5, 50, 20)])
    res = compute_season(load_dataset(root, "t"), "t", 2024, load_params())
    with pytest.raises(ValueError, match="work_metrics"):
        triggered_procedures(res.metrics.assign(municipality="t"), 0.3,
                             _params(tmp_path, "shnor_rule:\n  procedure_unit: work\n"))

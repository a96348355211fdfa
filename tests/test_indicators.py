"""The indicator catalogue (METHODOLOGY §8) on hand-made monitoring tables.

Every expected fact below is computed by hand in the comment beside it: a share is
Σ numerator / Σ denominator × 100 over the population's schools (seed 001,
1.2.1–1.2.5), a yes/no item scores 1/0 (seed 001, 1.2.6).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from shnor_lib import ParameterError, compute_season, load_dataset, load_params
from shnor_lib.analysis.indicators import (
    compute_indicators,
    diagnostics_summary,
    dynamics_level,
    load_catalogue,
    parse_catalogue,
    season_indicators,
)

CATALOGUE = REPO / "parameters" / "indicators.yml"


def ratio(code, numerator, denominator, population="all", direction="higher_better", **kw):
    return {"code": code, "name": f"Показатель {code}", "level": "school", "numerator": numerator,
            "denominator": denominator, "population": population, "unit": "%", "direction": direction,
            "source": "тест", **kw}


def yes_no(code, key, level="municipal", population="all"):
    return {"code": code, "name": f"Наличие {code}", "level": level, "yes_no": key, "population": population,
            "unit": "балл", "direction": "higher_better", "source": "тест"}


def catalogue(*indicators, fields=None):
    return parse_catalogue({"fields": fields or {}, "indicators": list(indicators)})


# Five schools: 1 ШНОР, 2 ШНСУ (with the risk flag, so it stays out of «зона риска»),
# 3 and 5 зона риска, 4 without status.
STATUSES = pd.DataFrame({
    "school_id": ["1", "2", "3", "4", "5"],
    "shnor": [True, False, False, False, False],
    "shnsu": [False, True, False, False, False],
    "risk_zone": [False, True, True, False, True],
})
MONITORING = pd.DataFrame({
    "school_id": ["1", "2", "3", "4", "5"],
    "teachers_total": [10, 30, 20, 40, 25],
    "teachers_diagnosed": [4, 15, 20, 0, 5],
    "has_curator": [1.0, 0.0, 1.0, 0.0, 1.0],
    "risk_internet_solved": [0.0, 1.0, 1.0, 0.0, 1.0],
    "risk_computers_solved": [0.0, 1.0, 1.0, 0.0, 0.0],
    "risk_staff_solved": [0.0, 1.0, 0.0, 0.0, 0.0],
    "diag_level_a": [1, 5, 9, 0, 1],
    "diag_level_b": [2, 5, 5, 0, 2],
    "diag_level_c": [1, 3, 4, 0, 1],
    "diag_level_d": [0, 2, 2, 0, 1],
})


def facts(cat, params=None, monitoring=MONITORING, statuses=STATUSES):
    out = compute_indicators(monitoring, statuses, cat, params or load_params())
    return out.set_index("code")


# ---------------------------------------------------------------- arithmetic

def test_teacher_share_pools_counts_over_shnor_and_shnsu():
    # Schools 1 and 2: (4 + 15) / (10 + 30) = 19 / 40 = 47.5 % — not the mean of 40 % and 50 %.
    row = facts(catalogue(ratio("diag", "teachers_diagnosed", "teachers_total", "shnor_shnsu"))).loc["diag"]
    assert (row["numerator"], row["denominator"]) == (19, 40)
    assert row["fact"] == pytest.approx(47.5)


def test_status_share_counts_schools_of_the_municipality():
    # ШНОР ∪ ШНСУ = schools 1 and 2 of 5: 2 / 5 = 40 %.
    row = facts(catalogue(ratio("share", "status:shnor_or_shnsu", "schools", direction="lower_better"))).loc["share"]
    assert row["fact"] == pytest.approx(40.0)


def test_yes_no_field_counts_schools_with_yes():
    # has_curator in ШНОР ∪ ШНСУ: school 1 «да», school 2 «нет» → 1 / 2 = 50 %.
    row = facts(catalogue(ratio("cur", "has_curator", "schools", "shnor_shnsu"))).loc["cur"]
    assert row["fact"] == pytest.approx(50.0)


def test_two_of_three_risks_counts_only_risk_zone_schools():
    # Population «зона риска» = schools 3 and 5 (school 2 is ШНСУ despite its risk flag).
    # School 3 solved интернет + техника (2 of 3) → counts; school 5 only интернет → not: 1 / 2 = 50 %.
    ind = ratio("risks", {"at_least": 2, "of": ["risk_internet_solved", "risk_computers_solved",
                                                "risk_staff_solved"]}, "schools", "risk_zone")
    row = facts(catalogue(ind)).loc["risks"]
    assert (row["numerator"], row["denominator"]) == (1, 2)
    assert row["fact"] == pytest.approx(50.0)


def test_school_without_data_is_left_out_and_named_in_the_note():
    # School 2 has no teachers_diagnosed: only school 1 remains, 4 / 10 = 40 %.
    mon = MONITORING.assign(teachers_diagnosed=[4, np.nan, 20, 0, 5])
    row = facts(catalogue(ratio("diag", "teachers_diagnosed", "teachers_total", "shnor_shnsu")), monitoring=mon)
    assert row.loc["diag", "fact"] == pytest.approx(40.0)
    assert "1 ОО совокупности не учтены" in row.loc["diag", "note"]


def test_missing_monitoring_file_leaves_only_status_items():
    cat = catalogue(ratio("share", "status:shnor", "schools"), ratio("diag", "teachers_diagnosed", "teachers_total"))
    out = facts(cat, monitoring=None)
    assert out.loc["share", "fact"] == pytest.approx(20.0)  # 1 of 5
    assert math.isnan(out.loc["diag", "fact"]) and "нет полей" in out.loc["diag", "note"]


# ---------------------------------------------------------------- yes / no

def answers_params(answers, targets=None):
    p = copy.deepcopy(load_params())
    p["monitoring"]["municipal_answers"] = answers
    p["monitoring"]["indicator_targets"] = targets or {}
    return p


def test_municipal_yes_scores_one_and_no_scores_zero():
    cat = catalogue(yes_no("report", "analytic_report"), yes_no("practices", "practices_system"))
    out = facts(cat, answers_params({"analytic_report": "да", "practices_system": "Нет"}))
    assert out.loc["report", "fact"] == 1.0 and out.loc["practices", "fact"] == 0.0


def test_municipal_answer_can_be_given_per_year():
    cat = catalogue(yes_no("report", "analytic_report"))
    p = answers_params({"analytic_report": {2023: "нет", 2024: "да"}})
    out = compute_indicators(MONITORING, STATUSES, cat, p, year=2024)
    assert out.loc[0, "fact"] == 1.0


def test_missing_municipal_answer_gives_no_fact_and_says_so():
    row = facts(catalogue(yes_no("report", "analytic_report")), answers_params({})).loc["report"]
    assert math.isnan(row["fact"]) and "нет ответа муниципалитета" in row["note"]


def test_unreadable_municipal_answer_is_an_error_naming_the_key():
    with pytest.raises(ParameterError, match="analytic_report"):
        facts(catalogue(yes_no("report", "analytic_report")), answers_params({"analytic_report": "может быть"}))


def test_school_yes_no_item_scores_one_only_when_every_school_says_yes():
    # ШНОР ∪ ШНСУ: school 1 has a curator, school 2 not → 0 балл; among 1, 3, 5 (all «да») it would be 1.
    cat = catalogue(yes_no("cur", "has_curator", level="school", population="shnor_shnsu"))
    assert facts(cat).loc["cur", "fact"] == 0.0
    statuses = STATUSES.assign(shnor=[True, False, True, False, True], shnsu=False)
    assert facts(cat, statuses=statuses).loc["cur", "fact"] == 1.0


# ---------------------------------------------------------------- plan vs fact

def test_plan_is_met_according_to_direction():
    # diag = 47.5 % (higher is better), share = 40 % (lower is better).
    cat = catalogue(ratio("diag", "teachers_diagnosed", "teachers_total", "shnor_shnsu"),
                    ratio("share", "status:shnor_or_shnsu", "schools", direction="lower_better"),
                    ratio("exact", "teachers_diagnosed", "teachers_total", "shnor_shnsu"),
                    ratio("free", "has_curator", "schools"))
    targets = {"diag": {"baseline": 30, "plan": 50}, "share": {"baseline": 17, "plan": 45},
               "exact": {"plan": 47.5}}
    out = facts(cat, answers_params({}, targets))
    assert out.loc["diag", "plan_met"] is False  # 47.5 < 50
    assert out.loc["share", "plan_met"] is True  # 40 ≤ 45
    assert out.loc["exact", "plan_met"] is True  # equal to the plan
    assert out.loc["diag", "baseline"] == 30
    assert math.isnan(out.loc["free", "plan"]) and pd.isna(out.loc["free", "plan_met"])


def test_older_targets_block_feeds_the_same_code():
    cat = catalogue(ratio("shnor_shnsu_share", "status:shnor_or_shnsu", "schools", direction="lower_better"))
    p = answers_params({})
    p["targets"] = {"shnor_shnsu_share": {"baseline": 17.0, "plan": 10.0}}
    row = facts(cat, p).loc["shnor_shnsu_share"]
    assert (row["baseline"], row["plan"], row["plan_met"]) == (17.0, 10.0, False)  # 40 % > 10 %


def test_target_for_unknown_indicator_is_an_error_naming_it():
    cat = catalogue(ratio("diag", "teachers_diagnosed", "teachers_total"))
    with pytest.raises(ParameterError, match="diagg"):
        facts(cat, answers_params({}, {"diagg": {"plan": 50}}))


# ---------------------------------------------------------------- dynamics levels 1–3

@pytest.mark.parametrize(("values", "direction", "unit", "level"), [
    ([30.0, 25.0], "higher_better", "%", 1),        # decline
    ([20.0, 20.0], "higher_better", "%", 1),        # no change
    ([10.0, 30.0, 25.0], "higher_better", "%", 1),  # a rise broken by a year of decline
    ([10.0, 12.0, 15.0], "higher_better", "%", 2),  # +5 п.п. < 10
    ([100.0, 100.0], "higher_better", "%", 2),      # held at the best value
    ([10.0, 15.0, 25.0], "higher_better", "%", 3),  # +15 п.п. ≥ 10, every year up
    ([20.0, 15.0, 8.0], "lower_better", "%", 3),    # −12 п.п. of a share where lower is better
    ([0.0, 1.0], "higher_better", "балл", 2),       # yes/no never reaches 3
    ([np.nan, 10.0, 25.0], "higher_better", "%", 3),  # a missing year is skipped
])
def test_dynamics_level(values, direction, unit, level):
    assert dynamics_level(values, direction=direction, unit=unit, strong_change_pp=10) == level


def test_dynamics_level_needs_two_years():
    assert math.isnan(dynamics_level([40.0], direction="higher_better"))


def test_several_years_give_a_level_per_year():
    # diag over ШНОР ∪ ШНСУ: 2023 — 4/40 = 10 %; 2024 — 19/40 = 47.5 %: +37.5 п.п. → level 3 in 2024.
    st = pd.concat([STATUSES.assign(year=2023), STATUSES.assign(year=2024)])
    mon = pd.concat([MONITORING.assign(year=2023, teachers_diagnosed=[4, 0, 0, 0, 0]), MONITORING.assign(year=2024)])
    out = compute_indicators(mon, st, catalogue(ratio("diag", "teachers_diagnosed", "teachers_total", "shnor_shnsu")),
                             load_params())
    assert out["fact"].tolist() == pytest.approx([10.0, 47.5])
    assert math.isnan(out.loc[0, "dynamics_level"]) and out.loc[1, "dynamics_level"] == 3
    assert out.loc[1, "dynamics_label"].startswith("3 —")


def test_strong_change_is_a_parameter():
    st = pd.concat([STATUSES.assign(year=2023), STATUSES.assign(year=2024)])
    mon = pd.concat([MONITORING.assign(year=2023, teachers_diagnosed=[4, 0, 0, 0, 0]), MONITORING.assign(year=2024)])
    p = load_params()
    p["monitoring"]["strong_change_pp"] = 40  # 37.5 п.п. is no longer «ярко выраженная»
    out = compute_indicators(mon, st, catalogue(ratio("diag", "teachers_diagnosed", "teachers_total", "shnor_shnsu")), p)
    assert out.loc[1, "dynamics_level"] == 2


# ---------------------------------------------------------------- validation

def test_unknown_key_is_an_error_naming_the_indicator():
    with pytest.raises(ParameterError, match=r"«diag».*неизвестный ключ «denominatr»"):
        parse_catalogue({"indicators": [{**ratio("diag", "teachers_diagnosed", "teachers_total"),
                                         "denominatr": "schools"}]})


def test_missing_required_key_is_an_error_naming_the_indicator():
    bad = ratio("diag", "teachers_diagnosed", "teachers_total")
    del bad["direction"]
    with pytest.raises(ParameterError, match=r"«diag».*«direction»"):
        parse_catalogue({"indicators": [bad]})


def test_unknown_monitoring_field_is_an_error_naming_the_indicator():
    with pytest.raises(ParameterError, match=r"«diag».*«teachers_diagnozed»"):
        parse_catalogue({"indicators": [ratio("diag", "teachers_diagnozed", "teachers_total")]})


def test_every_problem_is_reported_at_once():
    bad = [ratio("a", "status:shnor_only", "schools"), ratio("b", "teachers_iom", "teachers_total", "ШНОР"),
           {**yes_no("c", "x"), "numerator": "teachers_iom"}, ratio("a", "teachers_iom", "teachers_total")]
    with pytest.raises(ParameterError) as err:
        parse_catalogue({"indicators": bad})
    text = str(err.value)
    assert "«a»: numerator: неизвестный статус" in text
    assert "«b»: population" in text
    assert "«c»: задайте либо numerator" in text
    assert "code повторяется" in text


# ---------------------------------------------------------------- diagnostics A–D

def test_diagnostics_levels_are_counted_in_the_population():
    # ШНОР ∪ ШНСУ = schools 1 and 2: A 1+5 = 6, B 2+5 = 7, C 1+3 = 4, D 0+2 = 2; 19 teachers in all.
    out = diagnostics_summary(MONITORING, STATUSES).set_index("level")
    assert out["teachers"].tolist() == [6, 7, 4, 2]
    assert out.loc["A", "share"] == pytest.approx(6 / 19 * 100)
    assert out.loc["A", "label"].startswith("системные дефициты")


def test_diagnostics_summary_is_empty_without_the_fields():
    assert diagnostics_summary(MONITORING[["school_id", "teachers_total"]], STATUSES).empty


# ---------------------------------------------------------------- the shipped catalogue

def test_shipped_catalogue_holds_every_indicator_of_the_methodology():
    codes = set(load_catalogue(CATALOGUE).codes)
    assert {"shnor_shnsu_share", "teachers_diag_subject_share", "teachers_diag_method_share",
            "teachers_diag_psych_share", "teachers_support_share", "teachers_network_mo_share",
            "teachers_method_active_share", "teachers_iom_share", "curator_share", "leader_school_share",
            "shppko_share", "failure_prevention_share", "iup_schools_share", "tutor_schools_share",
            "risks_eliminated_share", "analytic_report", "practices_system", "resource_monitoring"} <= codes


def test_methodologist_adds_an_indicator_by_editing_yaml_only(tmp_path):
    # A new share on existing fields, appended as text to a copy of the shipped catalogue:
    # teachers with an ИОМ among those diagnosed, ШНОР ∪ ШНСУ: (1 + 6) / (4 + 15) = 7 / 19.
    text = CATALOGUE.read_text(encoding="utf-8") + """
  - code: iom_of_diagnosed
    name: Доля педагогов с ИОМ среди прошедших диагностику
    level: school
    numerator: teachers_iom
    denominator: teachers_diagnosed
    population: shnor_shnsu
    unit: "%"
    direction: higher_better
    source: методист
"""
    path = tmp_path / "indicators.yml"
    path.write_text(text, encoding="utf-8")
    cat = load_catalogue(path)
    assert cat.codes[-1] == "iom_of_diagnosed"
    out = facts(cat, monitoring=MONITORING.assign(teachers_iom=[1, 6, 0, 0, 0])).loc["iom_of_diagnosed"]
    assert out["fact"] == pytest.approx(7 / 19 * 100)


def test_methodologist_adds_a_new_form_field_through_the_catalogue(tmp_path):
    # The field is declared in «fields»; the schools send it under its Russian header as да/нет.
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    data["fields"] = {"has_events": "Участие в мероприятиях"}
    data["indicators"].append(ratio("events_share", "has_events", "schools", "shnor_shnsu"))
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    mon = MONITORING.assign(**{"Участие в мероприятиях": ["да", "да", "нет", "нет", "да"]})
    assert facts(load_catalogue(path), monitoring=mon).loc["events_share", "fact"] == pytest.approx(100.0)


def test_monitoring_parameters_accept_answers_and_targets():
    p = load_params("demo")
    assert p["monitoring"]["catalogue"] == "indicators.yml"
    assert p["monitoring"]["indicator_targets"]["shnor_share"] == {"baseline": 17.0, "plan": 10.0}
    assert load_params()["monitoring"]["municipal_answers"] == {}


@pytest.fixture(scope="module")
def demo_2024():
    data = load_dataset(REPO / "data_raw", "demo")
    params = load_params("demo")
    return data, compute_season(data, "demo", 2024, params)


def test_every_shipped_indicator_has_a_fact_on_the_demo_2024(demo_2024):
    data, res = demo_2024
    out = season_indicators(data, res)
    assert len(out) == len(load_catalogue(params=res.params))
    missing = out.loc[out["fact"].isna(), "code"].tolist()
    assert not missing, f"нет значения: {missing}"
    # Hand check against data_raw/demo/README.md: ШНОР ∪ ШНСУ 8 of 40 = 20 %, зона риска 4 of 40 = 10 %.
    by_code = out.set_index("code")
    assert by_code.loc["shnor_shnsu_share", "fact"] == pytest.approx(20.0)
    assert by_code.loc["risk_zone_share", "fact"] == pytest.approx(10.0)
    assert by_code.loc["resource_monitoring", "plan_met"] is False  # demo answer «нет» in 2024

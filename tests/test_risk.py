"""Risk profiles (METHODOLOGY §7): the significance matrix, the management groups of seed 004
and addressed recommendations tied to the factor, status or indicator that triggered them.

Expected values are read off the small tables built here by hand; the Pervouralsk case
compares with the groups printed in seed 004 after table 6.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import REPO

from shnor_lib import ParameterError, load_dataset, load_params
from shnor_lib.analysis.risk import (
    factor_groups,
    group_summary,
    high_factor_groups,
    load_recommendations,
    recommend,
    risk_profiles_of,
    significance_matrix,
)
from shnor_lib.contract.schema import RISK_FACTORS


def profiles(rows):
    return pd.DataFrame(rows, columns=["school_id", "factor_code", "significance"])


def schools(rows):
    """(id, status) → a SeasonResult.schools-like frame with the flags of that status."""
    out = []
    for sid, status, branch in rows:
        out.append({"school_id": sid, "name": f"Школа {sid}", "status": status, "shnor_branch": branch,
                    "shnor": status.startswith("ШНОР"), "shnsu": status.endswith("ШНСУ"),
                    "risk_zone": status == "зона риска"})
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module")
def table(params):
    return load_recommendations(params)


def test_significance_matrix_scores_high_medium_low():
    rp = profiles([("7", 1, "высокая"), ("7", 2, "средняя"), ("10", 1, "низкая"), ("7", 7, "высокая")])
    m = significance_matrix(rp)
    assert list(m.index) == ["7", "10"] and list(m.columns) == [1, 2, 7]
    assert m.loc["7", 1] == 3 and m.loc["7", 2] == 2 and m.loc["10", 1] == 1
    assert math.isnan(m.loc["10", 7])  # not assessed is not «low»


def test_significance_matrix_keeps_the_requested_rows_and_drops_unrecognised_factors():
    rp = profiles([("3", 1, "высокая"), ("3", None, "высокая")])
    m = significance_matrix(rp, schools=["5", "3"])
    assert list(m.index) == ["5", "3"] and list(m.columns) == [1]
    assert m.loc["3", 1] == 3 and m.loc["5"].isna().all()


def test_high_factors_are_grouped_for_management_decisions(params):
    # School 3: factors 2 and 5 high → кадровый потенциал; 7 high → ОВЗ; 1 medium → no group.
    # School 9: 11 and 13 high → учебная атмосфера; 6 high → неуспешность.
    rp = profiles([("3", 2, "высокая"), ("3", 5, "высокая"), ("3", 7, "высокая"), ("3", 1, "средняя"),
                   ("9", 11, "высокая"), ("9", 13, "высокая"), ("9", 6, "высокая"), ("9", 3, "низкая")])
    g = high_factor_groups(rp, params)
    got = {(r.group_id, r.school_id): r.factor_codes for r in g.itertuples()}
    assert got == {("staff", "3"): [2, 5], ("ovz", "3"): [7], ("atmosphere", "9"): [11, 13], ("failure", "9"): [6]}
    s = group_summary(rp, params).set_index("group_id")
    assert s.loc["equipment", "schools"] == "нет" and s.loc["equipment", "n_schools"] == 0
    assert s.loc["staff", "detail"] == ("дефицит педагогических кадров — ОО № 3; несформированность внутришкольной "
                                        "системы повышения квалификации — ОО № 3")


def test_groups_come_from_parameters(tmp_path):
    custom = tmp_path / "g.yml"
    custom.write_text("risk:\n  groups:\n    parents:\n      name: Работа с семьёй\n      factors: [10, 8]\n",
                      encoding="utf-8")
    p = load_params(path=custom)
    assert list(factor_groups(p)["group_id"]) == ["parents"]  # the mapping is replaced, not merged
    rp = profiles([("4", 10, "высокая"), ("4", 8, "средняя"), ("5", 8, "высокая")])
    s = group_summary(rp, p)
    assert s.loc[0, "group"] == "Работа с семьёй" and s.loc[0, "schools"] == "№ 4, 5"
    assert high_factor_groups(rp, p).set_index("school_id").loc["4", "factor_codes"] == [10]
    custom.write_text(custom.read_text(encoding="utf-8") + "  act_on: средняя\n", encoding="utf-8")
    # with «средняя» as the bound, school 4's factor 8 (средняя) counts too
    assert high_factor_groups(rp, load_params(path=custom)).set_index("school_id").loc["4", "factor_codes"] == [8, 10]


def test_group_with_unknown_factor_is_an_error(tmp_path):
    custom = tmp_path / "g.yml"
    custom.write_text("risk:\n  groups:\n    x:\n      name: X\n      factors: [42]\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="42"):
        factor_groups(load_params(path=custom))


def test_recommendations_are_tied_to_the_factor_that_triggered_them(params, table):
    rp = profiles([("7", 7, "высокая"), ("7", 1, "средняя"), ("8", 7, "высокая")])
    s = schools([("7", "ШНОР", "две процедуры"), ("8", "", "")])
    rec = recommend(s, rp, params, table)
    assert set(rec["school_id"]) == {"7"}  # school 8 has no status: no recommendations
    ovz = rec[rec["trigger_kind"] == "фактор риска"]
    assert set(ovz["measure_id"]) == set(table["triggers"]["factors"][7]) == {"V01", "V02"}
    assert (ovz["trigger"] == "фактор 7 «Высокая доля обучающихся с ОВЗ»: высокая значимость").all()
    # factor 1 is only «средняя»: its measures are not triggered
    assert not set(rec["measure_id"]) & set(table["triggers"]["factors"][1])
    assert rec["recommendation"].str.len().gt(40).all() and rec["source"].str.contains("seed").all()
    # status measures come first, then factors
    assert list(rec["trigger_kind"].unique()) == ["статус", "фактор риска"]


def test_a_measure_triggered_twice_is_listed_once_with_both_reasons(params, table):
    # S02 (сетевое взаимодействие со школой-лидером) follows from ШНОР, from ШНСУ and from the
    # monitoring answer «нет» to «закреплена школа-лидер».
    s = schools([("14", "ШНОР+ШНСУ", "два года подряд")])
    mon = pd.DataFrame({"school_id": ["14"], "has_leader_school": [0.0], "teachers_iom": [3.0],
                        "teachers_total": [30.0]})
    rec = recommend(s, profiles([]), params, table, monitoring=mon).set_index("measure_id")
    assert rec.index.is_unique
    assert rec.loc["S02", "trigger"] == ("статус: ШНОР; статус: ШНСУ; не закреплена школа-лидер (ответ «нет»)")
    assert rec.loc["S02", "trigger_kind"] == "статус; показатель мониторинга"
    assert rec.loc["S07", "trigger"] == "ШНОР по условию «два года подряд»"
    # 3 of 30 teachers with an ИОМ = 10% < 30% → K01
    assert rec.loc["K01", "trigger"] == "доля педагогов с ИОМ: 10% (3 из 30), ниже 30%"


def test_recommend_for_limits_the_statuses(tmp_path, table):
    custom = tmp_path / "r.yml"
    custom.write_text("risk:\n  recommend_for: [ШНОР]\n", encoding="utf-8")
    rec = recommend(schools([("1", "ШНОР", "две процедуры"), ("2", "зона риска", "")]), profiles([]),
                    load_params(path=custom), table)
    assert set(rec["school_id"]) == {"1"}


def test_shipped_table_covers_every_factor(table):
    assert set(table["triggers"]["factors"]) == set(RISK_FACTORS)
    assert set(table["triggers"]["statuses"]) == {"ШНОР", "ШНСУ", "зона риска"}
    for m in table["measures"].values():
        assert "seed" in m["source"] or "METHODOLOGY" in m["source"]


def test_recommendations_table_errors_name_the_problem(tmp_path, params):
    bad = tmp_path / "bad.yml"
    bad.write_text("measures:\n  M1: {text: т, addressee: а, source: s}\ntriggers:\n  factors:\n    99: [M1]\n",
                   encoding="utf-8")
    with pytest.raises(ParameterError, match="фактор 99"):
        load_recommendations(params, bad)
    bad.write_text("measures:\n  M1: {text: т, addressee: а, source: s}\ntriggers:\n  factors:\n    1: [M2]\n",
                   encoding="utf-8")
    with pytest.raises(ParameterError, match="M2"):
        load_recommendations(params, bad)
    bad.write_text("measures:\n  M1: {text: т, addressee: а}\ntriggers: {}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="source"):
        load_recommendations(params, bad)


# ---------------------------------------------------------------- seed 004, Pervouralsk 2022

# Seed 004, after table 6: «Факторы риска с высокой значимостью … по группам».
SEED_GROUPS = {
    "equipment": "№ 11, 12, 16, 22, 26, 29, 36, 40",
    "atmosphere": "№ 3, 6, 10, 11, 16, 22, 26, 28, 36",
    "failure": "№ 1, 11, 12, 16, 20, 29, 36, 40",
    "ovz": "№ 1, 3, 6, 20",
    # дефицит кадров 3, 26, 28, 40; компетентность 3, 6, 11, 16, 22, 26, 28, 36; система ПК 3, 22, 28
    "staff": "№ 3, 6, 11, 16, 22, 26, 28, 36, 40",
}


@pytest.fixture(scope="module")
def pervouralsk():
    data = load_dataset(REPO / "data_raw", "pervouralsk")
    return risk_profiles_of(data, "pervouralsk", 2022), load_params("pervouralsk")


@pytest.mark.parametrize("group", ["equipment", "atmosphere", "failure", "ovz"])
def test_pervouralsk_groups_match_seed_004(pervouralsk, group):
    rp, p = pervouralsk
    assert group_summary(rp, p).set_index("group_id").loc[group, "schools"] == SEED_GROUPS[group]


def test_pervouralsk_staff_group_matches_seed_004(pervouralsk):
    rp, p = pervouralsk
    assert group_summary(rp, p).set_index("group_id").loc["staff", "schools"] == SEED_GROUPS["staff"]

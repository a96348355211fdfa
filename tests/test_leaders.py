"""School-leader pairing: candidates, the global assignment with capacities, the explanations.

The small case of :func:`assign_leaders` is solved by hand below; the candidate rules are
checked on constructed seasons whose pooled fail shares and medians are computed in comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.leaders import assign_leaders, leader_candidates, pair_cost, pair_leaders


@pytest.fixture(scope="module")
def params():
    return load_params()


def with_capacity(params, cap):
    return {**params, "leaders": {**params["leaders"], "leader_capacity": cap}}


# Default weights: isbsh 1, territory 1, resilient 0.5, positive_residual 0.25.
PARTNERS = pd.DataFrame({"school_id": ["A", "B", "C"], "name": ["Школа A", "Школа B", "Школа C"],
                         "status": ["ШНОР", "ШНОР", "ШНСУ"], "isbsh": [-1.0, -0.9, 0.0],
                         "territory": ["город", "город", "село"]})
LEADERS = pd.DataFrame({"school_id": ["X", "Y", "Z"], "name": ["Лидер X", "Лидер Y", "Лидер Z"],
                        "isbsh": [-0.8, 0.1, -1.0], "territory": ["город", "село", "село"],
                        "resilience": ["в пределах ожидаемого", "в пределах ожидаемого", "резильентная"],
                        "residual": [-0.01, -0.02, -0.01]})
# Costs by hand (|ΔИСБШ| + [other territory] − 0.5·[резильентная]):
#        X                 Y                 Z
#   A    0.2 + 0 = 0.2     1.1 + 1 = 2.1     0.0 + 1 − 0.5 = 0.5
#   B    0.1 + 0 = 0.1     1.0 + 1 = 2.0     0.1 + 1 − 0.5 = 0.6
#   C    0.8 + 1 = 1.8     0.1 + 0 = 0.1     1.0 + 0 − 0.5 = 0.5


def pairs(out):
    return dict(zip(out["partner_id"], out["leader_id"], strict=True))


def test_pair_cost_by_hand(params):
    c, t = pair_cost(PARTNERS.loc[0], LEADERS.loc[2], params)
    assert c == pytest.approx(0.5) and t == {"gap": 0.0, "same_territory": False, "resilient": True,
                                             "positive_residual": False, "kinds_known": False, "same_kind": None}


def test_capacity_two_gives_every_partner_its_cheapest_leader(params):
    out = assign_leaders(PARTNERS, LEADERS, with_capacity(params, 2))
    assert pairs(out) == {"A": "X", "B": "X", "C": "Y"}  # total 0.2 + 0.1 + 0.1 = 0.4
    assert out["cost"].sum() == pytest.approx(0.4)


def test_capacity_one_is_solved_globally_not_greedily(params):
    # X can take one school. Greedy in list order gives A–X, B–Z, C–Y = 0.2 + 0.6 + 0.1 = 0.9;
    # the optimum is B–X, A–Z, C–Y = 0.1 + 0.5 + 0.1 = 0.7.
    out = assign_leaders(PARTNERS, LEADERS, with_capacity(params, 1))
    assert pairs(out) == {"A": "Z", "B": "X", "C": "Y"}
    assert out["cost"].sum() == pytest.approx(0.7)
    assert out["leader_id"].value_counts().max() == 1


def test_prefers_same_territory_and_close_isbsh(params):
    out = assign_leaders(PARTNERS, LEADERS, with_capacity(params, 2)).set_index("partner_id")
    assert out.loc["C", "same_territory"] and out.loc["C", "isbsh_gap"] == pytest.approx(0.1)
    text = out.loc["A", "explanation"]
    assert text.startswith("школа-лидер № X (Лидер X): ИСБШ −0,80 против −1,00 у № A (|Δ| = 0,20); "
                           "та же территория (город)")
    assert "стоимость пары 0,20 = 1,00·0,20 + 1,00·0 − 0,50·0 − 0,25·0" in text


def test_too_few_places_leaves_the_costliest_partner_with_a_reason(params):
    # Only X with two places: A–X 0.2 and B–X 0.1 are kept, C–X 1.8 is left out.
    out = assign_leaders(PARTNERS, LEADERS.iloc[[0]], with_capacity(params, 2)).set_index("partner_id")
    assert out.loc["A", "leader_id"] == "X" and out.loc["B", "leader_id"] == "X"
    assert pd.isna(out.loc["C", "leader_id"])
    assert "1 лидер(ов) × 2 = 2 мест на 3 ОО" in out.loc["C", "explanation"]


def test_no_leaders_gives_the_reason(params):
    out = assign_leaders(PARTNERS, LEADERS.iloc[[]], params, "нет школ без статуса")
    assert out["leader_id"].isna().all()
    assert (out["explanation"] == "школа-лидер не подобрана: нет школ без статуса").all()


def test_missing_isbsh_uses_the_parameter_gap(params):
    p = PARTNERS.assign(isbsh=[None, -0.9, 0.0]).loc[0]
    c, t = pair_cost(p, LEADERS.loc[0], params)
    assert t["gap"] == params["leaders"]["missing_isbsh_gap"] == 2.0 and c == pytest.approx(2.0)


# ---------------------------------------------------------------- candidates on constructed seasons
#
# ВПР математика 6 кл. (50) and ОГЭ математика (20) per school; pooled share = (f_ВПР + f_ОГЭ) / 70.
#          2023                      2024
#   1   20 + 8 = 40%  (ШНОР)      2 + 0 = 2.9%
#   2    1 + 0 = 1.4%             1 + 0 = 1.4%
#   3    2 + 0 = 2.9%             0 + 0 = 0%
#   4    3 + 1 = 5.7%             3 + 1 = 5.7%
#   5    1 + 0 = 1.4%             4 + 1 = 7.1%
#   6   20 + 8 = 40%  (ШНОР)     20 + 8 = 40%  (ШНОР)
# Medians: 2023 (2.9 + 5.7) / 2 = 4.3%; 2024 (2.9 + 5.7) / 2 = 4.3%.
# Leaders: 2 and 3 (1 and 6 had a status; 4 is above the median both years; 5 in 2024).

FAILS = {2023: {"1": (20, 8), "2": (1, 0), "3": (2, 0), "4": (3, 1), "5": (1, 0), "6": (20, 8)},
         2024: {"1": (2, 0), "2": (1, 0), "3": (0, 0), "4": (3, 1), "5": (4, 1), "6": (20, 8)}}


@pytest.fixture
def constructed(season_writer):
    for year, f in FAILS.items():
        root = season_writer(year, [r for s, (v, o) in f.items() for r in
                                    (row(s, "ВПР", "математика", 6, 50, v), row(s, "ОГЭ", "математика", 9, 20, o))])
    data = load_dataset(root, "t")
    return [compute_season(data, "t", y, load_params()) for y in FAILS]


def test_candidates_have_no_status_and_shares_below_the_median_every_year(constructed):
    c = leader_candidates(constructed).set_index("school_id")
    assert sorted(c.index[c["eligible"]]) == ["2", "3"]
    assert c.loc["1", "step"] == "статус" and "«ШНОР» в 2023 г." in c.loc["1", "reason"]
    assert c.loc["5", "step"] == "доля" and "2024 — 7,1% (медиана округа 4,3%)" in c.loc["5", "reason"]
    assert c.loc["4", "step"] == "доля"


def test_every_partner_gets_an_eligible_leader(constructed):
    out = pair_leaders(constructed)
    assert out["partner_id"].tolist() == ["6"]
    assert out.loc[0, "leader_id"] in {"2", "3"}
    assert "доля не преодолевших порог: 2023 —" in out.loc[0, "explanation"]


def test_no_candidate_says_how_many_each_step_removed(constructed, tmp_path):
    custom = tmp_path / "q.yml"
    custom.write_text("leaders:\n  fail_quantile: 0.01\n", encoding="utf-8")
    out = pair_leaders(constructed, load_params(path=custom))
    assert out.loc[0, "leader_id"] is None
    assert out.loc[0, "explanation"].startswith("школа-лидер не подобрана: из 6 ОО 2 имели статус хотя бы в один год, "
                                                "4 — долю не преодолевших порог не ниже квантиля 0,01")


# ---------------------------------------------------------------- demo 2024

@pytest.fixture(scope="module")
def demo():
    data = load_dataset(REPO / "data_raw", "demo")
    p = load_params("demo")
    return [compute_season(data, "demo", y, p) for y in (2022, 2023, 2024)]


def test_demo_every_shnor_and_shnsu_gets_a_leader_or_a_reason(demo):
    out = pair_leaders(demo)
    # data_raw/demo/README.md, 2024: ШНОР 7, 11, 14, 19, 22, 30; ШНСУ 14, 33, 36
    assert out["partner_id"].tolist() == ["7", "11", "14", "19", "22", "30", "33", "36"]
    assert out["explanation"].str.len().gt(40).all()
    cap = demo[-1].params["leaders"]["leader_capacity"]
    assert out["leader_id"].dropna().value_counts().max() <= cap
    assert out["leader_id"].notna().all()  # enough leaders in the demo


def test_demo_leaders_never_had_a_status(demo):
    out = pair_leaders(demo)
    had = set()
    for r in demo:
        had |= set(r.schools.loc[r.schools["status"] != "", "school_id"].astype(str))
    assert not set(out["leader_id"].dropna()) & had
    rural = {str(i) for i in range(25, 41)}
    # every pair stays within its territory when a leader of that territory is free
    assert all((p in rural) == (ld in rural) for p, ld in zip(out["partner_id"], out["leader_id"], strict=True))


def test_kind_weight_pairs_like_schools_and_the_explanation_says_so():
    # Two partners (СОШ, ООШ) and two leaders (ООШ, СОШ), same territory, one place each.
    # ИСБШ: partner СОШ 0.0, partner ООШ 0.2; leader ООШ 0.1, leader СОШ 0.3.
    # Without kind: costs |Δ| — (СОШ→ООШ-leader 0.1, СОШ→СОШ-leader 0.3, ООШ→ООШ 0.1, ООШ→СОШ 0.1):
    #   best total 0.2 = СОШ→ООШ-leader + ООШ→СОШ-leader (a СОШ mentored by an ООШ).
    # With kind 1.0: the crossed pairs cost +1 each → like pairs (0.3 + 0.1 = 0.4 < 2.2).
    P = pd.DataFrame({"school_id": ["1", "2"], "name": ["А", "Б"], "status": "ШНОР", "isbsh": [0.0, 0.2],
                      "territory": "город", "kind": ["СОШ", "ООШ"]})
    L = pd.DataFrame({"school_id": ["10", "11"], "name": ["В", "Г"], "isbsh": [0.1, 0.3], "territory": "город",
                      "kind": ["ООШ", "СОШ"], "resilience": None, "residual": np.nan})
    params = load_params()
    p0 = {**params, "leaders": {**params["leaders"], "leader_capacity": 1,
                                "weights": {**params["leaders"]["weights"], "kind": 0.0}}}
    p1 = {**params, "leaders": {**params["leaders"], "leader_capacity": 1}}
    assert list(assign_leaders(P, L, p0)["leader_id"]) == ["10", "11"]
    like = assign_leaders(P, L, p1)
    assert list(like["leader_id"]) == ["11", "10"] and list(like["same_kind"]) == [True, True]
    assert "тот же тип школы (СОШ)" in like["explanation"].iloc[0]
    assert "стоимость пары 0,30 = 1,00·0,30 + 1,00·0 + 1,00·0 − 0,50·0 − 0,25·0" in like["explanation"].iloc[0]

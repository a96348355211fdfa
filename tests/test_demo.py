"""The demo season gets the statuses its scenarios were designed for.

The expectations come from data_raw/demo/README.md: the generator's author
designed each scenario school and checked it with an independent script, not
with shnor_lib. Schools not listed have no status.
"""

from __future__ import annotations

import pytest
from conftest import REPO

from shnor_lib import compute_season, load_dataset, load_params

EXPECTED = {
    2022: {"14": "ШНОР+ШНСУ", "33": "ШНСУ", "36": "ШНСУ", "7": "зона риска", "30": "зона риска"},
    2023: {"3": "ШНОР", "7": "ШНОР", "14": "ШНОР+ШНСУ", "30": "ШНОР", "11": "зона риска", "12": "зона риска",
           "33": "ШНСУ", "36": "ШНСУ"},
    2024: {"7": "ШНОР", "11": "ШНОР", "14": "ШНОР+ШНСУ", "19": "ШНОР", "22": "ШНОР", "30": "ШНОР",
           "3": "зона риска", "12": "зона риска", "17": "зона риска", "23": "зона риска", "33": "ШНСУ", "36": "ШНСУ"},
}


@pytest.fixture(scope="module")
def demo():
    return load_dataset(REPO / "data_raw", "demo")


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_demo_statuses_match_the_designed_scenarios(demo, year):
    res = compute_season(demo, "demo", year, load_params("demo"))
    got = {sid: st for sid, st in zip(res.schools["school_id"], res.schools["status"]) if st}
    assert got == EXPECTED[year]


def test_demo_branches_and_edges_2024(demo):
    s = compute_season(demo, "demo", 2024, load_params("demo")).schools.set_index("school_id")
    assert s.loc["7", "shnor_branch"] == "два года подряд" and s.loc["30", "shnor_branch"] == "два года подряд"
    assert s.loc["11", "shnor_branch"] == "две процедуры"
    assert "30,0% (18 из 60)" in s.loc["22", "reasons"]            # the exact-30% edge
    assert "мало участников" in s.loc["38", "reasons"]              # 2 of 3 on ОГЭ never triggers
    assert bool(s.loc["33", "risk_zone"]) and s.loc["33", "status"] == "ШНСУ"  # ШНСУ wins over зона риска


def test_demo_quarantine_and_flags_2024(demo):
    res = compute_season(demo, "demo", 2024, load_params("demo"))
    issues = res.issues[res.issues["year"] == 2024]
    assert sorted(zip(issues["school_id"], issues["action"])) == [
        ("10", "исключена"), ("16", "исключена"), ("20", "исключена"), ("4", "преобразована")]
    within_year = res.flags[res.flags["flag"] != "cohort_jump"]
    assert set(within_year["school_id"]) == {"8", "12"}
    assert set(within_year[within_year["school_id"] == "8"]["flag"]) == {"parallel_jump"}
    # cohort_jump (ВПР grade g in 2023 → g+1 in 2024, ≥ 25 p.p. and p < 0.05), from the demo's counts:
    # 8: 7 кл. 22/48 vs 6 кл. 4/47; 11: 5 кл. 23/66 vs 4 кл. 4/64; 22: 6–8 кл. (29/77, 23/75, 32/85 vs
    # 4/74, 4/73, 4/86); 23: 5 кл. 20/67 vs 4/71; 33: 5 кл. 0/14 vs 4/16 (results rose: p = 0.044).
    cohort = res.flags[res.flags["flag"] == "cohort_jump"]
    assert sorted(zip(cohort["school_id"], cohort["grade"])) == [
        ("11", 5), ("22", 6), ("22", 7), ("22", 8), ("23", 5), ("33", 5), ("8", 7)]

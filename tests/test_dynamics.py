"""Dynamics (METHODOLOGY §9): transitions, the change test, the three-year view and the
attribution of every changed status to the data, the parameters or the rule branch.

The constructed seasons below are small enough to apply §3.1 by hand; each expected cause
follows from the definitions in the docstring of shnor_lib/analysis/dynamics.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import REPO, row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.dynamics import (
    explain_changes,
    fail_share_changes,
    status_transitions,
    support_view,
    two_proportion_test,
)

# ---------------------------------------------------------------- the test itself


def test_fisher_exact_by_hand():
    # 0 of 3 against 3 of 3: with margins 3/3 and 3/3 the hypergeometric P(0) = P(3) = 1/C(6,3) = 1/20,
    # both tables are as extreme as the observed one, so the two-sided p = 2/20 = 0.1.
    assert two_proportion_test(0, 3, 3, 3, "exact") == pytest.approx(0.1)
    assert two_proportion_test(3, 3, 0, 3, "exact") == pytest.approx(0.1)


def test_z_with_continuity_by_hand():
    # 30/100 against 15/100: p̄ = 45/200 = 0.225; se = √(0.225·0.775·0.02) = 0.0590551;
    # z = (0.15 − ½·0.02) / se = 0.14 / 0.0590551 = 2.370668; p = 2·(1 − Φ(2.370668)) = 0.017756.
    assert two_proportion_test(30, 100, 15, 100, "z") == pytest.approx(0.017756, abs=1e-6)
    assert two_proportion_test(5, 50, 5, 50, "z") == pytest.approx(1.0)  # |Δ| < correction → z = 0
    with pytest.raises(ValueError, match="dynamics.test"):
        two_proportion_test(1, 2, 1, 2, "t")


def test_seasons_must_be_consecutive_years_of_one_municipality():
    with pytest.raises(ValueError, match="подряд"):
        status_transitions([SimpleNamespace(year=2022, municipality="a"), SimpleNamespace(year=2024, municipality="a")])
    with pytest.raises(ValueError, match="муниципалитетов"):
        status_transitions([SimpleNamespace(year=2022, municipality="a"), SimpleNamespace(year=2023, municipality="b")])


# ---------------------------------------------------------------- constructed seasons
#
# Municipality «a», 2023 with the default parameters, 2024 with shnor_threshold 0.25:
#   school 1: ВПР 20/50 = 40%, ОГЭ 8/20 = 40% → ШНОР;  2024: 5/50 = 10%, 2/20 = 10% → зона риска
#             (under both parameter sets; the shares moved) → данные
#   school 2: ВПР 13/50 = 26%, ОГЭ 5/20 = 25% both years → зона риска at 30%, ШНОР at 25%
#             → 2023 under 2024's parameters is already ШНОР → параметры only
#   school 3: 2023 ВПР 26%, ОГЭ 1/20 = 5% → no status under either set (one procedure, no 2022);
#             2024 ВПР 26%, ОГЭ 6/20 = 30% → ШНОР at 25%, only зона риска at 30% → данные и параметры
#   school 4: 1/50 and 0/20 both years → no status, not in the table
#   school 5: ВПР 30/100 → 15/100 (no ОГЭ) → 2024 зона риска by «два года подряд» (30% and 15% ≥ 10%)
# Municipality «b», default parameters: school 1 is ШНОР by «две процедуры» in 2022 (ВПР 40%, ОГЭ 40%)
# and by «два года подряд» in 2023 (ВПР 40% again, ОГЭ 1/20) → ветвь правила.

A2023 = [row("1", "ВПР", "математика", 6, 50, 20), row("1", "ОГЭ", "математика", 9, 20, 8),
         row("2", "ВПР", "математика", 6, 50, 13), row("2", "ОГЭ", "математика", 9, 20, 5),
         row("3", "ВПР", "математика", 6, 50, 13), row("3", "ОГЭ", "математика", 9, 20, 1),
         row("4", "ВПР", "математика", 6, 50, 1), row("4", "ОГЭ", "математика", 9, 20, 0),
         row("5", "ВПР", "математика", 6, 100, 30)]
A2024 = [row("1", "ВПР", "математика", 6, 50, 5), row("1", "ОГЭ", "математика", 9, 20, 2),
         row("2", "ВПР", "математика", 6, 50, 13), row("2", "ОГЭ", "математика", 9, 20, 5),
         row("3", "ВПР", "математика", 6, 50, 13), row("3", "ОГЭ", "математика", 9, 20, 6),
         row("4", "ВПР", "математика", 6, 50, 1), row("4", "ОГЭ", "математика", 9, 20, 0),
         row("5", "ВПР", "математика", 6, 100, 15)]


@pytest.fixture
def seasons(season_writer, tmp_path):
    season_writer(2023, A2023, municipality="a")
    season_writer(2024, A2024, municipality="a")
    season_writer(2022, [row("1", "ВПР", "математика", 6, 50, 20), row("1", "ОГЭ", "математика", 9, 20, 8)],
                  municipality="b")
    root = season_writer(2023, [row("1", "ВПР", "математика", 6, 50, 20), row("1", "ОГЭ", "математика", 9, 20, 1)],
                         municipality="b")
    custom = tmp_path / "p2024.yml"
    custom.write_text("shnor_threshold: 0.25\n", encoding="utf-8")
    data = load_dataset(root, ["a", "b"])
    a = [compute_season(data, "a", 2023, load_params()), compute_season(data, "a", 2024, load_params(path=custom))]
    b = [compute_season(data, "b", y, load_params()) for y in (2022, 2023)]
    return data, a, b


def test_constructed_statuses_are_as_designed(seasons):
    _, a, b = seasons
    st = {r.year: dict(zip(r.schools["school_id"], r.schools["status"], strict=True)) for r in a}
    assert st[2023] == {"1": "ШНОР", "2": "зона риска", "3": "", "4": "", "5": ""}
    assert st[2024] == {"1": "зона риска", "2": "ШНОР", "3": "ШНОР", "4": "", "5": "зона риска"}
    assert list(b[0].schools["shnor_branch"]) == ["две процедуры"] and list(b[1].schools["shnor_branch"]) == [
        "два года подряд"]


def test_transitions_per_list(seasons):
    _, a, _ = seasons
    t = status_transitions(a).set_index("school_id")
    assert t.loc["1", ["shnor_change", "risk_change", "support_change"]].tolist() == ["вышла", "вошла", "вышла"]
    assert t.loc["2", ["shnor_change", "risk_change"]].tolist() == ["вошла", "вышла"]
    assert t.loc["4", ["shnor_change", "shnsu_change", "risk_change", "support_change"]].eq("не в списке").all()
    assert not t.loc["4", "status_changed"] and t.loc["3", "status_changed"]


def test_change_caused_by_the_data_names_the_shares(seasons):
    data, a, _ = seasons
    e = explain_changes(a, data).set_index("school_id")
    assert e.loc["1", "cause"] == "данные"
    assert e.loc["1", "status_from_recomputed"] == "ШНОР"  # 2023 is ШНОР under 2024's parameters too
    assert ("ВПР, математика: 2023 — 40,0% (20 из 50), 2024 — 10,0% (5 из 50); доля опустилась ниже порога 25%"
            in e.loc["1", "explanation"])
    assert "ОГЭ, математика: 2023 — 40,0% (8 из 20), 2024 — 10,0% (2 из 20)" in e.loc["1", "explanation"]


def test_change_caused_by_the_parameters(seasons):
    data, a, _ = seasons
    e = explain_changes(a, data).set_index("school_id")
    r = e.loc["2"]
    assert r["cause"] == "параметры" and r["by_params"] and not r["by_data"] and not r["by_branch"]
    assert r["status_from"] == "зона риска" and r["status_from_recomputed"] == "ШНОР"
    assert r["status_to_recomputed"] == "зона риска"  # 2024 with 2023's parameters
    assert "shnor_threshold: 0,30 → 0,25" in r["parameter_changes"]
    assert "с параметрами 2024 г. статус 2023 г. был бы «ШНОР» (две процедуры) вместо «зона риска»" in r["explanation"]


def test_change_that_needs_both_new_data_and_new_parameters(seasons):
    data, a, _ = seasons
    r = explain_changes(a, data).set_index("school_id").loc["3"]
    # 2023 under 2024's parameters stays without status (ОГЭ 5%) → the data moved it; 2024 under
    # 2023's parameters is only зона риска (ВПР 26% < 30%) → the parameters moved it as well.
    assert r["cause"] == "данные и параметры"
    assert r["status_from_recomputed"] == "" and r["status_to_recomputed"] == "зона риска"
    assert "ОГЭ, математика: 2023 — 5,0% (1 из 20), 2024 — 30,0% (6 из 20); доля достигла порога 25%" in r["explanation"]
    assert "второй год подряд" not in r["explanation"]  # ШНОР by two procedures, not by two years


def test_second_year_running_is_named_as_the_data_cause(seasons):
    data, a, _ = seasons
    r = explain_changes(a, data).set_index("school_id").loc["5"]
    assert r["cause"] == "данные"
    assert ("ВПР, математика: не ниже 10% второй год подряд (2023 — 30,0% (30 из 100), 2024 — 15,0% (15 из 100))"
            in r["explanation"])


def test_same_status_by_another_branch_is_the_rule_branch(seasons):
    data, _, b = seasons
    e = explain_changes(b, data)
    assert len(e) == 1
    r = e.iloc[0]
    assert r["status_from"] == r["status_to"] == "ШНОР"
    assert r["cause"] == "ветвь правила" and not r["by_data"] and not r["by_params"]
    assert "ШНОР в 2022 г. — «две процедуры», в 2023 г. — «два года подряд»" in r["explanation"]


def test_unchanged_schools_are_not_explained(seasons):
    data, a, _ = seasons
    assert "4" not in set(explain_changes(a, data)["school_id"])


def test_fail_share_change_with_the_z_test(seasons, tmp_path):
    _, a, _ = seasons
    custom = tmp_path / "z.yml"
    custom.write_text("dynamics:\n  test: z\n", encoding="utf-8")
    ch = fail_share_changes(a, load_params(path=custom))
    five = ch[ch["school_id"] == "5"].set_index("procedure")
    # the hand-computed case above: 30/100 → 15/100, p = 0.017756 < 0.05
    assert five.loc["ВПР", "p_value"] == pytest.approx(0.017756, abs=1e-6)
    assert five.loc["ВПР", "change_pp"] == pytest.approx(-15.0)
    assert bool(five.loc["ВПР", "significant"])
    assert five.loc["ВПР", "conclusion"] == ("ВПР, математика: 30,0% (30 из 100) → 15,0% (15 из 100), доля снизилась на "
                                             "15,0 п.п. — изменение значимо (p = 0,018, z-критерий с поправкой на "
                                             "непрерывность)")
    # one procedure × subject only: the pooled row is the same comparison
    assert five.loc["все процедуры", "p_value"] == pytest.approx(0.017756, abs=1e-6)


def test_fail_share_change_exact_by_default_pools_procedures(seasons):
    _, a, _ = seasons
    ch = fail_share_changes(a)
    two = ch[(ch["school_id"] == "2")].set_index("procedure")
    assert two.loc["ВПР", "p_value"] == pytest.approx(1.0) and not two.loc["ВПР", "significant"]
    tot = ch[(ch["school_id"] == "1") & (ch["procedure"] == "все процедуры")].iloc[0]
    # (20 + 8) / 70 = 40% → (5 + 2) / 70 = 10%
    assert tot["share_from"] == pytest.approx(0.4) and tot["share_to"] == pytest.approx(0.1)
    assert tot["test"] == "точный критерий Фишера" and tot["significant"]


def test_support_view_follows_schools_from_inclusion(seasons):
    _, a, _ = seasons
    v = support_view(a)
    one = v[v["school_id"] == "1"].set_index("year")
    assert one.loc[2023, "included_since"] == "не позднее 2023"  # already ШНОР in the first loaded year
    assert one["status"].tolist() == ["ШНОР", "зона риска"] and one["year_no"].tolist() == [0, 1]
    assert one.loc[2024, "fail_share"] == pytest.approx(0.1) and one.loc[2024, "change_pp"] == pytest.approx(-30.0)
    assert v.loc[v["school_id"] == "2", "included_since"].tolist() == ["2024"]
    assert set(v["school_id"]) == {"1", "2", "3"}  # зона риска alone is not «support»


# ---------------------------------------------------------------- demo 2022–2024

@pytest.fixture(scope="module")
def demo():
    data = load_dataset(REPO / "data_raw", "demo")
    p = load_params("demo")
    return data, [compute_season(data, "demo", y, p) for y in (2022, 2023, 2024)]


def _ids(t, col, change, year_to):
    d = t[(t["year_to"] == year_to) & (t[col] == change)]
    return sorted(d["school_id"], key=int)


def test_demo_transitions_match_the_readme(demo):
    # data_raw/demo/README.md: ШНОР 2023 = 3, 7, 14, 30; 2024 = 7, 11, 14, 19, 22, 30 (3 leaves, 11 enters)
    t = status_transitions(demo[1])
    assert _ids(t, "shnor_change", "вошла", 2023) == ["3", "7", "30"]
    assert _ids(t, "shnor_change", "осталась", 2023) == ["14"]
    assert _ids(t, "shnor_change", "вошла", 2024) == ["11", "19", "22"]
    assert _ids(t, "shnor_change", "вышла", 2024) == ["3"]
    assert _ids(t, "shnor_change", "осталась", 2024) == ["7", "14", "30"]
    assert _ids(t, "shnsu_change", "осталась", 2024) == ["14", "33", "36"]
    assert _ids(t, "risk_change", "вошла", 2024) == ["3", "17", "23"] and _ids(t, "risk_change", "вышла", 2024) == ["11"]


def test_demo_changes_are_explained(demo):
    data, res = demo
    e = explain_changes(res, data)
    # one set of parameters for all years: never the parameters; school 14 switches branches
    assert not e["by_params"].any()
    assert e.loc[e["cause"] == "ветвь правила", "school_id"].tolist() == ["14", "14"]
    assert (e.loc[e["school_id"] != "14", "cause"] == "данные").all()
    three = e[(e["school_id"] == "3") & (e["year_to"] == 2024)].iloc[0]
    assert "ВПР, математика: 2023 — 37,8% (71 из 188), 2024 — 18,2% (33 из 181); доля опустилась ниже порога 30%" in (
        three["explanation"])
    seven = e[(e["school_id"] == "7") & (e["year_to"] == 2023)].iloc[0]
    assert "выполнено условие «два года подряд»" in seven["explanation"]


def test_demo_school_3_improvement_is_beyond_chance(demo):
    ch = fail_share_changes(demo[1])
    r = ch[(ch["school_id"] == "3") & (ch["year_to"] == 2024) & (ch["procedure"] == "ВПР")
           & (ch["subject"] == "математика")].iloc[0]
    assert r["failed_from"] == 71 and r["failed_to"] == 33 and r["significant"]


def test_shnsu_change_names_the_isbsh_group(season_writer):
    # Ten similar schools, school 10 in the middle in 2023; in 2024 it has far fewer educated parents and
    # far more pupils on a register (as in test_rules.test_shnsu_by_isbsh_group): ИСБШ group 1 → ШНСУ.
    ids = [str(i) for i in range(1, 11)]

    def social(bad):
        rows = [[s, 1000, 300 + 5 * i, 100, 10, 20 - i, 20] for i, s in enumerate(ids[:-1])]
        return rows + [["10", 1000, 20, 100, 10, 200, 20] if bad else ["10", 1000, 320, 100, 10, 16, 20]]

    results = [row(s, "ВПР", "математика", 6, 50, 2) for s in ids]
    season_writer(2023, results, social=social(False))
    root = season_writer(2024, results, social=social(True))
    data = load_dataset(root, "t")
    res = [compute_season(data, "t", y, load_params()) for y in (2023, 2024)]
    e = explain_changes(res, data)
    assert e["school_id"].tolist() == ["10"]
    r = e.iloc[0]
    assert r["status_from"] == "" and r["status_to"] == "ШНСУ" and r["cause"] == "данные"
    assert "группа ИСБШ 6 → 1" in r["explanation"] and "(ШНСУ при группе ≤ 2)" in r["explanation"]

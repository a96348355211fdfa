"""ШНОР / зона риска / ШНСУ rules (METHODOLOGY §3) on hand-made seasons.

Every expected status below follows from the rule by hand: a procedure is
triggered when its pooled fail share (Σ«2» / Σparticipants over the grades in
scope) reaches the threshold; ШНОР needs two procedures in one year or one
procedure in two consecutive years.
"""

from __future__ import annotations

import pytest
from conftest import row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.rules import status_of
from shnor_lib.report.format import fmt_pct


def schools_of(root, year, params=None, municipality="t"):
    data = load_dataset(root, municipality)
    res = compute_season(data, municipality, year, params or load_params())
    return res.schools.set_index("school_id")


def test_exactly_thirty_percent_triggers(season_writer):
    # 18 of 60 = 30.0% exactly in ВПР (pooled 9/30 + 9/30) and ОГЭ 6/20 = 30%.
    root = season_writer(2024, [row("1", "ВПР", "математика", 5, 30, 9), row("1", "ВПР", "математика", 6, 30, 9),
                                row("1", "ОГЭ", "русский язык", 9, 20, 6)])
    s = schools_of(root, 2024).loc["1"]
    assert s["shnor"] and s["status"] == "ШНОР"
    assert "30,0% (18 из 60)" in s["reasons"]


def test_just_below_thirty_percent_is_only_risk_zone(season_writer):
    # 17/60 = 28.3% and 5/20 = 25%: both procedures ≥ 10% but < 30% → зона риска.
    root = season_writer(2024, [row("1", "ВПР", "математика", 5, 60, 17), row("1", "ОГЭ", "русский язык", 9, 20, 5)])
    s = schools_of(root, 2024).loc["1"]
    assert not s["shnor"] and s["risk_zone"] and s["status"] == "зона риска"


def test_two_procedures_in_one_year_make_shnor(season_writer):
    root = season_writer(2024, [row("1", "ВПР", "русский язык", 5, 76, 31), row("1", "ОГЭ", "математика", 9, 20, 7),
                                row("2", "ВПР", "русский язык", 5, 76, 31), row("2", "ОГЭ", "математика", 9, 20, 2)])
    s = schools_of(root, 2024)
    assert s.loc["1", "shnor"] and s.loc["1", "shnor_branch"] == "две процедуры"
    assert "ВПР 2024, русский язык: 40,8% (31 из 76)" in s.loc["1", "reasons"]
    assert "ОГЭ 2024, математика: 35,0% (7 из 20)" in s.loc["1", "reasons"]
    # school 2: ВПР ≥ 30% but ОГЭ 10% — one procedure only, no previous year
    assert not s.loc["2", "shnor"]
    assert s.loc["2", "risk_zone"]  # ВПР 40.8% and ОГЭ 10.0% are both ≥ 10%


def test_one_procedure_two_years_running_makes_shnor(season_writer):
    season_writer(2023, [row("1", "ВПР", "математика", 6, 50, 16)])  # 32%
    root = season_writer(2024, [row("1", "ВПР", "математика", 7, 50, 15)])  # 30%
    s = schools_of(root, 2024).loc["1"]
    assert s["shnor"] and s["shnor_branch"] == "два года подряд"
    assert "ВПР 2023, математика: 32,0% (16 из 50)" in s["reasons"]


def test_different_procedures_in_two_years_do_not_make_shnor(season_writer):
    season_writer(2023, [row("1", "ОГЭ", "математика", 9, 50, 20)])
    root = season_writer(2024, [row("1", "ВПР", "математика", 7, 50, 20)])
    s = schools_of(root, 2024).loc["1"]
    assert not s["shnor"]


def test_previous_year_missing_checks_only_two_procedures(season_writer):
    root = season_writer(2024, [row("1", "ВПР", "математика", 7, 50, 20)])
    res = compute_season(load_dataset(root, "t"), "t", 2024, load_params())
    s = res.schools.set_index("school_id").loc["1"]
    assert not s["shnor"]
    assert "данных за 2023 г. нет" in s["reasons"]
    assert any("2023" in n for n in res.notes)


def test_group_below_min_participants_does_not_trigger(season_writer):
    # ОГЭ: 3 of 4 failed (75%) but only 4 pupils < min_participants = 5.
    root = season_writer(2024, [row("1", "ВПР", "математика", 7, 50, 20), row("1", "ОГЭ", "математика", 9, 4, 3)])
    s = schools_of(root, 2024).loc["1"]
    assert not s["shnor"]
    assert "мало участников: ОГЭ 2024, математика: 75,0% (3 из 4)" in s["reasons"]


def test_vpr_grade_4_and_other_subjects_are_ignored(season_writer):
    root = season_writer(2024, [row("1", "ВПР", "математика", 4, 50, 40), row("1", "ВПР", "биология", 6, 50, 40),
                                row("1", "ОГЭ", "математика", 9, 20, 10), row("1", "ВПР", "математика", 6, 50, 2)])
    s = schools_of(root, 2024).loc["1"]
    # ВПР in scope: only grade 6 mathematics, 2/50 = 4% → not triggered; ОГЭ alone is one procedure.
    assert not s["shnor"] and not s["risk_zone"]


def test_subject_mode_all_needs_every_subject(season_writer, tmp_path):
    rows = [row("1", "ВПР", "математика", 6, 50, 20), row("1", "ВПР", "русский язык", 6, 50, 5),
            row("1", "ОГЭ", "математика", 9, 20, 10), row("1", "ОГЭ", "русский язык", 9, 20, 10)]
    root = season_writer(2024, rows)
    assert schools_of(root, 2024).loc["1", "shnor"]  # any: ВПР math 40% and ОГЭ 50%
    custom = tmp_path / "all.yml"
    custom.write_text("subject_mode: all\n", encoding="utf-8")
    p = load_params(path=custom)
    # all: ВПР russian is 10% → ВПР not triggered; only ОГЭ remains → not ШНОР
    assert not schools_of(root, 2024, p).loc["1", "shnor"]


def test_thresholds_come_from_parameters(season_writer, tmp_path):
    root = season_writer(2024, [row("1", "ВПР", "математика", 6, 100, 25), row("1", "ОГЭ", "математика", 9, 20, 5)])
    assert not schools_of(root, 2024).loc["1", "shnor"]
    custom = tmp_path / "p.yml"
    custom.write_text("shnor_threshold: 0.25\nrisk_threshold: 0.05\n", encoding="utf-8")
    assert schools_of(root, 2024, load_params(path=custom)).loc["1", "shnor"]


def _social(sid, total, higher, register):
    return [sid, total, higher, 100, 10, register, 20]


def test_shnsu_by_isbsh_group(season_writer):
    # Nine similar schools and one with far fewer educated parents and far more pupils on a register:
    # its z-score is about −2.8 (−3 sd on the two strongest inputs), group clip(round(-2.8/0.5)+6) = 1.
    ids = [str(i) for i in range(1, 11)]
    social = [_social(s, 1000, 300 + 5 * i, 10 + i) for i, s in enumerate(ids[:-1])] + [_social("10", 1000, 20, 200)]
    results = [row(s, "ВПР", "математика", 6, 50, 5) for s in ids]
    root = season_writer(2024, results, social=social)
    s = schools_of(root, 2024)
    assert s.loc["10", "shnsu"] and s.loc["10", "status"] == "ШНСУ"
    assert s.loc["10", "isbsh_group"] <= 2
    assert s["shnsu"].sum() == 1
    assert "ШНСУ: группа ИСБШ ≤ 2" in s.loc["10", "reasons"]


def test_shnsu_by_lower_quartile(season_writer, tmp_path):
    ids = [str(i) for i in range(1, 9)]
    social = [_social(s, 1000, 100 * (i + 1), 10) for i, s in enumerate(ids)]
    root = season_writer(2024, [row(s, "ВПР", "математика", 6, 50, 5) for s in ids], social=social)
    custom = tmp_path / "q.yml"
    custom.write_text("shnsu_rule: {isbsh_group_max: null, isbsh_quantile: 0.25}\n", encoding="utf-8")
    s = schools_of(root, 2024, load_params(path=custom))
    # the 25% quantile of 8 equally spaced values lies between the 2nd and 3rd: schools 1 and 2
    assert sorted(s.index[s["shnsu"]]) == ["1", "2"]


@pytest.mark.parametrize("shnor,shnsu,risk,expected", [
    (True, True, False, "ШНОР+ШНСУ"), (True, False, False, "ШНОР"), (False, True, True, "ШНСУ"),
    (False, False, True, "зона риска"), (False, False, False, ""),
])
def test_status_precedence(shnor, shnsu, risk, expected):
    assert status_of(shnor, shnsu, risk) == expected


def test_ege_uses_failed_counts(season_writer):
    root = season_writer(2024, [row("1", "ЕГЭ", "математика (профильный уровень)", 11, 20, 7), row("1", "ОГЭ", "математика", 9, 20, 7)])
    s = schools_of(root, 2024).loc["1"]
    assert s["shnor"] and "ЕГЭ 2024, математика: 35,0% (7 из 20)" in s["reasons"]


def test_every_school_gets_a_reason(season_writer):
    root = season_writer(2024, [row("1", "ВПР", "математика", 6, 50, 1), row("2", "ОГЭ", "математика", 9, 50, 30)])
    s = schools_of(root, 2024)
    assert s["reasons"].str.len().gt(20).all()
    assert "наибольшая доля не преодолевших порог — ВПР 2024, математика: 2,0% (1 из 50)" in s.loc["1", "reasons"]


def test_fmt_pct_uses_decimal_comma():
    assert fmt_pct(0.408) == "40,8%"
    assert fmt_pct(float("nan")) == "—"


def test_exclude_nonobjective_removes_flagged_grade(season_writer, tmp_path):
    # Grade 7: 45 of 50 failed against 2 of 150 in grades 5, 6, 8 — a parallel jump of 89 p.p.
    rows = [row("1", "ВПР", "русский язык", g, 50, 45 if g == 7 else (1 if g != 8 else 0)) for g in (5, 6, 7, 8)]
    rows.append(row("1", "ОГЭ", "русский язык", 9, 20, 7))
    root = season_writer(2024, rows)
    data = load_dataset(root, "t")
    res = compute_season(data, "t", 2024, load_params())
    assert list(res.flags["flag"]) == ["parallel_jump"] and list(res.flags["grade"]) == [7]
    # Included: ВПР (1+1+45+0)/200 = 23.5% and ОГЭ 7/20 = 35% are both ≥ 10% → зона риска.
    assert res.schools.set_index("school_id").loc["1", "status"] == "зона риска"
    custom = tmp_path / "x.yml"
    custom.write_text("exclude_nonobjective: true\n", encoding="utf-8")
    res = compute_season(data, "t", 2024, load_params(path=custom))
    s = res.schools.set_index("school_id").loc["1"]
    # Excluded: ВПР 2/150 = 1.3% → only ОГЭ remains → no status, and the exclusion is said.
    assert s["status"] == ""
    assert "исключено как необъективное: ВПР 2024, русский язык, 7 класс" in s["reasons"]

"""``cohort_jump`` (Методика §3.5.4, seed 000 п. 2: «резкое возрастание или резкое падение
результатов одной параллели от одного класса к следующему»): ВПР grade g in year Y−1 against
grade g+1 in year Y, same school and subject.

Expected values are computed by hand with the pooled two-proportion z-test
z = (p₂ − p₁) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)), p̄ = (f₁ + f₂)/(n₁ + n₂), two-sided p = 2·(1 − Φ(|z|)),
and cross-checked with statsmodels' ``proportions_ztest``. One grade per school and year, so
``parallel_jump`` (which needs two grades) cannot fire.
"""

from __future__ import annotations

import math

import pytest
from conftest import row
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from shnor_lib import compute_season, load_dataset, load_params


def _flags(root, year=2024, params=None):
    res = compute_season(load_dataset(root, "t"), "t", year, params or load_params())
    return res.flags[res.flags["year"] == year]


def _cohort(season_writer, before: tuple[int, int], now: tuple[int, int], school="1"):
    season_writer(2023, [row(school, "ВПР", "математика", 5, *before)])
    return season_writer(2024, [row(school, "ВПР", "математика", 6, *now)])


def test_planted_cohort_jump_fires_and_says_results_fell(season_writer):
    # 2023, 5 класс: 10 of 50 (20%); 2024, 6 класс: 30 of 50 (60%): Δ = 40 p.p.
    # p̄ = 40/100 = 0.4; se = √(0.4·0.6·(1/50 + 1/50)) = √0.0096 = 0.09798; z = 4.082; p = 4.5e-5.
    z = 0.4 / math.sqrt(0.0096)
    assert z == pytest.approx(4.0825, abs=1e-4)
    assert 2 * stats.norm.sf(z) == pytest.approx(proportions_ztest([30, 10], [50, 50])[1])
    f = _flags(_cohort(season_writer, (50, 10), (50, 30)))
    assert list(f["flag"]) == ["cohort_jump"] and list(f["grade"]) == [6]
    assert list(f["flag_label"]) == ["резкое изменение результатов класса за год"]
    d = f["detail"].iloc[0]
    assert d.startswith("6 класс: 60,0% не преодолели порог (30 из 50), год назад в 5 классе — 20,0% (10 из 50)")
    assert "выросла — результаты упали на 40 п.п., p < 0,001" in d


def test_cohort_jump_fires_in_the_other_direction_and_says_results_rose(season_writer):
    f = _flags(_cohort(season_writer, (50, 30), (50, 10)))
    assert list(f["flag"]) == ["cohort_jump"]
    assert "снизилась — результаты выросли на 40 п.п." in f["detail"].iloc[0]


def test_large_jump_of_a_tiny_cohort_does_not_fire(season_writer):
    # 0 of 4 → 4 of 4: Δ = 100 p.p. and z = 1/√(0.5·0.5·0.5) = 2.83, p = 0.0047 < 0.05,
    # but both groups are below min_participants = 5.
    assert 2 * stats.norm.sf(1 / math.sqrt(0.125)) == pytest.approx(0.00468, abs=1e-5)
    assert _flags(_cohort(season_writer, (4, 0), (4, 4))).empty


def test_large_but_not_significant_change_does_not_fire(season_writer):
    # 1 of 8 → 4 of 8: Δ = 37.5 p.p.; p̄ = 5/16, se = √(0.3125·0.6875·0.25) = 0.2318, z = 1.618, p = 0.106.
    z = 0.375 / math.sqrt(0.3125 * 0.6875 * 0.25)
    assert 2 * stats.norm.sf(z) == pytest.approx(0.1056, abs=1e-3)
    assert _flags(_cohort(season_writer, (8, 1), (8, 4))).empty


def test_moderate_significant_change_does_not_fire_until_the_threshold_is_lowered(season_writer, tmp_path):
    # 40 of 200 → 70 of 200: Δ = 15 p.p. < 25; p̄ = 0.275, se = 0.04465, z = 3.36, p = 0.0008 (significant).
    root = _cohort(season_writer, (200, 40), (200, 70))
    assert _flags(root).empty
    custom = tmp_path / "low.yml"
    custom.write_text("objectivity:\n  cohort_jump_min_pp: 15\n", encoding="utf-8")
    f = _flags(root, params=load_params(path=custom))
    assert list(f["flag"]) == ["cohort_jump"] and "на 15 п.п., p < 0,001" in f["detail"].iloc[0]


def test_cohort_is_matched_by_school_subject_and_next_grade_only(season_writer):
    # Same numbers as the planted jump, but each 2024 row differs from the 2023 row in one key.
    season_writer(2023, [row("1", "ВПР", "математика", 5, 50, 10)])
    root = season_writer(2024, [row("1", "ВПР", "математика", 5, 50, 30),      # same grade, next year
                                row("2", "ВПР", "математика", 6, 50, 30),      # another school
                                row("1", "ВПР", "русский язык", 6, 50, 30)])   # another subject
    assert _flags(root).empty

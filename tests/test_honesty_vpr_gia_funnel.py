"""``vpr_gia_mismatch`` reads a school's means with their precision (funnel-plot z, §3.5.5).

Five schools; school 1 has ВПР математика 6 класс mean 3.0 (no «2») and ОГЭ математика mean
2.833 (one pupil in six with «2»), the others ВПР 12 «2» of 60 (2.8) and ОГЭ 6 «2» of 60 (2.9).
With the old standardisation by the sd of the school means a school of 6 pupils and one of 60
with these means got the same z (±1.789, gap 3.58) and both were flagged. On the funnel scale,
z = (x − θ₀)/√(τ² + s²/n), hand-computed below, only the large school is.
"""

from __future__ import annotations

import math

import pytest
from conftest import row

from shnor_lib import compute_season, load_dataset, load_params


def _flags(season_writer, n1: int, f_vpr: int, f_oge: int):
    results = [row("1", "ВПР", "математика", 6, n1, f_vpr), row("1", "ОГЭ", "математика", 9, n1, f_oge)]
    for s in "2345":
        results += [row(s, "ВПР", "математика", 6, 60, 12), row(s, "ОГЭ", "математика", 9, 60, 6)]
    root = season_writer(2024, results)
    f = compute_season(load_dataset(root, "t"), "t", 2024, load_params(), support=False).flags
    return f[f["flag"] == "vpr_gia_mismatch"]


def test_large_school_with_a_gap_fires(season_writer):
    # ВПР: θ₀ = (3.0 + 4·2.8)/5 = 2.84; equal cohorts and a spread beyond noise (τ² > 0), so
    # τ² + s²/n is the sample variance of the means, (0.16² + 4·0.04²)/4 = 0.008: z = 0.16/√0.008.
    z_vpr = 0.16 / math.sqrt(0.008)
    # ОГЭ: θ₀ = (2.8333 + 4·2.9)/5 = 2.88667; s² = (60·(1/6)(5/6) + 4·60·0.1·0.9)/(300 − 5) = 29.933/295;
    # the means' sample variance 0.000889 < s²/60 = 0.001691, so τ² = 0: z = −0.05333/√0.001691.
    z_oge = (17 / 6 - 2.88667) / math.sqrt(29.9333 / 295 / 60)
    assert z_vpr == pytest.approx(1.789, abs=1e-3) and z_oge == pytest.approx(-1.297, abs=1e-3)
    assert z_vpr - z_oge == pytest.approx(3.086, abs=1e-3)  # ≥ 2
    f = _flags(season_writer, 60, 0, 10)
    assert list(zip(f["school_id"], f["procedure"])) == [("1", "ВПР")]
    assert "на 1,8 стандартного отклонения выше" in f["detail"].iloc[0]
    assert "на 1,3 стандартного отклонения ниже" in f["detail"].iloc[0]
    assert f["detail"].iloc[0].endswith("разрыв 3,1 (порог 2)")


def test_small_school_with_the_same_means_does_not_fire(season_writer):
    # ВПР: θ₀ = (6·3.0 + 240·2.8)/246 = 2.80488; s² = 38.4/241 = 0.15934 (school 1 has no spread).
    # DerSimonian–Laird: w = n/s², Q = Σ w(x − θ₀)² = 1.47 < k − 1 = 4, so τ² = 0 and
    # z = (3.0 − 2.80488)/√(0.15934/6) = 1.197.
    theta = 690 / 246
    s2 = 38.4 / 241
    q = 6 / s2 * (3 - theta) ** 2 + 4 * 60 / s2 * (2.8 - theta) ** 2
    assert q == pytest.approx(1.47, abs=0.01) and q < 4
    z_vpr = (3 - theta) / math.sqrt(s2 / 6)
    # ОГЭ: θ₀ = 713/246 = 2.89837; s² = (6·(1/6)(5/6) + 21.6)/241 = 22.433/241, τ² = 0 (Q < 4):
    # z = (2.8333 − 2.89837)/√(s²/6) = −0.522.
    s2o = (6 * (1 / 6) * (5 / 6) + 21.6) / 241
    z_oge = (17 / 6 - 713 / 246) / math.sqrt(s2o / 6)
    assert z_vpr == pytest.approx(1.197, abs=1e-3) and z_oge == pytest.approx(-0.522, abs=1e-3)
    assert z_vpr - z_oge < 2
    assert _flags(season_writer, 6, 0, 1).empty


def test_ege_without_a_marks_distribution_uses_the_documented_approximation():
    # ЕГЭ gives mean scores only: s² = Σ n(x − θ₀)²/(k − 1), hence Q = k − 1, τ² = 0 and
    # z = (x − θ₀)·√(n/s²). Schools 70 (n 20) and 60, 60, 60, 60 (n 40): θ₀ = (1400 + 9600)/180.
    import pandas as pd

    from shnor_lib.analysis.rules import _funnel_z

    n = [20, 40, 40, 40, 40]
    v = [70.0, 60, 60, 60, 60]
    agg = pd.DataFrame({"g": 1, "n": n, "v": v, "v2n": float("nan")})
    theta, z = _funnel_z(agg, ["g"])
    t = 11000 / 180
    s2 = sum(ni * (vi - t) ** 2 for ni, vi in zip(n, v)) / 4
    assert theta.iloc[0] == pytest.approx(t)
    assert z.iloc[0] == pytest.approx((70 - t) * math.sqrt(20 / s2))
    assert z.iloc[1] == pytest.approx((60 - t) * math.sqrt(40 / s2))

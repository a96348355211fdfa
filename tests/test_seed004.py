"""Seed 004 (Pervouralsk 2022): the published identifier table and the quality regression.

The dataset under data_raw/pervouralsk/2022 is transcribed from the seed as published
(see data_raw/pervouralsk/SOURCE.md); these tests compute from those files alone.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from conftest import REPO

from shnor_lib import compute_season, load_dataset, load_params

# The identifier table as printed in seed 004 («Идентификатор школ по качеству … и уровню
# социального благополучия»): (ИСБШ group, quality group) → school numbers.
SEED_CELLS = {
    (5, 4): "3", (5, 5): "36,40", (5, 6): "20,29",
    (6, 5): "10,22,26,28", (6, 6): "2,11,16", (6, 7): "4,5,9,15",
    (7, 5): "1,12", (7, 7): "7",
    (8, 6): "6", (8, 7): "32", (8, 8): "21",
}
SEED_ROW_TOTALS = {5: "5", 6: "11", 7: "3", 8: "3"}
SEED_COL_TOTALS = {4: "1", 5: "8", 6: "6", 7: "6", 8: "1"}


@pytest.fixture(scope="module")
def result():
    data = load_dataset(REPO / "data_raw", "pervouralsk")
    return compute_season(data, "pervouralsk", 2022, load_params("pervouralsk"))


def test_identifier_table_matches_the_seed_cell_by_cell(result):
    t = result.identifier_table
    for r in range(1, 12):
        for c in range(1, 12):
            assert t.loc[r, c] == SEED_CELLS.get((r, c), ""), (r, c)
        assert t.loc[r, "Итого ОО"] == SEED_ROW_TOTALS.get(r, "")
    for c in range(1, 12):
        assert t.loc["Итого ОО", c] == SEED_COL_TOTALS.get(c, "")
    assert t.loc["Итого ОО", "Итого ОО"] == "22"


def _solve3(a, b):
    """Cramer's rule in exact fractions."""
    def det(m):
        return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))
    d = det(a)
    out = []
    for j in range(3):
        m = [[b[i] if k == j else a[i][k] for k in range(3)] for i in range(3)]
        out.append(det(m) / d)
    return out


def test_ols_of_published_quality_on_groups_matches_hand_computation(result):
    # From the seed's 15-school table (ИУРШ u, индекс качества q, группа ИСБШ g), summed by hand:
    # n = 15, Σg = 89, Σu = 23, Σg² = 539, Σgu = 138, Σu² = 39, Σq = 13.99, Σgq = 83.1, Σuq = 21.51.
    xtx = [[Fraction(15), Fraction(89), Fraction(23)],
           [Fraction(89), Fraction(539), Fraction(138)],
           [Fraction(23), Fraction(138), Fraction(39)]]
    xty = [Fraction("13.99"), Fraction("83.1"), Fraction("21.51")]
    b0, bg, bu = (float(x) for x in _solve3(xtx, xty))  # 0.87328, 0.00666, 0.01298
    m = result.model
    assert m is not None and m.n == 15
    coef = m.coefficients.set_index("term")["coef"]
    assert coef["Intercept"] == pytest.approx(b0, abs=1e-10)
    assert coef["isbsh_group"] == pytest.approx(bg, abs=1e-10)
    assert coef["iursh_group"] == pytest.approx(bu, abs=1e-10)
    assert m.r2 == pytest.approx(0.06597, abs=1e-4)
    assert any("малая выборка" in w for w in m.warnings)


def test_hc3_errors_match_the_sandwich_formula(result):
    import numpy as np
    d = result.schools.dropna(subset=["quality_index", "isbsh_group", "iursh_group"])
    X = np.column_stack([np.ones(len(d)), d["isbsh_group"], d["iursh_group"]]).astype(float)
    y = d["quality_index"].to_numpy(float)
    bread = np.linalg.inv(X.T @ X)
    e = y - X @ bread @ X.T @ y
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    cov = bread @ (X.T * (e**2 / (1 - h) ** 2)) @ X @ bread
    se = result.model.coefficients.set_index("term")["se"]
    assert list(se) == pytest.approx(list(np.sqrt(np.diag(cov))), rel=1e-9)


def test_percentage_rows_of_table_7_are_converted(result):
    conv = result.issues[result.issues["action"] == "преобразована"]
    pct = conv[conv["reason"].str.contains("в процентах")]
    # Table 7 (school 1): Russian grades 5–8 and both grade-9 rows print percentages.
    assert sorted(pct["school_id"].unique()) == ["1"] and len(pct) == 6


def test_rows_whose_marks_do_not_add_up_are_quarantined(result):
    q = result.issues[result.issues["action"] == "исключена"]
    got = sorted(zip(q["school_id"], q["subject"], q["grade"]))
    assert got == [("10", "русский язык", 8), ("22", "математика", 6), ("26", "математика", 5),
                   ("26", "математика", 7), ("36", "математика", 6)]


def test_school_12_grade_7_russian_is_flagged(result):
    f = result.flags
    hit = f[(f["school_id"] == "12") & (f["subject"] == "русский язык") & (f["grade"] == 7)]
    assert list(hit["flag"]) == ["parallel_jump"]
    assert "97,7% не преодолели порог (42 из 43)" in hit.iloc[0]["detail"]

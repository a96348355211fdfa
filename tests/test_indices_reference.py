"""ИСБШ reference populations (municipality / all / fixed) and the regression method (§4.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib import load_params
from shnor_lib.analysis.indices import compute_isbsh, compute_iursh, social_shares, teacher_shares


def _social(municipality, higher):
    return pd.DataFrame({"municipality": municipality, "year": 2024,
                         "school_id": [f"{municipality}{i}" for i in range(len(higher))],
                         "students_total": 100.0, "both_parents_higher_ed": np.array(higher, float)})


def _params(tmp_path, text):
    p = tmp_path / "p.yml"
    p.write_text(text, encoding="utf-8")
    return load_params(path=p)


def test_reference_municipality_standardises_each_municipality_alone(params):
    both = pd.concat([_social("a", [10, 20, 30]), _social("b", [60, 70, 80])], ignore_index=True)
    out, _ = compute_isbsh(social_shares(both), params)
    # each municipality is centred on its own mean: −1.22, 0, 1.22 in both
    assert list(out["isbsh"]) == pytest.approx([-1.224745, 0, 1.224745] * 2, abs=1e-6)


def test_reference_all_pools_municipalities_of_the_year(tmp_path):
    both = pd.concat([_social("a", [10, 20, 30]), _social("b", [60, 70, 80])], ignore_index=True)
    out, _ = compute_isbsh(social_shares(both), _params(tmp_path, "isbsh: {reference: all}\n"))
    # pooled shares 0.1..0.3 and 0.6..0.8: mean 0.45, population sd 0.2598 → a's schools are all below 0
    assert (out.loc[out["municipality"] == "a", "isbsh"] < 0).all()
    assert (out.loc[out["municipality"] == "b", "isbsh"] > 0).all()
    assert out["isbsh"].mean() == pytest.approx(0, abs=1e-12)


def test_reference_fixed_uses_given_mean_and_sd(tmp_path):
    p = _params(tmp_path, "isbsh:\n  reference: fixed\n  fixed: {both_parents_higher_ed: [0.2, 0.1], index: [0, 1]}\n")
    out, _ = compute_isbsh(social_shares(_social("a", [10, 20, 40])), p)
    # z = (share − 0.2) / 0.1 with weight +1 (only input): −1, 0, 2 → groups 4, 6, 10
    assert list(out["isbsh"]) == pytest.approx([-1, 0, 2])
    assert list(out["isbsh_group"]) == [4, 6, 10]


def test_regression_method_estimates_weights_from_quality(tmp_path):
    rng = np.random.default_rng(1)
    n = 30
    social = pd.DataFrame({"municipality": "a", "year": 2024, "school_id": [str(i) for i in range(n)],
                           "students_total": 100.0, "both_parents_higher_ed": rng.integers(5, 60, n).astype(float),
                           "on_register": rng.integers(0, 10, n).astype(float)})
    shares = social_shares(social)
    # quality rises with educated parents and falls with register, exactly: the OLS weights must recover it
    z_h = (shares["both_parents_higher_ed"] - shares["both_parents_higher_ed"].mean()) / shares["both_parents_higher_ed"].std(ddof=0)
    z_r = (shares["on_register"] - shares["on_register"].mean()) / shares["on_register"].std(ddof=0)
    quality = 0.9 + 0.03 * z_h - 0.01 * z_r
    out, info = compute_isbsh(shares, _params(tmp_path, "isbsh: {method: regression}\n"), quality=quality)
    assert info["weights"]["both_parents_higher_ed"] == pytest.approx(0.03)
    assert info["weights"]["on_register"] == pytest.approx(-0.01)
    assert info["r2"] == pytest.approx(1.0)
    assert np.corrcoef(out["isbsh"], quality)[0, 1] == pytest.approx(1.0)


def test_iursh_groups_are_quartiles(params):
    t = pd.DataFrame({"municipality": "a", "year": 2024, "school_id": [str(i) for i in range(8)],
                      "teachers_total": 10.0, "higher_education": np.arange(1, 9, dtype=float),
                      "category_highest": 1.0, "category_first": 2.0, "experience_10plus": 5.0})
    out = compute_iursh(teacher_shares(t, params), params)
    # only higher_education varies (the other shares are constant → NaN z, dropped): quartiles of 1..8
    assert list(out["iursh_group"]) == [1, 1, 2, 2, 3, 3, 4, 4]

"""ИСБШ presets (``isbsh.preset``) and the cross-fitted regression method (Методика §4.1).

Expected values are computed by hand (two inputs, three schools) or by solving the same least
squares with numpy on the training folds only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib import load_params
from shnor_lib.analysis.indices import compute_isbsh, crossfit_folds, social_shares
from shnor_lib.config.params import ParameterError


def _params(tmp_path, text):
    p = tmp_path / "p.yml"
    p.write_text(text, encoding="utf-8")
    return load_params(path=p)


def _social(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"municipality": "a", "year": 2024, "school_id": [str(i + 1) for i in range(n)],
                         "students_total": 100.0, **{k: np.array(v, float) for k, v in cols.items()}})


# Three schools: higher-ed shares 10/20/30%, single-parent 30/20/10%, unemployed 10/30/20%.
SOCIAL = _social(both_parents_higher_ed=[10, 20, 30], single_parent=[30, 20, 10], unemployed_parents=[10, 30, 20])
Z = np.sqrt(1.5)  # population z-scores of (1, 2, 3) are ∓1.2247, 0


def test_default_preset_is_the_packages_own_weights(tmp_path):
    out, info = compute_isbsh(social_shares(SOCIAL), load_params())
    assert info["preset"] == "own"
    assert info["weights"] == {"both_parents_higher_ed": 1.0, "unemployed_parents": -0.67, "single_parent": -0.5}


def test_sverdlovsk_preset_drops_single_parent_and_weighs_unemployment_two_thirds(tmp_path):
    out, info = compute_isbsh(social_shares(SOCIAL), _params(tmp_path, "isbsh: {preset: sverdlovsk}\n"))
    assert info["weights"] == {"both_parents_higher_ed": 1.0, "unemployed_parents": -0.67}  # on_register absent
    # raw = 1·z_h − 0.67·z_u: z_h = (−Z, 0, Z), z_u = (−Z, Z, 0) → (−0.33Z, −0.67Z, Z); restandardised:
    raw = np.array([-0.33 * Z, -0.67 * Z, Z])
    expected = (raw - raw.mean()) / raw.std()
    assert list(out["isbsh"]) == pytest.approx(list(expected))


def test_krasnodar_preset_weighs_its_four_shares_equally(tmp_path):
    _, info = compute_isbsh(social_shares(SOCIAL), _params(tmp_path, "isbsh: {preset: krasnodar}\n"))
    assert info["weights"] == {"both_parents_higher_ed": 1.0, "single_parent": -1.0}  # the two present of four


def test_unknown_preset_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="preset"):
        _params(tmp_path, "isbsh: {preset: moscow}\n")


def test_regression_weights_of_a_school_never_use_its_own_quality(tmp_path):
    rng = np.random.default_rng(3)
    n = 24
    social = _social(both_parents_higher_ed=rng.integers(5, 60, n), on_register=rng.integers(0, 10, n))
    shares = social_shares(social)
    quality = pd.Series(rng.uniform(0.7, 1.0, n))
    p = _params(tmp_path, "isbsh: {method: regression, crossfit_folds: 3, reference: fixed, "
                          "fixed: {both_parents_higher_ed: [0.3, 0.15], on_register: [0.05, 0.03], index: [0, 1]}}\n")
    out, info = compute_isbsh(shares, p, quality=quality)
    fold = crossfit_folds(shares, 3)
    assert list(fold[:6]) == [0, 1, 2, 0, 1, 2]  # codes 1..24 in order, dealt in turn
    # the same least squares by hand on the other folds: fold 0's schools use the fit on folds 1–2
    zh = (shares["both_parents_higher_ed"] - 0.3) / 0.15
    zr = (shares["on_register"] - 0.05) / 0.03
    X = np.column_stack([np.ones(n), zh, zr])
    train = fold != 0
    beta = np.linalg.lstsq(X[train], quality[train], rcond=None)[0]
    assert info["fold_weights"][0] == pytest.approx({"both_parents_higher_ed": beta[1], "on_register": beta[2]})
    assert list(out["isbsh"][fold == 0]) == pytest.approx(list((beta[1] * zh + beta[2] * zr)[fold == 0]))
    # changing school 1's quality (fold 0) leaves its own ИСБШ unchanged
    changed = quality.copy()
    changed[0] = 0.0
    again, _ = compute_isbsh(shares, p, quality=changed)
    assert again["isbsh"].iat[0] == pytest.approx(out["isbsh"].iat[0])
    assert not np.allclose(again["isbsh"][fold != 0], out["isbsh"][fold != 0])

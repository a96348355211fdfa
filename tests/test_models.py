"""Quality model results objects: OLS classification and MixedLM school effects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor_lib import fit_quality_model, fit_school_effects, load_params
from shnor_lib.models import BELOW, RESILIENT, WITHIN


def _panel(seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(30):
        isbsh = rng.normal()
        for year in (2022, 2023, 2024):
            effect = 0.08 if s == 0 else 0.0
            blip = 0.06 if (s == 1 and year == 2024) else 0.0  # one odd year only
            q = 0.9 + 0.02 * isbsh + effect + blip + rng.normal(0, 0.015)
            rows.append({"school_key": f"m/{s}", "school_id": str(s), "year": year, "isbsh": isbsh,
                         "iursh": 0.0 + 0.1 * rng.normal(), "quality_index": q})
    return pd.DataFrame(rows)


def test_school_effects_label_a_persistent_effect_and_shrink_a_one_year_blip():
    eff = fit_school_effects(_panel(), load_params()).effects.set_index("school_key")
    assert eff.loc["m/0", "label"] == RESILIENT and eff.loc["m/0", "low"] > 0
    # the blip school's effect is shrunk towards 0: about a third of its one-year jump, within noise
    assert eff.loc["m/1", "label"] == WITHIN
    assert abs(eff.loc["m/1", "effect"]) < 0.06 / 2
    assert (eff["label"] != WITHIN).sum() == 1


def test_school_effects_need_repeated_observations():
    one_year = _panel()
    assert fit_school_effects(one_year[one_year["year"] == 2024], load_params()) is None


def test_ols_flags_only_significant_and_large_residuals():
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True)
    d.loc[d["school_id"] == "5", "quality_index"] -= 0.2   # far below its prediction
    d["quality_n"] = 100
    res = fit_quality_model(d, load_params())
    pred = res.predictions.set_index("school_id")
    assert pred.loc["5", "resilience"] == BELOW
    assert pred.loc["5", "observed"] < pred.loc["5", "pi_low"]
    assert (pred["resilience"] == BELOW).sum() >= 1
    assert res.coefficients.set_index("term").loc["isbsh", "ci_low"] <= res.coefficients.set_index("term").loc["isbsh", "coef"]


def test_small_cohort_is_not_labelled_on_noise():
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True)
    d["quality_n"] = 100
    d.loc[d["school_id"] == "5", ["quality_index", "quality_n"]] = [0.8, 5]  # 4 of 5 passed
    res = fit_quality_model(d, load_params())
    s = res.predictions.set_index("school_id").loc["5"]
    # Below the model's prediction interval (residual about −0.1) — but 4 of 5 has the Wilson
    # interval [0.376, 0.964], which contains the prediction (about 0.9): not labelled.
    assert s["observed"] < s["pi_low"]
    assert 0.376 < s["predicted"] < 0.964
    assert s["resilience"] == WITHIN


def test_model_warns_on_small_samples():
    d = _panel()
    d = d[(d["year"] == 2024) & (d["school_id"].astype(int) < 10)]
    res = fit_quality_model(d, load_params())
    assert res.n == 10 and any("малая выборка" in w for w in res.warnings)
    assert "Предупреждения" in res.summary()


def test_summary_of_a_tiny_model_prints_no_english_warning():
    import warnings

    d = _panel()
    d = d[(d["year"] == 2024) & (d["school_id"].astype(int) < 7)]
    res = fit_quality_model(d, load_params())
    assert res is not None and res.n < 8  # statsmodels' normality test warns below 8 observations
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = res.summary()
    assert caught == [] and "малая выборка" in text


def test_too_few_schools_give_no_model():
    d = _panel()
    assert fit_quality_model(d[(d["year"] == 2024)].head(4), load_params()) is None

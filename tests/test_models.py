"""Quality model results objects: the one label per school and the school effects across years.

The OLS-default era's tests are kept for ``family: ols`` (the seed's linear reading) and
each one is also asked of the default family (fractional logit), which now labels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from shnor_lib import fit_quality_model, fit_school_effects, load_params
from shnor_lib.analysis.models import BELOW, EFFECT_ABOVE, EFFECT_NONE, RESILIENT, WITHIN

FAMILIES = ["fractional_logit", "ols"]


def _panel(seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(30):
        isbsh = rng.normal()
        for year in (2022, 2023, 2024):
            effect = 0.08 if s == 0 else 0.0
            blip = 0.06 if (s == 1 and year == 2024) else 0.0  # one odd year only
            q = 0.86 + 0.02 * isbsh + effect + blip + rng.normal(0, 0.015)  # below 1 for every school
            rows.append({"school_key": f"m/{s}", "school_id": str(s), "year": year, "isbsh": isbsh,
                         "iursh": 0.0 + 0.1 * rng.normal(), "quality_index": q})
    return pd.DataFrame(rows)


def _params(family="fractional_logit", **model):
    return load_params(overrides={"model": {"family": family, **model}})


def test_school_effects_say_persistent_above_for_a_persistent_effect_and_shrink_a_one_year_blip():
    eff = fit_school_effects(_panel(), load_params()).effects.set_index("school_key")
    assert eff.loc["m/0", "label"] == EFFECT_ABOVE and eff.loc["m/0", "low"] > 0
    # the blip school's effect is shrunk towards 0: about a third of its one-year jump, within noise
    assert eff.loc["m/1", "label"] == EFFECT_NONE
    assert abs(eff.loc["m/1", "effect"]) < 0.06 / 2
    assert (eff["label"] != EFFECT_NONE).sum() == 1


def test_school_effects_never_use_the_season_labels():
    # supporting evidence has its own words: the report's one list is ``resilience``
    labels = set(fit_school_effects(_panel(), load_params()).effects["label"])
    assert not labels & {RESILIENT, BELOW, WITHIN}


def test_school_effects_need_repeated_observations():
    one_year = _panel()
    assert fit_school_effects(one_year[one_year["year"] == 2024], load_params()) is None


@pytest.mark.parametrize("family", FAMILIES)
def test_a_large_cohort_far_below_its_prediction_is_the_only_school_labelled(family):
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True)
    d.loc[d["school_id"] == "5", "quality_index"] -= 0.2   # far below its prediction
    d["quality_n"] = 100
    res = fit_quality_model(d, _params(family))
    pred = res.predictions.set_index("school_id")
    assert pred.loc["5", "resilience"] == BELOW
    assert pred.loc["5", "observed"] < pred.loc["5", "pi_low"]
    assert pred.loc["5", "p_adjusted"] <= 0.10
    assert (pred["resilience"] != WITHIN).sum() == 1
    c = res.coefficients.set_index("term")
    assert c.loc["isbsh", "ci_low"] <= c.loc["isbsh", "coef"] <= c.loc["isbsh", "ci_high"]


@pytest.mark.parametrize("family", FAMILIES)
def test_small_cohort_is_not_labelled_on_noise(family):
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True)
    d["quality_n"] = 100
    d.loc[d["school_id"] == "5", ["quality_index", "quality_n"]] = [0.6, 5]  # 3 of 5 passed
    res = fit_quality_model(d, _params(family))
    s = res.predictions.set_index("school_id").loc["5"]
    # About −0.26 below the prediction (≈ 0.86) — but «3 or fewer of 5» happens about one
    # time in seven at a true share of 0.86 (1 − 0.86⁵ − 5·0.86⁴·0.14 = 0.147), so no label.
    assert 0.82 < s["predicted"] < 0.90
    assert s["resilience"] == WITHIN
    if family == "fractional_logit":
        # the school's own interval is a beta-binomial of 5 pupils: 3 of 5 is inside it
        assert s["pi_low"] <= 0.6 and s["p_value"] > 0.05


def test_min_effect_is_read_in_the_units_of_the_chosen_index():
    p = load_params()
    assert p["model"]["min_effect"]["oge_base"] == 0.02 and p["model"]["min_effect"]["mean_mark"] == 0.10
    p = load_params(overrides={"quality": {"index": "mean_mark"}})
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True)
    d["quality_index"] = 2 + 3 * d["quality_index"]  # a mean mark on 2–5
    d["quality_n"] = 400
    d.loc[d["school_id"] == "5", "quality_index"] -= 0.06   # clearly significant, but only 0.06 of a mark
    d.loc[d["school_id"] == "6", "quality_index"] -= 0.60
    res = fit_quality_model(d, p)
    pred = res.predictions.set_index("school_id")
    assert res.min_effect == 0.10 and res.index_range == (2.0, 5.0)
    assert pred.loc["6", "resilience"] == BELOW
    assert pred.loc["5", "resilience"] == WITHIN and abs(pred.loc["5", "residual"]) < 0.10
    assert (pred["pi_low"] >= 2).all() and (pred["pi_high"] <= 5).all()


def test_model_warns_on_small_samples():
    d = _panel()
    d = d[(d["year"] == 2024) & (d["school_id"].astype(int) < 10)]
    res = fit_quality_model(d, load_params())
    assert res.n == 10 and any("малая выборка" in w for w in res.warnings)
    assert "Предупреждения" in res.summary()


@pytest.mark.parametrize("family", FAMILIES)
def test_summary_of_a_tiny_model_prints_no_english_warning(family):
    d = _panel()
    d = d[(d["year"] == 2024) & (d["school_id"].astype(int) < 7)]
    res = fit_quality_model(d, _params(family))
    assert res is not None and res.n < 8  # statsmodels' normality test warns below 8 observations
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = res.summary()
    assert caught == [] and "малая выборка" in text
    assert "Семейство:" in text and "Отметка школы: значимо" in text


def test_too_few_schools_give_no_model():
    d = _panel()
    # 3 design columns (Intercept, isbsh, iursh) need at least 5 schools
    assert fit_quality_model(d[(d["year"] == 2024)].head(4), load_params()) is None
    assert fit_quality_model(d[(d["year"] == 2024)].head(5), load_params()) is not None


def test_the_term_count_comes_from_the_design_not_from_plus_signs():
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True).head(6)
    d["territory"] = ["город", "село", "посёлок", "город", "село", "посёлок"]
    # «+» counts 2 terms (the old rule allowed it with 6 rows); the design has 5 columns:
    # Intercept, isbsh, iursh and two territory contrasts — 6 rows are too few (5 + 2 = 7)
    assert fit_quality_model(d, load_params(), {"formula": "quality_index ~ isbsh + iursh + C(territory)"}) is None
    assert fit_quality_model(d, load_params(), {"formula": "quality_index ~ isbsh"}) is not None


def test_multiple_testing_none_labels_at_least_as_many_as_benjamini_hochberg():
    d = _panel(seed=11)
    d = d[d["year"] == 2024].reset_index(drop=True)
    d["quality_n"] = 200
    d.loc[d["school_id"].isin(["3", "4"]), "quality_index"] -= 0.05
    bh = fit_quality_model(d, load_params()).predictions
    raw = fit_quality_model(d, _params(multiple_testing="none")).predictions
    assert (raw["p_adjusted"] == raw["p_value"]).all()
    assert (bh["p_adjusted"] >= bh["p_value"] - 1e-12).all()
    assert (raw["resilience"] != WITHIN).sum() >= (bh["resilience"] != WITHIN).sum()


def test_cautions_agree_number_and_noun():
    d = _panel()
    d = d[d["year"] == 2024].reset_index(drop=True)
    d = d[d["school_id"].astype(int) < 22]  # 22 schools, one of them without ИУРШ
    d.loc[d["school_id"] == "0", "iursh"] = np.nan
    res = fit_quality_model(d, load_params())
    assert "малая выборка: 21 школа (< 30)" in res.warnings[0]
    assert "в модель вошли 21 из 22 школ" in res.warnings[1]

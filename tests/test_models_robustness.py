"""Robustness of the labels across specifications: the table, the agreement score, fragility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib import compare_specifications, load_params
from shnor_lib.analysis.models import BELOW, RESILIENT, WITHIN
from shnor_lib.analysis.robustness import SpecificationComparison, specifications_from_params
from shnor_lib.analysis.simulation import simulate_frame
from shnor_lib.errors import ParameterError


@pytest.fixture(scope="module")
def frame():
    # one simulated municipality with planted schools (seed fixed; see test_models_simulation.py)
    return simulate_frame(np.random.default_rng(20240901), intercept=0.5, planted=2.0)


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module")
def comparison(frame, params):
    return compare_specifications(frame, params=params, cv=5)


def test_default_specifications_are_the_main_model_then_the_listed_alternatives(params):
    names = [s.name for s in specifications_from_params(params)]
    assert names == ["основная", "только ИСБШ", "с территорией", "веса — участники", "квазибиномиальная", "линейная"]
    families = [s.family for s in specifications_from_params(params)]
    assert families == ["fractional_logit"] * 4 + ["binomial_counts", "ols"]


def test_the_table_gives_information_criteria_only_where_they_are_comparable(comparison):
    t = comparison.table.set_index("name")
    assert (t["n"] == 60).all()
    # a quasi-likelihood has no AIC; OLS (Gaussian) and the quasi-binomial (QAIC) do
    assert t.loc["основная", "aic"] != t.loc["основная", "aic"]  # NaN
    assert np.isfinite(t.loc["линейная", "aic"]) and np.isfinite(t.loc["квазибиномиальная", "aic"])
    assert t.loc["линейная", "ic_group"] != t.loc["квазибиномиальная", "ic_group"]
    assert t["r2"].between(0, 1).all()
    assert (t["cv"] == "5-fold").all() and (t["cv_rmse"] > 0).all() and (t["cv_mae"] <= t["cv_rmse"]).all()


def test_the_qaic_is_the_binomial_log_likelihood_over_phi_plus_twice_the_parameters(comparison):
    from scipy import stats

    res = comparison.fits["квазибиномиальная"]
    p = res.predictions
    n = np.asarray(res.fit.model.var_weights, float)
    ll = stats.binom.logpmf(np.round(p["observed"] * n), n, p["predicted"]).sum()
    k = len(res.fit.params)
    assert comparison.table.set_index("name").loc["квазибиномиальная", "aic"] == pytest.approx(
        -2 * ll / res.dispersion + 2 * (k + 1))


def test_agreement_counts_the_specifications_that_give_the_main_label(comparison):
    labels = comparison.labels.set_index("school_id")
    a = comparison.agreement.set_index("school_id")
    names = [s.name for s in comparison.specifications]
    for sid in a.index:
        row = labels.loc[sid, names]
        main = row[names[0]]
        assert a.loc[sid, "robust_k"] == (row == main).sum()
        assert a.loc[sid, "robust_m"] == (row != "").sum()
        assert a.loc[sid, "agreement"] == f"{a.loc[sid, 'robust_k']} из {a.loc[sid, 'robust_m']}"
        flagged = main in (RESILIENT, BELOW)
        assert a.loc[sid, "fragile"] == (flagged and a.loc[sid, "robust_k"] < a.loc[sid, "robust_m"] / 2)


def test_a_flag_held_by_fewer_than_half_of_the_specifications_is_fragile():
    # hand-made: school a flagged by the main model only (1 of 4), b by 2 of 4, c by none
    labels = pd.DataFrame({"school_id": ["a", "b", "c"],
                           "основная": [RESILIENT, BELOW, WITHIN],
                           "x": [WITHIN, BELOW, WITHIN], "y": [WITHIN, WITHIN, WITHIN], "z": [WITHIN, WITHIN, ""]})
    from shnor_lib.analysis.robustness import _agreement

    a = _agreement(labels, ["основная", "x", "y", "z"]).set_index("school_id")
    assert a.loc["a", ["robust_k", "robust_m"]].tolist() == [1, 4] and bool(a.loc["a", "fragile"])
    assert a.loc["b", ["robust_k", "robust_m"]].tolist() == [2, 4] and not bool(a.loc["b", "fragile"])
    assert a.loc["c", ["robust_k", "robust_m"]].tolist() == [3, 3] and not bool(a.loc["c", "fragile"])


def test_the_robustness_table_is_what_robustness_csv_holds(comparison):
    t = comparison.robustness_table()
    assert list(t.columns[:6]) == ["school_id", "resilience", "robust_k", "robust_m", "agreement", "fragile"]
    assert list(t.columns[6:]) == [s.name for s in comparison.specifications]
    assert "признана в" in comparison.summary()


def test_a_specification_that_cannot_be_fitted_is_noted_not_fatal(frame, params):
    f = frame.assign(kind=np.nan)  # no data for this column in the season
    cmp = compare_specifications(f, [{"name": "с типом", "formula": "quality_index ~ isbsh + C(kind)"},
                                     {"name": "средняя отметка", "family": "binomial_counts",
                                      "formula": "mean_mark ~ isbsh"}], params)
    t = cmp.table.set_index("name")
    assert t.loc["с типом", "n"] == 0 and "мало школ" in t.loc["с типом", "note"]
    assert t.loc["средняя отметка", "n"] == 0 and "не доля" in t.loc["средняя отметка", "note"]
    assert (cmp.labels["с типом"] == "").all()
    assert len(cmp.notes) == 2


def test_an_unknown_term_in_a_specification_is_a_parameter_error(frame, params):
    with pytest.raises(ParameterError, match="неизвестное имя foo"):
        compare_specifications(frame, [{"name": "x", "formula": "quality_index ~ foo"}], params)


def test_a_researchers_own_column_may_enter_a_formula(frame, params):
    f = frame.assign(my_score=np.linspace(-1, 1, len(frame)))
    cmp = compare_specifications(f, [{"name": "своя переменная", "formula": "quality_index ~ isbsh + my_score"}],
                                 params)
    assert "my_score" in set(cmp.fits["своя переменная"].coefficients["term"])
    assert isinstance(cmp, SpecificationComparison)


def test_leave_one_out_error_is_the_mean_over_every_school_left_out(frame, params):
    cmp = compare_specifications(frame.head(25), [], params, cv="loo")
    from shnor_lib.analysis.models import fit_quality_model

    errors = []
    rows = frame.head(25).reset_index(drop=True)
    for i in range(len(rows)):
        fit = fit_quality_model(rows.drop(index=i), params)
        errors.append(rows.loc[i, "quality_index"] - fit.expected(rows.iloc[[i]])[0])
    assert cmp.table.loc[0, "cv_rmse"] == pytest.approx(np.sqrt(np.mean(np.square(errors))))


def test_a_transformed_main_outcome_drops_only_the_glm_alternatives_with_a_note(frame):
    # the main model is the linear reading of arcsin√share; the default quasi-binomial alternative
    # inherits that formula, which a GLM refuses: noted in the comparison, not a failed run
    p = load_params(overrides={"model": {"family": "ols",
                                         "formula": "np.arcsin(np.sqrt(quality_index)) ~ isbsh + iursh"}})
    cmp = compare_specifications(frame, params=p)
    t = cmp.table.set_index("name")
    assert t.loc["основная", "n"] == 60 and t.loc["линейная", "n"] == 60
    assert t.loc["квазибиномиальная", "n"] == 0 and "моделирует сам индекс" in t.loc["квазибиномиальная", "note"]
    # and the random-intercept model keeps the index itself on the left
    from shnor_lib.analysis.models import fit_school_effects

    panel = pd.concat([frame.assign(year=y, school_key="m/" + frame["school_id"]) for y in (2023, 2024)])
    eff = fit_school_effects(panel, p)
    assert eff is not None and eff.formula.startswith("quality_index ~")

"""statsmodels' warnings about a fit reach the researcher as Russian notes, never silently.

The model layer used to fit under ``warnings.simplefilter("ignore")``: a MixedLM at the
boundary (zero school variance), a non-converged optimiser, a collinear design or a perfectly
separated fractional logit gave results without a word. Each dataset below is built so that the
problem is certain (not a chance of the draw), and the test asserts the Russian note.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.regression.mixed_linear_model as mlm

from shnor_lib import fit_quality_model, fit_school_effects, load_params
from shnor_lib.analysis import models
from shnor_lib.analysis.models import NOTE_NOT_CONVERGED, NOTE_SEPARATION


def _zero_variance_panel(n_schools=30):
    """True school variance zero, and estimated zero for certain: each school's three residuals
    are a permutation of (−e, 0, +e), so every school mean lies exactly on the regression line and
    the between-school sum of squares is nil (REML's optimum is at the boundary)."""
    rng = np.random.default_rng(11)
    rows = []
    for s in range(n_schools):
        isbsh, iursh = rng.normal(), rng.normal()
        for year, e in zip((2022, 2023, 2024), rng.permutation([-0.03, 0.0, 0.03])):
            rows.append({"school_key": f"m/{s}", "school_id": str(s), "year": year, "isbsh": isbsh,
                         "iursh": iursh, "quality_index": 0.7 + 0.05 * isbsh + 0.02 * iursh + e})
    return pd.DataFrame(rows)


def test_zero_true_school_variance_is_reported_as_a_boundary_in_russian():
    eff = fit_school_effects(_zero_variance_panel(), load_params())
    assert eff is not None
    assert eff.group_var < 1e-6 * eff.resid_var  # the estimate is at the boundary indeed
    assert any("дисперсия школьных эффектов оценена как нулевая" in w and "на границе" in w for w in eff.warnings)
    # every effect shrunk to zero: no school is called persistently different
    assert (eff.effects["effect"].abs() < 1e-3).all()
    text = eff.summary()
    assert "Предупреждения:" in text and "на границе" in text


def test_a_clear_school_variance_gets_no_boundary_note():
    d = _zero_variance_panel()
    d["quality_index"] += d["school_id"].astype(int).map(lambda s: 0.05 * ((s % 5) - 2))
    eff = fit_school_effects(d, load_params())
    assert eff.group_var > 0.001
    assert not any("нулевая" in w for w in eff.warnings)


def test_an_optimiser_that_does_not_converge_is_not_accepted(monkeypatch):
    """lbfgs is stopped after one iteration (it reports converged = False): the next optimiser is
    tried, its result taken, and the note says which one."""
    original = mlm.MixedLM.fit
    methods = []

    def fit(self, *args, method=None, **kw):
        methods.append(method)
        if method == "lbfgs":
            kw["maxiter"] = 1
        return original(self, *args, method=method, **kw)

    monkeypatch.setattr(mlm.MixedLM, "fit", fit)
    d = _zero_variance_panel()
    d["quality_index"] += d["school_id"].astype(int).map(lambda s: 0.05 * ((s % 5) - 2))
    eff = fit_school_effects(d, load_params())
    assert methods[:2] == ["lbfgs", "powell"]
    assert eff is not None and eff.fit.converged
    assert any("метод оптимизации lbfgs не сошёлся, принят результат метода powell" in w for w in eff.warnings)


def test_no_optimiser_converging_is_said_in_russian(monkeypatch):
    original = mlm.MixedLM.fit

    def fit(self, *args, **kw):
        return original(self, *args, **{**kw, "maxiter": 1})

    monkeypatch.setattr(mlm.MixedLM, "fit", fit)
    d = _zero_variance_panel()
    d["quality_index"] += d["school_id"].astype(int).map(lambda s: 0.05 * ((s % 5) - 2))
    eff = fit_school_effects(d, load_params())
    assert eff is not None
    assert any("не сошлась ни одним из методов оптимизации (lbfgs, powell, nm)" in w for w in eff.warnings)


def _one_year(n=40, seed=5):
    rng = np.random.default_rng(seed)
    isbsh = rng.normal(size=n)
    return pd.DataFrame({"school_id": [str(i) for i in range(n)], "isbsh": isbsh, "iursh": rng.normal(size=n),
                         "quality_index": np.clip(0.8 + 0.05 * isbsh + rng.normal(0, 0.03, n), 0, 1),
                         "quality_n": 60})


@pytest.mark.parametrize("family", ["fractional_logit", "binomial_counts", "ols"])
def test_collinear_design_is_named_in_a_russian_note(family):
    d = _one_year()
    d["iursh"] = 2 * d["isbsh"] + 1  # iursh is a linear function of isbsh and the intercept
    res = fit_quality_model(d, load_params(overrides={"model": {"family": family}}))
    assert res is not None
    notes = [w for w in res.warnings if w.startswith("план модели вырожден")]
    assert len(notes) == 1 and "«iursh» выражается через другие члены формулы" in notes[0]
    assert "«isbsh»" not in notes[0]


def test_independent_covariates_give_no_collinearity_note():
    res = fit_quality_model(_one_year(), load_params())
    assert not any("вырожден" in w for w in res.warnings)
    assert not any(w in (NOTE_NOT_CONVERGED, NOTE_SEPARATION) for w in res.warnings)


def test_perfectly_separated_fractional_logit_says_so():
    d = _one_year()
    d["quality_index"] = (d["isbsh"] > 0).astype(float)  # every school 0 or 1, split by ИСБШ
    res = fit_quality_model(d, load_params())
    assert res is not None and NOTE_SEPARATION in res.warnings


def test_non_converged_irls_is_refitted_and_the_note_kept_when_nothing_converges(monkeypatch):
    import statsmodels.genmod.generalized_linear_model as glm

    original = glm.GLM.fit
    calls = []

    def fit(self, *args, **kw):
        calls.append(kw.get("method", "IRLS"))
        kw["maxiter"] = 1  # one step never meets the tolerance from the default start
        return original(self, *args, **kw)

    monkeypatch.setattr(glm.GLM, "fit", fit)
    res = fit_quality_model(_one_year(), load_params())
    assert calls == ["IRLS", "IRLS", "newton"]
    assert res is not None and res.warnings[0].startswith(NOTE_NOT_CONVERGED)


def test_english_small_sample_chatter_is_not_a_note():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("omni_normtest is not valid with less than 8 observations; 6 samples were given.",
                      stacklevel=1)
    assert models._warning_notes(caught) == []


def test_separated_fit_leaves_dispersion_undefined_and_flags_nobody_without_numpy_warnings():
    d = _one_year()
    d["quality_index"] = (d["isbsh"] > 0).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's 0/0 warning must not reach the user
        res = fit_quality_model(d, load_params())
    assert res is not None and np.isnan(res.dispersion)
    assert set(res.predictions["resilience"]) == {"в пределах ожидаемого"}

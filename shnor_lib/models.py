"""Regression of quality on context (Методика §5, docs/methodology/model.md).

:func:`fit_quality_model` fits OLS (formula from parameters) with HC3 standard errors
and returns a :class:`QualityModelResults` that knows its summary, coefficients with
intervals, per-school predictions with prediction intervals and the classification
(резильентная / ниже ожидаемого / в пределах ожидаемого). :func:`fit_school_effects`
fits a random-intercept model when several years or municipalities are loaded and
returns shrunken school effects with intervals.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

__all__ = ["formula_variables", "QualityModelResults", "SchoolEffects", "fit_quality_model", "fit_school_effects", "RESILIENT", "BELOW", "WITHIN"]

RESILIENT = "резильентная"
BELOW = "ниже ожидаемого"
WITHIN = "в пределах ожидаемого"


def formula_variables(formula: str, columns) -> list[str]:
    """Columns of ``columns`` that the formula names (whole identifiers, not substrings)."""
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    return [c for c in columns if c in names]


def _timeless(summary: str) -> str:
    summary = re.sub(r"(Date:\s+)\w{3}, \d{2} \w{3} \d{4}", lambda m: m.group(1) + " " * 16, summary)
    return re.sub(r"(Time:\s+)\d{2}:\d{2}:\d{2}", lambda m: m.group(1) + " " * 8, summary)


def _summary_text(fit, cautions: list[str]) -> str:
    with warnings.catch_warnings():
        # statsmodels warns in English about tests invalid for few schools; the
        # small-sample caution appended here says it in Russian.
        warnings.simplefilter("ignore")
        text = _timeless(str(fit.summary()))
    if cautions:
        text += "\n\nПредупреждения:\n" + "\n".join(f"- {w}" for w in cautions)
    return text


@dataclass
class QualityModelResults:
    """A fitted quality model: statsmodels results plus what reports need.

    Attributes
    ----------
    fit : statsmodels RegressionResults (HC3 covariance)
    coefficients : DataFrame  term, coef, se, ci_low, ci_high, p_value
    predictions : DataFrame  school_id, observed, predicted, pi_low, pi_high, residual, resilience
    warnings : list of str  small-sample and other cautions, in Russian
    """

    formula: str
    fit: object
    coefficients: pd.DataFrame
    predictions: pd.DataFrame
    n: int
    r2: float
    alpha: float
    min_effect: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The statsmodels summary with our cautions appended (written to ``model.txt``).

        The fit's date and time are blanked: same inputs give the same file.
        """
        return _summary_text(self.fit, self.warnings)

    def flagged(self, kind: str) -> pd.DataFrame:
        """Schools classified as ``kind`` (RESILIENT or BELOW), largest residual first."""
        d = self.predictions[self.predictions["resilience"] == kind]
        return d.reindex(d["residual"].abs().sort_values(ascending=False).index)


def fit_quality_model(data: pd.DataFrame, params: dict) -> QualityModelResults | None:
    """OLS of the quality index on context with HC3 errors and prediction intervals.

    Parameters
    ----------
    data : DataFrame
        One row per school: ``school_id`` and the formula's variables
        (default ``quality_index``, ``isbsh``, ``iursh``), optional ``quality_n``.
    params : dict
        Uses ``model`` (formula, weights, alpha, min_effect, small_sample).

    Returns
    -------
    QualityModelResults or None
        None when fewer than (number of terms + 2) complete rows exist.
    """
    p = params["model"]
    formula = p["formula"]
    variables = formula_variables(formula, data.columns)
    complete = data.dropna(subset=variables).reset_index(drop=True)
    if "quality_n" in complete.columns and p["weights"] == "participants":
        complete = complete[complete["quality_n"] > 0].reset_index(drop=True)
    n_terms = formula.count("+") + 2
    if len(complete) < n_terms + 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if p["weights"] == "participants":
            model = smf.wls(formula, data=complete, weights=complete["quality_n"].astype(float))
        else:
            model = smf.ols(formula, data=complete)
        fit = model.fit(cov_type="HC3")
    alpha = p["alpha"]
    ci = fit.conf_int(alpha)
    coefs = pd.DataFrame({
        "term": fit.params.index, "coef": fit.params.values, "se": fit.bse.values,
        "ci_low": ci[0].values, "ci_high": ci[1].values, "p_value": fit.pvalues.values,
    })
    # The design matrix of ``complete`` is the model's own (no second pass through the
    # formula); no weights, as for any new data: the interval is for one new school.
    frame = fit.get_prediction(fit.model.exog, transform=False).summary_frame(alpha)
    yname = model.endog_names
    pred = pd.DataFrame({
        "school_id": complete["school_id"].values,
        "observed": complete[yname].values,
        "predicted": frame["mean"].values,
        "pi_low": frame["obs_ci_lower"].values,
        "pi_high": frame["obs_ci_upper"].values,
    })
    pred["residual"] = pred["observed"] - pred["predicted"]
    big = pred["residual"].abs() >= p["min_effect"]
    above = pred["observed"] > pred["pi_high"]
    below = pred["observed"] < pred["pi_low"]
    if "quality_n" in complete.columns and params["quality"]["index"] != "mean_mark":
        # A share from a small cohort is noisy: also require the school's own Wilson
        # interval to exclude the prediction, so small schools are not labelled on noise.
        from .metrics import wilson_interval
        n = complete["quality_n"].to_numpy(float)
        share = pred["observed"].between(0, 1).to_numpy() & (n > 0)
        lo, hi = wilson_interval(np.where(share, pred["observed"] * n, np.nan), np.where(share, n, np.nan), 1 - alpha)
        predicted = pred["predicted"].to_numpy()
        above &= ~(share & (lo <= predicted))
        below &= ~(share & (hi >= predicted))
    pred["resilience"] = np.select([above & big, below & big], [RESILIENT, BELOW], WITHIN)
    notes = []
    if len(complete) < p["small_sample"]:
        notes.append(f"малая выборка: {len(complete)} школ (< {p['small_sample']}) — оценки неустойчивы, "
                     "интервалы широкие, выводы предварительные")
    if len(complete) < len(data):
        notes.append(f"в модель вошли {len(complete)} из {len(data)} школ (у остальных нет данных для всех переменных)")
    return QualityModelResults(formula, fit, coefs, pred, int(fit.nobs), float(fit.rsquared), alpha,
                               p["min_effect"], notes)


@dataclass
class SchoolEffects:
    """Random-intercept model: shrunken school effects with intervals.

    ``effects``: school_id, effect, se, low, high, n_obs, label — the label is
    RESILIENT / BELOW only when the interval excludes 0 and |effect| ≥ min_effect.
    """

    formula: str
    fit: object
    effects: pd.DataFrame
    group_var: float
    resid_var: float
    n_groups: int
    n_obs: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The statsmodels summary with our cautions appended (the second part of ``model.txt``)."""
        return _summary_text(self.fit, self.warnings)


def fit_school_effects(panel: pd.DataFrame, params: dict) -> SchoolEffects | None:
    """MixedLM with a random intercept per school over several years/municipalities.

    Parameters
    ----------
    panel : DataFrame
        One row per school × year (× municipality): ``school_key`` (unique school
        identifier across municipalities), the formula's variables.
    params : dict
        ``model.formula``, ``model.alpha``, ``model.min_effect``.

    Returns
    -------
    SchoolEffects or None
        None when fewer than 2 observations per school on average or too few schools.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM  # noqa: F401  (import cost only when used)

    p = params["model"]
    formula = p["formula"]
    variables = formula_variables(formula, panel.columns)
    data = panel.dropna(subset=variables).reset_index(drop=True)
    n_groups = data["school_key"].nunique()
    if n_groups < 5 or len(data) < 1.5 * n_groups:
        return None
    model = smf.mixedlm(formula, data=data, groups=data["school_key"])
    fit = None
    # Optimisers fail differently near a zero group variance; try the robust ones in turn.
    for method in ("lbfgs", "powell", "nm"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = model.fit(reml=True, method=method)
            break
        except (np.linalg.LinAlgError, ValueError):
            continue
    if fit is None:
        return None
    re = fit.random_effects
    re_cov = fit.random_effects_cov
    z = stats.norm.ppf(1 - p["alpha"] / 2)
    rows = []
    counts = data.groupby("school_key").size()
    for key in sorted(re):
        eff = float(np.asarray(re[key]).ravel()[0])
        var = float(np.asarray(re_cov[key]).ravel()[0])
        se = float(np.sqrt(max(var, 0.0)))
        rows.append({"school_key": key, "effect": eff, "se": se, "low": eff - z * se, "high": eff + z * se,
                     "n_obs": int(counts[key])})
    eff = pd.DataFrame(rows)
    big = eff["effect"].abs() >= p["min_effect"]
    eff["label"] = np.select([(eff["low"] > 0) & big, (eff["high"] < 0) & big], [RESILIENT, BELOW], WITHIN)
    group_var = float(np.asarray(fit.cov_re).ravel()[0])
    notes = []
    if group_var < 1e-10:
        notes.append("дисперсия школьных эффектов оценена как нулевая: различия школ не выделяются из шума")
    if not fit.converged:
        notes.append("модель со случайными эффектами не сошлась: эффекты школ приблизительные")
    return SchoolEffects(formula, fit, eff, group_var, float(fit.scale), n_groups, len(data), notes)

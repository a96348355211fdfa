"""Predictive distributions of a school's observed quality index, bounded by its scale.

Given the model's linear predictor for a school (on the logit scale) with its standard
error, and the dispersion of schools around the model, these functions give the
distribution of the value the school could show, and from it the prediction interval,
the two-sided p-value of the observed value and a z-score. Every interval lies inside
the index's scale by construction:

- a share with a known cohort of ``n`` participants (``k`` of ``n`` succeeded): the
  count follows a beta-binomial distribution with mean ``n·μ`` and intra-school
  correlation ``ρ`` (variance ``n·μ(1−μ)(1 + (n−1)ρ)``, Williams 1982), so a cohort of 5
  gets a wide interval and a cohort of 300 a narrow one, never narrower than the spread
  between schools;
- a value without a cohort size (or a mean mark, rescaled to 0–1): a beta distribution
  with mean ``μ`` and variance ``v·μ(1−μ)``.

Parameter uncertainty enters by mixing over the linear predictor ``η ~ N(η̂, se²)``
(Gauss–Hermite quadrature).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["PredictiveSummary", "discrete_predictive", "continuous_predictive", "normal_predictive"]

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(7)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_RHO_MAX = 0.999


def _expit(x):
    return special.expit(x)


class PredictiveSummary(dict):
    """``low``, ``high`` (prediction interval), ``p_value`` (two-sided), ``z`` (signed normal
    score of the observed value's mid-distribution position), arrays of one value per school."""


def _mix(eta: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Means μ at the quadrature nodes of η ~ N(eta, se²): shape (schools, nodes)."""
    se = np.where(np.isfinite(se), se, 0.0)
    return _expit(eta[:, None] + se[:, None] * _NODES[None, :])


def _z_from_mid(mid: np.ndarray) -> np.ndarray:
    return np.clip(stats.norm.ppf(np.clip(mid, 1e-15, 1 - 1e-15)), -8.0, 8.0)


def discrete_predictive(k: np.ndarray, n: np.ndarray, eta: np.ndarray, se: np.ndarray, rho: np.ndarray,
                        alpha: float) -> PredictiveSummary:
    """Beta-binomial predictive of a count ``k`` of ``n`` (shares with a known cohort).

    Parameters
    ----------
    k, n : arrays
        Observed successes (rounded to whole pupils) and participants (n ≥ 1).
    eta, se : arrays
        Linear predictor (logit of the expected share) and its standard error.
    rho : array
        Intra-school correlation, 0 ≤ ρ < 1 (0: binomial).
    alpha : float
        1 − level of the prediction interval.

    Returns
    -------
    PredictiveSummary
        ``low``/``high`` as shares (k/n of the α/2 and 1−α/2 quantiles), ``p_value`` =
        2·min(m, 1 − m) with the mid-distribution value m = P(K < k) + ½·P(K = k)
        (Lancaster's mid-p), ``z`` = Φ⁻¹(m).
    """
    k = np.asarray(k, float)
    n = np.asarray(n, float).astype(int)
    m = len(n)
    mu = _mix(np.asarray(eta, float), np.asarray(se, float))  # (m, nodes)
    rho = np.clip(np.asarray(rho, float) * np.ones(m), 0.0, _RHO_MAX)
    sizes = n + 1
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    owner = np.repeat(np.arange(m), sizes)
    kk = (np.arange(offsets[-1]) - offsets[owner]).astype(float)
    nn = n[owner].astype(float)
    mu_o = mu[owner]  # (points, nodes)
    # log pmf by the ratio recursion p(k+1)/p(k) (logs only, no special function per count):
    # binomial (n−k)/(k+1)·μ/(1−μ); beta-binomial (n−k)/(k+1)·(k+a)/(n−k−1+b)
    mu_o = np.clip(mu_o, 1e-12, 1 - 1e-12)
    r_o = rho[owner][:, None]
    theta = np.where(r_o > 0, 1.0 / np.maximum(r_o, 1e-12) - 1.0, 1.0)
    a = mu_o * theta
    b = (1 - mu_o) * theta
    last = kk == nn
    with np.errstate(divide="ignore", invalid="ignore"):
        comb = (np.log(np.maximum(nn - kk, 1.0)) - np.log(kk + 1))[:, None]
        inc = np.where(r_o > 0, np.log(kk[:, None] + a) - np.log(np.maximum(nn - kk - 1, 0)[:, None] + b),
                       np.log(mu_o) - np.log1p(-mu_o)) + comb
    inc[last] = 0.0
    first = offsets[:-1]
    mu0, a0, b0 = mu_o[first], a[first], b[first]
    logp0 = np.where(rho[:, None] > 0, special.betaln(a0, n[:, None] + b0) - special.betaln(a0, b0),
                     n[:, None] * np.log1p(-mu0))
    csum = np.cumsum(inc, axis=0) - inc  # exclusive running sum
    logp = logp0[owner] + csum - csum[first][owner]
    pmf = np.exp(logp) @ _WEIGHTS
    cdf_all = np.cumsum(pmf)
    start = np.concatenate([[0.0], cdf_all])[offsets[:-1]]
    cdf = cdf_all - start[owner]
    total = cdf[offsets[1:] - 1]
    cdf = cdf / total[owner]
    pmf = pmf / total[owner]
    ki = np.clip(np.round(k), 0, n).astype(int)
    at = offsets[:-1] + ki
    p_le = cdf[at]
    p_eq = pmf[at]
    mid = p_le - 0.5 * p_eq
    # Lancaster's mid-p: the observed count counts half, so the discrete test is not
    # conservative for small cohorts (P(K ≤ k) + P(K ≥ k) would exceed 1 by P(K = k)).
    p_value = np.minimum(1.0, 2 * np.minimum(mid, 1 - mid))
    # quantiles: the first count whose cdf reaches the level = how many counts stay below it
    starts = offsets[:-1]
    low = np.add.reduceat((cdf < alpha / 2 - 1e-12).astype(int), starts) / n
    high = np.minimum(np.add.reduceat((cdf < 1 - alpha / 2 - 1e-12).astype(int), starts), n) / n
    return PredictiveSummary(low=low, high=high, p_value=p_value, z=_z_from_mid(mid))


def _beta_cdf(y: np.ndarray, mu: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mixture cdf at ``y`` (one per school) of Beta(mean μ_node, variance v·μ(1−μ))."""
    nu = 1.0 / np.clip(v, 1e-10, _RHO_MAX) - 1.0
    a = mu * nu[:, None]
    b = (1 - mu) * nu[:, None]
    return special.betainc(a, b, np.clip(y, 0.0, 1.0)[:, None]) @ _WEIGHTS


def continuous_predictive(y: np.ndarray, eta: np.ndarray, se: np.ndarray, v: np.ndarray, alpha: float,
                          half_step: np.ndarray | float = 0.0) -> PredictiveSummary:
    """Beta predictive of a value ``y`` in [0, 1] (a rescaled index without a cohort size).

    Parameters
    ----------
    y : array
        Observed values on [0, 1].
    eta, se : arrays
        Linear predictor (logit of the expected value) and its standard error.
    v : array
        Variance factor: Var(Y) = v·μ(1−μ), 0 < v < 1.
    alpha : float
        1 − level of the prediction interval.
    half_step : float or array
        Half the step between attainable values (e.g. one pupil's mark over the cohort):
        the tails are taken at y ∓ half_step so that a value on the scale's edge is not
        infinitely unlikely.

    Returns
    -------
    PredictiveSummary
    """
    y = np.asarray(y, float)
    m = len(y)
    mu = _mix(np.asarray(eta, float), np.asarray(se, float))
    v = np.asarray(v, float) * np.ones(m)
    h = np.asarray(half_step, float) * np.ones(m)
    p_le = _beta_cdf(y + h, mu, v)
    p_ge = 1 - _beta_cdf(y - h, mu, v)
    p_value = np.minimum(1.0, 2 * np.minimum(p_le, p_ge))
    mid = _beta_cdf(y, mu, v)
    lo, hi = np.zeros(m), np.ones(m)
    targets = {}
    for q in (alpha / 2, 1 - alpha / 2):
        a, b = lo.copy(), hi.copy()
        for _ in range(40):  # bisection, all schools at once
            c = (a + b) / 2
            below = _beta_cdf(c, mu, v) < q
            a = np.where(below, c, a)
            b = np.where(below, b, c)
        targets[q] = (a + b) / 2
    return PredictiveSummary(low=targets[alpha / 2], high=targets[1 - alpha / 2], p_value=p_value,
                             z=_z_from_mid(mid))


def normal_predictive(z_obs: np.ndarray, mean: np.ndarray, sd: np.ndarray, df: float,
                      alpha: float) -> PredictiveSummary:
    """Student-t predictive of a linear model (on the outcome's, possibly transformed, scale)."""
    t = (np.asarray(z_obs, float) - mean) / sd
    q = stats.t.ppf(1 - alpha / 2, df)
    p_value = 2 * stats.t.sf(np.abs(t), df)
    return PredictiveSummary(low=mean - q * sd, high=mean + q * sd, p_value=p_value,
                             z=_z_from_mid(stats.t.cdf(t, df)))

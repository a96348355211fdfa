"""Simulated municipalities with a known truth, for checking the quality model.

:func:`simulate_frame` draws one municipality's model frame: context indices, cohort
sizes from small rural to large urban schools, ordinary between-school variation, and
*planted* school effects on the logit scale; the number of successful pupils of each
school is binomial. :func:`label_rates` compares a fitted model's labels with the plant.
Used by ``tests/test_models_simulation.py`` and ``benchmarks/bench_quality_model.py``;
a researcher can use it to see what the model can detect with a municipality's cohort
sizes before reading anything into its labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import BELOW, RESILIENT

__all__ = ["simulate_frame", "label_rates"]


def simulate_frame(rng: np.random.Generator, n_schools: int = 60, intercept: float = 2.0,
                   slopes: tuple[float, float] = (0.4, 0.3), tau: float = 0.3, planted: float = 1.5,
                   n_planted: int = 8, small: tuple[int, int] = (8, 25),
                   large: tuple[int, int] = (60, 200)) -> pd.DataFrame:
    """One municipality's model frame with planted school effects.

    Parameters
    ----------
    rng : numpy Generator
    n_schools : int
        Half of them have a small cohort (uniform in ``small``), half a large one (``large``).
    intercept, slopes : logit of the share at average context, effects of ИСБШ and ИУРШ
        (both standard normal, correlation 0.3).
    tau : float
        SD of ordinary school effects on the logit scale (the variation no label should name).
    planted : float
        Size of a planted effect on the logit scale.
    n_planted : int
        Planted schools: a quarter each positive-small, positive-large, negative-small,
        negative-large.

    Returns
    -------
    DataFrame
        ``school_id``, ``isbsh``, ``iursh``, ``quality_index`` (successes / participants),
        ``quality_n``, ``quality_successes``, ``territory`` (село for small cohorts),
        ``students_total``, and the truth: ``planted`` (−1, 0, +1), ``true_share``.
    """
    z = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n_schools)
    half = n_schools // 2
    n = np.concatenate([rng.integers(small[0], small[1] + 1, half),
                        rng.integers(large[0], large[1] + 1, n_schools - half)])
    sign = np.zeros(n_schools, dtype=int)
    q = n_planted // 4
    for start, s in ((0, 1), (half, 1), (q, -1), (half + q, -1)):
        sign[start:start + q] = s
    eta = intercept + slopes[0] * z[:, 0] + slopes[1] * z[:, 1] + rng.normal(0, tau, n_schools) + planted * sign
    p = 1 / (1 + np.exp(-eta))
    k = rng.binomial(n, p)
    return pd.DataFrame({
        "school_id": [str(i + 1) for i in range(n_schools)],
        "isbsh": z[:, 0], "iursh": z[:, 1],
        "quality_index": k / n, "quality_n": n.astype(float), "quality_successes": k.astype(float),
        "territory": np.where(np.arange(n_schools) < half, "село", "город"),
        "students_total": (n * rng.uniform(8, 12, n_schools)).round(),
        "planted": sign, "true_share": p,
    })


def label_rates(frame: pd.DataFrame, predictions: pd.DataFrame) -> dict[str, float]:
    """Recovered planted schools and false flags of a model's labels.

    Returns
    -------
    dict
        ``planted`` (count), ``recovered`` (planted schools labelled in their direction),
        ``recovered_small``, ``recovered_large`` (counts by cohort half), ``ordinary``,
        ``false_flags`` (ordinary schools labelled, or planted ones labelled the wrong way),
        ``flags``.
    """
    d = frame.merge(predictions[["school_id", "resilience"]], on="school_id", how="left")
    want = np.select([d["planted"] > 0, d["planted"] < 0], [RESILIENT, BELOW], "")
    flagged = d["resilience"].isin([RESILIENT, BELOW])
    hit = (want != "") & (d["resilience"] == want)
    small = d["territory"] == "село"
    return {
        "planted": int((want != "").sum()),
        "planted_small": int(((want != "") & small).sum()),
        "recovered": int(hit.sum()),
        "recovered_small": int((hit & small).sum()),
        "recovered_large": int((hit & ~small).sum()),
        "ordinary": int((want == "").sum()),
        "false_flags": int((flagged & ~hit).sum()),
        "flags": int(flagged.sum()),
    }

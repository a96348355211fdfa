"""Assessment metrics (METHODOLOGY §2): shares with Wilson intervals, pooled over grades.

Pooling always sums numerators and participants (Σ failed / Σ participants), never
averages percentages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["wilson_interval", "grade_metrics", "pooled_metrics", "in_scope", "KEY"]

KEY = ["school_id", "year", "procedure", "subject"]


def wilson_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (vectorised).

    Parameters
    ----------
    successes, n : array-like
        Counts; where ``n`` is 0 or missing the bounds are NaN.
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : arrays of the same shape.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = centre - half, centre + half
    bad = ~(n > 0)
    low = np.where(bad, np.nan, np.clip(low, 0, 1))
    high = np.where(bad, np.nan, np.clip(high, 0, 1))
    return low, high


def _counts(results: pd.DataFrame) -> pd.DataFrame:
    """Per-row numerators: failed, quality (4+5), high, mark sum."""
    r = results
    marks = r["procedure"].ne("ЕГЭ")
    out = pd.DataFrame(index=r.index)
    out["participants"] = r["participants"].astype(float)
    out["failed"] = np.where(marks, r["n2"], r["failed"]).astype(float)
    out["quality"] = np.where(marks, r["n4"] + r["n5"], np.nan)
    out["high"] = np.where(marks, r["n5"], r["high"]).astype(float)
    out["mark_sum"] = np.where(marks, 2 * r["n2"] + 3 * r["n3"] + 4 * r["n4"] + 5 * r["n5"], np.nan)
    out["score_sum"] = np.where(marks, np.nan, r["mean_score"] * r["participants"])
    return out


def _shares(df: pd.DataFrame, level: float) -> pd.DataFrame:
    n = df["participants"]
    df["fail_share"] = df["failed"] / n
    df["fail_low"], df["fail_high"] = wilson_interval(df["failed"], n, level)
    df["base_share"] = 1 - df["fail_share"]
    df["quality_share"] = df["quality"] / n
    df["quality_low"], df["quality_high"] = wilson_interval(df["quality"], n, level)
    df["high_share"] = df["high"] / n
    df["mean_mark"] = df["mark_sum"] / n
    df["mean_score"] = df["score_sum"] / n
    return df.drop(columns=["mark_sum", "score_sum"])


def grade_metrics(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Metrics per school × year × procedure × subject × grade.

    ``results`` is a validated results table with a ``year`` column.
    """
    base = results[KEY + ["grade"]].copy()
    base = pd.concat([base, _counts(results)], axis=1)
    out = _shares(base, level)
    return out.sort_values(KEY + ["grade"]).reset_index(drop=True)


def in_scope(results: pd.DataFrame, params: dict) -> pd.Series:
    """Rows the rules look at: procedures and subjects in scope, ВПР only in ``vpr_grades``."""
    r = results
    ok = r["procedure"].isin(params["procedures"]) & r["subject"].isin(params["subjects"])
    return ok & (r["procedure"].ne("ВПР") | r["grade"].isin(params["vpr_grades"]))


def pooled_metrics(results: pd.DataFrame, params: dict, level: float | None = None) -> pd.DataFrame:
    """Metrics per school × year × procedure × subject, pooled over grades.

    ВПР is pooled over ``vpr_grades`` only; other procedures over all their grades.
    Subjects and procedures outside the rules' scope are pooled too (for the report),
    each over all its grades, with ``in_scope`` telling whether the rules use it.
    """
    level = level or params["confidence_level"]
    r = results.copy()
    r["_scope"] = in_scope(r, params)
    vpr_out_of_grades = r["procedure"].eq("ВПР") & ~r["grade"].isin(params["vpr_grades"])
    r = r[~vpr_out_of_grades]
    counts = pd.concat([r[KEY], _counts(r), r[["_scope"]]], axis=1)
    counts["grades"] = r["grade"].astype(int).astype(str)
    agg = counts.groupby(KEY, sort=True).agg(
        participants=("participants", "sum"), failed=("failed", "sum"),
        quality=("quality", lambda s: s.sum(min_count=1)), high=("high", "sum"),
        mark_sum=("mark_sum", lambda s: s.sum(min_count=1)), score_sum=("score_sum", lambda s: s.sum(min_count=1)),
        in_scope=("_scope", "all"), grades=("grades", lambda s: ",".join(sorted(set(s), key=int))),
    ).reset_index()
    out = _shares(agg, level)
    out["enough"] = out["participants"] >= params["min_participants"]
    return out

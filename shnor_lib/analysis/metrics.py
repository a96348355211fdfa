"""Assessment metrics (Методика §2, docs/methodology/metrics.md): shares with Wilson intervals, pooled over grades.

Pooling always sums numerators and participants (Σ failed / Σ participants), never
averages percentages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from statsmodels.stats.proportion import proportion_confint

from ..contract.vocabulary import load_vocabulary

__all__ = ["wilson_interval", "grade_metrics", "pooled_metrics", "work_metrics", "in_scope", "rule_subjects", "KEY"]

KEY = ["school_id", "year", "procedure", "subject"]


def wilson_interval(successes: ArrayLike, n: ArrayLike, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (vectorised).

    statsmodels' ``proportion_confint(method="wilson")``, with NaN bounds where there are no
    participants.

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
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def _counts(results: pd.DataFrame) -> pd.DataFrame:
    """Per-row numerators: failed, quality (4+5), high, mark sum."""
    r = results
    marks = load_vocabulary().marked_mask(r["procedure"], r["subject"])
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


def _results_table(results) -> pd.DataFrame:
    """A results table with its ``year``: a validated :class:`~shnor_lib.contract.validate.Season`
    (``validate_season(read_season(...))``) gives it from the season; a season's own table
    has no year column, so it is added from the season."""
    if hasattr(results, "tables") and hasattr(results, "year"):
        table = results.tables["results"]
        if "year" not in table.columns:
            table = table.copy()
            table.insert(0, "year", np.int64(results.year))
        return table
    return results


def _key(results: pd.DataFrame) -> list[str]:
    """KEY, without ``year`` for one season's own table (which has none)."""
    return KEY if "year" in results.columns else [k for k in KEY if k != "year"]


def grade_metrics(results: pd.DataFrame, level: float = 0.95, by: list[str] | None = None) -> pd.DataFrame:
    """Metrics per school × year × procedure × subject × grade.

    ``results`` is a validated results table with a ``year`` column (as
    ``Dataset.table("results")`` gives it) or a validated season itself; ``by`` names
    further leading keys (e.g. ``["municipality"]``) kept in front of the others.
    """
    results = _results_table(results)
    by = list(by or [])
    key = _key(results)
    base = results[by + key + ["grade"]].copy()
    base = pd.concat([base, _counts(results)], axis=1)
    out = _shares(base, level)
    return out.sort_values(by + key + ["grade"]).reset_index(drop=True)


def group_sum(values: ArrayLike, codes: np.ndarray, n_groups: int, min_count: int = 0) -> np.ndarray:
    """``pd.Series(v).sum(min_count=...)`` of each group, bit for bit, without a call per group.

    ``codes`` numbers the groups 0…n_groups−1 in row order. pandas' grouped sum
    (compensated) and ``Series.sum`` (numpy's pairwise sum) round differently when a group
    adds more than two non-integer values; those groups are summed the ``Series.sum`` way.
    """
    v = np.asarray(values, dtype=float)
    codes = np.asarray(codes)
    ok = ~np.isnan(v)
    total = np.bincount(codes[ok], weights=v[ok], minlength=n_groups) if n_groups else np.zeros(0)
    count = np.bincount(codes[ok], minlength=n_groups) if n_groups else np.zeros(0, dtype=int)
    # With integers (below 2**53) or at most two terms every order of summation is exact.
    frac = ok & (v != np.floor(v))
    inexact = (np.bincount(codes[frac], minlength=n_groups) > 0) & (count > 2) if n_groups else np.zeros(0, bool)
    if inexact.any():
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(n_groups))
        ends = np.searchsorted(codes[order], np.arange(n_groups), side="right")
        for g in np.flatnonzero(inexact):
            total[g] = pd.Series(v[order[starts[g]:ends[g]]]).sum(min_count=min_count)
    big = np.abs(total) >= 2.0**53
    if big.any():  # integers this large are no longer exact in float64
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(n_groups))
        ends = np.searchsorted(codes[order], np.arange(n_groups), side="right")
        for g in np.flatnonzero(big):
            total[g] = pd.Series(v[order[starts[g]:ends[g]]]).sum(min_count=min_count)
    if min_count > 0:
        total = np.where(count >= min_count, total, np.nan)
    return total


def rule_subjects(results: pd.DataFrame, params: dict) -> pd.Series:
    """The subject under which each row is pooled and judged.

    With ``subject_levels: pooled`` (default) a level of a subject declared in the vocabulary
    (ЕГЭ «математика (базовый уровень)» and «(профильный уровень)») counts as the subject
    itself: its failed pupils (базовый: отметка «2»; профильный: below the minimum score) and
    participants add up over both levels. With ``separate`` each level stays its own subject.
    """
    subjects = results["subject"]
    if params.get("subject_levels", "pooled") != "pooled":
        return subjects
    vocab = load_vocabulary()
    parent = {t.name: t.level_of for t in vocab.subjects.values() if t.level_of}
    if not parent or not subjects.isin(list(parent)).any():
        return subjects
    return subjects.map(lambda s: parent.get(s, s))


def in_scope(results: pd.DataFrame, params: dict) -> pd.Series:
    """Rows the rules look at: procedures and subjects in scope, ВПР only in ``vpr_grades``."""
    r = results
    ok = r["procedure"].isin(params["procedures"]) & r["subject"].isin(params["subjects"])
    return ok & (r["procedure"].ne("ВПР") | r["grade"].isin(params["vpr_grades"]))


def pooled_metrics(results: pd.DataFrame, params: dict, level: float | None = None,
                   by: list[str] | None = None) -> pd.DataFrame:
    """Metrics per school × year × procedure × subject, pooled over grades.

    ВПР is pooled over ``vpr_grades`` only; other procedures over all their grades.
    Subjects and procedures outside the rules' scope are pooled too (for the report),
    each over all its grades, with ``in_scope`` telling whether the rules use it.
    ``by`` names further leading keys (e.g. ``["municipality"]``).

    ``results`` is a results table with a ``year`` column, a validated season
    (``pooled_metrics(validate_season(read_season(root, m, y)), params)``, which adds its
    year) or one season's own ``season.results`` (then the output has no ``year``).
    """
    results = _results_table(results)
    level = level or params["confidence_level"]
    by = list(by or [])
    keys = by + _key(results)
    r = results.copy()
    vpr_out_of_grades = r["procedure"].eq("ВПР") & ~r["grade"].isin(params["vpr_grades"])
    r = r[~vpr_out_of_grades]
    row_counts = _counts(r)  # by each row's own subject, before levels are pooled
    row_counts["_marked"] = load_vocabulary().marked_mask(r["procedure"], r["subject"])
    r["subject"] = rule_subjects(r, params)
    r["_scope"] = in_scope(r, params)
    counts = pd.concat([r[keys], row_counts, r[["_scope"]]], axis=1)
    g = counts.groupby(keys, sort=True)
    agg = g.agg(participants=("participants", "sum"), failed=("failed", "sum"), high=("high", "sum"),
                in_scope=("_scope", "all"), _any_marked=("_marked", "any"), _all_marked=("_marked", "all"))
    codes, n_groups = g.ngroup().to_numpy(), len(agg)
    for col in ("quality", "mark_sum", "score_sum"):
        agg[col] = group_sum(counts[col], codes, n_groups, min_count=1)
    # Pooled levels that mix marks and scores (ЕГЭ математика) share only the failed count:
    # «4 and 5», mean mark, high results and mean score mean different things on each level.
    mixed = (agg["_any_marked"] & ~agg["_all_marked"]).to_numpy()
    if mixed.any():
        agg.loc[mixed, ["quality", "mark_sum", "score_sum", "high"]] = np.nan
    agg["grades"] = _grade_lists(r["grade"].to_numpy(dtype=float), codes, n_groups)
    agg = agg.reset_index()
    agg = agg[[*keys, "participants", "failed", "quality", "high", "mark_sum", "score_sum", "in_scope", "grades"]]
    out = _shares(agg, level)
    out["enough"] = out["participants"] >= params["min_participants"]
    return out


def work_metrics(results: pd.DataFrame, params: dict, level: float | None = None,
                 by: list[str] | None = None) -> pd.DataFrame:
    """Metrics per school × year × procedure × subject × grade — one row per work — in the shape
    of :func:`pooled_metrics` (with ``in_scope``, ``enough`` and a ``grade`` column), for
    ``shnor_rule.procedure_unit: work`` (a «процедура» is one work, e.g. ВПР математика 6 класс).
    """
    out = pooled_metrics(results, params, level, by=[*(by or []), "grade"])
    out["grade"] = out["grade"].astype(int)
    return out


def _grade_lists(grades: np.ndarray, codes: np.ndarray, n_groups: int) -> list[str]:
    """The distinct grades of each group, ascending, joined by commas («5,6,7,8»)."""
    pairs = pd.DataFrame({"g": codes, "grade": grades.astype(int)}).drop_duplicates().sort_values(["g", "grade"])
    text = pairs["grade"].astype(str).to_numpy(dtype=object)
    bounds = np.searchsorted(pairs["g"].to_numpy(), np.arange(n_groups + 1))
    return [",".join(text[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]

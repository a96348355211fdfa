"""Indices (Методика §4, docs/methodology/indices.md): ИСБШ, ИУРШ, индекс качества, their groups, the identifier table.

All functions take long tables with ``municipality`` and ``year`` columns so the
reference population can be the municipality, every loaded municipality of the
year, or fixed values from parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from statsmodels.regression.linear_model import OLS  # not statsmodels.api: 0.5 s of imports
from statsmodels.tools.tools import add_constant

from ..contract.schema import school_id_key
from .metrics import group_sum

__all__ = [
    "ISBSH_INPUTS",
    "ISBSH_LABELS",
    "QUALITY_GROUP_LABELS",
    "band_group",
    "group_label",
    "quartile_group",
    "social_shares",
    "compute_isbsh",
    "teacher_shares",
    "compute_iursh",
    "compute_quality_index",
    "compute_quality_groups",
    "identifier_table",
]

ISBSH_INPUTS = ["both_parents_higher_ed", "on_register", "unemployed_parents", "single_parent", "non_native_russian"]
ISBSH_LABELS = {1: "очень низкий", 2: "очень низкий", 3: "низкий", 4: "низкий", 5: "средний", 6: "средний",
                7: "средний", 8: "высокий", 9: "высокий", 10: "очень высокий", 11: "очень высокий"}
QUALITY_GROUP_LABELS = ISBSH_LABELS
IURSH_LABELS = {1: "низкий", 2: "средний", 3: "выше среднего", 4: "высокий"}


def band_group(z: ArrayLike, width: float = 0.5) -> np.ndarray:
    """Groups 1–11 by half-sd bands centred on 0: clip(round(z / width) + 6, 1, 11).

    Rounding is half away from zero, so z = ±0.25 (with width 0.5) falls into
    groups 7 and 5 symmetrically; NaN stays NaN.
    """
    z = np.asarray(z, dtype=float)
    x = z / width
    rounded = np.sign(x) * np.floor(np.abs(x) + 0.5)
    g = np.clip(rounded + 6, 1, 11)
    return np.where(np.isnan(z), np.nan, g)


def group_label(group: float) -> str:
    """Russian level of an 11-group index (seed 004: 1–2 очень низкий … 10–11 очень высокий)."""
    return "" if pd.isna(group) else ISBSH_LABELS[int(group)]


def quartile_group(values: pd.Series, reference: pd.Series | None = None) -> pd.Series:
    """Quartile 1–4 of each value against the reference population's quartiles."""
    ref = (reference if reference is not None else values).dropna()
    if len(ref) < 4:
        return pd.Series(np.nan, index=values.index)
    q1, q2, q3 = np.quantile(ref, [0.25, 0.5, 0.75])
    g = 1 + (values > q1).astype(int) + (values > q2).astype(int) + (values > q3).astype(int)
    return g.where(values.notna())


def _reference_keys(reference: str) -> list[str]:
    return ["year"] if reference == "all" else ["municipality", "year"]


def _standardise(df: pd.DataFrame, cols: list[str], reference: str, fixed: dict, what: str) -> pd.DataFrame:
    z = pd.DataFrame(index=df.index)
    for c in cols:
        if reference == "fixed":
            if c not in fixed:
                raise ValueError(f"{what}: reference 'fixed' needs [mean, sd] for '{c}' in parameters")
            mean, sd = fixed[c]
            z[c] = (df[c] - mean) / sd
        else:
            g = df.groupby(_reference_keys(reference))[c]
            sd = g.transform("std", ddof=0)
            z[c] = (df[c] - g.transform("mean")) / sd.replace(0, np.nan)
    return z


def _weighted_index(z: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Σ wₖ·zₖ over available inputs, rescaled by Σ|w| / Σ|w available| (weights renormalise)."""
    cols = [c for c in weights if c in z.columns]
    w = pd.Series({c: float(weights[c]) for c in cols})
    zz = z[cols]
    avail = zz.notna()
    num = (zz.fillna(0) * w).sum(axis=1)
    wsum = (avail * w.abs()).sum(axis=1)
    return (num * w.abs().sum() / wsum).where(wsum > 0)


def crossfit_folds(shares: pd.DataFrame, k: int) -> np.ndarray:
    """Fold 0…k−1 of each school: schools in (municipality, year, school code) order, dealt in turn."""
    order = sorted(range(len(shares)), key=lambda i: (str(shares["municipality"].iat[i]), int(shares["year"].iat[i]),
                                                     school_id_key(shares["school_id"].iat[i])))
    fold = np.empty(len(shares), dtype=int)
    fold[order] = np.arange(len(shares)) % k
    return fold


def _crossfit_index(shares: pd.DataFrame, z: pd.DataFrame, quality: pd.Series, inputs: list[str],
                    k: int) -> tuple[pd.Series, dict[str, float], dict]:
    """ИСБШ weights by OLS of the quality index on the z-scores, cross-fitted: the raw index of
    the schools of fold j uses weights estimated on the other folds only, so no school's own
    outcome enters the weights that place it. Returns (raw index, mean weights over folds, info)."""
    if k < 2:
        raise ValueError("isbsh.crossfit_folds must be at least 2")
    fold = crossfit_folds(shares, k)
    data = pd.concat([z[inputs], quality.rename("q")], axis=1)
    usable = data.notna().all(axis=1).to_numpy()
    raw = pd.Series(np.nan, index=shares.index)
    per_fold = []
    for j in range(k):
        train = usable & (fold != j)
        if train.sum() < len(inputs) + 3:
            raise ValueError("too few schools with quality index and social data for isbsh.method 'regression' "
                             f"with {k} folds")
        d = data[train]
        fit = OLS(d["q"], add_constant(d[inputs])).fit()
        w = {c: float(fit.params[c]) for c in inputs}
        per_fold.append(w)
        here = fold == j
        raw[here] = _weighted_index(z[here], w).to_numpy()
    full = data[usable]
    fit = OLS(full["q"], add_constant(full[inputs])).fit()
    mean_w = {c: float(np.mean([w[c] for w in per_fold])) for c in inputs}
    return raw, mean_w, {"crossfit_folds": k, "fold_weights": per_fold, "r2": float(fit.rsquared),
                         "n": int(fit.nobs), "pvalues": {c: float(fit.pvalues[c]) for c in inputs}}


def _restandardise(df: pd.DataFrame, col: str, reference: str, fixed: dict) -> pd.Series:
    if reference == "fixed":
        mean, sd = fixed.get("index", [0.0, 1.0])
        return (df[col] - mean) / sd
    g = df.groupby(_reference_keys(reference))[col]
    return (df[col] - g.transform("mean")) / g.transform("std", ddof=0).replace(0, np.nan)


def social_shares(social: pd.DataFrame) -> pd.DataFrame:
    """Shares of students per ИСБШ input (count / students_total); absent inputs are NaN."""
    out = social[["municipality", "year", "school_id"]].copy()
    total = social["students_total"].replace(0, np.nan)
    for c in ISBSH_INPUTS:
        out[c] = social[c] / total if c in social.columns else np.nan
    return out


def compute_isbsh(shares: pd.DataFrame, params: dict, quality: pd.Series | None = None) -> tuple[pd.DataFrame, dict]:
    """ИСБШ per school with its groups 1–11 and quartiles.

    Parameters
    ----------
    shares : DataFrame
        From :func:`social_shares` (municipality, year, school_id and the input shares).
    params : dict
        Full parameters; uses ``isbsh`` and ``group_band_sd``.
    quality : Series, optional
        Quality index aligned to ``shares`` — required by ``isbsh.method: regression``.

    Returns
    -------
    (frame, info)
        Frame with ``isbsh``, ``isbsh_group``, ``isbsh_quartile``; info with the weights
        used (and the regression fit for the regression method).
    """
    p = params["isbsh"]
    preset = p.get("preset", "own")
    source = p["weights"] if preset == "own" else p["presets"][preset]
    inputs = [c for c in source if c in shares.columns and shares[c].notna().any()]
    z = _standardise(shares, inputs, p["reference"], p["fixed"], "ИСБШ")
    info: dict = {"method": p["method"], "reference": p["reference"], "inputs": inputs, "preset": preset}
    weights = {c: source[c] for c in inputs}
    out = shares[["municipality", "year", "school_id"]].copy()
    if p["method"] == "regression":
        if quality is None:
            raise ValueError("isbsh.method 'regression' needs the quality index")
        raw, weights, fit_info = _crossfit_index(shares, z, quality, inputs, int(p.get("crossfit_folds", 5)))
        info.update(fit_info)
        out["_raw"] = raw
    else:
        out["_raw"] = _weighted_index(z, weights) if inputs else np.nan
    info["weights"] = weights
    out["isbsh"] = _restandardise(out, "_raw", p["reference"], p["fixed"]) if inputs else np.nan
    out["isbsh_group"] = band_group(out["isbsh"], params["group_band_sd"])
    out["isbsh_quartile"] = _quartiles_by(out, "isbsh", _reference_keys(
        "municipality" if p["reference"] == "fixed" else p["reference"]))
    return out.drop(columns="_raw"), info


def _quartiles_by(frame: pd.DataFrame, col: str, keys: list[str]) -> np.ndarray:
    """:func:`quartile_group` of ``col`` within each group of ``keys`` (NaN outside any group)."""
    out = np.full(len(frame), np.nan)
    values = frame[col].to_numpy(dtype=float)
    for pos in frame.groupby(keys).indices.values():
        v = values[pos]
        ref = v[~np.isnan(v)]
        if len(ref) < 4:
            continue
        q1, q2, q3 = np.quantile(ref, [0.25, 0.5, 0.75])
        g = 1 + (v > q1).astype(int) + (v > q2).astype(int) + (v > q3).astype(int)
        out[pos] = np.where(np.isnan(v), np.nan, g)
    return out


def teacher_shares(teachers: pd.DataFrame, params: dict) -> pd.DataFrame:
    """ИУРШ inputs: shares of teachers with higher education, category, experience."""
    t = teachers
    total = t["teachers_total"].replace(0, np.nan)
    out = t[["municipality", "year", "school_id"]].copy()
    out["higher_education"] = t["higher_education"] / total
    cat = t["category_highest"] + params["iursh"]["category_first_weight"] * t["category_first"]
    out["category"] = cat / total
    out["experience"] = t["experience_10plus"] / total
    return out


def compute_iursh(shares: pd.DataFrame, params: dict) -> pd.DataFrame:
    """ИУРШ = weighted mean of z-scores of the teacher shares; groups 1–4 by reference quartiles."""
    p = params["iursh"]
    inputs = [c for c in p["weights"] if shares[c].notna().any()]
    z = _standardise(shares, inputs, p["reference"], p["fixed"], "ИУРШ")
    w = pd.Series({c: float(p["weights"][c]) for c in inputs})
    out = shares[["municipality", "year", "school_id"]].copy()
    if inputs:
        avail = z[inputs].notna()
        out["iursh"] = (z[inputs].fillna(0) * w).sum(axis=1) / (avail * w).sum(axis=1).replace(0, np.nan)
    else:
        out["iursh"] = np.nan
    cuts = p.get("group_cuts") or []
    if cuts:  # a region's fixed scale: group = 1 + number of cut-points below the value
        v = out["iursh"].to_numpy(dtype=float)
        g = 1 + (v[:, None] > np.asarray(cuts, dtype=float)[None, :]).sum(axis=1)
        out["iursh_group"] = np.where(np.isnan(v), np.nan, g)
    else:
        out["iursh_group"] = _quartiles_by(out, "iursh", _reference_keys(
            "municipality" if p["reference"] == "fixed" else p["reference"]))
    return out


_QUALITY_SOURCES = {
    "oge_base": ("ОГЭ", "base"),
    "vpr_base": ("ВПР", "base"),
    "quality_share": ("ОГЭ", "quality"),
    "mean_mark": ("ОГЭ", "mean_mark"),
}


def compute_quality_index(pooled: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Quality index per school and year from pooled metrics (default: ОГЭ base share).

    Pools the procedure's rows over the subjects in scope (Σ / Σ), keeps the number
    of participants behind it (``quality_n``) for weighting and funnel plots.
    """
    procedure, kind = _QUALITY_SOURCES[params["quality"]["index"]]
    m = pooled[(pooled["procedure"] == procedure) & pooled["subject"].isin(params["subjects"])]
    keys = ["municipality", "year", "school_id"] if "municipality" in m.columns else ["year", "school_id"]
    g = m.groupby(keys)
    agg = g.agg(n=("participants", "sum"), failed=("failed", "sum"), quality=("quality", "sum"))
    if kind == "mean_mark":
        agg["mark"] = group_sum(m["mean_mark"] * m["participants"], g.ngroup().to_numpy(), len(agg))
    out = agg.reset_index()
    if kind == "base":
        out["quality_index"] = 1 - out["failed"] / out["n"]
    elif kind == "quality":
        out["quality_index"] = out["quality"] / out["n"]
    else:
        out["quality_index"] = out["mark"] / out["n"]
    out = out.rename(columns={"n": "quality_n"})
    return out[keys + ["quality_index", "quality_n"]]


def compute_quality_groups(frame: pd.DataFrame, params: dict) -> pd.Series:
    """Quality groups 1–11: half-sd bands of the quality index within the reference population."""
    q = params["quality"]
    if q["reference"] == "fixed":  # a region's scale: the same index gives the same group everywhere
        mean, sd = q["fixed"]
        z = (frame["quality_index"] - mean) / sd
        return pd.Series(band_group(z, params["group_band_sd"]), index=frame.index)
    keys = _reference_keys(q["reference"])
    g = frame.groupby(keys)["quality_index"]
    z = (frame["quality_index"] - g.transform("mean")) / g.transform("std", ddof=0).replace(0, np.nan)
    return pd.Series(band_group(z, params["group_band_sd"]), index=frame.index)


def identifier_table(schools: pd.DataFrame) -> pd.DataFrame:
    """The 11 × 11 identifier table: rows ИСБШ group, columns quality group, cells school ids.

    Ids in a cell are sorted numerically where possible and joined by ``,`` as in
    seed 004; the last column and row hold the counts («Итого ОО»).
    """
    groups = range(1, 12)
    data = schools.dropna(subset=["isbsh_group", "quality_group"])

    cells: dict[tuple, list[str]] = {}
    row_n: dict = {}
    for sid, r, c in zip(data["school_id"], data["isbsh_group"], data["quality_group"]):
        cells.setdefault((r, c), []).append(str(sid))
        row_n[r] = row_n.get(r, 0) + 1
    body = [[",".join(sorted(cells.get((r, c), []), key=school_id_key)) for c in groups] + [str(row_n.get(r, 0) or "")]
            for r in groups]
    table = pd.DataFrame(body, index=pd.Index(groups, name="Группа ИСБШ"),
                         columns=pd.Index([*groups, "Итого ОО"], name="Группа качества"), dtype=object)
    counts = {c: str(int((data["quality_group"] == c).sum())) for c in groups}
    totals: dict[int | str, str] = {c: (v if v != "0" else "") for c, v in counts.items()}
    totals["Итого ОО"] = str(len(data))
    table.loc["Итого ОО"] = pd.Series(totals)
    return table

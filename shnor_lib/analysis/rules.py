"""Identification rules (Методика §3, docs/methodology/rules.md): objectivity flags, ШНОР, зона риска, ШНСУ, statuses.

Every decision carries its reason in words and numbers, e.g.
«ВПР 2024, русский язык: 41,0% (31 из 76)».
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from ..contract.schema import normalize_label
from ..report.format import fmt_pct, p_text
from .metrics import group_sum

__all__ = [
    "objectivity_flags",
    "inflated_exemptions",
    "objectivity_tables",
    "exempt_kind",
    "GIA_PROCEDURES",
    "triggered_procedures",
    "work_label",
    "BRANCH_TWO_PROCEDURES",
    "BRANCH_TWO_YEARS",
    "BRANCH_BOTH",
    "triggered_by_school",
    "identify",
    "status_of",
    "FLAG_LABELS",
]

FLAG_LABELS = {
    "parallel_jump": "резкое отличие параллели от других классов",
    "cohort_jump": "резкое изменение результатов класса за год",
    "inflated": "завышенный результат при слабых других процедурах",
    "journal_mismatch": "несоответствие ВПР и школьных отметок",
    "vpr_gia_mismatch": "расхождение ВПР и ГИА по предмету",
}

# State final examinations (ГИА): externally marked, the reference the school's ВПР is compared with.
GIA_PROCEDURES = ("ОГЭ", "ЕГЭ")


def _ru(text: str) -> str:
    """Decimal commas in numbers like 4.55 (Russian typography)."""
    return re.sub(r"(?<=\d)\.(?=\d)", ",", text)


def _n(x: float) -> str:
    return f"{x:.0f}"


# ---------------------------------------------------------------- objectivity

def _parallel_jumps(gr: pd.DataFrame, keys: list[str], p: dict) -> list[dict]:
    """``parallel_jump`` flags of the screened groups, all groups advancing one round at a time.

    Each round does for every group what one pass over its remaining grades does: compare
    each grade with the pooled share of the group's other remaining grades, flag the most
    deviant grade outside its binomial interval (the first one on a tie) and take it out of
    the pool; a group without such a grade is done.
    """
    alpha = 1 - p["jump_confidence"]
    rows: list[dict] = []
    if gr.empty:
        return rows
    gid = gr.groupby(keys, sort=True).ngroup().to_numpy()
    n_groups = int(gid.max()) + 1
    part = gr["participants"].to_numpy(dtype=float)
    failed = gr["failed"].to_numpy(dtype=float)
    share = gr["fail_share"].to_numpy(dtype=float)
    grade = gr["grade"].to_numpy()
    active = np.ones(len(gr), dtype=bool)
    while True:
        size = np.bincount(gid[active], minlength=n_groups)
        rows_in = active & (size[gid] >= 2)
        if not rows_in.any():
            break
        pos = np.flatnonzero(rows_in)
        g = gid[pos]
        tot_f = group_sum(failed[pos], g, n_groups)
        tot_n = group_sum(part[pos], g, n_groups)
        n_i, f_i = part[pos], failed[pos]
        n0, f0 = tot_n[g] - n_i, tot_f[g] - f_i
        with np.errstate(divide="ignore", invalid="ignore"):
            p0 = f0 / n0
            lo = stats.binom.ppf(alpha / 2, n_i, p0) / n_i
            hi = stats.binom.ppf(1 - alpha / 2, n_i, p0) / n_i
        diff = share[pos] - p0
        hit = ((share[pos] < lo) | (share[pos] > hi)) & (np.abs(diff) * 100 >= p["jump_min_pp"])
        if not hit.any():
            break
        h = np.flatnonzero(hit)
        # per group: the largest |diff|, the first in row order on a tie
        order = np.lexsort((h, -np.abs(diff[h]), g[h]))
        first = order[np.r_[True, g[h][order][1:] != g[h][order][:-1]]]
        best = h[first]
        done = np.ones(n_groups, dtype=bool)
        done[g[best]] = False
        for b in best.tolist():
            r = gr.iloc[pos[b]]
            rows.append({**{k: r[k] for k in keys}, "grade": int(grade[pos[b]]), "flag": "parallel_jump",
                         "detail": f"{int(grade[pos[b]])} класс: {fmt_pct(share[pos[b]])} не преодолели порог "
                                   f"({_n(f_i[b])} из {_n(n_i[b])}), в других классах — "
                                   f"{fmt_pct(p0[b])} ({_n(f0[b])} из {_n(n0[b])}); разница {abs(diff[b]) * 100:.0f} п.п., "
                                   f"вне интервала {fmt_pct(lo[b], 0)}–{fmt_pct(hi[b], 0)}"})
        active[pos[best]] = False
        active &= ~done[gid]
    return rows


def _cohort_jumps(grades: pd.DataFrame, keys: list[str], p: dict, min_participants: int) -> list[dict]:
    """``cohort_jump`` flags: the same cohort a year apart (ВПР grade g in year Y−1 against grade
    g+1 in year Y, same school and subject).

    A flag needs both |Δ fail share| ≥ ``cohort_jump_min_pp`` percentage points and a pooled
    two-proportion z-test p-value below ``cohort_jump_alpha`` (two-sided), with both groups at
    least ``min_participants``. Both directions are flagged; ``detail`` says which.
    """
    rows: list[dict] = []
    vpr = grades[grades["procedure"].eq("ВПР") & (grades["participants"] >= min_participants)]
    if vpr.empty:
        return rows
    cols = [*keys, "grade", "participants", "failed", "fail_share"]
    now = vpr[cols]
    # last year's row of the cohort, moved onto this year's grade
    before = vpr[cols].assign(year=vpr["year"] + 1, grade=vpr["grade"] + 1)
    pair = now.merge(before, on=[*keys, "grade"], suffixes=("", "_prev"), sort=True)
    if pair.empty:
        return rows
    n1, f1 = pair["participants_prev"].to_numpy(dtype=float), pair["failed_prev"].to_numpy(dtype=float)
    n2, f2 = pair["participants"].to_numpy(dtype=float), pair["failed"].to_numpy(dtype=float)
    p1, p2 = f1 / n1, f2 / n2
    pooled = (f1 + f2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p2 - p1) / se, 0.0)
    pval = 2 * stats.norm.sf(np.abs(z))
    diff = p2 - p1
    hit = (np.abs(diff) * 100 >= p["cohort_jump_min_pp"] - 1e-9) & (pval < p["cohort_jump_alpha"])
    for i in np.flatnonzero(hit):
        r = pair.iloc[i]
        g = int(r["grade"])
        way = ("доля не преодолевших порог выросла — результаты упали" if diff[i] > 0
               else "доля не преодолевших порог снизилась — результаты выросли")
        rows.append({**{k: r[k] for k in keys}, "grade": g, "flag": "cohort_jump",
                     "detail": f"{g} класс: {fmt_pct(p2[i])} не преодолели порог ({_n(f2[i])} из {_n(n2[i])}), "
                               f"год назад в {g - 1} классе — {fmt_pct(p1[i])} ({_n(f1[i])} из {_n(n1[i])}); "
                               f"{way} на {abs(diff[i]) * 100:.0f} п.п., "
                               f"{p_text(pval[i])} (z-критерий для двух долей)"})
    return rows


def group_quantile(values: ArrayLike, codes: np.ndarray, n_groups: int, q: float) -> np.ndarray:
    """``Series.quantile(q)`` (linear, NaN skipped) of each group, bit for bit, in one pass.

    Follows numpy's ``quantile`` (method "linear"): virtual index (n − 1)·q between two order
    statistics and its two-sided interpolation (``numpy.lib._function_base_impl._lerp``).
    """
    v = np.asarray(values, dtype=float)
    codes = np.asarray(codes)
    ok = ~np.isnan(v)
    out = np.full(n_groups, np.nan)
    if not ok.any():
        return out
    vv, cc = v[ok], codes[ok]
    order = np.lexsort((vv, cc))
    vs, cs = vv[order], cc[order]
    count = np.bincount(cs, minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    has = count > 0
    n = count[has]
    virt = (n - 1) * np.array([q], dtype=float)[0]
    prev = np.floor(virt)
    above = virt >= n - 1
    prev_i = np.where(above, n - 1, prev).astype(np.intp)
    next_i = np.where(above, n - 1, prev + 1).astype(np.intp)
    gamma = virt - np.where(above, -1, prev)
    a = vs[start[has] + prev_i]
    b = vs[start[has] + next_i]
    d = b - a
    res = a + d * gamma
    hi = gamma >= 0.5
    res[hi] = b[hi] - d[hi] * (1 - gamma[hi])
    out[has] = res
    return out


def exempt_kind(kind: object, params: dict) -> bool:
    """Whether a school of this ``schools.kind`` is exempt from ``inflated``.

    The kind and each entry of ``objectivity.inflated_exempt_kinds`` are normalised like the
    contract's labels (lower case, ё → е, spaces collapsed); the school is exempt when its kind
    contains one of the entries («гимназия», «Лицей-интернат», «СОШ с углублённым изучением …»).
    An empty or unknown kind is never exempt.
    """
    if kind is None or (isinstance(kind, float) and np.isnan(kind)):
        return False
    text = normalize_label(kind)
    words = [normalize_label(w) for w in params["objectivity"].get("inflated_exempt_kinds") or []]
    return bool(text) and any(w and w in text for w in words)


def _exempt_schools(schools: pd.DataFrame | None, params: dict) -> dict[tuple, str]:
    """(municipality, year, school_id) → kind of the schools exempt from ``inflated``."""
    if schools is None or not len(schools) or "kind" not in schools.columns:
        return {}
    return {(m, int(y), str(sid)): str(k) for m, y, sid, k in
            zip(schools["municipality"], schools["year"], schools["school_id"], schools["kind"])
            if exempt_kind(k, params)}


def _inflated(grades: pd.DataFrame, keys: list[str], p: dict,
              exempt: dict[tuple, str] | None = None) -> tuple[list[dict], list[dict]]:
    """``inflated`` flags and the high results of exempt schools.

    A result is high when it lies above the municipal upper fence; it is flagged when the
    school's other procedures are weak (below their municipal medians). With
    ``inflated_reference: gia`` the other procedures are the school's ГИА (ОГЭ, ЕГЭ) of the same
    subject when it has them, each against the median of the same procedure and subject;
    otherwise (and always with ``other``) every other procedure of the school, each as the
    mean over its subjects and grades. High results of schools in ``exempt`` are not flagged:
    they are returned as the second list, with ``would_flag`` (whether the rule would fire).
    """
    rows: list[dict] = []
    exempted: list[dict] = []
    metric = p["inflated_metric"]
    g_keys = ["municipality", "year", "procedure", "subject", "grade"]
    grouped = grades.groupby(g_keys)
    gid = grouped.ngroup().to_numpy()
    n_groups = grouped.ngroups
    values = grades[metric].to_numpy(dtype=float)
    q1 = group_quantile(values, gid, n_groups, 0.25)[gid]
    q3 = group_quantile(values, gid, n_groups, 0.75)[gid]
    cnt = pd.Series(np.bincount(gid[~np.isnan(values)], minlength=n_groups)[gid], index=grades.index)
    fence = (pd.Series(q3, index=grades.index) + p["iqr_k"] * pd.Series(q3 - q1, index=grades.index)).where(cnt >= 4)
    above = grades[grades[metric] > fence]
    if not len(above):
        return rows, exempted
    per_proc = grades.groupby(["municipality", "school_id", "year", "procedure"])[metric].mean().rename("v").reset_index()
    per_proc["median"] = per_proc.groupby(["municipality", "year", "procedure"])["v"].transform("median")
    per_proc = per_proc.dropna(subset=["v"])
    procs: dict[tuple, list] = {}
    for o in per_proc.itertuples():
        procs.setdefault((o.municipality, o.school_id, o.year), []).append(o)
    gia: dict[tuple, list] = {}
    if p.get("inflated_reference", "gia") == "gia":
        gr = grades[grades["procedure"].isin(GIA_PROCEDURES)]
        per_subj = gr.groupby(["municipality", "school_id", "year", "procedure", "subject"])[metric].mean()
        per_subj = per_subj.rename("v").reset_index()
        per_subj["median"] = per_subj.groupby(["municipality", "year", "procedure", "subject"])["v"].transform("median")
        for o in per_subj.dropna(subset=["v"]).itertuples():
            gia.setdefault((o.municipality, o.school_id, o.year, o.subject), []).append(o)
    name = "средний балл" if metric == "mean_mark" else "качество знаний"
    exempt = exempt or {}
    for idx, r in above.iterrows():
        same = [o for o in gia.get((r["municipality"], r["school_id"], r["year"], r["subject"]), [])
                if o.procedure != r["procedure"]]
        if same:
            others = same
            where = f"а ГИА по предмету «{r['subject']}» ниже медианы"
        else:
            others = [o for o in procs.get((r["municipality"], r["school_id"], r["year"]), [])
                      if o.procedure != r["procedure"]]
            where = "а другие процедуры ниже медианы"
        weak = bool(others) and all(o.v < o.median for o in others)
        high = (f"{int(r['grade'])} класс: {name} {r[metric]:.2f} выше верхней границы "
                f"{fence[idx]:.2f} (Q3 + {p['iqr_k']}·IQR по округу)")
        kind = exempt.get((r["municipality"], int(r["year"]), str(r["school_id"])))
        if kind is not None:
            exempted.append({**{k: r[k] for k in keys}, "grade": int(r["grade"]), "kind": kind, "would_flag": weak,
                             "detail": _ru(f"{high}; тип ОО «{kind}» — признак не ставится")})
            continue
        if weak:
            what = ", ".join(f"{o.procedure} {o.v:.2f} (медиана {o.median:.2f})" for o in others)
            rows.append({**{k: r[k] for k in keys}, "grade": int(r["grade"]), "flag": "inflated",
                         "detail": _ru(f"{high}, {where}: {what}")})
    return rows, exempted


def _grades_words(grades: list[int]) -> str:
    return ", ".join(map(str, grades)) + (" класс" if len(grades) == 1 else " классы")


def _funnel_z(agg: pd.DataFrame, peers: list[str], min_schools: int = 4) -> tuple[pd.Series, pd.Series]:
    """Each school's mean against its peers on the funnel-plot scale (Spiegelhalter 2005).

    ``z = (x − θ₀) / √(τ² + s²/n)``: θ₀ the peers' mean over pupils (Σ n·x / Σ n), s² the
    pooled within-school variance of one pupil's result, τ² the between-school variance beyond
    sampling noise (DerSimonian–Laird: ``max(0, (Q − (k − 1)) / (Σw − Σw²/Σw))`` with
    ``w = n/s²`` and ``Q = Σ w·(x − θ₀)²``). A school's mean from few pupils is uncertain, so the
    same distance from θ₀ gives it a smaller z than a large school.

    Parameters
    ----------
    agg : DataFrame
        One row per school and peer group: ``n`` (pupils), ``v`` (mean), ``v2n`` (Σ of the
        squared individual results; NaN where the distribution is unknown, as for ЕГЭ scores).
    peers : list of str
        Columns that define a peer group (municipality, year, procedure, subject).
    min_schools : int
        Fewer schools in a group → NaN.

    Returns
    -------
    (theta, z) : Series
        θ₀ and z for each row of ``agg``; z is NaN for groups too small or without spread.

    Notes
    -----
    Where no school of a group has its distribution (ЕГЭ: only mean scores are given), s² is
    approximated by ``Σ n·(x − θ₀)² / (k − 1)``, the per-pupil variance that would explain the
    whole spread of the school means by sampling; τ² is then about 0 and the z is
    ``(x − θ₀)·√(n/s²)`` — a conservative reading for large schools.
    """
    key = agg.groupby(peers, sort=False).ngroup().to_numpy()
    n, v = agg["n"].to_numpy(float), agg["v"].to_numpy(float)
    v2n = agg["v2n"].to_numpy(float)
    groups = int(key.max()) + 1 if len(key) else 0

    def total(x):
        return np.bincount(key, weights=x, minlength=groups)

    k = np.bincount(key, minlength=groups).astype(float)
    N = total(n)
    theta = total(n * v) / N
    known = total(np.isfinite(v2n).astype(float)) == k  # every school's distribution is known
    within = total(np.where(np.isfinite(v2n), v2n - n * v ** 2, 0.0))  # Σ over schools of Σ(m − x̄)²
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(known, within / (N - k), total(n * (v - theta[key]) ** 2) / (k - 1))
        w = n / s2[key]
        q = total(w * (v - theta[key]) ** 2)
        sw, sw2 = total(w), total(w ** 2)
        tau2 = np.maximum(0.0, (q - (k - 1)) / (sw - sw2 / sw))
        sd = np.sqrt(tau2[key] + s2[key] / n)
        z = (v - theta[key]) / sd
    ok = (k[key] >= min_schools) & np.isfinite(z) & (sd > 0)
    return pd.Series(theta[key], index=agg.index), pd.Series(np.where(ok, z, np.nan), index=agg.index)


def _vpr_gia_mismatch(grades: pd.DataFrame, keys: list[str], params: dict) -> list[dict]:
    """``vpr_gia_mismatch`` flags: the same school's ВПР and ГИА of one subject on opposite sides
    of the municipal distribution.

    For each school, year and subject of ``objectivity.vpr_gia_subjects``: ВПР pooled over the
    grades of ``vpr_grades`` (mean mark weighted by participants) and each ГИА procedure (ОГЭ mean
    mark, ЕГЭ mean score), each with at least ``min_participants`` participants. Each value gets a
    funnel-plot z among the municipality's schools of the same year, procedure and subject
    (:func:`_funnel_z`: the school's own sampling variance plus the between-school variance, at least
    four schools). A flag when the two lie on
    opposite sides of the municipal mean and z_high − z_low ≥ ``vpr_gia_gap``; it goes on the
    higher (suspect) result: the ВПР rows when ВПР is high, the ГИА rows when ГИА is high.
    """
    p, n_min = params["objectivity"], params["min_participants"]
    gap = p["vpr_gia_gap"]
    rows: list[dict] = []
    g = grades[grades["subject"].isin(p["vpr_gia_subjects"]) & (grades["participants"] > 0)]
    vpr = g["procedure"].eq("ВПР") & g["grade"].isin(params["vpr_grades"])
    g = g[vpr | g["procedure"].isin(GIA_PROCEDURES)]
    if g.empty:
        return rows
    value = np.where(g["procedure"].eq("ЕГЭ"), g["mean_score"], g["mean_mark"]).astype(float)
    ok = ~np.isnan(value)
    g = g[ok].assign(_v=value[ok])
    if g.empty:
        return rows
    # Σ mark² from the marks distribution (n2 = failed, n5 = high, n4 = quality − high, the rest 3)
    n2, n5 = g["failed"], g["high"]
    n4, n3 = g["quality"] - g["high"], g["participants"] - g["failed"] - g["quality"]
    g = g.assign(_vn=g["_v"] * g["participants"], _v2n=4 * n2 + 9 * n3 + 16 * n4 + 25 * n5)
    by = ["municipality", "school_id", "year", "procedure", "subject"]
    agg = g.groupby(by, sort=True).agg(n=("participants", "sum"), vn=("_vn", "sum"), v2n=("_v2n", "sum")).reset_index()
    agg["v"] = agg["vn"] / agg["n"]
    agg = agg[agg["n"] >= n_min].copy()
    agg["mean"], agg["z"] = _funnel_z(agg, ["municipality", "year", "procedure", "subject"])
    agg = agg[agg["z"].notna()]
    side = ["municipality", "school_id", "year", "subject"]
    v_side = agg[agg["procedure"].eq("ВПР")]
    g_side = agg[agg["procedure"].isin(GIA_PROCEDURES)]
    pair = v_side.merge(g_side, on=side, suffixes=("_vpr", "_gia"), sort=True)
    if pair.empty:
        return rows
    wide = (pair["z_vpr"] - pair["z_gia"]).abs() >= gap - 1e-9
    vpr_high = wide & (pair["z_vpr"] > 0) & (pair["z_gia"] < 0)
    gia_high = wide & (pair["z_vpr"] < 0) & (pair["z_gia"] > 0)
    grade_rows = {k: sorted(int(x) for x in v["grade"]) for k, v in g.groupby(by, sort=False)}

    def words(proc: str, key: tuple, v: float, z: float, mean: float) -> str:
        what = "средний балл" if proc == "ЕГЭ" else "средняя отметка"
        where = (f"на {abs(z):.1f} стандартного отклонения {'выше' if z > 0 else 'ниже'} среднего по округу"
                 if round(abs(z), 1) > 0 else "на уровне среднего по округу")
        return _ru(f"{proc} ({_grades_words(grade_rows[key])}): {what} {v:.2f}, {where} ({mean:.2f})")

    # the higher result of each pair → its words and those of the lower results it is compared with
    found: dict[tuple, tuple[str, list[str]]] = {}
    order = {proc: i for i, proc in enumerate(GIA_PROCEDURES)}
    hits = pair[vpr_high | gia_high]
    hits = hits.iloc[sorted(range(len(hits)), key=lambda i: order[hits["procedure_gia"].iat[i]])]
    for r in hits.itertuples():
        kv = (r.municipality, r.school_id, r.year, "ВПР", r.subject)
        kg = (r.municipality, r.school_id, r.year, r.procedure_gia, r.subject)
        sides = [(kv, r.v_vpr, r.z_vpr, r.mean_vpr), (kg, r.v_gia, r.z_gia, r.mean_gia)]
        (hk, hv, hz, hm), (lk, lv, lz, lm) = sides if r.z_vpr > 0 else sides[::-1]
        entry = found.setdefault(hk, (words(hk[3], hk, hv, hz, hm), []))
        entry[1].append(words(lk[3], lk, lv, lz, lm) + _ru(f"; разрыв {abs(r.z_vpr - r.z_gia):.1f} (порог {gap:g})"))
    for hk, (high, lows) in found.items():
        head = "ВПР выше ГИА" if hk[3] == "ВПР" else "ГИА выше ВПР"
        for grade in grade_rows[hk]:
            rows.append({**dict(zip(keys, hk)), "grade": grade, "flag": "vpr_gia_mismatch",
                         "detail": f"{head}: {high}; " + "; ".join(lows)})
    return rows


def _journal_mismatch(results: pd.DataFrame, keys: list[str], p: dict) -> list[dict]:
    """``journal_mismatch`` flags: ВПР marks against journal marks (FIS OKO)."""
    rows: list[dict] = []
    vpr = results[results["procedure"].eq("ВПР")]
    raised, confirmed = vpr["journal_raised"], vpr["journal_confirmed"]
    bad_r = (raised.notna() & (raised >= p["mismatch_raised"])).to_numpy()
    bad_c = (confirmed.notna() & (confirmed < p["mismatch_confirmed"])).to_numpy()
    for i in np.flatnonzero(bad_r | bad_c):
        r = vpr.iloc[i]
        parts = []
        if bad_r[i]:
            parts.append(f"повысили {fmt_pct(r['journal_raised'])} (порог {fmt_pct(p['mismatch_raised'], 0)})")
        if bad_c[i]:
            parts.append(f"подтвердили {fmt_pct(r['journal_confirmed'])} (порог {fmt_pct(p['mismatch_confirmed'], 0)})")
        rows.append({**{k: r[k] for k in keys}, "grade": int(r["grade"]), "flag": "journal_mismatch",
                     "detail": f"{int(r['grade'])} класс: " + ", ".join(parts)})
    return rows


def objectivity_flags(grades: pd.DataFrame, results: pd.DataFrame, params: dict,
                      schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flags of possibly non-objective results per school × year × procedure × subject × grade.

    Parameters
    ----------
    grades : DataFrame
        :func:`shnor_lib.analysis.metrics.grade_metrics` output (with ``municipality``).
    results : DataFrame
        Validated results with journal shares (for ``journal_mismatch``).
    params : dict
        Uses ``objectivity``, ``min_participants`` and ``vpr_grades``.
    schools : DataFrame, optional
        The schools tables (``municipality``, ``year``, ``school_id``, ``kind``): schools whose
        kind matches ``objectivity.inflated_exempt_kinds`` get no ``inflated`` flag (see
        :func:`inflated_exemptions`). None: nobody is exempt.

    Returns
    -------
    DataFrame
        One row per flag: keys, ``flag``, ``flag_label`` and ``detail`` (words and numbers).
    """
    return objectivity_tables(grades, results, params, schools)[0]


def objectivity_tables(grades: pd.DataFrame, results: pd.DataFrame, params: dict,
                       schools: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`objectivity_flags` and :func:`inflated_exemptions` of the same tables, the ``inflated``
    rule (which yields both) run once."""
    p = params["objectivity"]
    keys = ["municipality", "school_id", "year", "procedure", "subject"]
    rows: list[dict] = []
    exempt = _exempt_schools(schools, params)
    inflated, exempted = _inflated(grades, keys, p, exempt)

    # parallel_jump: one grade against the pooled share of the school's other grades. Tested
    # iteratively — the most deviant grade is flagged first and leaves the pool — so that one
    # extreme grade does not make every other grade look like a jump.
    gr = grades[grades["participants"] > 0]
    tot = gr.groupby(keys)[["failed", "participants"]].transform("sum")
    n0 = tot["participants"] - gr["participants"]
    p0 = ((tot["failed"] - gr["failed"]) / n0.where(n0 > 0)).fillna(0)
    # a grade can only be a jump if it differs by ≥ jump_min_pp from the rest at least once
    candidate = (n0 > 0) & ((gr["fail_share"] - p0).abs() * 100 >= p["jump_min_pp"])
    screened = gr.set_index(keys).index.isin(gr[candidate].set_index(keys).index.unique())
    rows += _parallel_jumps(gr[screened], keys, p)

    # cohort_jump: the same cohort a year earlier, one grade lower (ВПР only).
    rows += _cohort_jumps(gr, keys, p, params["min_participants"])

    # inflated: above the municipal upper fence while the school's other procedures (its ГИА of the
    # subject, where present) are below the median; schools with selection (гимназия …) exempt.
    rows += inflated

    # vpr_gia_mismatch: ВПР and ГИА of one subject on opposite sides of the municipality.
    rows += _vpr_gia_mismatch(grades, keys, params)

    # journal_mismatch: ВПР marks against journal marks (FIS OKO).
    if {"journal_raised", "journal_confirmed"} <= set(results.columns):
        rows += _journal_mismatch(results, keys, p)
    out = pd.DataFrame(rows, columns=[*keys, "grade", "flag", "detail"])
    out["flag_label"] = out["flag"].map(FLAG_LABELS)
    return out.sort_values([*keys, "grade", "flag"]).reset_index(drop=True), _exemptions_frame(exempted if exempt else [])


def inflated_exemptions(grades: pd.DataFrame, schools: pd.DataFrame | None, params: dict) -> pd.DataFrame:
    """High results of the schools exempt from ``inflated`` by their kind (not silently dropped).

    Parameters
    ----------
    grades : DataFrame
        As for :func:`objectivity_flags`.
    schools : DataFrame or None
        The schools tables with ``municipality``, ``year``, ``school_id``, ``kind``.
    params : dict
        Uses ``objectivity``.

    Returns
    -------
    DataFrame
        One row per result above the municipal upper fence of an exempt school: keys,
        ``grade``, ``kind``, ``would_flag`` (the other procedures are weak too, so the school
        would be flagged without the exemption) and ``detail``.
    """
    keys = ["municipality", "school_id", "year", "procedure", "subject"]
    exempt = _exempt_schools(schools, params)
    return _exemptions_frame(_inflated(grades, keys, params["objectivity"], exempt)[1] if exempt else [])


def _exemptions_frame(rows: list[dict]) -> pd.DataFrame:
    keys = ["municipality", "school_id", "year", "procedure", "subject"]
    out = pd.DataFrame(rows, columns=[*keys, "grade", "kind", "would_flag", "detail"])
    return out.sort_values([*keys, "grade"]).reset_index(drop=True)


# ---------------------------------------------------------------- ШНОР / зона риска

def _describe(r) -> str:
    grade = getattr(r, "grade", None)
    work = "" if grade is None or pd.isna(grade) else f", {int(grade)} класс"
    return (f"{r.procedure} {r.year}, {r.subject}{work}: {fmt_pct(r.fail_share)} "
            f"({_n(r.failed)} из {_n(r.participants)})")


BRANCH_TWO_PROCEDURES = "две процедуры"
BRANCH_TWO_YEARS = "два года подряд"
BRANCH_BOTH = "две процедуры и два года подряд"


def _unit(params: dict) -> str:
    return (params.get("shnor_rule") or {}).get("procedure_unit", "kind")


def _branches(params: dict) -> str:
    return (params.get("shnor_rule") or {}).get("branches", "or")


def work_label(procedure: str, subject: str, grade: int) -> str:
    """One work (``shnor_rule.procedure_unit: work``) in words: «ВПР, математика, 6 класс»."""
    return f"{procedure}, {subject}, {int(grade)} класс"


def triggered_procedures(pooled: pd.DataFrame, threshold: float, params: dict) -> pd.DataFrame:
    """Which (school, year, procedure) reach ``threshold`` under ``subject_mode``.

    Returns one row per school × year × procedure in scope with ``triggered`` and
    ``evidence`` (the subjects that reached the threshold, in words and numbers).
    Groups below ``min_participants`` never count.

    With ``shnor_rule.procedure_unit: work`` a «процедура» is one work (procedure, subject,
    grade): ``pooled`` must then be :func:`shnor_lib.analysis.metrics.work_metrics` (metrics
    with a ``grade`` column), ``procedure`` of the output is :func:`work_label` and
    ``subject_mode`` has no effect (a work has one subject).
    """
    keys = ["municipality", "school_id", "year", "procedure"]
    m = pooled[pooled["in_scope"]].copy()
    if _unit(params) == "work":
        if "grade" not in m.columns:
            raise ValueError("shnor_rule.procedure_unit: work needs metrics per work (work_metrics), "
                             "not pooled over grades")
        # the unit is the work; the rows keep their procedure and grade for the evidence
        m["_unit"] = [work_label(p, s, g) for p, s, g in zip(m["procedure"], m["subject"], m["grade"])]
    else:
        m["_unit"] = m["procedure"]
    if m.empty:
        return pd.DataFrame(columns=[*keys, "triggered", "evidence"])
    m["hit"] = m["enough"] & (m["fail_share"] >= threshold - 1e-12)
    g = m.groupby([*keys[:3], "_unit"], sort=True)
    out = g["hit"].sum().rename("hits").to_frame()
    # evidence: the subjects that reached the threshold, in row order within each group
    texts: list[list[str]] = [[] for _ in range(len(out))]
    hits = m[m["hit"].to_numpy(dtype=bool)]
    for code, r in zip(g.ngroup()[m["hit"].to_numpy(dtype=bool)].tolist(), hits.itertuples()):
        texts[code].append(_describe(r))
    out["evidence"] = ["; ".join(t) for t in texts]
    need = len(params["subjects"]) if params["subject_mode"] == "all" and _unit(params) == "kind" else 1
    out["triggered"] = out["hits"] >= need
    return out.reset_index().rename(columns={"_unit": "procedure"})[[*keys, "triggered", "evidence"]]


def triggered_by_school(trig: pd.DataFrame) -> dict[str, dict[tuple, list[tuple[str, str]]]]:
    """The triggered rows of :func:`triggered_procedures` by municipality:
    municipality → (school_id, year) → [(procedure, evidence), …], in table order."""
    out: dict[str, dict[tuple, list[tuple[str, str]]]] = {}
    t = trig[trig["triggered"].to_numpy(dtype=bool)]
    for m, sid, y, proc, ev in zip(t["municipality"], t["school_id"], t["year"], t["procedure"], t["evidence"]):
        out.setdefault(m, {}).setdefault((sid, y), []).append((proc, ev))
    return out


def _all_municipalities(by_muni: dict[str, dict]) -> dict[tuple, list]:
    """One (school_id, year) index over every municipality, in table order."""
    out: dict[tuple, list] = {}
    for m in sorted(by_muni):
        for key, items in by_muni[m].items():
            out.setdefault(key, []).extend(items)
    return out


def _rule(trig: dict[tuple, list[tuple[str, str]]], school: str, year: int, has_prev: bool,
          branches: str = "or") -> tuple[bool, str, str]:
    """Apply the two branches of §3.1 for one school; returns (hit, branch, evidence).

    ``trig`` is one municipality's part of :func:`triggered_by_school`; ``branches`` is
    ``or`` (either branch suffices) or ``and`` (both are needed, «а также»).
    """
    now = trig.get((school, year), [])
    two_now = len({p for p, _ in now}) >= 2
    both: list[str] = []
    prev: list[tuple[str, str]] = []
    if has_prev:
        prev = trig.get((school, year - 1), [])
        both = sorted({p for p, _ in now} & {p for p, _ in prev})
    if branches == "and":
        if two_now and both:
            ev = "; ".join([e for p, e in prev if p == both[0]] + [e for _, e in now])
            return True, BRANCH_BOTH, ev
        return False, "", "; ".join(e for _, e in now)
    if two_now:
        return True, BRANCH_TWO_PROCEDURES, "; ".join(e for _, e in now)
    if both:
        proc = both[0]
        ev = "; ".join([e for p, e in prev if p == proc] + [e for p, e in now if p == proc])
        return True, BRANCH_TWO_YEARS, ev
    return False, "", "; ".join(e for _, e in now)


def _branch_words(branch: str, unit: str) -> str:
    what, whats = ("работе", "работах") if unit == "work" else ("процедуре", "процедурах")
    return {BRANCH_TWO_PROCEDURES: f"в двух различных {whats} в один год",
            BRANCH_TWO_YEARS: f"в одной {what} два года подряд",
            BRANCH_BOTH: f"в двух различных {whats} в один год, а также в одной {what} два года подряд"}[branch]


def identify(pooled: pd.DataFrame, indices: pd.DataFrame, year: int, params: dict,
             excluded: pd.DataFrame | None = None, *, triggered: tuple[dict, dict] | None = None) -> pd.DataFrame:
    """ШНОР, зона риска and ШНСУ for every school of one municipality in ``year``.

    Parameters
    ----------
    pooled : DataFrame
        Pooled metrics of all loaded years of the municipality (needs ``year`` and Y−1).
    indices : DataFrame
        One row per school of year Y with ``school_id``, ``isbsh``, ``isbsh_group``.
    year : int
        The year evaluated.
    params : dict
        Thresholds, scope and ``shnsu_rule``.
    excluded : DataFrame, optional
        Pooled rows left out as non-objective (only listed in the reasons).
    triggered : (dict, dict), optional
        :func:`triggered_by_school` of :func:`triggered_procedures` at the ШНОР and the
        зона риска thresholds, when already computed for these schools (e.g. for many
        municipalities and years at once); computed from ``pooled`` otherwise.

    Returns
    -------
    DataFrame
        school_id, shnor, shnor_branch, risk_zone, shnsu, status, reasons.
    """
    years = set(pooled["year"])
    has_prev = (year - 1) in years
    unit, branches = _unit(params), _branches(params)
    need = ("двух работ" if unit == "work" else "двух процедур") + (" и двух лет" if branches == "and" else " или двух лет")
    if triggered is None:
        trig_hi, trig_lo = (_all_municipalities(triggered_by_school(triggered_procedures(pooled, params[t], params)))
                            for t in ("shnor_threshold", "risk_threshold"))
    else:
        trig_hi, trig_lo = triggered
    cur = pooled[(pooled["year"] == year) & pooled["in_scope"]]
    enough: dict[str, list] = {}
    small: dict[str, list] = {}
    for r in cur.itertuples():
        (enough if r.enough else small).setdefault(r.school_id, []).append(r)
    dropped: dict[str, list] = {}
    if excluded is not None and len(excluded):
        for r in excluded[excluded["year"] == year].itertuples():
            dropped.setdefault(r.school_id, []).append(r)
    rule = params["shnsu_rule"]
    if rule.get("isbsh_quantile") is not None:
        cutoff = indices["isbsh"].quantile(rule["isbsh_quantile"])
    th_hi, th_lo = fmt_pct(params["shnor_threshold"], 0), fmt_pct(params["risk_threshold"], 0)
    ordered = indices.sort_values("school_id")
    none = [None] * len(ordered)
    groups = ordered["isbsh_group"].tolist() if "isbsh_group" in ordered.columns else none
    zs = ordered["isbsh"].tolist() if "isbsh" in ordered.columns else none
    rows = []
    for sid, g, z in zip(ordered["school_id"].tolist(), groups, zs):
        reasons = []
        shnor, branch, ev = _rule(trig_hi, sid, year, has_prev, branches)
        if shnor:
            reasons.append(f"ШНОР: не менее {th_hi} не преодолели порог {_branch_words(branch, unit)}: {ev}")
        risk = False
        if not shnor:
            risk, rbranch, rev = _rule(trig_lo, sid, year, has_prev, branches)
            if risk:
                reasons.append(f"зона риска: не менее {th_lo} (но условие ШНОР не выполнено) "
                               f"{_branch_words(rbranch, unit)}: {rev}")
            else:
                mine = enough.get(sid, [])
                if mine:
                    worst = None  # the first largest share (NaN never wins), as idxmax
                    for r in mine:
                        if not pd.isna(r.fail_share) and (worst is None or r.fail_share > worst.fail_share):
                            worst = r
                    text = f"не ШНОР и не зона риска: наибольшая доля не преодолевших порог — {_describe(worst)}"
                    if ev:
                        one = "" if branches == "and" else ("одна работа " if unit == "work" else "одна процедура ")
                        text += f"; {one}выше {th_hi} ({ev}) — условие требует {need}"
                    elif rev:
                        text += f"; выше {th_lo} только: {rev} — условие требует {need}"
                    reasons.append(text)
                else:
                    reasons.append("нет результатов в объёме правила (ВПР 5–8, ОГЭ, ЕГЭ; русский язык, математика)")
        if not has_prev:
            reasons.append(f"данных за {year - 1} г. нет — проверено только условие двух процедур в одном году"
                           if branches == "or" else
                           f"данных за {year - 1} г. нет — условие «а также два года подряд» (branches: and) "
                           "не выполнить, ШНОР и зона риска не ставятся")
        for r in small.get(sid, []):
            reasons.append(f"мало участников: {_describe(r)} — меньше {params['min_participants']}, не учитывается")
        for r in dropped.get(sid, []):
            reasons.append(f"исключено как необъективное: {r.procedure} {r.year}, {r.subject}, {r.grade} класс")
        # ШНСУ
        if rule.get("isbsh_group_max") is not None:
            shnsu = pd.notna(g) and g <= rule["isbsh_group_max"]
            crit = f"группа ИСБШ ≤ {rule['isbsh_group_max']}"
        else:
            shnsu = pd.notna(z) and z <= cutoff
            crit = f"ИСБШ в нижней доле {fmt_pct(rule['isbsh_quantile'], 0)} (≤ {cutoff:.2f})"
        zt = "" if pd.isna(z) else f", ИСБШ = {z:.2f}".replace(".", ",")
        if pd.isna(g) and pd.isna(z):
            reasons.append("ШНСУ не определяется: нет социального паспорта / ИСБШ")
        elif shnsu:
            reasons.append(f"ШНСУ: {crit}: группа {int(g)}{zt}")
        else:
            reasons.append(f"не ШНСУ: группа ИСБШ {int(g) if pd.notna(g) else '—'}{zt} ({crit} не выполнено)")
        rows.append({"school_id": sid, "shnor": bool(shnor), "shnor_branch": branch, "risk_zone": bool(risk),
                     "shnsu": bool(shnsu), "reasons": " | ".join(reasons)})
    out = pd.DataFrame(rows)
    out["status"] = [status_of(a, b, c) for a, b, c in zip(out["shnor"], out["shnsu"], out["risk_zone"])]
    return out


def status_of(shnor: bool, shnsu: bool, risk: bool) -> str:
    """One status per school (§3.4)."""
    if shnor and shnsu:
        return "ШНОР+ШНСУ"
    if shnor:
        return "ШНОР"
    if shnsu:
        return "ШНСУ"
    if risk:
        return "зона риска"
    return ""

"""Identification rules (METHODOLOGY §3): objectivity flags, ШНОР, зона риска, ШНСУ, statuses.

Every decision carries its reason in words and numbers, e.g.
«ВПР 2024, русский язык: 41,0% (31 из 76)».
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "fmt_pct",
    "objectivity_flags",
    "triggered_procedures",
    "identify",
    "status_of",
    "FLAG_LABELS",
]

FLAG_LABELS = {
    "parallel_jump": "резкое отличие параллели от других классов",
    "inflated": "завышенный результат при слабых других процедурах",
    "journal_mismatch": "несоответствие ВПР и школьных отметок",
}


def fmt_pct(share: float, digits: int = 1) -> str:
    """41.0% with a decimal comma, as Russian reports print it."""
    if pd.isna(share):
        return "—"
    return f"{100 * share:.{digits}f}%".replace(".", ",")


def _ru(text: str) -> str:
    """Decimal commas in numbers like 4.55 (Russian typography)."""
    return re.sub(r"(?<=\d)\.(?=\d)", ",", text)


def _n(x: float) -> str:
    return f"{x:.0f}"


# ---------------------------------------------------------------- objectivity

def objectivity_flags(grades: pd.DataFrame, results: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Flags of possibly non-objective results per school × year × procedure × subject × grade.

    Parameters
    ----------
    grades : DataFrame
        :func:`shnor_lib.metrics.grade_metrics` output (with ``municipality``).
    results : DataFrame
        Validated results with journal shares (for ``journal_mismatch``).
    params : dict
        Uses ``objectivity``.

    Returns
    -------
    DataFrame
        One row per flag: keys, ``flag``, ``flag_label`` and ``detail`` (words and numbers).
    """
    p = params["objectivity"]
    keys = ["municipality", "school_id", "year", "procedure", "subject"]
    rows: list[dict] = []

    # parallel_jump: one grade against the pooled share of the school's other grades. Tested
    # iteratively — the most deviant grade is flagged first and leaves the pool — so that one
    # extreme grade does not make every other grade look like a jump.
    alpha = 1 - p["jump_confidence"]
    gr = grades[grades["participants"] > 0]
    tot = gr.groupby(keys)[["failed", "participants"]].transform("sum")
    n0 = tot["participants"] - gr["participants"]
    p0 = ((tot["failed"] - gr["failed"]) / n0.where(n0 > 0)).fillna(0)
    # a grade can only be a jump if it differs by ≥ jump_min_pp from the rest at least once
    candidate = (n0 > 0) & ((gr["fail_share"] - p0).abs() * 100 >= p["jump_min_pp"])
    screened = gr.set_index(keys).index.isin(gr[candidate].set_index(keys).index.unique())
    for key, g in gr[screened].groupby(keys, sort=True):
        active = g
        while len(active) >= 2:
            tot_f, tot_n = active["failed"].sum(), active["participants"].sum()
            best = None
            for _, r in active.iterrows():
                n0, f0 = tot_n - r["participants"], tot_f - r["failed"]
                p0 = f0 / n0
                lo = stats.binom.ppf(alpha / 2, r["participants"], p0) / r["participants"]
                hi = stats.binom.ppf(1 - alpha / 2, r["participants"], p0) / r["participants"]
                diff = r["fail_share"] - p0
                if (r["fail_share"] < lo or r["fail_share"] > hi) and abs(diff) * 100 >= p["jump_min_pp"]:
                    if best is None or abs(diff) > abs(best[1]):
                        best = (r, diff, p0, f0, n0, lo, hi)
            if best is None:
                break
            r, diff, p0, f0, n0, lo, hi = best
            rows.append({**dict(zip(keys, key)), "grade": int(r["grade"]), "flag": "parallel_jump",
                         "detail": f"{int(r['grade'])} класс: {fmt_pct(r['fail_share'])} не преодолели порог "
                                   f"({_n(r['failed'])} из {_n(r['participants'])}), в других классах — "
                                   f"{fmt_pct(p0)} ({_n(f0)} из {_n(n0)}); разница {abs(diff) * 100:.0f} п.п., "
                                   f"вне интервала {fmt_pct(lo, 0)}–{fmt_pct(hi, 0)}"})
            active = active[active["grade"] != r["grade"]]

    # inflated: above the municipal upper fence while the school's other procedures are below the median.
    metric = p["inflated_metric"]
    g_keys = ["municipality", "year", "procedure", "subject", "grade"]
    q = grades.groupby(g_keys)[metric]
    q1, q3, cnt = q.transform(lambda s: s.quantile(0.25)), q.transform(lambda s: s.quantile(0.75)), q.transform("count")
    fence = (q3 + p["iqr_k"] * (q3 - q1)).where(cnt >= 4)
    above = grades[grades[metric] > fence]
    if len(above):
        per_proc = grades.groupby(["municipality", "school_id", "year", "procedure"])[metric].mean().rename("v").reset_index()
        per_proc["median"] = per_proc.groupby(["municipality", "year", "procedure"])["v"].transform("median")
        for idx, r in above.iterrows():
            others = per_proc[(per_proc["municipality"] == r["municipality"]) & (per_proc["school_id"] == r["school_id"])
                              & (per_proc["year"] == r["year"]) & (per_proc["procedure"] != r["procedure"])].dropna(subset=["v"])
            if len(others) and (others["v"] < others["median"]).all():
                what = ", ".join(f"{o.procedure} {o.v:.2f} (медиана {o.median:.2f})" for o in others.itertuples())
                name = "средний балл" if metric == "mean_mark" else "качество знаний"
                rows.append({**{k: r[k] for k in keys}, "grade": int(r["grade"]), "flag": "inflated",
                             "detail": _ru(f"{int(r['grade'])} класс: {name} {r[metric]:.2f} выше верхней границы "
                                           f"{fence[idx]:.2f} (Q3 + {p['iqr_k']}·IQR по округу), а другие процедуры "
                                           f"ниже медианы: {what}")})

    # journal_mismatch: ВПР marks against journal marks (FIS OKO).
    if {"journal_raised", "journal_confirmed"} <= set(results.columns):
        vpr = results[results["procedure"].eq("ВПР")]
        for _, r in vpr.iterrows():
            raised, confirmed = r["journal_raised"], r["journal_confirmed"]
            bad_r = pd.notna(raised) and raised >= p["mismatch_raised"]
            bad_c = pd.notna(confirmed) and confirmed < p["mismatch_confirmed"]
            if bad_r or bad_c:
                parts = []
                if bad_r:
                    parts.append(f"повысили {fmt_pct(raised)} (порог {fmt_pct(p['mismatch_raised'], 0)})")
                if bad_c:
                    parts.append(f"подтвердили {fmt_pct(confirmed)} (порог {fmt_pct(p['mismatch_confirmed'], 0)})")
                rows.append({**{k: r[k] for k in keys}, "grade": int(r["grade"]), "flag": "journal_mismatch",
                             "detail": f"{int(r['grade'])} класс: " + ", ".join(parts)})
    out = pd.DataFrame(rows, columns=[*keys, "grade", "flag", "detail"])
    out["flag_label"] = out["flag"].map(FLAG_LABELS)
    return out.sort_values([*keys, "grade", "flag"]).reset_index(drop=True)


# ---------------------------------------------------------------- ШНОР / зона риска

def _describe(r) -> str:
    return f"{r.procedure} {r.year}, {r.subject}: {fmt_pct(r.fail_share)} ({_n(r.failed)} из {_n(r.participants)})"


def triggered_procedures(pooled: pd.DataFrame, threshold: float, params: dict) -> pd.DataFrame:
    """Which (school, year, procedure) reach ``threshold`` under ``subject_mode``.

    Returns one row per school × year × procedure in scope with ``triggered`` and
    ``evidence`` (the subjects that reached the threshold, in words and numbers).
    Groups below ``min_participants`` never count.
    """
    keys = ["municipality", "school_id", "year", "procedure"]
    m = pooled[pooled["in_scope"]].copy()
    if m.empty:
        return pd.DataFrame(columns=[*keys, "triggered", "evidence"])
    m["hit"] = m["enough"] & (m["fail_share"] >= threshold - 1e-12)
    m["text"] = np.where(m["hit"], [_describe(r) for r in m.itertuples()], "")
    g = m.groupby(keys, sort=True)
    out = g["hit"].sum().rename("hits").to_frame()
    out["evidence"] = g["text"].agg(lambda t: "; ".join(x for x in t if x))
    need = len(params["subjects"]) if params["subject_mode"] == "all" else 1
    out["triggered"] = out["hits"] >= need
    return out.reset_index()[[*keys, "triggered", "evidence"]]


def _rule(trig: pd.DataFrame, school: str, year: int, has_prev: bool) -> tuple[bool, str, str]:
    """Apply the two branches of §3.1 for one school; returns (hit, branch, evidence)."""
    now = trig[(trig["school_id"] == school) & (trig["year"] == year) & trig["triggered"]]
    if now["procedure"].nunique() >= 2:
        return True, "две процедуры", "; ".join(now["evidence"])
    if has_prev:
        prev = trig[(trig["school_id"] == school) & (trig["year"] == year - 1) & trig["triggered"]]
        both = sorted(set(now["procedure"]) & set(prev["procedure"]))
        if both:
            proc = both[0]
            ev = "; ".join(list(prev[prev["procedure"] == proc]["evidence"]) + list(now[now["procedure"] == proc]["evidence"]))
            return True, "два года подряд", ev
    return False, "", "; ".join(now["evidence"])


def identify(pooled: pd.DataFrame, indices: pd.DataFrame, year: int, params: dict,
             excluded: pd.DataFrame | None = None) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        school_id, shnor, shnor_branch, risk_zone, shnsu, status, reasons.
    """
    years = set(pooled["year"])
    has_prev = (year - 1) in years
    trig_hi = triggered_procedures(pooled, params["shnor_threshold"], params)
    trig_lo = triggered_procedures(pooled, params["risk_threshold"], params)
    cur = pooled[(pooled["year"] == year) & pooled["in_scope"]]
    small = cur[~cur["enough"]]
    rule = params["shnsu_rule"]
    if rule.get("isbsh_quantile") is not None:
        cutoff = indices["isbsh"].quantile(rule["isbsh_quantile"])
    rows = []
    for _, s in indices.sort_values("school_id").iterrows():
        sid = s["school_id"]
        reasons = []
        shnor, branch, ev = _rule(trig_hi, sid, year, has_prev)
        th_hi, th_lo = fmt_pct(params["shnor_threshold"], 0), fmt_pct(params["risk_threshold"], 0)
        if shnor:
            what = ("в двух различных процедурах в один год" if branch == "две процедуры"
                    else "в одной процедуре два года подряд")
            reasons.append(f"ШНОР: не менее {th_hi} не преодолели порог {what}: {ev}")
        risk = False
        if not shnor:
            risk, rbranch, rev = _rule(trig_lo, sid, year, has_prev)
            if risk:
                what = ("в двух различных процедурах в один год" if rbranch == "две процедуры"
                        else "в одной процедуре два года подряд")
                reasons.append(f"зона риска: не менее {th_lo} (но условие ШНОР не выполнено) {what}: {rev}")
            else:
                mine = cur[(cur["school_id"] == sid) & cur["enough"]]
                if len(mine):
                    worst = mine.loc[mine["fail_share"].idxmax()]
                    text = f"не ШНОР и не зона риска: наибольшая доля не преодолевших порог — {_describe(worst)}"
                    if ev:
                        text += f"; одна процедура выше {th_hi} ({ev}) — условие требует двух процедур или двух лет"
                    elif rev:
                        text += f"; выше {th_lo} только: {rev} — условие требует двух процедур или двух лет"
                    reasons.append(text)
                else:
                    reasons.append("нет результатов в объёме правила (ВПР 5–8, ОГЭ, ЕГЭ; русский язык, математика)")
        if not has_prev:
            reasons.append(f"данных за {year - 1} г. нет — проверено только условие двух процедур в одном году")
        for r in small[small["school_id"] == sid].itertuples():
            reasons.append(f"мало участников: {_describe(r)} — меньше {params['min_participants']}, не учитывается")
        if excluded is not None and len(excluded):
            for r in excluded[(excluded["school_id"] == sid) & (excluded["year"] == year)].itertuples():
                reasons.append(f"исключено как необъективное: {r.procedure} {r.year}, {r.subject}, {r.grade} класс")
        # ШНСУ
        g, z = s.get("isbsh_group"), s.get("isbsh")
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

"""School-leader pairing (seed 000: п. 28 «сетевое взаимодействие со школами-лидерами» and section
16, indicator 3 «закрепление за ШНОР школ-лидеров — 100%»).

**Who can lead** (:func:`leader_candidates`, parameters ``leaders``): a school of the latest
season with no status (ШНОР, ШНСУ, зона риска) in any loaded year, whose pooled fail share
(Σ«2» / Σparticipants over every procedure × subject in scope) lies below the
``fail_quantile`` of the municipality (default the median) in every loaded year, and — with
``exclude_objectivity_flags`` — without objectivity flags in the latest year (a mentor's high
results must be trustworthy).

**Who gets a leader**: every school of the latest season whose status is in
``partner_statuses`` (ШНОР, ШНОР+ШНСУ, ШНСУ).

**Assignment** (:func:`assign_leaders`): global, by :func:`scipy.optimize.linear_sum_assignment`
on a cost matrix whose columns are the leaders, each repeated ``leader_capacity`` times, so no
leader gets more partners than its capacity and the total cost is minimal. The cost of a pair
(partner p, leader l), weights ``leaders.weights``::

    cost = isbsh · |ИСБШ_l − ИСБШ_p|            (similar social context; missing_isbsh_gap if unknown)
         + territory · [territory_l ≠ territory_p or unknown]
         + kind · [kind_l ≠ kind_p, both known]  (like schools: an ООШ does not mentor a СОШ)
         − resilient · [l is «резильентная»]    (beats its context: §5)
         − positive_residual · [residual_l > 0]

When the leaders' places are fewer than the partners, the assignment leaves out the partners
whose pairing would cost most, and says so; when there is no candidate at all, the reason
names how many schools each selection step removed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..contract.schema import normalize_label, school_id_order
from ..report.format import fmt_num, fmt_pct

__all__ = ["leader_candidates", "assign_leaders", "pair_leaders", "pair_cost", "LABELS"]

#: Russian headers for the tables of this module.
LABELS = {
    "school_id": "Код ОО", "name": "Наименование ОО", "territory": "Территория", "isbsh": "ИСБШ",
    "eligible": "Может быть школой-лидером", "reason": "Основание", "partner_id": "Код ОО (ШНОР/ШНСУ)",
    "partner_name": "ОО (ШНОР/ШНСУ)", "partner_status": "Статус", "leader_id": "Код школы-лидера",
    "leader_name": "Школа-лидер", "isbsh_gap": "|ΔИСБШ|", "same_territory": "Та же территория",
    "same_kind": "Тот же тип ОО", "kind": "Тип ОО",
    "cost": "Стоимость пары", "explanation": "Обоснование",
}




def _sorted(results: Sequence) -> list:
    res = sorted(results, key=lambda r: r.year)
    if not res:
        raise ValueError("нужен хотя бы один сезон (SeasonResult)")
    if len({r.municipality for r in res}) > 1:
        raise ValueError("сезоны разных муниципалитетов")
    return res


def _fail_by_year(result) -> pd.DataFrame:
    """Pooled in-scope fail share per school × year (all loaded years, the latest season's scope)."""
    m = result.metrics[result.metrics["in_scope"]].copy()
    m["school_id"] = m["school_id"].astype(str)
    g = m.groupby(["school_id", "year"], as_index=False)[["failed", "participants"]].sum()
    g = g[g["participants"] > 0]
    g["fail_share"] = g["failed"] / g["participants"]
    return g


def leader_candidates(results: Sequence, params: dict | None = None) -> pd.DataFrame:
    """Every school of the latest season with whether it can be a school-leader, and why.

    Parameters
    ----------
    results : SeasonResults of the loaded years of one municipality.
    params : dict, optional
        Uses ``leaders``; those of the latest season by default.

    Returns
    -------
    DataFrame
        school_id, name, territory, isbsh, resilience, residual, eligible, reason (Russian, with
        the shares and municipal bounds of every year), fail_text (shares by year), step (the
        first selection step the school failed: «статус», «доля», «объективность», or "").
    """
    res = _sorted(results)
    lp = (params or res[-1].params)["leaders"]
    last = res[-1].schools.assign(school_id=res[-1].schools["school_id"].astype(str))
    fails = _fail_by_year(res[-1])
    years = [r.year for r in res]
    bound = {y: fails.loc[fails["year"] == y, "fail_share"].quantile(lp["fail_quantile"]) for y in years}
    # plain dicts: one lookup per school and year instead of a pandas .loc each
    share = dict(zip(zip(fails["school_id"].tolist(), fails["year"].tolist(), strict=True),
                     fails["fail_share"].to_numpy(), strict=True))
    statuses = {r.year: dict(zip(r.schools["school_id"].astype(str).tolist(), r.schools["status"].tolist(), strict=True))
                for r in res}
    q = "медианы" if lp["fail_quantile"] == 0.5 else f"квантиля {fmt_num(lp['fail_quantile'])}"
    bword = "медиана округа" if lp["fail_quantile"] == 0.5 else f"квантиль {fmt_num(lp['fail_quantile'])} округа"
    rows = []
    for s in last.itertuples(index=False):
        sid = s.school_id
        had = [f"«{statuses[y][sid]}» в {y} г." for y in years if sid in statuses[y] and statuses[y][sid]]
        texts, below = [], True
        for y in years:
            if (sid, y) in share:
                v = share[(sid, y)]
                texts.append(f"{y} — {fmt_pct(v)} ({bword} {fmt_pct(bound[y])})")
                below &= bool(v < bound[y])
            else:
                texts.append(f"{y} — нет результатов")
                below = False
        fail_text = "; ".join(texts)
        flags = str(getattr(s, "objectivity_flags", "") or "")
        if flags == "nan":
            flags = ""
        if had:
            step, reason = "статус", "имеет статус: " + ", ".join(had)
        elif not below:
            step, reason = "доля", f"доля не преодолевших порог не ниже {q} округа хотя бы в один год: {fail_text}"
        elif lp["exclude_objectivity_flags"] and flags:
            step, reason = "объективность", f"признаки необъективности результатов {years[-1]} г.: {flags}"
        else:
            step, reason = "", (f"без статуса во все годы {years[0]}–{years[-1]}; доля не преодолевших порог ниже "
                                f"{q} округа каждый год: {fail_text}")
        rows.append({"school_id": sid, "name": s.name, "kind": getattr(s, "kind", np.nan),
                     "territory": getattr(s, "territory", np.nan),
                     "isbsh": s.isbsh, "resilience": getattr(s, "resilience", np.nan),
                     "residual": getattr(s, "residual", np.nan), "eligible": step == "", "reason": reason,
                     "fail_text": fail_text, "step": step})
    return pd.DataFrame(rows)


def pair_cost(partner: pd.Series, leader: pd.Series, params: dict) -> tuple[float, dict]:
    """The cost of one pair and its terms (see the module docstring).

    Returns
    -------
    (cost, terms) : terms has ``gap`` (|ΔИСБШ| used), ``same_territory`` (bool),
        ``resilient`` (bool), ``positive_residual`` (bool).
    """
    lp = params["leaders"]
    w = lp["weights"]
    gap = abs(leader["isbsh"] - partner["isbsh"])
    gap = lp["missing_isbsh_gap"] if pd.isna(gap) else float(gap)
    tp, tl = partner.get("territory"), leader.get("territory")
    same = bool(pd.notna(tp) and pd.notna(tl) and str(tp) == str(tl))
    # school kind (СОШ, ООШ, гимназия …): a penalty only when both kinds are known and differ
    kp, kl = partner.get("kind"), leader.get("kind")
    kinds_known = bool(pd.notna(kp) and pd.notna(kl) and str(kp).strip() and str(kl).strip())
    other_kind = kinds_known and normalize_label(kp) != normalize_label(kl)
    resilient = leader.get("resilience") == "резильентная"
    positive = bool(pd.notna(leader.get("residual")) and leader.get("residual") > 0)
    cost = (w["isbsh"] * gap + w["territory"] * (not same) + w.get("kind", 0.0) * other_kind
            - w["resilient"] * resilient - w["positive_residual"] * positive)
    return float(cost), {"gap": gap, "same_territory": same, "resilient": bool(resilient), "positive_residual": positive,
                         "kinds_known": kinds_known, "same_kind": None if not kinds_known else not other_kind}


def _explain(p: pd.Series, ld: pd.Series, cost: float, t: dict, params: dict) -> str:
    w = params["leaders"]["weights"]
    isb = lambda x: "не рассчитан" if pd.isna(x) else fmt_num(x)  # noqa: E731
    words = [f"школа-лидер № {ld['school_id']} ({ld['name']}): ИСБШ {isb(ld['isbsh'])} против {isb(p['isbsh'])} "
             f"у № {p['school_id']} (|Δ| = {fmt_num(t['gap'])}"
             + (", ИСБШ неизвестен — принята условная разница" if pd.isna(ld["isbsh"]) or pd.isna(p["isbsh"]) else "")
             + ")"]
    if t["same_territory"]:
        words.append(f"та же территория ({ld['territory']})")
    else:
        tl = ld.get("territory") if pd.notna(ld.get("territory")) else "не указана"
        tp = p.get("territory") if pd.notna(p.get("territory")) else "не указана"
        words.append(f"другая территория ({tl} против {tp})")
    if t.get("kinds_known"):
        words.append(f"тот же тип школы ({ld['kind']})" if t["same_kind"]
                     else f"другой тип школы ({ld['kind']} против {p['kind']})")
    if t["resilient"]:
        words.append("резильентная (результаты выше ожидаемых при её контексте)")
    if t["positive_residual"]:
        words.append(f"положительный остаток модели качества ({fmt_num(ld['residual'], 3)})")
    if isinstance(ld.get("fail_text"), str) and ld["fail_text"]:
        words.append("доля не преодолевших порог: " + ld["fail_text"])
    kind_term = (f" + {fmt_num(w.get('kind', 0.0))}·{int(not t['same_kind'])}"
                 if t.get("kinds_known") and w.get("kind", 0.0) else "")
    words.append(f"стоимость пары {fmt_num(cost)} = {fmt_num(w['isbsh'])}·{fmt_num(t['gap'])} + "
                 f"{fmt_num(w['territory'])}·{int(not t['same_territory'])}{kind_term} − "
                 f"{fmt_num(w['resilient'])}·{int(t['resilient'])}"
                 f" − {fmt_num(w['positive_residual'])}·{int(t['positive_residual'])}")
    return "; ".join(words)


def assign_leaders(partners: pd.DataFrame, leaders: pd.DataFrame, params: dict,
                   no_leader_reason: str | None = None) -> pd.DataFrame:
    """Pair partners with leaders globally at minimal total cost, at most ``leader_capacity`` each.

    Parameters
    ----------
    partners : DataFrame
        school_id, name, status, isbsh, territory.
    leaders : DataFrame
        school_id, name, isbsh, territory, resilience, residual, optionally fail_text.
    params : dict
        Uses ``leaders``.
    no_leader_reason : str, optional
        Why there are no leaders (said for every partner when ``leaders`` is empty).

    Returns
    -------
    DataFrame
        partner_id, partner_name, partner_status, leader_id, leader_name, isbsh_partner,
        isbsh_leader, isbsh_gap, same_territory, cost, explanation — one row per partner
        (leader_id missing and the reason in ``explanation`` when unpaired).
    """
    cap = int(params["leaders"]["leader_capacity"])
    if cap < 1:
        raise ValueError("параметр «leaders.leader_capacity» должен быть не меньше 1")
    P = partners.reset_index(drop=True)
    L = leaders.reset_index(drop=True)
    cols = ["partner_id", "partner_name", "partner_status", "leader_id", "leader_name", "isbsh_partner",
            "isbsh_leader", "isbsh_gap", "same_territory", "same_kind", "cost", "explanation"]
    rows = []
    chosen: dict[int, tuple[int, float, dict]] = {}
    if len(P) and len(L):
        slots = [j for j in range(len(L)) for _ in range(cap)]
        C = np.empty((len(P), len(slots)))
        terms = {}
        for i in range(len(P)):
            for j in range(len(L)):
                c, t = pair_cost(P.loc[i], L.loc[j], params)
                terms[(i, j)] = (c, t)
                C[i, [k for k, jj in enumerate(slots) if jj == j]] = c
        r_idx, c_idx = linear_sum_assignment(C)
        for i, k in zip(r_idx, c_idx, strict=True):
            j = slots[k]
            chosen[i] = (j, *terms[(i, j)])
    for i in range(len(P)):
        p = P.loc[i]
        row = {"partner_id": str(p["school_id"]), "partner_name": p["name"], "partner_status": p.get("status"),
               "leader_id": None, "leader_name": None, "isbsh_partner": p["isbsh"], "isbsh_leader": np.nan,
               "isbsh_gap": np.nan, "same_territory": None, "same_kind": None, "cost": np.nan}
        if i in chosen:
            j, c, t = chosen[i]
            lrow = L.loc[j]
            row.update({"leader_id": str(lrow["school_id"]), "leader_name": lrow["name"], "isbsh_leader": lrow["isbsh"],
                        "isbsh_gap": t["gap"], "same_territory": t["same_territory"], "same_kind": t["same_kind"],
                        "cost": c,
                        "explanation": _explain(p, lrow, c, t, params)})
        elif not len(L):
            row["explanation"] = "школа-лидер не подобрана: " + (no_leader_reason or "нет школ-кандидатов")
        else:
            row["explanation"] = (f"школа-лидер не подобрана: мест у школ-лидеров меньше, чем школ — {len(L)} "
                                  f"лидер(ов) × {cap} = {len(L) * cap} мест на {len(P)} ОО; при наименьшей общей "
                                  "стоимости эта школа осталась без пары — нужна ещё одна школа-лидер или "
                                  "большее значение leaders.leader_capacity")
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("partner_id", key=school_id_order).reset_index(drop=True)


def pair_leaders(results: Sequence, params: dict | None = None, *, candidates: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Suggest a school-leader for every ШНОР / ШНСУ school of the latest season.

    Parameters
    ----------
    results : SeasonResults of the loaded years of one municipality (the candidates' record
        is checked over all of them).
    params : dict, optional
        Uses ``leaders``; those of the latest season by default.
    candidates : DataFrame, optional
        :func:`leader_candidates` of the same seasons and parameters, when already computed
        (computed here otherwise).

    Returns
    -------
    DataFrame
        As :func:`assign_leaders`; ``explanation`` gives the pairing in words and numbers or
        the reason no leader is available.
    """
    res = _sorted(results)
    params = params or res[-1].params
    lp = params["leaders"]
    cand = leader_candidates(res, params) if candidates is None else candidates
    last = res[-1].schools.assign(school_id=res[-1].schools["school_id"].astype(str))
    partners = last[last["status"].isin(lp["partner_statuses"])]
    leaders = cand[cand["eligible"]]
    reason = None
    if leaders.empty:
        n = len(cand)
        steps = cand["step"].value_counts()
        q = "медианы" if lp["fail_quantile"] == 0.5 else f"квантиля {fmt_num(lp['fail_quantile'])}"
        reason = (f"из {n} ОО {steps.get('статус', 0)} имели статус хотя бы в один год, "
                  f"{steps.get('доля', 0)} — долю не преодолевших порог не ниже {q} округа хотя бы в один год, "
                  f"{steps.get('объективность', 0)} — признаки необъективности результатов; "
                  "ни одна школа не отвечает условиям школы-лидера (параметры leaders.fail_quantile, "
                  "leaders.exclude_objectivity_flags)")
    return assign_leaders(partners, leaders, params, reason)

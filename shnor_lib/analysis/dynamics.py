"""Dynamics across years (Методика §9, docs/methodology/dynamics.md; seed 001, 1.2.12): who entered and left the lists,
whether fail shares changed beyond chance, the three-year view of schools in support, and
«что изменилось и почему» — whether the data, the parameters or the rule branch changed a status.

All functions take the :class:`~shnor_lib.pipeline.season.SeasonResult` of consecutive years of one
municipality (any order; they are sorted by year) and are pure: :func:`explain_changes`
recomputes a season with other parameters through :func:`~shnor_lib.pipeline.season.compute_season`,
which reads nothing from disk.

**Change test.** For a school, a procedure and a subject, the fail shares of years Y−1 and Y
(pooled over grades, Σ«2» / Σparticipants) are compared with a two-sided two-proportion test
(:func:`two_proportion_test`): by default **Fisher's exact test** on the 2 × 2 table
(failed / passed × year), right for the small schools we meet (5–40 pupils); with
``dynamics.test: z`` the pooled two-proportion z-test with Yates' continuity correction. A change
is «значимое» when p < ``dynamics.alpha``.

**Attribution** (:func:`explain_changes`). For a school whose status (or ШНОР branch) differs
between Y−1 and Y, let S(X | P) be its status in year X computed with parameters P. Then

* **параметры** contributed when S(Y−1 | P_Y) ≠ S(Y−1 | P_{Y−1}): with this year's parameters
  last year's status would already have been different; or when S(Y | P_{Y−1}) ≠ S(Y | P_Y):
  with last year's parameters this year's status would be different (this second check
  catches a change that needs both the new data and the new parameters);
* **данные** contributed when S(Y−1 | P_Y) ≠ S(Y | P_Y): under the same parameters the status
  moved, because shares crossed a threshold (named: procedure, subject, both shares), a
  procedure triggered a second year running, a group reached ``min_participants``, or the
  ИСБШ group moved across the ШНСУ bound;
* **ветвь правила** when the school is ШНОР in both years (under P_Y) but by another branch
  of §3.1 («две процедуры» / «два года подряд»).

Several causes can hold at once («данные и параметры»).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..config.params import params_digest
from ..contract.schema import school_id_key, school_id_order
from ..report.format import fmt_num, fmt_pct, p_text

if TYPE_CHECKING:  # for annotations only: the pipeline builds on analysis/
    from ..pipeline.season import Dataset

__all__ = [
    "two_proportion_test",
    "status_transitions",
    "fail_share_changes",
    "support_view",
    "explain_changes",
    "LABELS",
]

#: Russian headers for the tables of this module.
LABELS = {
    "school_id": "Код ОО", "name": "Наименование ОО", "year_from": "Год 1", "year_to": "Год 2",
    "status_from": "Статус (год 1)", "status_to": "Статус (год 2)", "shnor_change": "Список ШНОР",
    "shnsu_change": "Список ШНСУ", "risk_change": "Зона риска", "support_change": "ШНОР ∪ ШНСУ",
    "procedure": "Процедура", "subject": "Предмет", "share_from": "Доля (год 1)", "share_to": "Доля (год 2)",
    "change_pp": "Изменение, п.п.", "p_value": "p", "significant": "Значимо", "conclusion": "Вывод",
    "included_since": "В поддержке с", "year": "Год", "year_no": "Год сопровождения", "status": "Статус",
    "fail_share": "Доля не преодолевших порог", "shares": "По процедурам", "cause": "Причина",
    "explanation": "Что изменилось и почему", "parameter_changes": "Изменённые параметры",
}

_LISTS = {"shnor_change": lambda s: s["shnor"], "shnsu_change": lambda s: s["shnsu"],
          "risk_change": lambda s: s["status"].eq("зона риска"),
          "support_change": lambda s: s["shnor"] | s["shnsu"]}
ALL = "все процедуры"


def _share(failed: float, n: float) -> str:
    return f"{fmt_pct(failed / n)} ({failed:.0f} из {n:.0f})" if n > 0 else "нет участников"


def _sorted(results: Sequence) -> list:
    res = sorted(results, key=lambda r: r.year)
    if not res:
        raise ValueError("нужен хотя бы один сезон (SeasonResult)")
    if len({r.municipality for r in res}) > 1:
        raise ValueError("сезоны разных муниципалитетов: " + ", ".join(sorted({r.municipality for r in res})))
    years = [r.year for r in res]
    if any(b - a != 1 for a, b in pairwise(years)):
        raise ValueError(f"годы должны идти подряд, получено: {years}")
    return res


def _flags(schools: pd.DataFrame) -> pd.DataFrame:
    s = schools.assign(school_id=schools["school_id"].astype(str)).set_index("school_id")
    s["shnor_branch"] = s["shnor_branch"].fillna("")
    return s


# ---------------------------------------------------------------- the test

def two_proportion_test(x1: int, n1: int, x2: int, n2: int, method: str = "exact") -> float:
    """Two-sided p-value for H0: the two fail shares x1/n1 and x2/n2 are equal.

    Parameters
    ----------
    x1, n1, x2, n2 : counts (failed, participants) of the two years.
    method : ``"exact"`` — Fisher's exact test on [[x1, n1−x1], [x2, n2−x2]];
        ``"z"`` — pooled z-test with Yates' continuity correction:
        z = (|p1 − p2| − ½(1/n1 + 1/n2)) / √(p̄(1−p̄)(1/n1 + 1/n2)), z floored at 0, p = 2(1 − Φ(z)).

    Returns
    -------
    float
        The p-value; NaN when a year has no participants.
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan")
    return _p_value(x1, n1, x2, n2, method)


@lru_cache(maxsize=65_536)
def _p_value(x1: int, n1: int, x2: int, n2: int, method: str) -> float:
    """:func:`two_proportion_test` for participants on both sides, memoised: a country run meets the
    same small counts thousands of times, and each season re-tests the pairs of the years before it."""
    if method == "exact":
        return float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="two-sided")[1])
    if method == "z":
        pooled = (x1 + x2) / (n1 + n2)
        if pooled in (0.0, 1.0):
            return 1.0
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = max(abs(x1 / n1 - x2 / n2) - 0.5 * (1 / n1 + 1 / n2), 0.0) / se
        return float(2 * stats.norm.sf(z))
    raise ValueError(f"параметр «dynamics.test» = {method!r}; допустимо: exact, z")


# ---------------------------------------------------------------- transitions

def status_transitions(results: Sequence) -> pd.DataFrame:
    """Status of every school in each pair of consecutive years and its move in each list.

    A school is in the ШНОР list when flagged ШНОР (also ШНОР+ШНСУ), in the ШНСУ list when
    flagged ШНСУ, in the зона риска list when its status is «зона риска», in support when
    ШНОР or ШНСУ. A school absent from a season counts as not listed in it.

    Returns
    -------
    DataFrame
        school_id, name, year_from, year_to, status_from, status_to, branch_from, branch_to,
        status_changed, and per list (shnor_change, shnsu_change, risk_change, support_change)
        one of «вошла», «вышла», «осталась», «не в списке».
    """
    res = _sorted(results)
    rows = []
    for prev, cur in pairwise(res):
        a, b = _flags(prev.schools), _flags(cur.schools)
        ids = sorted(set(a.index) | set(b.index), key=school_id_key)
        member = {k: (set(a.index[f(a).values]), set(b.index[f(b).values])) for k, f in _LISTS.items()}
        for sid in ids:
            row = {"school_id": sid, "name": (b if sid in b.index else a).loc[sid, "name"],
                   "year_from": prev.year, "year_to": cur.year,
                   "status_from": a["status"].get(sid, "нет в перечне ОО"),
                   "status_to": b["status"].get(sid, "нет в перечне ОО"),
                   "branch_from": a["shnor_branch"].get(sid, ""), "branch_to": b["shnor_branch"].get(sid, "")}
            row["status_changed"] = row["status_from"] != row["status_to"]
            for k, (before, now) in member.items():
                row[k] = {(False, True): "вошла", (True, False): "вышла", (True, True): "осталась",
                          (False, False): "не в списке"}[(sid in before, sid in now)]
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- fail shares

def _in_scope(result) -> pd.DataFrame:
    m = result.metrics
    m = m[m["in_scope"]].copy()
    m["school_id"] = m["school_id"].astype(str)
    return m


def fail_share_changes(results: Sequence, params: dict | None = None) -> pd.DataFrame:
    """Change of each school's fail share between consecutive years, with a two-proportion test.

    Uses the metrics of the later season of each pair (both years under its parameters, so
    the scope is the same): one row per procedure × subject in scope present in both years,
    and one row «все процедуры» pooling Σ«2» / Σparticipants over the procedure × subject
    pairs present in both years.

    Parameters
    ----------
    results : SeasonResults of consecutive years.
    params : dict, optional
        For ``dynamics.alpha`` and ``dynamics.test``; those of the latest season by default.

    Returns
    -------
    DataFrame
        school_id, name, year_from, year_to, procedure, subject, failed_from, participants_from,
        share_from, failed_to, participants_to, share_to, change_pp, p_value, test, significant,
        conclusion (Russian, with numbers).
    """
    res = _sorted(results)
    p = (params or res[-1].params)["dynamics"]
    test_name = {"exact": "точный критерий Фишера", "z": "z-критерий с поправкой на непрерывность"}.get(p["test"])
    rows = []
    for prev, cur in pairwise(res):
        m = _in_scope(cur)
        names = dict(zip(cur.schools["school_id"].astype(str), cur.schools["name"], strict=True))
        key = ["school_id", "procedure", "subject"]
        a = m.loc[m["year"] == prev.year, [*key, "failed", "participants"]]
        b = m.loc[m["year"] == cur.year, [*key, "failed", "participants"]]
        both = a.merge(b, on=key, how="inner", suffixes=("_from", "_to"))
        total = both.groupby("school_id", as_index=False)[
            ["failed_from", "participants_from", "failed_to", "participants_to"]].sum()
        total["procedure"], total["subject"] = ALL, " и ".join(cur.params["subjects"])
        for r in pd.concat([both, total], ignore_index=True).itertuples(index=False):
            pv = two_proportion_test(int(r.failed_from), int(r.participants_from), int(r.failed_to),
                                     int(r.participants_to), p["test"])
            s0, s1 = r.failed_from / r.participants_from, r.failed_to / r.participants_to
            d = 100 * (s1 - s0)
            sig = bool(pv < p["alpha"]) if not np.isnan(pv) else False
            way = "снизилась" if d < 0 else ("выросла" if d > 0 else "не изменилась")
            verdict = "изменение значимо" if sig else "в пределах случайных колебаний"
            rows.append({"school_id": r.school_id, "name": names.get(r.school_id, ""), "year_from": prev.year,
                         "year_to": cur.year, "procedure": r.procedure, "subject": r.subject,
                         "failed_from": r.failed_from, "participants_from": r.participants_from, "share_from": s0,
                         "failed_to": r.failed_to, "participants_to": r.participants_to, "share_to": s1,
                         "change_pp": d, "p_value": pv, "test": test_name, "significant": sig,
                         "conclusion": f"{r.procedure}, {r.subject}: {_share(r.failed_from, r.participants_from)} → "
                                       f"{_share(r.failed_to, r.participants_to)}, доля {way}"
                                       f"{'' if d == 0 else ' на ' + fmt_num(abs(d), 1) + ' п.п.'} — {verdict} "
                                       f"({p_text(pv)}, {test_name})"})
    out = pd.DataFrame(rows)
    if len(out):
        out["_o"] = out["procedure"].eq(ALL)
        out = out.sort_values(["year_from", "school_id", "_o", "procedure", "subject"],
                              key=lambda c: school_id_order(c) if c.name == "school_id" else c).drop(columns="_o")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- three-year view

def support_view(results: Sequence, horizon: int = 3) -> pd.DataFrame:
    """The effectiveness view of seed 001, 1.2.12 for every school ever in ШНОР ∪ ШНСУ.

    The school's first loaded year in ШНОР ∪ ШНСУ is its year of inclusion (year_no 0; when
    that is the first loaded year, inclusion may be earlier and the row says «не позднее»);
    the view follows it for up to ``horizon`` further loaded years.

    Returns
    -------
    DataFrame
        school_id, name, included_since, year, year_no, status, failed, participants,
        fail_share (pooled over every procedure × subject in scope that year), shares (each
        procedure × subject in words), change_pp (from the year of inclusion).
    """
    res = _sorted(results)
    by_year = {r.year: _flags(r.schools) for r in res}
    m = _in_scope(res[-1])
    first: dict[str, int] = {}
    for r in res:
        s = by_year[r.year]
        for sid in s.index[(s["shnor"] | s["shnsu"]).values]:
            first.setdefault(sid, r.year)
    rows = []
    for sid, y0 in sorted(first.items(), key=lambda kv: school_id_key(kv[0])):
        since = f"не позднее {y0}" if y0 == res[0].year else str(y0)
        base = None
        for r in res:
            if not y0 <= r.year <= y0 + horizon:
                continue
            s = by_year[r.year]
            mine = m[(m["school_id"] == sid) & (m["year"] == r.year)]
            f, n = mine["failed"].sum(), mine["participants"].sum()
            share = f / n if n > 0 else np.nan
            base = share if r.year == y0 else base
            rows.append({"school_id": sid, "name": s["name"].get(sid, ""), "included_since": since,
                         "year": r.year, "year_no": r.year - y0,
                         "status": s["status"].get(sid, "нет в перечне ОО") or "—",
                         "failed": f, "participants": n, "fail_share": share,
                         "shares": "; ".join(f"{x.procedure} {x.subject} {fmt_pct(x.fail_share)}"
                                             for x in mine.itertuples()),
                         "change_pp": 100 * (share - base) if base is not None and n > 0 else np.nan})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- attribution

def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if str(k).startswith("_"):
            continue
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _param_diff(old: dict, new: dict) -> str:
    a, b = _flat(old), _flat(new)

    def show(v):
        return fmt_num(v, 2) if isinstance(v, float) else ("—" if v is None else str(v))

    return "; ".join(f"{k}: {show(a.get(k))} → {show(b.get(k))}" for k in sorted(set(a) | set(b))
                     if a.get(k) != b.get(k))


def _two_years(s: pd.Series, flag: str) -> bool:
    """Whether the school's flag rests on the «два года подряд» branch of §3.1."""
    if flag == "shnor":
        return s["shnor_branch"] == "два года подряд"
    return any(part.startswith("зона риска") and "два года подряд" in part for part in str(s["reasons"]).split(" | "))


def _data_detail(sid: str, y0: int, y1: int, old: pd.Series, new: pd.Series, cur) -> str:
    """Words and numbers for a status change under the same parameters (those of ``cur``)."""
    p = cur.params
    m = _in_scope(cur)
    m = m[m["school_id"] == sid].set_index(["procedure", "subject", "year"])
    parts = []
    flags_changed = {k for k in ("shnor", "risk_zone", "shnsu") if bool(old[k]) != bool(new[k])}
    # the risk-zone flag is only evaluated for a non-ШНОР school: when ШНОР takes over, its
    # disappearance is not a change of the data
    thresholds = [(p[t], f) for f, t in (("shnor", "shnor_threshold"), ("risk_zone", "risk_threshold"))
                  if f in flags_changed and not (f == "risk_zone" and new["shnor"])]
    pairs = sorted({(pr, su) for pr, su, _ in m.index})
    for th, flag in thresholds:
        for pr, su in pairs:
            a = m.loc[(pr, su, y0)] if (pr, su, y0) in m.index else None
            b = m.loc[(pr, su, y1)] if (pr, su, y1) in m.index else None
            hit_a = a is not None and bool(a["enough"]) and a["fail_share"] >= th - 1e-12
            hit_b = b is not None and bool(b["enough"]) and b["fail_share"] >= th - 1e-12
            sa = _share(a["failed"], a["participants"]) if a is not None else "нет данных"
            sb = _share(b["failed"], b["participants"]) if b is not None else "нет данных"
            if hit_a != hit_b and hit_b == bool(new[flag]):  # only crossings in the direction of the change
                small = [f"{yy}: меньше {p['min_participants']} участников" for yy, x in ((y0, a), (y1, b))
                         if x is not None and not bool(x["enough"])]
                where = "достигла порога" if hit_b else "опустилась ниже порога"
                parts.append(f"{pr}, {su}: {y0} — {sa}, {y1} — {sb}; доля {where} {fmt_pct(th, 0)}"
                             + (f" ({'; '.join(small)})" if small else ""))
            elif hit_a and hit_b and bool(new[flag]) and _two_years(new, flag):
                parts.append(f"{pr}, {su}: не ниже {fmt_pct(th, 0)} второй год подряд ({y0} — {sa}, {y1} — {sb}) — "
                             "выполнено условие «два года подряд»")
    if "shnsu" in flags_changed:
        g0, g1 = old.get("isbsh_group"), new.get("isbsh_group")
        rule = p["shnsu_rule"]
        crit = (f"ШНСУ при группе ≤ {rule['isbsh_group_max']}" if rule.get("isbsh_group_max") is not None
                else f"ШНСУ при ИСБШ в нижней доле {fmt_pct(rule['isbsh_quantile'], 0)}")
        gtxt = lambda g: "—" if pd.isna(g) else f"{int(g)}"  # noqa: E731
        parts.append(f"группа ИСБШ {gtxt(g0)} → {gtxt(g1)}, ИСБШ {fmt_num(old.get('isbsh', np.nan), 2)} → "
                     f"{fmt_num(new.get('isbsh', np.nan), 2)} ({crit})")
    if not parts:
        parts.append(f"обоснование {y1} г.: {new['reasons']}")
    return "; ".join(parts)


def _st(s: pd.Series) -> str:
    return f"«{s['status'] or '—'}»" + (f" ({s['shnor_branch']})" if s["shnor_branch"] else "")


def explain_changes(results: Sequence, data: Dataset) -> pd.DataFrame:
    """«Что изменилось и почему»: for every changed status (or ШНОР branch) between consecutive
    years, whether the DATA, the PARAMETERS or the RULE BRANCH caused it (see the module
    docstring for the exact definition).

    Parameters
    ----------
    results : SeasonResults of consecutive years of one municipality, each computed with its
        own parameters (``result.params``).
    data : Dataset
        The loaded data the results come from; when the parameters of Y−1 and Y differ, year
        Y−1 is recomputed with Y's parameters and year Y with Y−1's.

    Returns
    -------
    DataFrame
        school_id, name, year_from, year_to, status_from, status_to, branch_from, branch_to,
        status_from_recomputed, branch_from_recomputed (Y−1 under Y's parameters),
        status_to_recomputed (Y under Y−1's parameters), by_data,
        by_params, by_branch, cause («данные», «параметры», «ветвь правила», or a combination),
        explanation, parameter_changes.
    """
    # here: analysis/ sits below the pipeline, which computes seasons from it (and their dynamics)
    from ..pipeline.season import compute_season

    res = _sorted(results)
    rows = []
    for prev, cur in pairwise(res):
        same = params_digest(prev.params) == params_digest(cur.params)
        alt = prev if same else compute_season(data, prev.municipality, prev.year, cur.params, support=False)
        back = cur if same else compute_season(data, cur.municipality, cur.year, prev.params, support=False)
        pdiff = "" if same else _param_diff(prev.params, cur.params)
        a, a2, b, b2 = _flags(prev.schools), _flags(alt.schools), _flags(cur.schools), _flags(back.schools)
        for sid in b.index.intersection(a.index):
            s0, s0x, s1, s1x = a.loc[sid], a2.loc[sid], b.loc[sid], b2.loc[sid]
            shnor_both = bool(s0["shnor"]) and bool(s1["shnor"])
            if s0["status"] == s1["status"] and not (shnor_both and s0["shnor_branch"] != s1["shnor_branch"]):
                continue
            moved_prev = s0x["status"] != s0["status"] or (
                bool(s0x["shnor"]) and bool(s0["shnor"]) and s0x["shnor_branch"] != s0["shnor_branch"])
            moved_cur = s1x["status"] != s1["status"]
            by_params = moved_prev or moved_cur
            by_data = s0x["status"] != s1["status"]
            by_branch = bool(s0x["shnor"]) and bool(s1["shnor"]) and s0x["shnor_branch"] != s1["shnor_branch"]
            words, causes = [], []
            if by_data:
                causes.append("данные")
                words.append(f"данные: при одних параметрах статус сменился «{s0x['status'] or '—'}» → "
                             f"«{s1['status'] or '—'}»: " + _data_detail(sid, prev.year, cur.year, s0x, s1, cur))
            if by_params:
                causes.append("параметры")
                said = []
                if moved_prev:
                    said.append(f"с параметрами {cur.year} г. статус {prev.year} г. был бы {_st(s0x)} вместо {_st(s0)}")
                if moved_cur:
                    said.append(f"с параметрами {prev.year} г. статус {cur.year} г. был бы {_st(s1x)} вместо {_st(s1)}")
                words.append("параметры: " + "; ".join(said) + f" (изменены: {pdiff})")
            if by_branch:
                causes.append("ветвь правила")
                words.append(f"ветвь правила: ШНОР в {prev.year} г. — «{s0x['shnor_branch']}», в {cur.year} г. — "
                             f"«{s1['shnor_branch']}»: " + s1["reasons"].split(" | ")[0])
            rows.append({"school_id": sid, "name": s1["name"], "year_from": prev.year, "year_to": cur.year,
                         "status_from": s0["status"], "status_to": s1["status"], "branch_from": s0["shnor_branch"],
                         "branch_to": s1["shnor_branch"], "status_from_recomputed": s0x["status"],
                         "branch_from_recomputed": s0x["shnor_branch"], "status_to_recomputed": s1x["status"],
                         "by_data": by_data, "by_params": by_params,
                         "by_branch": by_branch, "cause": " и ".join(causes), "explanation": "; ".join(words),
                         "parameter_changes": pdiff})
    cols = ["school_id", "name", "year_from", "year_to", "status_from", "status_to", "branch_from", "branch_to",
            "status_from_recomputed", "branch_from_recomputed", "status_to_recomputed", "by_data", "by_params",
            "by_branch", "cause",
            "explanation", "parameter_changes"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out = out.sort_values(["year_from", "school_id"], key=lambda c: school_id_order(c) if c.name == "school_id" else c)
    return out.reset_index(drop=True)

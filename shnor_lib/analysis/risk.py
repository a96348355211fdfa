"""Risk profiles (Методика §7, docs/methodology/risk-profiles.md, seed 004 tables 4–6) and addressed recommendations (seed 001, 1.2.9).

Three results for the report:

* :func:`significance_matrix` — school × factor table of significance 3/2/1
  (высокая/средняя/низкая) for the heat map;
* :func:`factor_groups` / :func:`group_summary` — the high-significance factors grouped
  for management decisions as seed 004 does («низкий кадровый потенциал: 2, 3, 5» …);
  the groups are the parameter ``risk.groups``, not code;
* :func:`recommend` — addressed recommendations per school, each tied to the factor,
  status, rule branch or monitoring indicator that triggered it, drawn from the table
  ``parameters/recommendations.yml`` (:func:`load_recommendations`).

Everything except :func:`load_recommendations` is pure.

Usage::

    rp = risk_profiles_of(data, "demo", 2024)
    significance_matrix(rp)                       # heat map
    group_summary(rp, params)                     # «Низкий кадровый потенциал: ОО № 3, 7 …»
    recommend(res.schools, rp, params, monitoring=data.seasons[("demo", 2024)].tables.get("monitoring"))
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from ..config.params import parameter_file
from ..contract.schema import RISK_FACTORS, SIGNIFICANCE_LEVELS, school_id_key, school_id_order, sorted_school_ids
from ..errors import ParameterError

if TYPE_CHECKING:  # for annotations only: the pipeline builds on analysis/
    from ..pipeline.season import Dataset

__all__ = [
    "risk_profiles_of",
    "significance_matrix",
    "factor_groups",
    "high_factor_groups",
    "group_summary",
    "load_recommendations",
    "recommend",
    "LABELS",
]

#: Russian headers for the tables of this module.
LABELS = {
    "school_id": "Код ОО", "name": "Наименование ОО", "status": "Статус", "group_id": "Группа (код)",
    "group": "Группа факторов", "factors": "Факторы высокой значимости", "schools": "ОО",
    "n_schools": "Число ОО", "detail": "По факторам", "trigger_kind": "Основание",
    "trigger": "Что выявлено", "measure_id": "Код меры", "recommendation": "Рекомендация",
    "addressee": "Адресат", "source": "Источник",
}

_KINDS = {"status": "статус", "branch": "ветвь правила", "factor": "фактор риска", "indicator": "показатель мониторинга"}
_STATUS_FLAGS = {"ШНОР": "shnor", "ШНСУ": "shnsu", "зона риска": "risk_zone"}


def _ids(ids) -> str:
    """«№ 3, 10, 22» in the numeric order of school codes (as seed 004 lists them)."""
    ids = sorted_school_ids(ids)
    return "№ " + ", ".join(ids) if ids else "—"


def risk_profiles_of(data: Dataset, municipality: str, year: int) -> pd.DataFrame:
    """The validated ``risk_profiles`` table of one season (empty when the file is absent)."""
    season = data.seasons.get((municipality, year))
    if season is None or not season.has("risk_profiles"):
        return pd.DataFrame(columns=["school_id", "factor_code", "factor_name", "significance"])
    return season.tables["risk_profiles"].copy()


def _scored(risk_profiles: pd.DataFrame) -> pd.DataFrame:
    """Rows with a recognised factor code and a significance score 3/2/1 (max over duplicates)."""
    rp = risk_profiles.dropna(subset=["factor_code"]).copy()
    rp["factor_code"] = rp["factor_code"].astype(int)
    rp["score"] = rp["significance"].map(SIGNIFICANCE_LEVELS)
    rp = rp.dropna(subset=["score"])
    rp["school_id"] = rp["school_id"].astype(str)
    return rp.groupby(["school_id", "factor_code"], as_index=False)["score"].max()


def significance_matrix(risk_profiles: pd.DataFrame, schools: Iterable[object] | None = None) -> pd.DataFrame:
    """School × factor significance (3 высокая, 2 средняя, 1 низкая; NaN — фактор не оценивался).

    Parameters
    ----------
    risk_profiles : DataFrame
        Validated ``risk_profiles`` of one season (``school_id``, ``factor_code``, ``significance``).
        Rows whose factor was not recognised (``factor_code`` missing) are left out.
    schools : sequence of str, optional
        Rows to show, in this order (e.g. only schools in support); default all profiled schools.

    Returns
    -------
    DataFrame
        Index ``school_id``, columns the factor codes present (ints, ascending); the Russian
        factor names are ``shnor_lib.contract.schema.RISK_FACTORS[code]``.
    """
    sc = _scored(risk_profiles)
    m = sc.pivot(index="school_id", columns="factor_code", values="score")
    m = m.reindex(sorted(m.columns), axis=1)
    if schools is not None:
        m = m.reindex([str(s) for s in schools])
    else:
        m = m.loc[sorted(m.index, key=school_id_key)]
    m.index.name, m.columns.name = "school_id", "factor_code"
    return m


def _act_on(params: dict) -> int:
    level = params["risk"]["act_on"]
    if level not in SIGNIFICANCE_LEVELS:
        raise ParameterError(f"параметр «risk.act_on» = {level!r}; допустимо: {', '.join(SIGNIFICANCE_LEVELS)}.")
    return SIGNIFICANCE_LEVELS[level]


def factor_groups(params: dict) -> pd.DataFrame:
    """The management groups of ``risk.groups``, checked: group_id, group (name), factors (codes).

    Raises
    ------
    ParameterError
        A group without a name or with a factor code outside ``RISK_FACTORS``.
    """
    rows = []
    for gid, g in params["risk"]["groups"].items():
        if not isinstance(g, dict) or not g.get("name") or not isinstance(g.get("factors"), list):
            raise ParameterError(f"параметр «risk.groups.{gid}»: нужны ключи name (название) и factors (список кодов).")
        bad = [f for f in g["factors"] if f not in RISK_FACTORS]
        if bad:
            raise ParameterError(f"параметр «risk.groups.{gid}»: неизвестные коды факторов {bad}; "
                                 f"допустимо 1–{max(RISK_FACTORS)} (shnor_lib/contract/schema.py).")
        rows.append({"group_id": str(gid), "group": g["name"], "factors": [int(f) for f in g["factors"]]})
    return pd.DataFrame(rows, columns=["group_id", "group", "factors"])


def high_factor_groups(risk_profiles: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Schools in each management group: one row per group × school with a factor of the group
    at significance ``risk.act_on`` or higher (seed 004: «факторы риска с высокой значимостью,
    требующие принятия мер»).

    Returns
    -------
    DataFrame
        group_id, group, school_id, factor_codes (list), factors (Russian names, «; »-joined).
    """
    sc = _scored(risk_profiles)
    high = sc[sc["score"] >= _act_on(params)]
    rows = []
    for g in factor_groups(params).itertuples():
        hit = high[high["factor_code"].isin(g.factors)]
        for sid, h in hit.groupby("school_id", sort=False):
            codes = sorted(h["factor_code"])
            rows.append({"group_id": g.group_id, "group": g.group, "school_id": sid, "factor_codes": codes,
                         "factors": "; ".join(f"{c}. {RISK_FACTORS[c]}" for c in codes)})
    out = pd.DataFrame(rows, columns=["group_id", "group", "school_id", "factor_codes", "factors"])
    return out


def group_summary(risk_profiles: pd.DataFrame, params: dict) -> pd.DataFrame:
    """One row per management group, worded as in seed 004.

    Returns
    -------
    DataFrame
        group_id, group, n_schools, schools («№ 3, 22, 28»), detail (per factor:
        «дефицит педагогических кадров — ОО № 3, 28; …»). A group without schools says «нет».
    """
    sc = _scored(risk_profiles)
    high = sc[sc["score"] >= _act_on(params)]
    rows = []
    for g in factor_groups(params).itertuples():
        hit = high[high["factor_code"].isin(g.factors)]
        parts = []
        for code in g.factors:
            ids = hit.loc[hit["factor_code"] == code, "school_id"]
            if len(ids):
                name = RISK_FACTORS[code]
                parts.append(f"{name[0].lower() + name[1:]} — ОО {_ids(ids)}")
        rows.append({"group_id": g.group_id, "group": g.group, "n_schools": hit["school_id"].nunique(),
                     "schools": _ids(hit["school_id"]) if len(hit) else "нет",
                     "detail": "; ".join(parts) if parts else "нет школ с факторами высокой значимости"})
    return pd.DataFrame(rows, columns=["group_id", "group", "n_schools", "schools", "detail"])


# ---------------------------------------------------------------- recommendations

def load_recommendations(params: dict, path: str | Path | None = None) -> dict:
    """Read and check the recommendations table (``risk.recommendations_file``).

    A relative file name is looked up beside the ``default.yml`` that was loaded
    (the project's ``parameters/`` folder by default).

    Returns
    -------
    dict
        ``measures`` (id → text, addressee, source) and ``triggers`` (factors, statuses,
        branches, indicators), every referenced measure id checked.

    Raises
    ------
    ParameterError
        Unreadable file, unknown factor code, a trigger naming an undefined measure, a
        measure without text, addressee or source.
    """
    if path is None:
        path = parameter_file(params, params["risk"]["recommendations_file"])
    path = Path(path)
    try:
        table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError(f"Таблица рекомендаций {path} не читается: {exc}") from None
    where = str(path)
    measures, triggers = table.get("measures"), table.get("triggers")
    if not isinstance(measures, dict) or not isinstance(triggers, dict):
        raise ParameterError(f"{where}: нужны разделы measures (меры) и triggers (основания).")
    for mid, m in measures.items():
        missing = [k for k in ("text", "addressee", "source") if not (isinstance(m, dict) and m.get(k))]
        if missing:
            raise ParameterError(f"{where}: у меры {mid} не заполнено: {', '.join(missing)}.")
    unknown = set(triggers) - {"factors", "statuses", "branches", "indicators"}
    if unknown:
        raise ParameterError(f"{where}: неизвестные разделы triggers: {', '.join(sorted(unknown))}.")

    def check(ids, what):
        if not isinstance(ids, list) or not ids:
            raise ParameterError(f"{where}: {what}: нужен непустой список кодов мер.")
        bad = [i for i in ids if i not in measures]
        if bad:
            raise ParameterError(f"{where}: {what}: меры {bad} не описаны в разделе measures.")

    for code, ids in (triggers.get("factors") or {}).items():
        if code not in RISK_FACTORS:
            raise ParameterError(f"{where}: фактор {code!r} — неизвестный код (1–{max(RISK_FACTORS)}).")
        check(ids, f"фактор {code}")
    for status, ids in (triggers.get("statuses") or {}).items():
        if status not in _STATUS_FLAGS:
            raise ParameterError(f"{where}: статус {status!r}; допустимо: {', '.join(_STATUS_FLAGS)}.")
        check(ids, f"статус {status}")
    for branch, ids in (triggers.get("branches") or {}).items():
        check(ids, f"ветвь {branch}")
    for i, ind in enumerate(triggers.get("indicators") or []):
        what = f"показатель №{i + 1} ({ind.get('field', '?') if isinstance(ind, dict) else ind})"
        if not isinstance(ind, dict) or not ind.get("field") or not ind.get("label"):
            raise ParameterError(f"{where}: {what}: нужны field и label.")
        if ("when" in ind) == ("below" in ind):
            raise ParameterError(f"{where}: {what}: задайте ровно одно из when (да/нет) или below (доля).")
        if "below" in ind and not ind.get("share_of"):
            raise ParameterError(f"{where}: {what}: для below нужен share_of (знаменатель).")
        check(ind.get("measures"), what)
    return {"measures": measures, "triggers": {k: triggers.get(k) or ({} if k != "indicators" else [])
                                               for k in ("factors", "statuses", "branches", "indicators")}}


def _indicator_hit(ind: dict, row: pd.Series | None) -> str | None:
    """The words of an indicator trigger when it fires for this monitoring row, else None."""
    if row is None or ind["field"] not in row.index:
        return None
    value = row[ind["field"]]
    if pd.isna(value):
        return None
    if "when" in ind:
        want = 1.0 if str(ind["when"]).strip().lower() in ("да", "yes", "1", "true") else 0.0
        return f"{ind['label']} (ответ «{ind['when']}»)" if float(value) == want else None
    total = row.get(ind["share_of"])
    if total is None or pd.isna(total) or total <= 0:
        return None
    share = float(value) / float(total)
    if share < ind["below"]:
        pct = lambda x: f"{100 * x:.0f}%"  # noqa: E731
        return f"{ind['label']}: {pct(share)} ({int(value)} из {int(total)}), ниже {pct(ind['below'])}"
    return None


def recommend(schools: pd.DataFrame, risk_profiles: pd.DataFrame, params: dict, table: dict | None = None,
              monitoring: pd.DataFrame | None = None) -> pd.DataFrame:
    """Addressed recommendations (seed 001, 1.2.9) for every school whose status is in ``risk.recommend_for``.

    Each recommendation says what triggered it: the school's status (ШНОР / ШНСУ / зона
    риска flags), the ШНОР rule branch, a risk factor of significance ``risk.act_on`` or
    higher, or a monitoring indicator (a «нет» answer or a share below its bound). A measure
    triggered several times for one school appears once, with every trigger listed.

    Parameters
    ----------
    schools : DataFrame
        ``SeasonResult.schools`` (school_id, name, status, shnor, shnsu, risk_zone, shnor_branch).
    risk_profiles : DataFrame
        Validated ``risk_profiles`` of the same season (may be empty).
    params : dict
        Uses ``risk``.
    table : dict, optional
        From :func:`load_recommendations`; read from ``risk.recommendations_file`` when omitted.
    monitoring : DataFrame, optional
        The season's ``monitoring`` table for indicator triggers.

    Returns
    -------
    DataFrame
        school_id, name, status, trigger_kind, trigger, measure_id, recommendation, addressee,
        source; ordered by school, then status → branch → factor → indicator.
    """
    table = table if table is not None else load_recommendations(params)
    measures, trig = table["measures"], table["triggers"]
    act = _act_on(params)
    sc = _scored(risk_profiles) if len(risk_profiles) else pd.DataFrame(columns=["school_id", "factor_code", "score"])
    level_name = {v: k for k, v in SIGNIFICANCE_LEVELS.items()}
    mon = None
    if monitoring is not None and len(monitoring):
        mon = monitoring.assign(school_id=monitoring["school_id"].astype(str)).set_index("school_id")
    wanted = set(params["risk"]["recommend_for"])
    rows = []
    for s in schools.itertuples(index=False):
        if s.status not in wanted:
            continue
        sid = str(s.school_id)
        hits: list[tuple[str, str, str]] = []  # (kind, words, measure id)
        for status, flag in _STATUS_FLAGS.items():
            if bool(getattr(s, flag)) and status in trig["statuses"]:
                hits += [("status", f"статус: {status}", m) for m in trig["statuses"][status]]
        branch = getattr(s, "shnor_branch", "")
        if isinstance(branch, str) and branch in trig["branches"]:
            hits += [("branch", f"ШНОР по условию «{branch}»", m) for m in trig["branches"][branch]]
        mine = sc[(sc["school_id"] == sid) & (sc["score"] >= act)].sort_values("factor_code")
        for f in mine.itertuples():
            words = f"фактор {f.factor_code} «{RISK_FACTORS[f.factor_code]}»: {level_name[f.score]} значимость"
            hits += [("factor", words, m) for m in trig["factors"].get(f.factor_code, [])]
        row = mon.loc[sid] if mon is not None and sid in mon.index else None
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        for ind in trig["indicators"]:
            hit = _indicator_hit(ind, row)
            if hit:
                hits += [("indicator", hit, m) for m in ind["measures"]]
        seen: dict[str, dict] = {}
        for kind, words, mid in hits:
            if mid in seen:
                seen[mid]["trigger"] += f"; {words}"
                if _KINDS[kind] not in seen[mid]["trigger_kind"]:
                    seen[mid]["trigger_kind"] += f"; {_KINDS[kind]}"
                continue
            m = measures[mid]
            seen[mid] = {"school_id": sid, "name": s.name, "status": s.status, "trigger_kind": _KINDS[kind],
                         "trigger": words, "measure_id": mid, "recommendation": m["text"].strip(),
                         "addressee": m["addressee"], "source": m["source"]}
        rows += list(seen.values())
    cols = ["school_id", "name", "status", "trigger_kind", "trigger", "measure_id", "recommendation", "addressee",
            "source"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        order = {v: i for i, v in enumerate(_KINDS.values())}
        out["_s"] = school_id_order(out["school_id"])
        out["_k"] = out["trigger_kind"].str.split("; ").str[0].map(order)
        out = out.sort_values(["_s", "_k"], kind="stable").drop(columns=["_s", "_k"])
    return out.reset_index(drop=True)

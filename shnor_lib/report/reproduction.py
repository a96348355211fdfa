"""Reproduction of published findings (Методика §11, docs/methodology/reproduction.md).

A source document (seed 004 for Pervouralsk 2022) prints both data and findings:
lists of schools, an identifier table, schools that "break the trend". The data are
shipped as a season under ``data_raw/<municipality>/<year>/``; the findings are kept as
data in ``data_raw/<municipality>/published.yml``, each with the table and the seed
lines it comes from. The functions here set what the library computed
(:class:`~shnor_lib.pipeline.season.SeasonResult`) against those findings.

Every function is pure (DataFrames and dicts in, DataFrames or Russian text out)
except :func:`load_published` and :func:`save_tables`, which touch the disk. Nothing
is recomputed that the library already computes: shares, intervals, flags, the model
and the identifier table are read from the result.

Usage::

    from shnor_lib.report import reproduction as rp
    pub = rp.load_published(rp.published_path(data_root, "pervouralsk"))
    rp.compare_sets(rp.schools_reaching(rp.vpr_fail_shares(res)), rp.published_schools(pub, "shnor_table1"))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..analysis.indices import compute_quality_index, group_label
from ..analysis.metrics import wilson_interval
from ..io.atomic import atomic_write_text
from ..io.writers import csv_text
from .common import id_key, sorted_ids
from .format import fmt_num, fmt_p, fmt_pct, plural

__all__ = [
    "BOTH", "ONLY_COMPUTED", "ONLY_PUBLISHED", "RECOMPUTED", "TRANSCRIBED", "NOT_CHECKED",
    "published_path", "load_published", "published_schools", "cite",
    "compare_sets", "comparison_text",
    "published_identifier_table", "compare_identifier_tables", "identifier_verdict", "quality_group_inversions",
    "vpr_fail_shares", "schools_reaching", "vpr_fail_table",
    "residual_ranking", "residual_table", "trend_breakers_text", "with_published_status",
    "data_quality_summary", "row_fate", "objectivity_case_text",
    "cluster_comparison", "single_season_text", "social_passport_text", "input_files_table",
    "consistency_checks", "inversions_text", "vpr_lists_text", "data_quality_text", "summary_table",
    "summary_text", "save_tables", "QUALITY_DEFINITIONS", "quality_index_definitions", "quality_definitions_text",
]

BOTH = "в обоих"
ONLY_COMPUTED = "только в расчёте"
ONLY_PUBLISHED = "только в публикации"

# What a verdict of :func:`summary_table` rests on («Основа»): a finding the library derives from
# the transcribed raw data (mark counts, groups) by its own rule, a comparison of a transcribed
# table with the printed table it was transcribed from (it can only fail through a transcription
# slip), or nothing to compare.
RECOMPUTED = "пересчёт"
TRANSCRIBED = "сверка переноса"
NOT_CHECKED = "—"


def _ids(ids: Iterable) -> list[str]:
    """School ids as sorted strings, numeric ids numerically, without duplicates."""
    return sorted_ids({str(i) for i in ids})


def _join(ids: Iterable) -> str:
    ids = _ids(ids)
    return ", ".join(ids) if ids else "нет"


# ---------------------------------------------------------------- published findings

def published_path(data_root: str | Path, municipality: str) -> Path:
    """Where a municipality's published findings are kept: ``<data_root>/<municipality>/published.yml``."""
    return Path(data_root) / municipality / "published.yml"


def load_published(path: str | Path) -> dict:
    """Read published findings (``yaml.safe_load``) and normalise school ids to strings.

    Parameters
    ----------
    path : path
        A ``published.yml`` (see ``data_raw/pervouralsk/published.yml`` for the layout).

    Returns
    -------
    dict
        With ``lists`` and ``clusters`` (entries with ``schools``), ``identifier_table``,
        ``statements``, ``objectivity_cases`` and ``files`` as present in the file.

    Raises
    ------
    ValueError
        When the file is not a mapping or an entry lacks ``schools`` or ``lines``.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: ожидается словарь «ключ: значение».")
    for section in ("lists", "clusters"):
        for name, entry in (data.get(section) or {}).items():
            if "schools" not in entry or "lines" not in entry:
                raise ValueError(f"{path}: у записи {section}.{name} нет «schools» или «lines».")
            entry["schools"] = [str(s) for s in entry["schools"]]
    table = data.get("identifier_table")
    if table:
        for cell in table["cells"]:
            cell["schools"] = [str(s) for s in cell["schools"]]
    for case in data.get("objectivity_cases") or []:
        case["school_id"] = str(case["school_id"])
    return data


def published_schools(published: dict, name: str) -> list[str]:
    """School ids of a published list (``lists.<name>``) or cluster (``clusters.<name>``), sorted."""
    for section in ("lists", "clusters"):
        entry = (published.get(section) or {}).get(str(name))
        if entry is not None:
            return _ids(entry["schools"])
    raise KeyError(f"в опубликованных данных нет списка «{name}»")


def _entry(published: dict, name: str) -> dict:
    for section in ("lists", "clusters", "statements", "files"):
        entry = (published.get(section) or {}).get(str(name))
        if entry is not None:
            return entry
    raise KeyError(name)


def cite(published: dict | Mapping, name: str | None = None) -> str:
    """Where a finding is printed, in words: «таблица 1, строки 105–108».

    ``published`` is the whole findings dict (with ``name``) or one entry.
    """
    entry = _entry(published, name) if name is not None else published
    a, b = entry["lines"]
    lines = f"строка {a}" if a == b else f"строки {a}–{b}"
    return f"{entry['where']}, {lines}"


# ---------------------------------------------------------------- sets of schools

def compare_sets(computed: Iterable, published: Iterable, *, computed_label: str = "в расчёте",
                 published_label: str = "в публикации") -> pd.DataFrame:
    """Tidy comparison of two sets of school ids.

    Parameters
    ----------
    computed, published : iterables of school ids
    computed_label, published_label : str
        Russian names of the two sides («в расчёте», «в публикации» by default).

    Returns
    -------
    DataFrame
        One row per school in either set, in code order: «Код ОО», «<computed_label>»,
        «<published_label>» (да/нет) and «Итог» («в обоих», «только <computed_label>» or
        «только <published_label>»). The three labels are kept in ``attrs["labels"]``.
    """
    comp, pub = set(map(str, computed)), set(map(str, published))
    both, only_c, only_p = BOTH, f"только {computed_label}", f"только {published_label}"
    c_col, p_col = computed_label.capitalize(), published_label.capitalize()
    rows = []
    for sid in _ids(comp | pub):
        where = both if sid in comp and sid in pub else (only_c if sid in comp else only_p)
        rows.append({"Код ОО": sid, c_col: "да" if sid in comp else "нет", p_col: "да" if sid in pub else "нет",
                     "Итог": where})
    out = pd.DataFrame(rows, columns=["Код ОО", c_col, p_col, "Итог"])
    out.attrs["labels"] = (both, only_c, only_p)
    return out


def comparison_text(table: pd.DataFrame) -> str:
    """One line from :func:`compare_sets`: «в обоих — 5 (3, 10, …); только в расчёте — …; только в публикации — …»."""
    parts = []
    for label in table.attrs.get("labels", (BOTH, ONLY_COMPUTED, ONLY_PUBLISHED)):
        ids = table.loc[table["Итог"] == label, "Код ОО"]
        parts.append(f"{label} — {len(ids)}" + (f" ({_join(ids)})" if len(ids) else ""))
    return "; ".join(parts)


# ---------------------------------------------------------------- identifier table

def published_identifier_table(published: dict) -> pd.DataFrame:
    """The printed identifier table in the shape of :func:`shnor_lib.analysis.indices.identifier_table`.

    Rows «Группа ИСБШ» 1–11 and «Итого ОО», columns «Группа качества» 1–11 and «Итого ОО»;
    cells are the printed school ids joined by ``,``, totals as printed, empty strings elsewhere.
    """
    t = published["identifier_table"]
    groups = range(1, 12)
    table = pd.DataFrame("", index=pd.Index([*groups, "Итого ОО"], name="Группа ИСБШ"),
                         columns=pd.Index([*groups, "Итого ОО"], name="Группа качества"), dtype=object)
    for cell in t["cells"]:
        table.loc[int(cell["isbsh_group"]), int(cell["quality_group"])] = ",".join(cell["schools"])
    for r, n in t["row_totals"].items():
        table.loc[int(r), "Итого ОО"] = str(n)
    for c, n in t["column_totals"].items():
        table.loc["Итого ОО", int(c)] = str(n)
    table.loc["Итого ОО", "Итого ОО"] = str(t["total"])
    return table


def compare_identifier_tables(computed: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Cell-by-cell comparison of two identifier tables (121 cells, then 23 totals).

    Cells compare as sets of school ids, so the order inside a cell does not matter.

    Returns
    -------
    DataFrame
        «Вид» (ячейка / итог строки / итог столбца / общий итог), «Группа ИСБШ»,
        «Группа качества», «В программе», «Собрано из indices», «Совпадает» (bool).

    The computed side is assembled from the ИСБШ and quality groups of the ``indices`` file,
    which were transcribed from the printed table itself: agreement proves the transcription
    and the assembly, not a recomputation of the groups.
    """
    def norm(v) -> frozenset:
        return frozenset(x.strip() for x in str(v).split(",") if x.strip())

    rows = []
    groups = list(range(1, 12))
    cells = [("ячейка", r, c) for r in groups for c in groups]
    cells += [("итог строки", r, "Итого ОО") for r in groups]
    cells += [("итог столбца", "Итого ОО", c) for c in groups]
    cells += [("общий итог", "Итого ОО", "Итого ОО")]
    for kind, r, c in cells:
        pub, comp = published.loc[r, c], computed.loc[r, c]
        rows.append({"Вид": kind, "Группа ИСБШ": str(r), "Группа качества": str(c), "В программе": pub,
                     "Собрано из indices": comp, "Совпадает": norm(pub) == norm(comp)})
    return pd.DataFrame(rows)


def identifier_verdict(comparison: pd.DataFrame) -> str:
    """Verdict of :func:`compare_identifier_tables`, worded as a check of the transcription.

    «совпадает во всех 121 ячейках» is said only when every cell and total agrees, and always
    together with what it rests on: groups transcribed from the same table, not recomputed.
    """
    cells = comparison[comparison["Вид"] == "ячейка"]
    totals = comparison[comparison["Вид"] != "ячейка"]
    bad_c, bad_t = cells[~cells["Совпадает"]], totals[~totals["Совпадает"]]
    filled = int((cells["В программе"] != "").sum())
    if bad_c.empty and bad_t.empty:
        return (f"Таблица, собранная из перенесённых групп, **совпадает во всех {len(cells)} ячейках** с "
                f"напечатанной (из них непустых — {filled}) и во всех {len(totals)} итогах (строк, столбцов и "
                "общем). Это сверка переноса, а не пересчёт: группы ИСБШ и качества взяты из файла indices, "
                "перенесённого из этой же таблицы программы, и расхождение здесь возможно только от ошибки "
                "переноса или сборки таблицы.")
    diffs = "; ".join(f"ИСБШ {r['Группа ИСБШ']} × качество {r['Группа качества']}: в программе «{r['В программе']}», "
                      f"собрано «{r['Собрано из indices']}»" for _, r in pd.concat([bad_c, bad_t]).iterrows())
    return (f"Таблица, собранная из перенесённых групп, **не совпадает** с напечатанной (ошибка переноса или "
            f"сборки, не расчёта): расхождений в ячейках — {len(bad_c)} из "
            f"{len(cells)}, в итогах — {len(bad_t)} из {len(totals)}. {diffs}.")


def quality_group_inversions(schools: pd.DataFrame) -> pd.DataFrame:
    """Pairs of schools whose quality group does not follow the quality index.

    A pair (a, b) is listed when a's index is at least b's but a's group is lower,
    i.e. the printed groups cannot be a banding of the printed index.

    Returns
    -------
    DataFrame
        «Школа A», «Индекс A», «Группа A», «Школа B», «Индекс B», «Группа B».
    """
    d = schools.dropna(subset=["quality_index", "quality_group"])
    d = d.iloc[sorted(range(len(d)), key=lambda i: id_key(d["school_id"].iat[i]))]
    rows = []
    for a in d.itertuples():
        for b in d.itertuples():
            if a.school_id != b.school_id and a.quality_index >= b.quality_index and a.quality_group < b.quality_group:
                rows.append({"Школа A": a.school_id, "Индекс A": a.quality_index, "Группа A": int(a.quality_group),
                             "Школа B": b.school_id, "Индекс B": b.quality_index, "Группа B": int(b.quality_group)})
    return pd.DataFrame(rows, columns=["Школа A", "Индекс A", "Группа A", "Школа B", "Индекс B", "Группа B"])


# ---------------------------------------------------------------- quality index definitions

#: The package's quality-index options (``quality.index``, Методика §4.3): formula and scale.
QUALITY_DEFINITIONS = {
    "oge_base": ("успеваемость ОГЭ: 1 − Σ «2» / Σ участников (русский язык и математика)", "0–1"),
    "vpr_base": ("успеваемость ВПР 5–8 классов: 1 − Σ «2» / Σ участников", "0–1"),
    "quality_share": ("качество знаний ОГЭ: Σ («4» + «5») / Σ участников", "0–1"),
    "mean_mark": ("средняя отметка ОГЭ, взвешенная по участникам", "2–5"),
}


def quality_index_definitions(result) -> pd.DataFrame:
    """Each ``quality.index`` option computed from the transcribed marks against the published index.

    The published «Индекс качества ОГЭ» is transcribed into ``indices`` (and is what the season
    uses); each option is recomputed here from the mark distributions of ``results`` with the
    season's other parameters, school by school where the option has data.

    Returns
    -------
    DataFrame
        «Определение» (the option), «Формула», «Шкала», «Школ с расчётом и публикацией»,
        «Школа № 1: расчёт», «Школа № 1: опубликовано», «Промах по школе № 1» (computed −
        published), «Наибольший |промах|» over the schools with both.
    """
    published = result.schools[["school_id", "quality_index"]].dropna()
    published = published.assign(school_id=published["school_id"].astype(str)).set_index("school_id")["quality_index"]
    pooled = result.metrics if "year" in result.metrics.columns else result.metrics.assign(year=result.year)
    rows = []
    for option, (formula, scale) in QUALITY_DEFINITIONS.items():
        params = {**result.params, "quality": {**result.params["quality"], "index": option}}
        q = compute_quality_index(pooled[pooled["year"] == result.year], params)
        q = q.assign(school_id=q["school_id"].astype(str)).set_index("school_id")["quality_index"].dropna()
        both = q.index.intersection(published.index)
        miss = (q[both] - published[both]).abs()
        one, pub_one = q.get("1", np.nan), published.get("1", np.nan)
        rows.append({"Определение": option, "Формула": formula, "Шкала": scale,
                     "Школ с расчётом и публикацией": len(both), "Школа № 1: расчёт": one,
                     "Школа № 1: опубликовано": pub_one, "Промах по школе № 1": one - pub_one,
                     "Наибольший |промах|": miss.max() if len(miss) else np.nan})
    return pd.DataFrame(rows)


def quality_definitions_text(definitions: pd.DataFrame, tolerance: float = 0.005) -> str:
    """Which option reproduces the published index of school 1 (within ``tolerance``, the
    printed rounding), or that none does and by how much each misses."""
    d = definitions.dropna(subset=["Промах по школе № 1"])
    if d.empty:
        return "Ни одно определение индекса качества не вычисляется для школы № 1 по опубликованным данным."
    pub = fmt_num(float(d["Школа № 1: опубликовано"].iloc[0]), 2)
    hits = d[d["Промах по школе № 1"].abs() <= tolerance]
    misses = "; ".join(
        f"`{r['Определение']}` даёт {fmt_num(r['Школа № 1: расчёт'], 3)} (промах "
        f"{'+' if r['Промах по школе № 1'] > 0 else '−'}{fmt_num(abs(r['Промах по школе № 1']), 3)}"
        + (", другая шкала" if r["Шкала"] != "0–1" else "") + ")"
        for _, r in d.iterrows())
    if len(hits):
        return (f"Опубликованный индекс школы № 1 ({pub}) воспроизводит определение "
                f"{', '.join('`' + h + '`' for h in hits['Определение'])}: {misses}.")
    return (f"**Ни одно определение пакета не воспроизводит опубликованный индекс школы № 1 ({pub})** — "
            f"единственной школы с опубликованными отметками ОГЭ: {misses}. Поэтому индекс качества и группы "
            "качества в расчёте взяты из программы (файл indices), а не пересчитаны.")


# ---------------------------------------------------------------- ВПР fail shares

def vpr_fail_shares(result, threshold: float | None = None, *, exclude_flagged: bool = False) -> pd.DataFrame:
    """ВПР fail shares per school × subject, pooled over the rule's grades (Σ «2» / Σ participants).

    Parameters
    ----------
    result : SeasonResult
        Shares are read from ``result.metrics`` (the pipeline's pooled metrics).
    threshold : float, optional
        Default: ``params["shnor_threshold"]``.
    exclude_flagged : bool
        Pool again from ``result.metrics_by_grade`` without the grades flagged by the
        objectivity check (what ``exclude_nonobjective: true`` does in the pipeline).

    Returns
    -------
    DataFrame
        school_id, subject, participants, failed, fail_share, fail_low, fail_high (Wilson),
        grades (pooled), flagged_grades, reaches (share ≥ threshold with at least
        ``min_participants`` pupils), threshold.
    """
    p = result.params
    threshold = p["shnor_threshold"] if threshold is None else threshold
    cols = ["school_id", "subject", "participants", "failed", "fail_share", "fail_low", "fail_high", "grades"]
    f = result.flags
    f = f[(f["year"] == result.year) & (f["procedure"] == "ВПР")] if len(f) else f
    if not exclude_flagged:
        m = result.metrics
        m = m[(m["year"] == result.year) & (m["procedure"] == "ВПР") & m["subject"].isin(p["subjects"])]
        out = m[cols].copy()
    else:
        g = result.metrics_by_grade
        g = g[(g["year"] == result.year) & (g["procedure"] == "ВПР") & g["subject"].isin(p["subjects"])
              & g["grade"].isin(p["vpr_grades"])]
        if len(f):
            flagged = f[["school_id", "subject", "grade"]].drop_duplicates().assign(_f=True)
            g = g.merge(flagged, on=["school_id", "subject", "grade"], how="left")
            g = g[g["_f"].isna()]
        out = g.groupby(["school_id", "subject"], as_index=False).agg(
            participants=("participants", "sum"), failed=("failed", "sum"),
            grades=("grade", lambda s: ",".join(str(int(x)) for x in sorted(s))))
        out["fail_share"] = out["failed"] / out["participants"]
        out["fail_low"], out["fail_high"] = wilson_interval(out["failed"], out["participants"], p["confidence_level"])
        out = out[cols]
    fl = (f.groupby(["school_id", "subject"])["grade"].agg(lambda s: ",".join(str(int(x)) for x in sorted(set(s))))
          if len(f) else pd.Series(dtype=object))
    out["flagged_grades"] = [fl.get((s, subj), "") for s, subj in zip(out["school_id"], out["subject"], strict=True)]
    out["reaches"] = (out["fail_share"] >= threshold - 1e-12) & (out["participants"] >= p["min_participants"])
    out["threshold"] = threshold
    order = sorted(range(len(out)), key=lambda i: (id_key(out["school_id"].iat[i]), out["subject"].iat[i]))
    return out.iloc[order].reset_index(drop=True)


def schools_reaching(shares: pd.DataFrame) -> list[str]:
    """Schools where at least one subject reaches the threshold (``subject_mode: any``)."""
    return _ids(shares.loc[shares["reaches"], "school_id"])


def vpr_fail_table(shares: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """The reader's table: one row per school, each subject as «share (Wilson interval), «2» of n».

    Parameters
    ----------
    shares : DataFrame
        From :func:`vpr_fail_shares`.
    published : dict, optional
        Adds «В списках программы» (table 1 / table 2 / table 3 / programme 2023).
    """
    th = fmt_pct(shares["threshold"].iat[0], 0) if len(shares) else ""
    rows = []
    order = {"русский язык": 0, "математика": 1}
    for sid in _ids(shares["school_id"]):
        d = shares[shares["school_id"] == sid]
        d = d.iloc[sorted(range(len(d)), key=lambda i: (order.get(d["subject"].iat[i], 9), d["subject"].iat[i]))]
        row = {"Код ОО": sid}
        for r in d.itertuples():
            name = r.subject.capitalize()
            row[name] = (f"{fmt_pct(r.fail_share)} ({fmt_pct(r.fail_low)}–{fmt_pct(r.fail_high)}); "
                         f"{int(r.failed)} из {int(r.participants)}, классы {r.grades}"
                         + (f"; отмечен проверкой объективности: {r.flagged_grades} кл." if r.flagged_grades else ""))
        row[f"≥ {th} хотя бы по одному предмету"] = "да" if d["reaches"].any() else "нет"
        if published is not None:
            lists = [("shnor_table1", "табл. 1"), ("shnsu_table2", "табл. 2"), ("risk_table3", "табл. 3"),
                     ("regional_programme_2023", "программа 2023")]
            row["В списках программы"] = ", ".join(lbl for key, lbl in lists
                                                    if sid in published_schools(published, key)) or "—"
        rows.append(row)
    return pd.DataFrame(rows).fillna("—")


# ---------------------------------------------------------------- residuals of the quality model

def residual_ranking(result) -> pd.DataFrame:
    """Schools of the quality model ranked by |residual| and by |studentized residual|.

    The studentized residual is the externally studentized one (each school left out of
    its own variance estimate); its two-sided p-value uses Student's t with n − k − 1
    degrees of freedom and is also given with the Bonferroni correction for n schools.

    Returns
    -------
    DataFrame
        school_id, isbsh_group, iursh_group, observed, predicted, residual, pi_low, pi_high,
        outside_pi, studentized, p_value, p_bonferroni, rank_residual, rank_studentized
        — ordered by rank_residual. Empty when the model was not fitted.
    """
    cols = ["school_id", "isbsh_group", "iursh_group", "observed", "predicted", "residual", "pi_low", "pi_high",
            "outside_pi", "studentized", "p_value", "p_bonferroni", "rank_residual", "rank_studentized"]
    m = result.model
    if m is None:
        return pd.DataFrame(columns=cols)
    d = m.predictions.copy()
    try:
        d["studentized"] = np.asarray(m.fit.get_influence().resid_studentized_external, dtype=float)
    except (AttributeError, NotImplementedError, ValueError):
        d["studentized"] = np.nan
    dof = m.n - len(m.fit.params) - 1
    d["p_value"] = 2 * stats.t.sf(d["studentized"].abs(), dof) if dof > 0 else np.nan
    d["p_bonferroni"] = np.minimum(1.0, d["p_value"] * m.n)
    d["outside_pi"] = (d["observed"] < d["pi_low"]) | (d["observed"] > d["pi_high"])
    d["rank_residual"] = d["residual"].abs().rank(ascending=False, method="min").astype(int)
    d["rank_studentized"] = d["studentized"].abs().rank(ascending=False, method="min")
    groups = result.schools.set_index("school_id")[["isbsh_group", "iursh_group"]]
    d = d.join(groups, on="school_id")
    position = {sid: i for i, sid in enumerate(_ids(d["school_id"]))}
    d["_pos"] = d["school_id"].map(position)
    d = d.sort_values(["rank_residual", "_pos"])
    return d[cols].reset_index(drop=True)


def residual_table(ranking: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """The reader's view of :func:`residual_ranking` (short Russian headers); marks the seed's trend-breakers.

    Columns: «Место» (by |residual|), «Код ОО», «ИСБШ», «ИУРШ» (groups), «Индекс» (published),
    «Остаток», «ПИ от», «ПИ до» (95% prediction interval), «Вне ПИ», «Стьюд. остаток» and, with
    ``published``, «В программе» (ИСБШ and/or ИУРШ: which trend the seed says the school
    breaks). Predictions and p-values stay in :func:`residual_ranking`.
    """
    out = pd.DataFrame({
        "Место": ranking["rank_residual"].astype(int).values,
        "Код ОО": ranking["school_id"].values,
        "ИСБШ": ranking["isbsh_group"].astype("Int64").values,
        "ИУРШ": ranking["iursh_group"].astype("Int64").values,
        "Индекс": ranking["observed"].values,
        "Остаток": ranking["residual"].values,
        "ПИ от": ranking["pi_low"].values,
        "ПИ до": ranking["pi_high"].values,
        "Вне ПИ": np.where(ranking["outside_pi"], "да", "нет"),
        "Стьюд. остаток": ranking["studentized"].values,
    })
    if published is not None:
        marks = {"trend_breakers_isbsh": "ИСБШ", "trend_breakers_iursh": "ИУРШ"}
        out["В программе"] = [
            ", ".join(lbl for k, lbl in marks.items() if sid in published_schools(published, k)) or "—"
            for sid in out["Код ОО"]]
    return out


def _hits_words(hit: list[str], named: list[str]) -> str:
    """«все названные», «только № 3», «ни одной из названных»."""
    if not hit:
        return "ни одной из названных"
    if len(hit) == len(named):
        return "все названные"
    return "из названных только № " + _join(hit)


def trend_breakers_text(ranking: pd.DataFrame, published: dict) -> str:
    """How the seed's trend-breakers rank among the model's residuals, and who is outside the interval.

    The interval statement is computed: «ни одна школа не выходит …» only when none does.
    """
    if ranking.empty:
        return "Модель качества не построена — остатки не вычисляются."
    n = len(ranking)
    rank = dict(zip(ranking["school_id"], ranking["rank_residual"], strict=True))
    srank = dict(zip(ranking["school_id"], ranking["rank_studentized"], strict=True))
    resid = dict(zip(ranking["school_id"], ranking["residual"], strict=True))
    lines = []
    for key, what in (("trend_breakers_isbsh", "ИСБШ"), ("trend_breakers_iursh", "ИУРШ")):
        named = published_schools(published, key)
        k = len(named)
        top = list(ranking["school_id"][:k])
        hit = [s for s in named if s in top]
        def place(s: str) -> str:
            if s not in rank:
                return f"№ {s} — нет в модели"
            tie = [o for o in ranking["school_id"] if o != s and rank[o] == rank[s]]
            shared = f"; делит место с № {_join(tie)}" if tie else ""
            return (f"№ {s} — {rank[s]}-е место из {n} по |остатку| ({fmt_num(resid[s], 3)}{shared}), "
                    f"{int(srank[s])}-е по стьюдентизированному")
        places = "; ".join(place(s) for s in named)
        lines.append(f"- **{what}** ({cite(published, key)}): программа называет {_join(named)}. Здесь: {places}. "
                     f"Среди {k} {plural(k, 'школы', 'школ', 'школ')} с наибольшими |остатками| ({_join(top)}) — "
                     + _hits_words(hit, named) + ".")
    outside = ranking[ranking["outside_pi"]]
    best = ranking.loc[ranking["studentized"].abs().idxmax()] if ranking["studentized"].notna().any() else None
    width = float((ranking["pi_high"] - ranking["pi_low"]).mean())
    lo, hi = float(ranking["observed"].min()), float(ranking["observed"].max())
    if outside.empty:
        text = (f"**Ни одна из {n} школ не выходит за 95% прогнозный интервал модели.** С {n} школами и группами "
                f"(а не значениями) индексов в роли предикторов интервал в среднем шириной {fmt_num(width, 3)}, "
                f"а весь разброс опубликованного индекса качества — от {fmt_num(lo, 2)} до {fmt_num(hi, 2)} "
                f"({fmt_num(hi - lo, 2)}): модель не может выделить школ, «выбивающихся из тренда».")
    else:
        text = (f"За 95% прогнозный интервал выходят {len(outside)} из {n} школ: {_join(outside['school_id'])}.")
    if best is not None:
        text += (f" Наибольший стьюдентизированный остаток — у школы № {best['school_id']} "
                 f"({fmt_num(best['studentized'], 2)}; p с поправкой Бонферрони на {n} школ — "
                 f"{fmt_p(best['p_bonferroni'])}).")
    return "\n".join(lines) + "\n\n" + text


def with_published_status(schools: pd.DataFrame, published: dict) -> pd.DataFrame:
    """A copy of ``schools`` whose ``status`` is the published list (tables 1–3) — for colouring a chart.

    Table 1 → «ШНОР», table 2 → «ШНСУ», table 3 → «зона риска»; other schools get «».
    The computed status is kept in ``status_computed``.
    """
    out = schools.copy()
    out["status_computed"] = out["status"]
    status = pd.Series("", index=out.index, dtype=object)
    for key, label in (("risk_table3", "зона риска"), ("shnsu_table2", "ШНСУ"), ("shnor_table1", "ШНОР")):
        status[out["school_id"].astype(str).isin(published_schools(published, key))] = label
    out["status"] = status
    return out


# ---------------------------------------------------------------- data quality

_CATEGORIES = [
    ("преобразована", "в процентах", "пересчитана из процентов в количество"),
    ("преобразована", "приняты за 0", "пустые ячейки приняты за 0"),
    ("исключена", "не равна числу участников", "исключена: сумма отметок ≠ числу участников"),
]


def _category(action: str, reason: str) -> str:
    for act, needle, label in _CATEGORIES:
        if action == act and needle in reason:
            return label
    return f"{action}: прочее"


def data_quality_summary(result) -> pd.DataFrame:
    """Every converted or quarantined input row and every objectivity flag, one row each.

    Returns
    -------
    DataFrame
        «Категория», «Код ОО», «Результат» («ВПР, русский язык, 5 кл.»), «Строка файла»,
        «Подробности»; validation rows first (in the order of the issues ledger), then the flags.
    """
    rows = []
    for r in result.issues.itertuples():
        rows.append({"Категория": _category(r.action, r.reason), "Код ОО": str(r.school_id),
                     "Результат": f"{r.procedure}, {r.subject}, {int(r.grade)} кл.",
                     "Строка файла": f"{Path(str(r.file)).name}:{int(r.row)}", "Подробности": r.reason})
    f = result.flags
    f = f[f["year"] == result.year] if len(f) else f
    if len(f):
        f = f.iloc[sorted(range(len(f)), key=lambda i: (id_key(f["school_id"].iat[i]), f["subject"].iat[i],
                                                        int(f["grade"].iat[i])))]
    for r in f.itertuples():
        rows.append({"Категория": f"отметка объективности: {r.flag_label}", "Код ОО": str(r.school_id),
                     "Результат": f"{r.procedure}, {r.subject}, {int(r.grade)} кл.",
                     "Строка файла": "—", "Подробности": r.detail})
    return pd.DataFrame(rows, columns=["Категория", "Код ОО", "Результат", "Строка файла", "Подробности"])


def row_fate(result, school_id: str, procedure: str, subject: str, grade: int) -> dict:
    """What happened to one input row: quarantined, flagged, used, or absent.

    Returns
    -------
    dict
        ``state`` — «исключена», «отмечена», «в расчёте» or «нет строки»; ``detail`` —
        the validation reason or the flag's detail (empty otherwise).
    """
    key = dict(school_id=str(school_id), procedure=procedure, subject=subject, grade=int(grade))

    def match(df: pd.DataFrame) -> pd.DataFrame:
        if df is None or df.empty:
            return df
        m = pd.Series(True, index=df.index)
        for k, v in key.items():
            m &= df[k].astype(type(v)) == v if k != "grade" else df[k].astype(int) == v
        return df[m]

    issues = match(result.issues)
    if issues is not None and len(issues) and (issues["action"] == "исключена").any():
        return {"state": "исключена", "detail": issues[issues["action"] == "исключена"]["reason"].iat[0]}
    flags = match(result.flags)
    if flags is not None and len(flags):
        return {"state": "отмечена", "detail": "; ".join(flags["detail"])}
    used = match(result.metrics_by_grade)
    if used is not None and len(used):
        return {"state": "в расчёте", "detail": ""}
    return {"state": "нет строки", "detail": ""}


def objectivity_case_text(result, case: dict) -> str:
    """One printed row the objectivity check should look at (``objectivity_cases`` of published.yml), in words.

    For a quarantined row it says plainly that the check cannot flag it, with the
    printed share against the school's other grades that stayed in the computation.
    """
    sid, proc, subj, grade = case["school_id"], case["procedure"], case["subject"], int(case["grade"])
    pr = case["printed"]
    n = pr["participants"]
    marks = " / ".join(str(pr[k]) for k in ("n2", "n3", "n4", "n5"))
    head = (f"**Школа № {sid}, {proc}, {subj}, {grade} класс** ({cite(case)}: напечатано «2»/«3»/«4»/«5» = "
            f"{marks} из {n}): ")
    fate = row_fate(result, sid, proc, subj, grade)
    if fate["state"] == "отмечена":
        return head + f"отмечена проверкой объективности — {fate['detail']}."
    if fate["state"] == "исключена":
        g = result.metrics_by_grade
        other = g[(g["school_id"] == sid) & (g["procedure"] == proc) & (g["subject"] == subj)
                  & (g["year"] == result.year) & g["grade"].isin(result.params["vpr_grades"])]
        f0, n0 = other["failed"].sum(), other["participants"].sum()
        total = sum(pr[k] for k in ("n2", "n3", "n4", "n5"))
        rest = n - (total - pr["n2"])
        text = (head + f"строка исключена при проверке данных ({fate['detail'].rstrip('.')}). Исключённая строка "
                "не участвует ни в одном расчёте, поэтому проверка объективности её не видит и отметить не может. "
                f"Напечатанная доля «2» — {fmt_pct(pr['n2'] / n)} ({pr['n2']} из {n})")
        if n0:
            text += (f", в остальных классах этого предмета, оставшихся в расчёте ({', '.join(map(str, sorted(other['grade'].astype(int))))}), — "
                     f"{fmt_pct(f0 / n0)} ({int(f0)} из {int(n0)})")
        text += (f". Наблюдение, не поправка: сумма сошлась бы, если бы «2» было {rest}, а не {pr['n2']} "
                 f"({rest} + {total - pr['n2']} = {n}).")
        return text
    if fate["state"] == "в расчёте":
        return head + "строка в расчёте, проверка объективности её не отметила."
    return head + "такой строки в данных нет."


def vpr_lists_text(shares: pd.DataFrame, shares_objective: pd.DataFrame, published: dict) -> str:
    """The ВПР ≥ threshold schools set against table 1, table 3 and the 2023 programme (Markdown bullets).

    ``shares_objective`` is :func:`vpr_fail_shares` with ``exclude_flagged=True``; schools that
    reach the threshold only through flagged grades are named with their share without them.
    """
    th = fmt_pct(shares["threshold"].iat[0], 0) if len(shares) else ""
    reach, reach_obj = schools_reaching(shares), schools_reaching(shares_objective)
    worst = shares.groupby("school_id")["fail_share"].max()
    lines = [f"Школы, где на ВПР хотя бы по одному предмету не преодолели порог не менее {th}: "
             f"{_join(reach)} ({len(reach)} из {shares['school_id'].nunique()})."]
    t1 = published_schools(published, "shnor_table1")
    c1 = compare_sets(reach, t1)
    extra = [s for s in reach if s not in t1]
    lines.append(f"- **Таблица 1, ШНОР** ({cite(published, 'shnor_table1')}): {comparison_text(c1)}. "
                 + ("Все школы таблицы 1 достигают порога — необходимое условие выполнено. " if set(t1) <= set(reach)
                    else f"Не достигают порога: {_join(s for s in t1 if s not in reach)}. ")
                 + (f"Школы {_join(extra)} тоже достигают порога, но в таблицу 1 не входят; по одной процедуре "
                    "одного года их от школ таблицы 1 не отличить." if extra else ""))
    t3 = published_schools(published, "risk_table3")
    over = [s for s in t3 if s in reach]
    lines.append(f"- **Таблица 3, зона риска** ({cite(published, 'risk_table3')}): {comparison_text(compare_sets(reach, t3))}. "
                 + (f"Критерий таблицы 3 — «менее {th}», но у "
                    + ", ".join(f"№ {s} ({fmt_pct(worst[s])})" for s in over)
                    + " наибольшая доля по предмету на ВПР выше. " if over else "")
                 + f"Ниже {th}: {_join(s for s in t3 if s not in reach)}.")
    prog = published_schools(published, "regional_programme_2023")
    lines.append(f"- **Региональная программа на 2023 год** ({cite(published, 'regional_programme_2023')}): "
                 f"{comparison_text(compare_sets(reach, prog))}.")
    only_flagged = [s for s in reach if s not in reach_obj]
    if only_flagged:
        wo = shares_objective.groupby("school_id")["fail_share"].max()
        who = "; ".join(f"№ {s} — без отмеченных классов ({', '.join(sorted(set(shares.loc[(shares['school_id'] == s) & (shares['flagged_grades'] != ''), 'flagged_grades'])))} кл.) "
                        f"наибольшая доля {fmt_pct(wo.get(s, np.nan))}" for s in only_flagged)
        lines.append(f"- Порог достигается только за счёт классов, отмеченных проверкой объективности (раздел 5): "
                     f"{who}. Если отмеченные результаты исключить, сравнение со списком программы на 2023 год: "
                     f"{comparison_text(compare_sets(reach_obj, prog))}.")
    return "\n".join(lines)


def data_quality_text(summary: pd.DataFrame, params: dict) -> str:
    """Counts per category of :func:`data_quality_summary`, and what happens to each kind of row."""
    if summary.empty:
        return "Все строки результатов согласованы: пересчитанных, исключённых и отмеченных нет."
    counts = summary["Категория"].value_counts(sort=False)
    what = "; ".join(f"{c} — {n}" for c, n in counts.items())
    return (f"Всего {len(summary)} {plural(len(summary), 'запись', 'записи', 'записей')}: {what}. Пересчитанные "
            "строки участвуют в расчёте с пересчитанными количествами; исключённые не участвуют ни в одном расчёте "
            "(и в проверке объективности тоже); отмеченные проверкой объективности "
            + ("исключены из расчёта статусов (параметр exclude_nonobjective включён)."
               if params.get("exclude_nonobjective") else
               "участвуют в расчёте статусов (параметр exclude_nonobjective выключен) и показаны как повод для "
               "проверки."))


# ---------------------------------------------------------------- clusters

def cluster_comparison(result, published: dict, shares: pd.DataFrame) -> pd.DataFrame:
    """Each published cluster against the computed clusters and the ВПР fail shares of its schools.

    Returns
    -------
    DataFrame
        «Кластер в программе», «Школы», «С результатами ВПР», «Доля «2» ВПР (оба предмета): от – до»,
        «Кластеры расчёта» (computed cluster of each school with results).
    """
    pooled = shares.groupby("school_id")[["failed", "participants"]].sum()
    pooled = pooled["failed"] / pooled["participants"]
    computed = result.schools.set_index("school_id")["cluster"]
    rows = []
    for name, entry in (published.get("clusters") or {}).items():
        ids = _ids(entry["schools"])
        have = [s for s in ids if s in pooled.index]
        span = (f"{fmt_pct(pooled[have].min())} – {fmt_pct(pooled[have].max())}" if len(have) > 1
                else (fmt_pct(pooled[have[0]]) if have else "—"))
        clus = ", ".join(f"{s}→{int(computed[s])}" for s in have if pd.notna(computed.get(s)))
        rows.append({"Кластер в программе": str(name), "Школы": ", ".join(ids),
                     "С результатами ВПР": len(have), "Доля «2» ВПР (оба предмета): от – до": span,
                     "Кластеры расчёта": clus or "—"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- explanations

def single_season_text(result, published: dict) -> str:
    """Why one season (ВПР everywhere, ОГЭ for a few schools, no Y−1) cannot reproduce tables 1 and 3.

    Every number is read from the result: procedures per school, the previous year,
    the computed statuses and the ОГЭ shares.
    """
    p = result.params
    m = result.metrics
    m = m[(m["year"] == result.year) & m["in_scope"] & m["enough"]]
    procs = m.groupby("school_id")["procedure"].nunique()
    multi = _ids(procs[procs >= 2].index)
    n = len(procs)
    s = result.schools
    n_shnor, n_risk = int(s["shnor"].fillna(False).sum()), int(s["risk_zone"].fillna(False).sum())
    th, rth = p["shnor_threshold"], p["risk_threshold"]
    parts = [f"Правило программы ({cite(published, 'rule_shnor')}) требует не менее {fmt_pct(th, 0)} не "
             "преодолевших порог «в один год минимум в 2-х различных оценочных процедурах или минимум по одному "
             "разу в течение 2-х последних лет подряд по одной процедуре»."]
    prev = "есть" if result.previous_year else "нет"
    parts.append(f"В отгруженных данных — один сезон ({result.year}; данных за {result.year - 1} год {prev}). "
                 f"Из {n} школ с результатами несколько процедур есть у {len(multi)} "
                 f"{plural(len(multi), 'школы', 'школ', 'школ')}" + (f" (№ {_join(multi)})" if multi else "")
                 + f"; у остальных {n - len(multi)} — только ВПР.")
    for sid in multi:
        others = m[(m["school_id"] == sid) & (m["procedure"] != "ВПР")]
        what = "; ".join(f"{r.procedure}, {r.subject} — {fmt_pct(r.fail_share)} ({int(r.failed)} из {int(r.participants)})"
                         for r in others.itertuples())
        parts.append(f"У школы № {sid} есть вторая процедура ({cite(published, 'oge_school_1_only')}): {what} — ниже "
                     f"порога ШНОР {fmt_pct(th, 0)}" + (f" и порога зоны риска {fmt_pct(rth, 0)}"
                                                        if (others["fail_share"] < rth).all() else "") + ".")
    parts.append(f"Поэтому расчёт по правилу даёт ШНОР — {n_shnor}, зона риска — {n_risk}: не потому, что "
                 "результаты хороши, а потому, что второго условия проверить не на чем. Списки программы "
                 f"составлены по результатам ВПР, ОГЭ и ЕГЭ «{_entry(published, 'period')['quote']}» "
                 f"({cite(published, 'period')}); этих данных в публикации нет.")
    parts.append(f"Ниже проверяется только то, что проверить можно: достигает ли доля не преодолевших порог на "
                 f"ВПР {result.year} года {fmt_pct(th, 0)}. Это необходимое, но не достаточное условие: правило "
                 "требует ещё второй процедуры или второго года. "
                 f"Критерий таблицы 3 — «менее {fmt_pct(th, 0)}» ({cite(published, 'rule_risk')}).")
    return "\n\n".join(parts)


def social_passport_text(result, published: dict) -> str:
    """What cannot be computed without the social passport, and what the published ИСБШ groups say about table 2."""
    has_social = any(Path(k).stem == "social" and Path(k).parent.name == str(result.year) for k in result.checksums)
    s = result.schools
    rule = result.params["shnsu_rule"]
    table2 = published_schools(published, "shnsu_table2")
    g = s.set_index("school_id")["isbsh_group"]
    parts = []
    if has_social:
        parts.append("Файл social (социальный паспорт) есть: ИСБШ рассчитан по методике.")
    else:
        parts.append("Файла social (социальный паспорт) нет: доли учащихся из неполных семей, с родителями с высшим "
                     "образованием, на учёте, с неродным русским языком не опубликованы. Поэтому **ИСБШ по методике "
                     "не вычисляется**, и **ШНСУ по социальному паспорту не определяются**: список таблицы 2 "
                     f"({cite(published, 'shnsu_table2')}: № {_join(table2)}) проверить нельзя.")
    pub_groups = s["indices_source"].eq("файл indices") & s["isbsh_group"].notna()
    k = int(pub_groups.sum())
    parts.append(f"Группы ИСБШ взяты готовыми из опубликованной таблицы (файл indices, {k} "
                 f"{plural(k, 'школа', 'школы', 'школ')}).")
    if rule.get("isbsh_group_max") is not None:
        low = _ids(s.loc[s["isbsh_group"] <= rule["isbsh_group_max"], "school_id"])
        described = "; ".join(f"№ {sid} — группа {int(g[sid])} ({group_label(g[sid])})" if pd.notna(g.get(sid))
                              else f"№ {sid} — группы нет" for sid in table2)
        known = [g[sid] for sid in table2 if pd.notna(g.get(sid))]
        parts.append(f"Правило проекта (ШНСУ — группа ИСБШ не выше {rule['isbsh_group_max']}) на опубликованных "
                     f"группах даёт ШНСУ — {len(low)}" + (f" (№ {_join(low)})" if low else "") + ". "
                     f"Критерий таблицы 2 — «{_entry(published, 'shnsu_criterion')['quote']}» "
                     f"({cite(published, 'shnsu_criterion')}), а по шкале самой программы «очень низкий» — это "
                     f"группы 1–2 ({cite(published, 'isbsh_levels')}). Школы таблицы 2 в опубликованной "
                     f"таблице-идентификаторе: {described}"
                     + (f" — группы {int(min(known))}–{int(max(known))}" if known else "") + ".")
        all_groups = s["isbsh_group"].dropna()
        if len(all_groups):
            parts.append(f"Самая низкая группа ИСБШ в таблице-идентификаторе — {int(all_groups.min())}, хотя текст "
                         f"упоминает «группы с низким ИСБШ (2-3)» ({cite(published, 'isbsh_low_groups_rural')}). "
                         "Вероятно, список таблицы 2 составлен ИРО по другим данным или другой шкале; из "
                         "опубликованного это не восстанавливается.")
    return "\n\n".join(parts)


# ---------------------------------------------------------------- inputs and consistency

def input_files_table(result, published: dict, data_root: str | Path | None = None) -> pd.DataFrame:
    """Input files with SHA-256 and what each was transcribed from (``files`` of published.yml).

    Returns
    -------
    DataFrame
        «Файл», «Что содержит», «Откуда в программе», «SHA-256».
    """
    rows = []
    for path, sha in sorted(result.checksums.items()):
        shown = Path(path)
        if data_root is not None:
            try:
                shown = Path(path).resolve().relative_to(Path(data_root).resolve())
            except ValueError:
                pass
        info = (published.get("files") or {}).get(Path(path).stem)
        rows.append({"Файл": shown.as_posix(), "Что содержит": info["what"] if info else "—",
                     "Откуда в программе": cite(info) if info else "—", "SHA-256": sha})
    return pd.DataFrame(rows, columns=["Файл", "Что содержит", "Откуда в программе", "SHA-256"])


def consistency_checks(result, published: dict) -> pd.DataFrame:
    """Lists printed in the text against the shipped tables: город/село (``schools``) and ИУРШ groups (``indices``).

    Returns
    -------
    DataFrame
        «Список», «Где в программе», «Сравнивается с», «Совпадает» (bool), «Расхождения».
    """
    s = result.schools
    checks = []
    for key, territory in (("urban", "город"), ("rural", "село"), ("rural_line_558", "село")):
        if key in (published.get("lists") or {}):
            checks.append((key, f"школы с территорией «{territory}» в schools.csv",
                           s.loc[s["territory"].eq(territory), "school_id"]))
    for key, group in (published.get("iursh_groups") or {}).items():
        checks.append((key, f"школы с группой ИУРШ {group} в indices.csv",
                       s.loc[s["iursh_group"].eq(group), "school_id"]))
    rows = []
    for key, against, ids in checks:
        cmp = compare_sets(ids, published_schools(published, key), computed_label="в файлах",
                           published_label="в тексте программы")
        diff = cmp[cmp["Итог"] != BOTH]
        rows.append({"Список": published["lists"][key]["title"], "Где в программе": cite(published, key),
                     "Сравнивается с": against, "Совпадает": diff.empty,
                     "Расхождения": "нет" if diff.empty else comparison_text(cmp)})
    out = pd.DataFrame(rows, columns=["Список", "Где в программе", "Сравнивается с", "Совпадает", "Расхождения"])
    # which rows are a second printing of a list (``variant_of`` in published.yml), for the summary
    out.attrs["variant_of"] = [published["lists"][key].get("variant_of") for key, _, _ in checks]
    return out


def inversions_text(inversions: pd.DataFrame, n_schools: int) -> str:
    """Words for :func:`quality_group_inversions`: how many pairs, and the most striking one."""
    if inversions.empty:
        return (f"Группа качества в опубликованной таблице упорядочена так же, как индекс качества ОГЭ "
                f"({n_schools} школ).")
    gap = inversions["Индекс A"] - inversions["Индекс B"]
    r = inversions.loc[gap.idxmax()]
    same = inversions[inversions["Индекс A"] == inversions["Индекс B"]]
    text = (f"Группа качества в программе не следует из напечатанного «индекса качества ОГЭ»: у "
            f"{len(inversions)} {plural(len(inversions), 'пары', 'пар', 'пар')} школ (из {n_schools} школ с обоими "
            f"значениями) больший индекс стоит в меньшей группе — например, № {r['Школа A']}: "
            f"{fmt_num(r['Индекс A'], 2)}, группа {r['Группа A']}, и № {r['Школа B']}: {fmt_num(r['Индекс B'], 2)}, "
            f"группа {r['Группа B']}")
    if len(same):
        q = same.iloc[0]
        text += (f"; у № {q['Школа A']} и № {q['Школа B']} индекс одинаковый ({fmt_num(q['Индекс A'], 2)}), "
                 f"а группы {q['Группа A']} и {q['Группа B']}")
    return text + (". Значит, группу качества ИРО рассчитал по другому показателю, и из опубликованных данных её "
                   "заново не получить.")


def summary_table(result, published: dict, *, identifier: pd.DataFrame, shares: pd.DataFrame,
                  shares_objective: pd.DataFrame, ranking: pd.DataFrame,
                  checks: pd.DataFrame, clusters: pd.DataFrame,
                  definitions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Section «Итог»: each published finding, whether the shipped data reproduce it, and why.

    Parameters
    ----------
    result : SeasonResult
    published : dict
    identifier : from :func:`compare_identifier_tables`
    shares, shares_objective : from :func:`vpr_fail_shares` (all results / flagged grades left out)
    ranking : from :func:`residual_ranking`
    checks : from :func:`consistency_checks`
    clusters : from :func:`cluster_comparison`
    definitions : from :func:`quality_index_definitions`, optional (adds the row of the quality index)

    Returns
    -------
    DataFrame
        «Что сравнивается», «Где в программе», «Основа», «Итог», «Почему». «Основа» says what
        the verdict rests on: :data:`RECOMPUTED` (the library derives the finding from the
        transcribed mark counts and groups by its own rule), :data:`TRANSCRIBED` (a transcribed
        table against the printed table or list it comes from; only a transcription slip can
        make it fail) or :data:`NOT_CHECKED`. «Итог» is one of «совпадает», «согласуется»
        (a necessary condition holds), «частично», «расходится», «не проверяется» for
        recomputed rows and «перенесено верно» or «ошибка переноса» for transcription checks.
    """
    th = fmt_pct(result.params["shnor_threshold"], 0)
    reach, reach_obj = schools_reaching(shares), schools_reaching(shares_objective)
    rows = []

    def add(what, where, verdict, why, basis=RECOMPUTED):
        rows.append({"Что сравнивается": what, "Где в программе": where, "Основа": basis, "Итог": verdict,
                     "Почему": why})

    ok = bool(identifier["Совпадает"].all())
    n_cells = int((identifier["Вид"] == "ячейка").sum())
    add("Таблица-идентификатор ИСБШ × группа качества", cite(published["identifier_table"]),
        "перенесено верно" if ok else "ошибка переноса",
        (f"таблица, собранная из файла indices, совпадает с напечатанной во всех {n_cells} ячейках и итогах" if ok
         else f"расхождений: {int((~identifier['Совпадает']).sum())}")
        + "; группы ИСБШ и качества перенесены из этой же таблицы, поэтому проверены перенос и сборка таблицы, "
          "а не расчёт групп: ИСБШ без социального паспорта не вычисляется, группа качества не выводится "
          "из опубликованного индекса.", TRANSCRIBED)
    variant = pd.Series(checks.attrs.get("variant_of") or [None] * len(checks), index=checks.index)
    main_bad = checks[~checks["Совпадает"] & variant.isna()]
    var_bad = checks[~checks["Совпадает"] & variant.notna()]
    where_lines = sorted({int(published["lists"][k]["lines"][0]) for k in published["lists"]
                          if published["lists"][k]["title"] in set(checks["Список"])})
    why = ("файлы schools и indices совпадают со списками программы" if main_bad.empty else
           "; ".join(f"{r['Список']}: {r['Расхождения']}" for _, r in main_bad.iterrows()))
    for i, r in var_bad.iterrows():
        why += (f"; повторный список «{r['Список']}» ({r['Где в программе']}) расходится с основным "
                f"«{published['lists'][variant[i]]['title']}» ({cite(published, variant[i])}) — это расхождение "
                f"внутри самой программы: {r['Расхождения']}")
    add("Списки «город / село» и группы ИУРШ в тексте", "строки " + ", ".join(map(str, where_lines)),
        "перенесено верно" if main_bad.empty else "ошибка переноса", why, TRANSCRIBED)
    t1 = published_schools(published, "shnor_table1")
    miss = [s for s in t1 if s not in reach]
    add(f"Таблица 1 (ШНОР): доля «2» на ВПР ≥ {th}", cite(published, "shnor_table1"),
        "согласуется" if not miss else "расходится",
        (f"у всех {len(t1)} школ таблицы 1 доля ≥ {th}" if not miss else f"ниже {th}: {_join(miss)}")
        + f"; ещё ≥ {th}: {_join(s for s in reach if s not in t1)}. Правило целиком (две процедуры или два года) "
          f"не проверяется: ШНОР по расчёту — {int(result.schools['shnor'].fillna(False).sum())}.")
    t3 = published_schools(published, "risk_table3")
    over = [s for s in t3 if s in reach]
    add(f"Таблица 3 (зона риска): «менее {th}»", cite(published, "risk_table3"),
        "расходится" if over else "согласуется",
        (f"на ВПР {result.year} доля ≥ {th} у {_join(over)}; " if over else "")
        + f"менее {th}: {_join(s for s in t3 if s not in reach)}. Списки составлены по результатам "
          f"«{_entry(published, 'period')['quote']}» ({cite(published, 'period')}) нескольких процедур, "
          "которых нет в публикации.")
    prog = published_schools(published, "regional_programme_2023")
    same_obj = set(reach_obj) == set(prog)
    add(f"Региональная программа 2023: доля «2» на ВПР ≥ {th}", cite(published, "regional_programme_2023"),
        "совпадает" if set(reach) == set(prog) else ("согласуется" if same_obj else "расходится"),
        f"все результаты: {comparison_text(compare_sets(reach, prog))}; без результатов, отмеченных проверкой "
        f"объективности: {comparison_text(compare_sets(reach_obj, prog))}. Совпадение наблюдаемое: программа не "
        "пишет, что список составлен по этому правилу.")
    outside = int(ranking["outside_pi"].sum()) if len(ranking) else 0
    for key, what in (("trend_breakers_isbsh", "ИСБШ"), ("trend_breakers_iursh", "ИУРШ")):
        named = published_schools(published, key)
        top = list(ranking["school_id"][:len(named)])
        hit = [s for s in named if s in top]
        verdict = "согласуется" if hit and len(hit) == len(named) else ("частично" if hit else "расходится")
        add(f"Школы, выбивающиеся из тенденции {what}", cite(published, key), verdict,
            f"программа называет {_join(named)}; среди {len(named)} наибольших |остатков| ({_join(top)}) — "
            f"{_hits_words(hit, named)}; "
            + ("за 95% прогнозный интервал не выходит ни одна школа." if outside == 0
               else f"за 95% прогнозный интервал выходят школ: {outside}."))
    if definitions is not None:
        d = definitions.dropna(subset=["Промах по школе № 1"])
        best = d.loc[d["Промах по школе № 1"].abs().idxmin()] if len(d) else None
        ok = best is not None and abs(best["Промах по школе № 1"]) <= 0.005
        add("Индекс качества ОГЭ школы № 1", cite(published["files"]["indices"]),
            "не проверяется" if best is None else ("совпадает" if ok else "расходится"),
            "нет данных" if best is None else
            (f"ближе всех `{best['Определение']}`: {fmt_num(best['Школа № 1: расчёт'], 3)} против опубликованных "
             f"{fmt_num(best['Школа № 1: опубликовано'], 2)}; ни одно из {len(d)} определений пакета не даёт "
             "опубликованного значения, определение индекса в программе не приведено" if not ok else
             f"`{best['Определение']}` даёт опубликованное значение"))
    add("Таблица 2 (ШНСУ)", cite(published, "shnsu_table2"), "не проверяется",
        "нет социального паспорта; опубликованные группы ИСБШ школ таблицы 2 — «средний» уровень, "
        "а критерий — «очень низкий».", NOT_CHECKED)
    split = clusters[clusters["Кластеры расчёта"].str.count("→") > 1]
    mixed = [r["Кластер в программе"] for _, r in split.iterrows()
             if len({c.split("→")[1] for c in r["Кластеры расчёта"].split(", ")}) > 1]
    add("Кластеры по качеству подготовки", "; ".join(cite(published["clusters"][k]) for k in published["clusters"]),
        "расходится" if mixed else "согласуется",
        (f"кластеры программы {', '.join(mixed)} делятся между разными кластерами расчёта; " if mixed else "")
        + f"программа кластеризовала школы всего региона по материалам ИРО, расчёт — "
          f"{int(result.schools['cluster'].notna().sum())} школ по ВПР и ОГЭ.")
    for case in published.get("objectivity_cases") or []:
        fate = row_fate(result, case["school_id"], case["procedure"], case["subject"], case["grade"])
        verdict = {"отмечена": "совпадает", "исключена": "не проверяется"}.get(fate["state"], "расходится")
        why = {"отмечена": "отмечена как резкое отличие параллели",
               "исключена": "строка исключена (сумма отметок ≠ участникам) — отметить нельзя"}.get(
            fate["state"], "проверка объективности не отметила")
        add(f"Объективность: № {case['school_id']}, {case['subject']}, {case['grade']} класс", cite(case), verdict, why,
            NOT_CHECKED if fate["state"] == "исключена" else RECOMPUTED)
    return pd.DataFrame(rows)


def summary_text(summary: pd.DataFrame) -> str:
    """Counts of the verdicts of :func:`summary_table`, recomputed findings apart from transcription checks."""
    basis = summary["Основа"]
    rec, tra = summary[basis.eq(RECOMPUTED)], summary[basis.eq(TRANSCRIBED)]
    unk = summary.loc[basis.eq(NOT_CHECKED) | summary["Итог"].eq("не проверяется"), "Что сравнивается"]
    rec = rec[rec["Итог"].ne("не проверяется")]
    counts = rec["Итог"].value_counts()
    order = ["совпадает", "согласуется", "частично", "расходится"]
    what = ", ".join(f"{v} — {int(counts[v])}" for v in order if v in counts) or "нет"
    parts = [f"Сравнений — {len(summary)}. **Пересчитано** библиотекой из перенесённых данных (отметки ВПР, "
             f"группы) и сопоставлено с выводами программы — {len(rec)}: {what}."]
    agree = rec.loc[rec["Итог"].isin(["совпадает", "согласуется"]), "Что сравнивается"]
    differ = rec.loc[rec["Итог"].isin(["частично", "расходится"]), "Что сравнивается"]
    if len(agree):
        parts.append("Пересчёт совпадает или согласуется: " + "; ".join(agree) + ".")
    if len(differ):
        parts.append("Пересчёт расходится (полностью или частично): " + "; ".join(differ) + ".")
    if len(tra):
        ok = tra.loc[tra["Итог"].eq("перенесено верно"), "Что сравнивается"]
        bad = tra.loc[~tra["Итог"].eq("перенесено верно"), "Что сравнивается"]
        text = (f"**Сверка переноса** (не пересчёт: перенесённая таблица сравнивается с той, из которой она "
                f"перенесена, и расходиться может только от ошибки переноса) — {len(tra)}")
        if len(ok):
            text += ": перенесено верно — " + "; ".join(ok)
        if len(bad):
            text += ("; " if len(ok) else ": ") + "ошибка переноса — " + "; ".join(bad)
        parts.append(text + ".")
    if len(unk):
        parts.append("**Не проверяется по опубликованным данным:** " + "; ".join(unk) + ".")
    return "\n\n".join(parts)


# ---------------------------------------------------------------- writing

def save_tables(tables: Mapping[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write each table to ``<folder>/<name>.csv`` (UTF-8, atomically); returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, df in tables.items():
        if not re.fullmatch(r"[\w.-]+", name):
            raise ValueError(f"недопустимое имя таблицы: {name!r}")
        out.append(atomic_write_text(folder / f"{name}.csv", csv_text(df)))
    return out

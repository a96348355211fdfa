"""One season computed: :func:`compute_season` and what it returns, :class:`SeasonResult`.

A researcher calls it from a notebook::

    from shnor_lib import load_dataset, load_params, compute_season
    data = load_dataset("data_raw", municipality="demo")
    params = load_params("demo")
    res = compute_season(data, "demo", 2024, params)
    res.schools.head(); print(res.model.summary())

The tables every season of a municipality computes alike — grades, objectivity flags,
pooled metrics, indices — are computed once for all of them (:class:`_Shared`); a season then
takes its municipality's rows up to its year and adds the rules, the quality model and the
clusters (:func:`_season_result`). Many seasons at once: :mod:`shnor_lib.pipeline.batch`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.clustering import cluster_features, cluster_schools, describe_clusters
from ..analysis.indices import (
    compute_isbsh,
    compute_iursh,
    compute_quality_groups,
    compute_quality_index,
    group_label,
    identifier_table,
    social_shares,
    teacher_shares,
)
from ..analysis.metrics import KEY, grade_metrics, pooled_metrics, work_metrics
from ..analysis.model_frame import build_model_frame, formula_info, quality_outcomes
from ..analysis.models import QualityModelResults, SchoolEffects, fit_quality_model, fit_school_effects
from ..analysis.robustness import SpecificationComparison, compare_specifications
from ..analysis.rules import identify, objectivity_tables, triggered_by_school, triggered_procedures
from ..contract.schema import school_id_order
from ..io.writers import csv_text
from .dataset import Dataset
from .support import SupportInputs, SupportResult, compute_support, consecutive_years

__all__ = ["SeasonResult", "compute_season", "season_history", "attach_support", "SCHOOL_COLUMNS"]

SCHOOL_COLUMNS = [
    "school_id", "name", "kind", "territory", "status", "shnor", "shnor_branch", "shnsu", "risk_zone", "reasons",
    "isbsh", "isbsh_group", "isbsh_level", "isbsh_quartile", "iursh", "iursh_group", "quality_index", "quality_n",
    "quality_group", "predicted", "pi_low", "pi_high", "residual", "resilience", "p_value", "p_adjusted", "z_score",
    "robust_k", "robust_m", "fragile", "school_effect", "effect_low", "effect_high", "effect_label", "cluster",
    "objectivity_flags", "indices_source",
]


@dataclass
class SeasonResult:
    """Everything computed for one municipality and year.

    Attributes
    ----------
    municipality, year : the season.
    params : dict
        The parameters used (``load_params``).
    schools : DataFrame
        One row per school (``schools.csv``), columns in :data:`SCHOOL_COLUMNS` order:

        - ``school_id``, ``name``, ``kind``, ``territory`` — from the schools table
        - ``status`` — «ШНОР+ШНСУ», «ШНОР», «ШНСУ», «зона риска» or "" (Методика §3.4)
        - ``shnor``, ``shnor_branch`` — ШНОР and by which branch («две процедуры» in one
          year or «два года подряд» in one procedure)
        - ``shnsu``, ``risk_zone`` — ШНСУ and the зона риска flag
        - ``reasons`` — the procedures and shares behind the status, in Russian
        - ``isbsh``, ``isbsh_group`` (1–11), ``isbsh_level`` (очень низкий … очень высокий),
          ``isbsh_quartile`` (1–4) — ИСБШ (§4.1)
        - ``iursh``, ``iursh_group`` (1–4) — ИУРШ (§4.2)
        - ``quality_index``, ``quality_n`` (participants behind it), ``quality_group``
          (1–11) — индекс качества (§4.3)
        - ``predicted``, ``pi_low``, ``pi_high``, ``residual``, ``resilience``, ``p_value``,
          ``p_adjusted``, ``z_score`` — the quality model's expected value, prediction
          interval (inside the index's scale), observed − expected, the one label and its
          test (see :class:`~shnor_lib.analysis.models.QualityModelResults`)
        - ``robust_k``, ``robust_m``, ``fragile`` — the label holds in k of m
          specifications; fragile when a flag holds in fewer than half (``robustness.csv``)
        - ``school_effect``, ``effect_low``, ``effect_high``, ``effect_label`` — the school's
          persistent effect over the loaded years (random intercept) with its interval and
          verdict («устойчиво выше ожидаемого» …): supporting evidence, not a second label
        - ``cluster`` — cluster number (§6)
        - ``objectivity_flags`` — objectivity flags of the year, «procedure, subject: flag»
        - ``indices_source`` — «рассчитано» or «файл indices» (published indices used)
        - ``students_total`` and other columns of the schools table follow these.
    metrics : DataFrame
        Pooled metrics per school × year × procedure × subject, every loaded year up to the
        season (``metrics.csv``): ``school_id``, ``year``, ``procedure``, ``subject``;
        ``participants``, ``failed`` («2», or below the threshold on ЕГЭ), ``quality``
        («4» + «5»), ``high`` («5», or the high score on ЕГЭ) — sums over grades;
        ``in_scope`` (whether the rules use the row), ``grades`` («5,6,7,8»);
        ``fail_share`` with its Wilson interval ``fail_low``–``fail_high``, ``base_share``
        (1 − fail_share), ``quality_share`` with ``quality_low``–``quality_high``,
        ``high_share``, ``mean_mark`` (ВПР/ОГЭ), ``mean_score`` (ЕГЭ), ``enough``
        (participants ≥ ``min_participants``).
    metrics_by_grade : DataFrame
        The same per grade (``grade`` after ``subject``; no ``in_scope``, ``grades``,
        ``enough``), ``metrics_by_grade.csv``.
    flags : DataFrame
        Objectivity flags of the year (``objectivity.csv``): ``school_id``, ``year``,
        ``procedure``, ``subject``, ``grade``, ``flag`` (parallel_jump, cohort_jump, inflated,
        journal_mismatch, vpr_gia_mismatch), ``detail`` (the numbers, in Russian), ``flag_label``
        (the flag in Russian).
    excluded : DataFrame
        Results left out of the rules as non-objective (``exclude_nonobjective``):
        ``municipality``, ``school_id``, ``year``, ``procedure``, ``subject``, ``grade``.
    issues : DataFrame
        Rows excluded or transformed on loading (``data_issues.csv``): ``municipality``,
        ``year``, ``file``, ``row`` (as the spreadsheet shows it), ``school_id``,
        ``procedure``, ``subject``, ``grade``, ``action``, ``reason``, ``original`` (the
        values as read).
    identifier_table : DataFrame
        The 11 × 11 table (``identifier_table.csv``): index «Группа ИСБШ» 1–11 and «Итого ОО»,
        columns «Группа качества» 1–11 and «Итого ОО»; cells list school codes («10,22»).
    model : QualityModelResults or None
        The main quality model.
    effects : SchoolEffects or None
        The random-intercept model over the loaded years.
    clusters : DataFrame
        The clusters (``clusters.csv``): ``cluster`` (number), ``n`` (schools), ``schools``
        (their codes), ``fail_share`` and ``quality_share`` (the cluster's mean shares),
        ``description`` (in Russian).
    isbsh_info : dict
        ИСБШ weights used and, for ``isbsh.method: regression``, their fit.
    checksums : dict
        SHA-256 of every input file used.
    notes : list of str
        Russian notes on what could not be computed.
    model_frame : DataFrame or None
        One row per school with every column a formula may use (``model_frame.csv``;
        :data:`shnor_lib.analysis.model_frame.MODEL_FRAME_COLUMNS`).
    robustness : SpecificationComparison or None
        The main model against ``model.specifications`` (``robustness.csv``).
    support : SupportResult or None
        The support analyses over the consecutive loaded years ending with the season:
        indicators, risk profiles and recommendations, dynamics, leader pairs (their own
        tables, see :class:`~shnor_lib.pipeline.support.SupportResult`); None when computed
        with ``support=False``.
    official_lists : DataFrame or None
        The season's optional ``official_lists`` file as read (``school_id``, ``list_name``,
        ``source``); compared with the rule by :func:`shnor_lib.analysis.official.official_comparison`.
    inflated_exempt : DataFrame or None
        Results of the year above the municipal upper fence of schools whose kind exempts them
        from ``inflated`` (``objectivity.inflated_exempt_kinds``):
        :func:`shnor_lib.analysis.rules.inflated_exemptions` (``would_flag``: the rule would fire).
    """

    municipality: str
    year: int
    params: dict
    schools: pd.DataFrame
    metrics: pd.DataFrame
    metrics_by_grade: pd.DataFrame
    flags: pd.DataFrame
    excluded: pd.DataFrame
    issues: pd.DataFrame
    identifier_table: pd.DataFrame
    model: QualityModelResults | None
    effects: SchoolEffects | None
    clusters: pd.DataFrame
    isbsh_info: dict
    checksums: dict[str, str]
    notes: list[str] = field(default_factory=list)
    previous_year: int | None = None
    seconds: float | None = None
    data_root: Path | None = None
    # Region and municipality shares of the season's ФИС ОКО exports (shnor_lib.io.fisoko), or None.
    reference_shares: pd.DataFrame | None = None
    model_frame: pd.DataFrame | None = None
    robustness: SpecificationComparison | None = None
    support: SupportResult | None = None
    # The season's official_lists file as read (school_id, list_name, source), or None.
    official_lists: pd.DataFrame | None = None
    # High results of the year of schools exempt from `inflated` by kind (inflated_exemptions), or None.
    inflated_exempt: pd.DataFrame | None = None

    @property
    def shares(self) -> dict[str, float]:
        """Counts and the municipal share of ШНОР ∪ ШНСУ (seed 001, 1.2.1)."""
        s = self.schools
        n = len(s)
        union = int((s["shnor"] | s["shnsu"]).sum())
        return {"schools": n, "shnor": int(s["shnor"].sum()), "shnsu": int(s["shnsu"].sum()),
                "risk_zone": int((s["status"] == "зона риска").sum()), "shnor_or_shnsu": union,
                "share_shnor_shnsu": union / n if n else np.nan}


def _indices_frame(data: Dataset, params: dict, pooled_all: pd.DataFrame, schools: pd.DataFrame,
                   scope: str | list[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """ИСБШ, ИУРШ, quality index and groups for every school of ``schools`` (the schools tables
    of the loaded seasons of municipality ``scope`` only, or of a list of them, when given)."""
    base = schools[["municipality", "year", "school_id"]]
    quality = compute_quality_index(pooled_all, params)
    frame = base.merge(quality, on=["municipality", "year", "school_id"], how="left")
    info: dict = {}
    social = data.table("social", scope)
    if len(social):
        shares = social_shares(social).merge(quality, on=["municipality", "year", "school_id"], how="left")
        isb, info = compute_isbsh(shares, params, quality=shares["quality_index"])
        frame = frame.merge(isb, on=["municipality", "year", "school_id"], how="left")
    else:
        frame[["isbsh", "isbsh_group", "isbsh_quartile"]] = np.nan
    teachers = data.table("teachers", scope)
    if len(teachers):
        iu = compute_iursh(teacher_shares(teachers, params), params)
        frame = frame.merge(iu, on=["municipality", "year", "school_id"], how="left")
    else:
        frame[["iursh", "iursh_group"]] = np.nan
    frame["quality_group"] = compute_quality_groups(frame, params)
    frame["indices_source"] = "рассчитано"
    published = data.table("indices", scope)
    if len(published):
        pub = published.set_index(["municipality", "year", "school_id"])
        frame = frame.set_index(["municipality", "year", "school_id"])
        for col in ["isbsh", "isbsh_group", "iursh", "iursh_group", "quality_index", "quality_group"]:
            given = pub[col].dropna()
            idx = given.index.intersection(frame.index)
            frame.loc[idx, col] = given.loc[idx]
            frame.loc[idx, "indices_source"] = "файл indices"
        frame = frame.reset_index()
    return frame, info


def _scope_is_all(params: dict) -> bool:
    """Whether other loaded municipalities are the reference population of some index."""
    refs = (params["isbsh"]["reference"], params["iursh"]["reference"], params["quality"]["reference"])
    return "all" in refs


@dataclass
class _Shared:
    """What the seasons of some municipalities compute alike, computed once for all of them.

    Every table is grouped by municipality and year in the methodology (grades, flags,
    pooled metrics, indices), so computing them for several municipalities and years at
    once gives each season exactly the rows it would get alone; a season then takes its
    municipality's rows up to its year (:func:`_season_result`).
    """

    scope: list[str] | None  # municipalities computed (None: every loaded one)
    grades: pd.DataFrame
    flags: pd.DataFrame
    excluded: pd.DataFrame
    pooled: pd.DataFrame
    frame: pd.DataFrame
    isbsh_info: dict
    exempt: pd.DataFrame  # high results of schools exempt from `inflated` (inflated_exemptions)
    works: pd.DataFrame | None = None  # metrics per work, for shnor_rule.procedure_unit: work
    _parts: dict = field(default_factory=dict)
    _triggered: tuple | None = None
    _csv: dict = field(default_factory=dict)
    _frames: dict = field(default_factory=dict)
    _outcomes: tuple | None = None

    def model_frame(self, data: Dataset, municipality: str, year: int, params: dict) -> pd.DataFrame:
        """The model frame of one season (built once; the panel of later seasons reuses it)."""
        key = (municipality, year)
        if key not in self._frames:
            if self._outcomes is None:  # every quality index of every season, in one pass
                table = quality_outcomes(self.pooled, params)
                self._outcomes = (table, table.groupby(["municipality", "year"], sort=False).indices)
            table, index = self._outcomes
            frame = self.part(municipality)["frame"]
            season = data.seasons[key]
            pos = index.get(key)
            self._frames[key] = build_model_frame(
                season.schools, frame[frame["year"] == year], season.tables.get("social"),
                season.tables.get("teachers"), table.iloc[pos] if pos is not None else table.iloc[:0], params,
                municipality, year)
        return self._frames[key]

    def csv_text(self, municipality: str, name: str, year: int) -> str | None:
        """The CSV text of a season's ``metrics`` (name "pooled") or ``metrics_by_grade``
        ("grades"): the rows of its municipality up to its year. A municipality's rows are
        rendered once for all its seasons (each season repeats the earlier years); None when
        a text cell holds a line break (then the season's table is written as it is)."""
        key = (municipality, name)
        if key not in self._csv:
            table = self.part(municipality)[name].drop(columns="municipality")
            text = csv_text(table)
            texts = table.select_dtypes(exclude=["number", "bool"])
            if any(texts[c].astype(str).str.contains("[\r\n]", regex=True).any() for c in texts.columns):
                self._csv[key] = None
            else:
                lines = text.split("\n")  # pandas ends every line with os.linesep
                self._csv[key] = (lines[0] + "\n", [line + "\n" for line in lines[1:-1]],
                                  table["year"].to_numpy())
        cached = self._csv[key]
        if cached is None:
            return None
        head, lines, years = cached
        return head + "".join([lines[i] for i in np.flatnonzero(years <= year)])

    def triggered(self, municipality: str, params: dict) -> tuple[dict, dict]:
        """The municipality's triggered procedures at the ШНОР and зона риска thresholds
        (what :func:`shnor_lib.analysis.rules.identify` needs), computed once for every season."""
        if self._triggered is None:
            units = self.pooled if self.works is None else self.works
            self._triggered = tuple(triggered_by_school(triggered_procedures(units, params[t], params))
                                    for t in ("shnor_threshold", "risk_threshold"))
        return tuple(t.get(municipality, {}) for t in self._triggered)

    def part(self, municipality: str) -> dict[str, pd.DataFrame]:
        """The rows of one municipality of every table (positions kept in order)."""
        if not self._parts:
            for name in ("grades", "flags", "excluded", "pooled", "frame", "exempt"):
                table = getattr(self, name)
                index = table.groupby("municipality", sort=False).indices if len(table) else {}
                self._parts[name] = (table, index)
        out = {}
        for name, (table, index) in self._parts.items():
            pos = index.get(municipality)
            out[name] = table.iloc[pos] if pos is not None else table.iloc[:0]
        return out


def _shared_tables(data: Dataset, params: dict, scope: list[str] | None, up_to: int | None = None) -> _Shared:
    """Grades, objectivity flags, pooled metrics and indices of the municipalities ``scope``
    (None: all loaded), of the years up to ``up_to`` (None: all)."""
    results = data.table("results", scope)
    if up_to is not None:
        results = results[results["year"] <= up_to]
    grades = grade_metrics(results, params["confidence_level"], by=["municipality"])
    schools = data.table("schools", scope)
    flags, exempt = objectivity_tables(grades, results, params, schools)
    excluded = pd.DataFrame(columns=["municipality", *KEY, "grade"])
    used = results
    if params["exclude_nonobjective"] and len(flags):
        excluded = flags[["municipality", *KEY, "grade"]].drop_duplicates()
        mark = used.merge(excluded.assign(_x=True), on=["municipality", *KEY, "grade"], how="left")["_x"].fillna(False)
        used = used[~mark.values.astype(bool)]
    pooled_all = pooled_metrics(used, params, by=["municipality"])
    frame, isbsh_info = _indices_frame(data, params, pooled_all, schools, scope)
    works = (work_metrics(used, params, by=["municipality"])
             if (params.get("shnor_rule") or {}).get("procedure_unit", "kind") == "work" else None)
    return _Shared(scope, grades, flags, excluded, pooled_all, frame, isbsh_info, exempt, works)


def compute_season(data: Dataset, municipality: str, year: int, params: dict, *, support: bool = True
                   ) -> SeasonResult:
    """Compute statuses, indices, model and clusters for one municipality and year.

    With ``support`` (the default) also the support analyses of the season
    (:attr:`SeasonResult.support`: indicators, risk profiles and recommendations, dynamics,
    leader pairs), which need the consecutive loaded years before it: those are computed too.

    Parameters
    ----------
    data : Dataset
        From :func:`load_dataset`; other loaded municipalities serve as the reference
        population when ``isbsh.reference`` is ``all``.
    municipality, year : the season to compute.
    params : dict
        From :func:`shnor_lib.config.params.load_params`.
    support : bool, default True
        Whether to run the support analyses (``False``: the statuses and models only).

    See also
    --------
    compute_all : every season of many municipalities at once (what ``shnor compute`` uses).
    """
    if (municipality, year) not in data.seasons:
        raise KeyError(f"season {municipality}/{year} is not loaded")
    started = time.perf_counter()
    # Other municipalities matter only as a reference population ("all"); otherwise
    # computing one municipality must not cost more when many are loaded.
    scope = None if _scope_is_all(params) else [municipality]
    shared = _shared_tables(data, params, scope, up_to=year)
    result = _season_result(data, municipality, year, params, shared, started)
    if support:
        attach_support(data, season_history(data, municipality, year, params, known=(result,)))
    return result


def season_history(data: Dataset, municipality: str, year: int, params: dict,
                   known: Iterable[SeasonResult | None] = ()) -> list[SeasonResult]:
    """The computed seasons of the consecutive loaded years ending with ``year`` (oldest first).

    ``known`` holds seasons already computed (e.g. the season itself and the year before),
    which are reused; the others are computed without their support analyses.
    """
    have = {r.year: r for r in known if r is not None}
    return [have.get(y) or compute_season(data, municipality, y, params, support=False)
            for y in consecutive_years(data.years(municipality), year)]


def attach_support(data: Dataset, history: list[SeasonResult], inputs: SupportInputs | None = None) -> SeasonResult:
    """Compute the support analyses of the last season of ``history`` into its ``support``."""
    result = history[-1]
    started = time.perf_counter()
    result.support = compute_support(data, history, inputs)
    result.seconds = (result.seconds or 0.0) + time.perf_counter() - started
    return result



def _season_result(data: Dataset, municipality: str, year: int, params: dict, shared: _Shared,
                   started: float) -> SeasonResult:
    """The season's statuses, models and clusters from its municipality's shared tables."""
    notes: list[str] = []
    part = shared.part(municipality)
    mine = part["pooled"][part["pooled"]["year"] <= year]
    season = data.seasons[(municipality, year)]
    frame = part["frame"]
    idx_y = frame[frame["year"] == year].copy()
    if not season.has("social") and idx_y["isbsh_group"].isna().all():
        notes.append("нет файла social (социальный паспорт): ИСБШ не рассчитан, ШНСУ не определяется")
    if not season.has("teachers") and idx_y["iursh_group"].isna().all():
        notes.append("нет файла teachers: ИУРШ не рассчитан")
    has_prev = (year - 1) in set(mine["year"])
    if not has_prev:
        notes.append(f"нет данных за {year - 1} г.: условие «два года подряд» не проверяется")
    excluded = part["excluded"][part["excluded"]["year"] <= year]
    decisions = identify(mine, idx_y, year, params, excluded, triggered=shared.triggered(municipality, params))

    model_frame = shared.model_frame(data, municipality, year, params)
    model = fit_quality_model(model_frame, params)
    robustness = None
    if model is None:
        notes.append("модель качества не построена: мало школ с индексом качества и контекстом")
    elif params["model"]["specifications"]:
        robustness = compare_specifications(model_frame, params=params, main=model)
    effects = None
    if params["model"]["mixed"] != "never":
        panel = _panel(data, shared, municipality, year, params)
        several = panel["year"].nunique() > 1 or panel["municipality"].nunique() > 1
        if params["model"]["mixed"] == "always" or several:
            effects = fit_school_effects(panel, params)
            if effects is None:
                notes.append("модель со случайными эффектами школ не построена: мало повторных наблюдений")

    feats = cluster_features(mine, year, params)
    clusters = cluster_schools(feats, params)
    clusters_desc = describe_clusters(feats, clusters)

    schools = season.schools[[c for c in ["school_id", "name", "kind", "territory", "students_total"]
                              if c in season.schools.columns]].copy()
    schools = schools.merge(decisions, on="school_id", how="left")
    schools = schools.merge(idx_y.drop(columns=["municipality", "year"]), on="school_id", how="left")
    schools["isbsh_level"] = schools["isbsh_group"].map(group_label)
    if model is not None:
        schools = schools.merge(model.predictions.drop(columns="observed"), on="school_id", how="left")
    if robustness is not None:
        agree = robustness.agreement[["school_id", "robust_k", "robust_m", "fragile"]].astype(
            {"robust_k": float, "robust_m": float})  # NaN, like the other numbers, for schools outside the model
        schools = schools.merge(agree, on="school_id", how="left")
    if effects is not None:
        e = effects.effects.copy()
        e = e[e["school_key"].str.startswith(municipality + "/")]
        e["school_id"] = e["school_key"].str[len(municipality) + 1:]
        e = e.rename(columns={"effect": "school_effect", "low": "effect_low", "high": "effect_high",
                              "label": "effect_label"})
        e["school_id"] = e["school_id"].astype(str)
        schools = schools.merge(e[["school_id", "school_effect", "effect_low", "effect_high", "effect_label"]],
                                on="school_id", how="left")
    schools["cluster"] = schools["school_id"].map(clusters)
    fl = part["flags"][part["flags"]["year"] == year]
    fsum: dict[str, list[str]] = {}
    for r in fl.itertuples():
        fsum.setdefault(r.school_id, []).append(f"{r.procedure}, {r.subject}: {r.flag_label}")
    schools["objectivity_flags"] = schools["school_id"].map(
        {sid: "; ".join(texts) for sid, texts in fsum.items()}).astype(object).fillna("")
    for c in SCHOOL_COLUMNS:
        if c not in schools.columns:
            schools[c] = np.nan
    schools = schools[SCHOOL_COLUMNS + [c for c in schools.columns if c not in SCHOOL_COLUMNS]]
    schools = schools.sort_values("school_id", key=school_id_order).reset_index(drop=True)

    metrics = mine.drop(columns="municipality").reset_index(drop=True)
    grades = part["grades"]
    by_grade = grades[grades["year"] <= year].drop(columns="municipality")
    checksums = {}
    for y in data.years(municipality):
        if y <= year:
            checksums.update(data.seasons[(municipality, y)].checksums)
    return SeasonResult(
        municipality, year, params, schools, metrics, by_grade.reset_index(drop=True),
        fl.drop(columns="municipality").reset_index(drop=True),
        excluded.reset_index(drop=True),
        data.issues(municipality, year), identifier_table(schools), model, effects, clusters_desc,
        shared.isbsh_info, checksums, notes, year - 1 if has_prev else None,
        time.perf_counter() - started, data.data_root, season.fisoko_reference, model_frame, robustness,
        official_lists=season.tables.get("official_lists"),
        inflated_exempt=_of_year(part["exempt"], year))


def _of_year(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of ``year`` without ``municipality``."""
    return table[table["year"] == year].drop(columns="municipality").reset_index(drop=True)


def _panel(data: Dataset, shared: _Shared, municipality: str, year: int, params: dict) -> pd.DataFrame:
    """School × year rows up to ``year`` for the random-intercept model: the municipality's, or
    every loaded municipality's when they are one reference population (``shared.scope`` None)."""
    population = shared.frame if shared.scope is None else shared.part(municipality)["frame"]
    population = population[population["year"] <= year]
    needed = formula_info(params["model"]["formula"]).variables
    if all(v in population.columns for v in needed):  # the indices suffice (the common case)
        panel = population.copy()
    else:
        keys = sorted(set(zip(population["municipality"], population["year"])))
        panel = pd.concat([shared.model_frame(data, m, y, params) for m, y in keys], ignore_index=True)
    panel["school_key"] = panel["municipality"] + "/" + panel["school_id"].astype(str)
    return panel

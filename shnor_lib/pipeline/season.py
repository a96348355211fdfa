"""The season pipeline: load → validate → compute → model, and writing the tables.

A researcher can call each step from a notebook::

    from shnor_lib import load_dataset, load_params, compute_season
    data = load_dataset("data_raw", municipality="demo")
    params = load_params("demo")
    res = compute_season(data, "demo", 2024, params)
    res.schools.head(); print(res.model.summary())
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

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
from ..analysis.metrics import KEY, grade_metrics, pooled_metrics
from ..analysis.model_frame import build_model_frame, formula_info, quality_outcomes
from ..analysis.models import QualityModelResults, SchoolEffects, fit_quality_model, fit_school_effects
from ..analysis.robustness import SpecificationComparison, compare_specifications
from ..analysis.rules import identify, objectivity_flags, triggered_by_school, triggered_procedures
from ..config.params import params_digest
from ..contract.schema import school_id_order
from ..contract.validate import ISSUE_COLUMNS, Season, copied_results, validate_seasons
from ..errors import DataValidationError, Problem
from ..io.atomic import make_temp_dir
from ..io.paths import season_folder_problems
from ..io.readers import list_seasons, read_season
from ..io.writers import csv_text, safe_cells, write_csv
from .provenance import manifest

__all__ = ["Dataset", "SeasonResult", "load_dataset", "compute_season", "compute_all", "iter_compute",
           "compute_outputs", "write_outputs", "stage_outputs", "StagedOutputs", "SCHOOL_COLUMNS"]

SCHOOL_COLUMNS = [
    "school_id", "name", "kind", "territory", "status", "shnor", "shnor_branch", "shnsu", "risk_zone", "reasons",
    "isbsh", "isbsh_group", "isbsh_level", "isbsh_quartile", "iursh", "iursh_group", "quality_index", "quality_n",
    "quality_group", "predicted", "pi_low", "pi_high", "residual", "resilience", "p_value", "p_adjusted", "z_score",
    "robust_k", "robust_m", "fragile", "school_effect", "effect_low", "effect_high", "effect_label", "cluster",
    "objectivity_flags", "indices_source",
]


@dataclass
class Dataset:
    """Validated seasons keyed by (municipality, year)."""

    seasons: dict[tuple[str, int], Season]
    data_root: Path
    _years: dict[str, list[int]] | None = field(default=None, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    def keys(self, municipality: str = "all", year: str | int = "all") -> list[tuple[str, int]]:
        return sorted(k for k in self.seasons
                      if municipality in ("all", None, k[0]) and (year in ("all", None) or int(year) == k[1]))

    def years(self, municipality: str) -> list[int]:
        """The loaded years of ``municipality``, ascending."""
        if self._years is None or self._indexed != len(self.seasons):
            index: dict[str, list[int]] = {}
            for m, y in sorted(self.seasons):
                index.setdefault(m, []).append(y)
            self._years, self._indexed = index, len(self.seasons)
        return self._years.get(municipality, [])

    def _sorted_keys(self, municipalities) -> list[tuple[str, int]]:
        """(municipality, year) of ``municipalities`` (None: all) in sorted order."""
        if municipalities is None:
            return sorted(self.seasons)
        return [(m, y) for m in sorted(set(municipalities)) for y in self.years(m)]

    def table(self, stem: str, municipality: str | list[str] | None = None) -> pd.DataFrame:
        """One contract table over all loaded seasons (or those of ``municipality``, a name
        or a list of names), with ``municipality`` and ``year``."""
        if isinstance(municipality, str):
            municipality = [municipality]
        keys = [k for k in self._sorted_keys(municipality) if self.seasons[k].has(stem)]
        if not keys:
            return pd.DataFrame()
        frames = [self.seasons[k].tables[stem] for k in keys]
        out = pd.concat(frames, ignore_index=True)
        sizes = [len(f) for f in frames]
        out.insert(0, "year", np.repeat(np.array([y for _, y in keys], dtype=np.int64), sizes))
        out.insert(0, "municipality", np.repeat(np.array([m for m, _ in keys], dtype=object), sizes))
        return out

    def issues(self, municipality: str, up_to: int) -> pd.DataFrame:
        frames = [self.seasons[(municipality, y)].issues for y in self.years(municipality) if y <= up_to]
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ISSUE_COLUMNS)


def load_dataset(data_root: str | Path, municipality: str | list[str] = "all", year: str | int = "all",
                 strict: bool = False) -> Dataset:
    """Read and validate seasons under ``data_root``.

    Every year of each selected municipality is loaded (the ШНОР rule looks at Y−1),
    whatever ``year`` says; ``year`` only has to exist. ``municipality`` is a name,
    a list of names or ``"all"``.

    Raises
    ------
    DataValidationError
        With every structural problem of every season, or when nothing matches.
    """
    root = Path(data_root)
    # A folder that looks like a season but is not one (« 2024», «2024 (2)») is never skipped silently.
    odd = season_folder_problems(root, municipality)
    if isinstance(municipality, (list, tuple)):
        wanted = [k for k in list_seasons(root, "all", year) if k[0] in municipality]
        municipality = ", ".join(municipality)
    else:
        wanted = list_seasons(root, municipality, year)
    if odd and not wanted:
        raise DataValidationError(odd)
    if not wanted:
        what = f"муниципалитет «{municipality}»" if municipality != "all" else "ни одного муниципалитета"
        yr = f", год {year}" if year != "all" else ""
        raise DataValidationError([Problem(str(root), None, None, f"не найдены данные: {what}{yr}.",
                                           "Ожидается структура data_raw/<муниципалитет>/<год>/.")])
    munis = set(m for m, _ in wanted)
    keys = [(m, y) for m, y in list_seasons(root, "all", "all") if m in munis]
    # Read and validate in chunks: many seasons are typed and checked together (much faster
    # for many small files), while the raw text of only one chunk is held at a time.
    seasons, problems = {}, list(odd)
    chunk: list = []
    rows = 0
    for i, (m, y) in enumerate(keys):
        raw = read_season(root, m, y)
        chunk.append(raw)
        rows += sum(len(f.frame) for f in raw.files.values())
        if rows >= 400_000 or i == len(keys) - 1:
            try:
                for season in validate_seasons(chunk, strict=strict):
                    seasons[(season.municipality, season.year)] = season
            except DataValidationError as exc:
                problems.extend(exc.problems)
            chunk, rows = [], 0
    if problems:
        raise DataValidationError(problems)
    _warn_copied(seasons, strict)
    return Dataset(seasons, root)


def _warn_copied(seasons: dict[tuple[str, int], Season], strict: bool) -> None:
    """Add to each season's issues the schools whose results repeat the previous year's."""
    problems = []
    for (m, y), season in sorted(seasons.items()):
        prev = seasons.get((m, y - 1))
        if prev is None:
            continue
        found = copied_results(prev, season)
        if found.empty:
            continue
        if strict:
            problems += [Problem(i.file, i.row, None, f"{i.action}: {i.reason}",
                                 "Режим --strict: исправьте данные или снимите --strict.")
                         for i in found.itertuples(index=False)]
        season.issues = pd.concat([season.issues, found], ignore_index=True) if len(season.issues) else found
    if problems:
        raise DataValidationError(problems)


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
        ``procedure``, ``subject``, ``grade``, ``flag`` (parallel_jump, inflated,
        journal_mismatch), ``detail`` (the numbers, in Russian), ``flag_label`` (the flag in
        Russian).
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

    @property
    def shares(self) -> dict[str, float]:
        """Counts and the municipal share of ШНОР ∪ ШНСУ (seed 001, 1.2.1)."""
        s = self.schools
        n = len(s)
        union = int((s["shnor"] | s["shnsu"]).sum())
        return {"schools": n, "shnor": int(s["shnor"].sum()), "shnsu": int(s["shnsu"].sum()),
                "risk_zone": int((s["status"] == "зона риска").sum()), "shnor_or_shnsu": union,
                "share_shnor_shnsu": union / n if n else np.nan}


def _indices_frame(data: Dataset, params: dict, pooled_all: pd.DataFrame,
                   scope: str | list[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """ИСБШ, ИУРШ, quality index and groups for every school of the loaded seasons
    (of municipality ``scope`` only, or of a list of them, when given)."""
    base = data.table("schools", scope)[["municipality", "year", "school_id"]]
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
            self._triggered = tuple(triggered_by_school(triggered_procedures(self.pooled, params[t], params))
                                    for t in ("shnor_threshold", "risk_threshold"))
        return tuple(t.get(municipality, {}) for t in self._triggered)

    def part(self, municipality: str) -> dict[str, pd.DataFrame]:
        """The rows of one municipality of every table (positions kept in order)."""
        if not self._parts:
            for name in ("grades", "flags", "excluded", "pooled", "frame"):
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
    flags = objectivity_flags(grades, results, params)
    excluded = pd.DataFrame(columns=["municipality", *KEY, "grade"])
    used = results
    if params["exclude_nonobjective"] and len(flags):
        excluded = flags[["municipality", *KEY, "grade"]].drop_duplicates()
        mark = used.merge(excluded.assign(_x=True), on=["municipality", *KEY, "grade"], how="left")["_x"].fillna(False)
        used = used[~mark.values.astype(bool)]
    pooled_all = pooled_metrics(used, params, by=["municipality"])
    frame, isbsh_info = _indices_frame(data, params, pooled_all, scope)
    return _Shared(scope, grades, flags, excluded, pooled_all, frame, isbsh_info)


def compute_season(data: Dataset, municipality: str, year: int, params: dict) -> SeasonResult:
    """Compute statuses, indices, model and clusters for one municipality and year.

    Parameters
    ----------
    data : Dataset
        From :func:`load_dataset`; other loaded municipalities serve as the reference
        population when ``isbsh.reference`` is ``all``.
    municipality, year : the season to compute.
    params : dict
        From :func:`shnor_lib.config.params.load_params`.

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
    return _season_result(data, municipality, year, params, shared, started)


def compute_all(data: Dataset, params_for, keys: list[tuple[str, int]] | None = None,
                progress=None) -> list[SeasonResult]:
    """Compute every season of ``keys`` (default: all loaded), sharing the work between seasons.

    Gives for each season exactly what :func:`compute_season` gives, but computes the
    grades, flags, pooled metrics and indices once for all the years of a municipality and
    once for many municipalities that share parameters (and the same available index
    inputs); only the models and clusters are fitted per season.

    Parameters
    ----------
    data : Dataset
        From :func:`load_dataset`.
    params_for : callable or dict
        Parameters of a municipality: ``params_for(m)`` or ``params_for[m]``.
    keys : list of (municipality, year), optional
        The seasons wanted, in the order of the returned list.
    progress : callable, optional
        Called with the number of seasons just finished (e.g. ``tqdm.update``).

    Returns
    -------
    list of SeasonResult
        In the order of ``keys``. To hold only one season at a time, use
        :func:`iter_compute`.
    """
    keys = list(data.keys()) if keys is None else list(keys)
    done = {}
    for r in iter_compute(data, params_for, keys):
        done[(r.municipality, r.year)] = r
        if progress:
            progress(1)
    return [done[k] for k in keys]


def iter_compute(data: Dataset, params_for, keys: list[tuple[str, int]] | None = None,
                 batch_rows: int = 250_000):
    """:func:`compute_all`, yielding each season as soon as it is computed.

    Seasons come batch by batch (municipalities sharing parameters, in sorted order of
    (municipality, year) within a batch), not necessarily in the order of ``keys``; a batch
    holds about ``batch_rows`` results rows, which bounds the memory of the shared tables.
    """
    for result, _ in _iter_compute(data, params_for, keys, batch_rows):
        yield result


def _iter_compute(data: Dataset, params_for, keys: list[tuple[str, int]] | None = None,
                  batch_rows: int = 250_000):
    """:func:`iter_compute` yielding (result, the _Shared it came from or None)."""
    keys = list(data.keys()) if keys is None else list(keys)
    for k in keys:
        if k not in data.seasons:
            raise KeyError(f"season {k[0]}/{k[1]} is not loaded")
    lookup = params_for if callable(params_for) else params_for.__getitem__
    munis = sorted({m for m, _ in keys})
    params = {m: lookup(m) for m in munis}
    wanted_by_muni: dict[str, list[tuple[str, int]]] = {}
    for k in sorted(set(keys)):
        wanted_by_muni.setdefault(k[0], []).append(k)
    for batch, members in _batches(data, params, munis).items():
        if batch is None:  # the regression ИСБШ depends on the years loaded up to each season
            for m in members:
                for _, y in wanted_by_muni[m]:
                    yield compute_season(data, m, y, params[m]), None
            continue
        if batch[0] == "all":  # every loaded municipality is the reference: one batch
            groups = [members]
        else:
            groups = _split_by_rows(data, members, batch_rows)
        for group in groups:
            started = time.perf_counter()
            scope = None if batch[0] == "all" else group
            shared = _shared_tables(data, params[group[0]], scope)
            wanted = [k for m in group for k in wanted_by_muni[m]]
            share_of_each = (time.perf_counter() - started) / max(len(wanted), 1)
            for m, y in wanted:
                yield _season_result(data, m, y, params[m], shared, time.perf_counter() - share_of_each), shared


def _split_by_rows(data: Dataset, munis: list[str], batch_rows: int) -> list[list[str]]:
    """Consecutive groups of municipalities with about ``batch_rows`` results rows each."""
    groups, current, rows = [], [], 0
    for m in munis:
        n = sum(len(data.seasons[(m, y)].results) for y in data.years(m) if data.seasons[(m, y)].has("results"))
        if current and rows + n > batch_rows:
            groups.append(current)
            current, rows = [], 0
        current.append(m)
        rows += n
    if current:
        groups.append(current)
    return groups


def _batches(data: Dataset, params: dict[str, dict], munis: list[str]) -> dict:
    """Municipalities that can share :func:`_shared_tables`: same parameters and, unless the
    reference population is every loaded municipality, the same available ИСБШ / ИУРШ inputs
    (an input column missing in one municipality changes its weights). Key None: compute
    each season on its own."""
    batches: dict = {}
    own = [m for m in munis if params[m]["isbsh"]["method"] != "regression" and not _scope_is_all(params[m])]
    social = data.table("social", own) if own else pd.DataFrame()
    teachers = data.table("teachers", own) if own else pd.DataFrame()
    isb_inputs: dict[str, tuple] = {}
    iur_inputs: dict[str, tuple] = {}
    for table, shares_of, found in ((social, social_shares, isb_inputs),
                                    (teachers, lambda t: teacher_shares(t, params[own[0]]), iur_inputs)):
        if len(table):
            # which inputs have a value somewhere in each municipality (what the weights see)
            shares = shares_of(table)
            present = shares.iloc[:, 3:].notna().groupby(shares["municipality"], sort=False).any()
            found.update({m: tuple(c for c in present.columns if row[c]) for m, row in present.iterrows()})
    for m in munis:
        p = params[m]
        digest = repr({k: v for k, v in p.items() if not k.startswith("_")})
        if p["isbsh"]["method"] == "regression":
            key = None
        elif _scope_is_all(p):
            key = ("all", digest)
        else:
            isb = tuple(c for c in p["isbsh"]["weights"] if c in isb_inputs[m]) if m in isb_inputs else None
            iur = tuple(c for c in p["iursh"]["weights"] if c in iur_inputs[m]) if m in iur_inputs else None
            key = ("own", digest, isb, iur)
        batches.setdefault(key, []).append(m)
    return batches


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
        time.perf_counter() - started, data.data_root, season.fisoko_reference, model_frame, robustness)


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


# ---------------------------------------------------------------- shnor compute

def compute_outputs(data_root: str | Path, out_root: str | Path, municipality: str = "all", year: str | int = "all",
                    params_for=None, strict: bool = False, jobs: int | None = None,
                    progress=None) -> list[tuple[tuple[str, int], Path, str, list[str]]]:
    """Load, compute and write every selected season — what ``shnor compute`` does.

    Each season is written into a hidden folder beside its target as soon as it is
    computed (memory holds one season's results, not all of them); only when every season
    succeeded are they swapped in, so a failure leaves no partial set. With several
    processor cores, municipalities are shared among ``jobs`` worker processes (default:
    the ``SHNOR_JOBS`` environment variable, else the number of cores), each reading,
    validating and computing its own municipalities; the outputs are the same.

    Parameters
    ----------
    data_root, out_root : folders of the input seasons and of the outputs.
    municipality, year : the selection, as in :func:`load_dataset` and :meth:`Dataset.keys`.
    params_for : callable
        Parameters of a municipality (default: :func:`shnor_lib.config.params.load_params`).
    strict : bool
        As in :func:`load_dataset`.
    progress : callable, optional
        Called with the number of seasons just finished.

    Returns
    -------
    list of ((municipality, year), folder written, one-line summary, notes), in season order.

    Raises
    ------
    DataValidationError, ParameterError
        As :func:`load_dataset` and the parameters raise them; nothing is written.
    """
    from ..config.params import load_params

    root, out_root = Path(data_root), Path(out_root)
    params_for = params_for or load_params
    selected = list_seasons(root, municipality, year)
    munis = sorted({m for m, _ in selected})
    jobs = jobs or int(os.environ.get("SHNOR_JOBS", "0") or 0) or os.cpu_count() or 1
    params = None
    if jobs > 1 and len(munis) > 1 and len(selected) >= 50:
        try:
            params = {m: params_for(m) for m in munis}
        except Exception:
            params = None  # the one-process path raises the error at its proper place
        if params is not None and any(_scope_is_all(p) for p in params.values()):
            params = None  # every municipality is the reference of every other: one process
    existed = out_root.exists()
    try:
        if params is None:
            data = load_dataset(root, municipality, year, strict=strict)
            keys = data.keys(municipality, year)
            params = {m: params_for(m) for m in sorted({m for m, _ in keys})}
            staged = _stage_seasons(data, params, keys, out_root, progress)
        else:
            staged = _stage_in_workers(root, out_root, municipality, year, params, strict,
                                       _partition(root, munis, min(jobs, len(munis))), progress)
    except BaseException:
        if not existed and out_root.is_dir() and not any(out_root.iterdir()):
            out_root.rmdir()  # created for this run only, and nothing is in it
        raise
    out = []
    for key, tmp, target, line, notes in staged:
        out.append((key, StagedOutputs(tmp, target).publish(), line, notes))
    return out


def _summary_line(r: SeasonResult) -> str:
    sh = r.shares
    return (f"{r.municipality} {r.year}: ОО {sh['schools']}, ШНОР {sh['shnor']}, ШНСУ {sh['shnsu']}, "
            f"зона риска {sh['risk_zone']}; доля ШНОР и ШНСУ {sh['share_shnor_shnsu'] * 100:.1f}%")


def _stage_seasons(data: Dataset, params: dict, keys: list[tuple[str, int]], out_root: Path,
                   progress=None) -> list[tuple]:
    """Compute and stage every season of ``keys``; (key, tmp, target, line, notes) in ``keys`` order.
    On failure every staged folder is removed."""
    staged: dict[tuple[str, int], tuple] = {}
    try:
        for r, shared in _iter_compute(data, params, keys):
            texts = None
            if shared is not None and os.linesep == "\n":
                # freshly computed, so its tables are exactly the shared rows up to its year
                texts = {"metrics.csv": shared.csv_text(r.municipality, "pooled", r.year),
                         "metrics_by_grade.csv": shared.csv_text(r.municipality, "grades", r.year)}
            st = stage_outputs(r, out_root, _texts=texts)
            staged[(r.municipality, r.year)] = ((r.municipality, r.year), st.tmp, st.target, _summary_line(r),
                                                list(r.notes))
            if progress:
                progress(1)
    except BaseException:
        _discard(staged.values())
        raise
    return [staged[k] for k in keys]


def _discard(staged) -> None:
    """Remove staged folders, and the municipality folders they alone created."""
    for item in staged:
        tmp = Path(item[1])
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.parent.rmdir()  # only when empty: earlier outputs stay
        except OSError:
            pass


def _partition(root: Path, munis: list[str], parts: int) -> list[list[str]]:
    """Consecutive groups of municipalities with about equal input bytes (so the worker
    processes finish together, and their messages keep the order of one process)."""
    sizes = []
    for m in munis:
        total = 0
        for dirpath, _, files in os.walk(root / m):
            total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
        sizes.append(max(total, 1))
    cum = np.cumsum(sizes) / sum(sizes)
    cuts = [0]
    for k in range(1, parts):
        end = int(np.searchsorted(cum, k / parts)) + 1  # the group ends after the municipality crossing k/parts
        cuts.append(min(max(end, cuts[-1] + 1), len(munis) - (parts - k)))
    cuts.append(len(munis))
    return [munis[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


_PROGRESS = None  # a worker's queue to the parent's progress bar


def _init_worker(queue) -> None:
    global _PROGRESS
    _PROGRESS = queue


def _worker(root: Path, out_root: Path, munis: list[str], municipality: str, year, params: dict,
            strict: bool) -> tuple[list[tuple], list]:
    """One worker process: load, validate, compute and stage its municipalities.
    Returns (staged seasons, data problems)."""
    try:
        data = load_dataset(root, munis, "all", strict=strict)
    except DataValidationError as exc:
        return [], exc.problems
    keys = data.keys(municipality, year)
    mine = {m: params[m] for m in sorted({m for m, _ in keys})}
    return _stage_seasons(data, mine, keys, out_root, (lambda n: _PROGRESS.put(n)) if _PROGRESS else None), []


def _stage_in_workers(root: Path, out_root: Path, municipality: str, year, params: dict, strict: bool,
                      parts: list[list[str]], progress=None) -> list[tuple]:
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")  # the parent may hold threads; never fork them
    queue = ctx.Queue()
    done = threading.Event()

    def relay() -> None:
        while not done.is_set():
            try:
                n = queue.get(timeout=0.2)
            except Exception:
                continue
            if progress:
                progress(n)

    listener = threading.Thread(target=relay, daemon=True)
    listener.start()
    outcomes, failure = [], None
    try:
        with ProcessPoolExecutor(max_workers=len(parts), mp_context=ctx, initializer=_init_worker,
                                 initargs=(queue,)) as pool:
            futures = [pool.submit(_worker, root, out_root, part, municipality, year, params, strict)
                       for part in parts]
            for f in futures:
                try:
                    outcomes.append(f.result())
                except BaseException as exc:  # keep waiting for the others, then clean up
                    failure = failure or exc
    finally:
        done.set()
        listener.join()
    problems = [p for _, probs in outcomes for p in probs]
    if failure is not None or problems:
        _discard(item for staged, _ in outcomes for item in staged)
        if problems:
            raise DataValidationError(problems)
        raise failure
    return [item for staged, _ in outcomes for item in staged]


# ---------------------------------------------------------------- writing

def _write_xlsx(df: pd.DataFrame, path: Path, sheet: str) -> None:
    """One sheet with a bold header; fixed metadata and zip dates so equal tables give equal bytes."""
    from ..io._xlsx_fast import workbook_bytes

    header = [str(c) for c in df.columns]
    rows = [[None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else
             (v.item() if isinstance(v, np.generic) else v) for v in row] for row in df.itertuples(index=False)]
    data = workbook_bytes(sheet, header, rows, lambda h, r: _openpyxl_bytes(h, r, sheet))
    if data is None:
        _openpyxl_workbook(header, rows, sheet, path)
        return
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _openpyxl_workbook(header: list, rows: list, sheet: str, path: Path) -> None:
    """The workbook written by openpyxl (what :mod:`shnor_lib.io._xlsx_fast` reproduces faster)."""
    import datetime as _dt

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..io.templates import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    fixed = _dt.datetime(2000, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = "shnor"
    save_workbook(wb, path)


def _openpyxl_bytes(header: list, rows: list, sheet: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="shnor-xlsx-") as tmp:
        path = Path(tmp) / "probe.xlsx"
        _openpyxl_workbook(header, rows, sheet, path)
        return path.read_bytes()


def write_outputs(result: SeasonResult, out_root: str | Path) -> Path:
    """Write the season's tables to ``<out_root>/<municipality>/<year>/`` atomically.

    Everything is written into a temporary folder beside the target and swapped in
    with renames, so a failure leaves the previous outputs intact and no half-written
    files.
    """
    staged = stage_outputs(result, out_root)
    try:
        return staged.publish()
    except BaseException:
        staged.discard()
        raise


@dataclass
class StagedOutputs:
    """A season's tables written into a temporary folder beside their target, not yet visible.

    :meth:`publish` swaps them in (what :func:`write_outputs` does at once); a run that
    computes many seasons stages each one as it goes and publishes them all at the end,
    so a failure on the way leaves every earlier output as it was.
    """

    tmp: Path
    target: Path

    def publish(self) -> Path:
        """Swap the staged folder in; report files of an earlier run (report.html/pdf) stay."""
        try:
            backup = None
            if self.target.exists():
                backup = self.target.parent / f".{self.target.name}.old-{os.getpid()}"
                os.replace(self.target, backup)
            os.replace(self.tmp, self.target)
            if backup is not None:
                # keep report files of an earlier run (report.html/pdf) that compute does not produce
                for f in backup.iterdir():
                    if not (self.target / f.name).exists():
                        os.replace(f, self.target / f.name)
                shutil.rmtree(backup, ignore_errors=True)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        """Remove the staged folder (nothing is published)."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def stage_outputs(result: SeasonResult, out_root: str | Path, _texts: dict[str, str | None] | None = None
                  ) -> StagedOutputs:
    """Write the season's tables into a temporary folder beside ``<out_root>/<municipality>/<year>/``."""
    target = Path(out_root) / result.municipality / str(result.year)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted(target)
    tmp = make_temp_dir(f".{result.year}.tmp-{os.getpid()}-", target.parent)  # mkdtemp's 0700 would be published
    try:
        _write_all(result, tmp, _texts or {})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StagedOutputs(tmp, target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _recover_interrupted(target: Path) -> None:
    """Finish what a killed run left beside ``target``: restore or merge its backup
    (``.<year>.old-<pid>``) and drop its temporary folder (``.<year>.tmp-<pid>-…``)."""
    for stale in sorted(target.parent.glob(f".{target.name}.*-*")):
        parts = stale.name.split("-")
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and _alive(pid):
            continue  # another run is writing right now
        if ".old-" in stale.name:
            if not target.exists():
                os.replace(stale, target)
                continue
            for f in stale.iterdir():
                if not (target / f.name).exists():
                    os.replace(f, target / f.name)
        shutil.rmtree(stale, ignore_errors=True)


def _write_all(r: SeasonResult, folder: Path, texts: dict[str, str | None] | None = None) -> None:
    # Text from input files (names, codes, verbatim rows) must never become a spreadsheet formula.
    write_csv(r.schools, folder / "schools.csv")
    _write_xlsx(safe_cells(r.schools), folder / "schools.xlsx", "Школы")
    for name, table in (("metrics.csv", r.metrics), ("metrics_by_grade.csv", r.metrics_by_grade)):
        text = (texts or {}).get(name)
        if text is not None:  # the same text, rendered once for the municipality's seasons
            (folder / name).write_bytes(text.encode("utf-8"))
        else:
            write_csv(table, folder / name)
    write_csv(r.issues, folder / "data_issues.csv")
    write_csv(r.flags, folder / "objectivity.csv")
    write_csv(r.identifier_table, folder / "identifier_table.csv", index=True)
    write_csv(r.clusters, folder / "clusters.csv")
    if r.reference_shares is not None:  # only a season with ФИС ОКО exports has them
        write_csv(r.reference_shares, folder / "reference_shares.csv")
    if r.model_frame is not None:
        write_csv(r.model_frame, folder / "model_frame.csv")
    if r.robustness is not None:
        write_csv(r.robustness.robustness_table(), folder / "robustness.csv")
    parts = [f"Модель качества: {r.municipality}, {r.year}\n"]
    if r.model is not None:
        parts.append(r.model.summary())
    else:
        parts.append("Модель не построена: недостаточно школ с индексом качества и контекстом.")
    if r.robustness is not None:
        parts.append("\n\n" + r.robustness.summary())
    if r.effects is not None:
        parts.append("\n\nМодель со случайным эффектом школы (MixedLM): устойчивое отличие школы за загруженные "
                     "годы — дополнительное свидетельство, не вторая отметка\n")
        parts.append(r.effects.summary())
    if r.isbsh_info:
        parts.append("\n\nИСБШ: " + _yaml(r.isbsh_info, sort_keys=True))
    (folder / "model.txt").write_text("\n".join(parts), encoding="utf-8")
    (folder / "manifest.json").write_text(manifest(
        municipality=r.municipality, year=r.year, checksums=r.checksums, params=r.params,
        digest=params_digest(r.params), status="рассчитано", seconds=r.seconds, notes=r.notes,
        data_root=r.data_root), encoding="utf-8")
    clean = {k: v for k, v in r.params.items() if not k.startswith("_")}
    (folder / "parameters_used.yml").write_text(_yaml(clean, sort_keys=False), encoding="utf-8")


_YAML_CACHE: dict[tuple[str, bool], str] = {}


def _yaml(data: dict, sort_keys: bool) -> str:
    """``yaml.safe_dump`` of plain data, remembered: the same parameters and ИСБШ weights
    serve every season of a municipality (and often every municipality)."""
    key = (repr(data), sort_keys)
    if key not in _YAML_CACHE:
        if len(_YAML_CACHE) > 256:
            _YAML_CACHE.clear()
        _YAML_CACHE[key] = yaml.safe_dump(data, allow_unicode=True, sort_keys=sort_keys)
    return _YAML_CACHE[key]

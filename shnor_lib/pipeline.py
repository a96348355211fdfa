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

from .clustering import cluster_features, cluster_schools, describe_clusters
from .errors import DataValidationError
from .indices import (
    compute_iursh,
    compute_isbsh,
    compute_quality_groups,
    compute_quality_index,
    group_label,
    identifier_table,
    social_shares,
    teacher_shares,
)
from .metrics import KEY, grade_metrics, pooled_metrics
from .models import QualityModelResults, SchoolEffects, fit_quality_model, fit_school_effects
from .params import params_digest
from .provenance import manifest
from .readers import list_seasons, read_season
from .rules import identify, objectivity_flags
from .validation import ISSUE_COLUMNS, Season, validate_season

__all__ = ["Dataset", "SeasonResult", "load_dataset", "compute_season", "write_outputs", "SCHOOL_COLUMNS"]

SCHOOL_COLUMNS = [
    "school_id", "name", "kind", "territory", "status", "shnor", "shnor_branch", "shnsu", "risk_zone", "reasons",
    "isbsh", "isbsh_group", "isbsh_level", "isbsh_quartile", "iursh", "iursh_group", "quality_index", "quality_n",
    "quality_group", "predicted", "pi_low", "pi_high", "residual", "resilience", "school_effect", "effect_low",
    "effect_high", "effect_label", "cluster", "objectivity_flags", "indices_source",
]


@dataclass
class Dataset:
    """Validated seasons keyed by (municipality, year)."""

    seasons: dict[tuple[str, int], Season]
    data_root: Path

    def keys(self, municipality: str = "all", year: str | int = "all") -> list[tuple[str, int]]:
        return sorted(k for k in self.seasons
                      if municipality in ("all", None, k[0]) and (year in ("all", None) or int(year) == k[1]))

    def table(self, stem: str, municipality: str | None = None) -> pd.DataFrame:
        """One contract table over all loaded seasons, with ``municipality`` and ``year``."""
        frames = []
        for (m, y), s in sorted(self.seasons.items()):
            if municipality and m != municipality:
                continue
            if s.has(stem):
                f = s.tables[stem].copy()
                f.insert(0, "year", y)
                f.insert(0, "municipality", m)
                frames.append(f)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def issues(self, municipality: str, up_to: int) -> pd.DataFrame:
        frames = [s.issues for (m, y), s in sorted(self.seasons.items()) if m == municipality and y <= up_to]
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
    if isinstance(municipality, (list, tuple)):
        wanted = [k for k in list_seasons(root, "all", year) if k[0] in municipality]
        municipality = ", ".join(municipality)
    else:
        wanted = list_seasons(root, municipality, year)
    if not wanted:
        what = f"муниципалитет «{municipality}»" if municipality != "all" else "ни одного муниципалитета"
        yr = f", год {year}" if year != "all" else ""
        from .errors import Problem
        raise DataValidationError([Problem(str(root), None, None, f"не найдены данные: {what}{yr}.",
                                           "Ожидается структура data_raw/<муниципалитет>/<год>/.")])
    munis = sorted({m for m, _ in wanted})
    problems, seasons = [], {}
    for m, y in list_seasons(root, "all", "all"):
        if m not in munis:
            continue
        raw = read_season(root, m, y)
        try:
            seasons[(m, y)] = validate_season(raw, strict=strict)
        except DataValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataValidationError(problems)
    return Dataset(seasons, root)


@dataclass
class SeasonResult:
    """Everything computed for one municipality and year."""

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
                   scope: str | None = None) -> tuple[pd.DataFrame, dict]:
    """ИСБШ, ИУРШ, quality index and groups for every school of the loaded seasons
    (of municipality ``scope`` only, when given)."""
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


def compute_season(data: Dataset, municipality: str, year: int, params: dict) -> SeasonResult:
    """Compute statuses, indices, model and clusters for one municipality and year.

    Parameters
    ----------
    data : Dataset
        From :func:`load_dataset`; other loaded municipalities serve as the reference
        population when ``isbsh.reference`` is ``all``.
    municipality, year : the season to compute.
    params : dict
        From :func:`shnor_lib.params.load_params`.
    """
    if (municipality, year) not in data.seasons:
        raise KeyError(f"season {municipality}/{year} is not loaded")
    started = time.perf_counter()
    notes: list[str] = []
    # Other municipalities matter only as a reference population ("all"); otherwise
    # computing one municipality must not cost more when many are loaded.
    refs = (params["isbsh"]["reference"], params["iursh"]["reference"], params["quality"]["reference"])
    scope = None if "all" in refs else municipality
    results = data.table("results", scope)
    results = results[results["year"] <= year]
    grades = _with_municipality(results, params)
    flags = objectivity_flags(grades, results, params)
    excluded = pd.DataFrame(columns=["municipality", *KEY, "grade"])
    used = results
    if params["exclude_nonobjective"] and len(flags):
        excluded = flags[["municipality", *KEY, "grade"]].drop_duplicates()
        mark = used.merge(excluded.assign(_x=True), on=["municipality", *KEY, "grade"], how="left")["_x"].fillna(False)
        used = used[~mark.values.astype(bool)]
    pooled_all = _pooled_by_municipality(used, params)
    frame, isbsh_info = _indices_frame(data, params, pooled_all, scope)

    mine = pooled_all[pooled_all["municipality"] == municipality]
    season = data.seasons[(municipality, year)]
    idx_y = frame[(frame["municipality"] == municipality) & (frame["year"] == year)].copy()
    if not season.has("social") and idx_y["isbsh_group"].isna().all():
        notes.append("нет файла social (социальный паспорт): ИСБШ не рассчитан, ШНСУ не определяется")
    if not season.has("teachers") and idx_y["iursh_group"].isna().all():
        notes.append("нет файла teachers: ИУРШ не рассчитан")
    has_prev = (year - 1) in set(mine["year"])
    if not has_prev:
        notes.append(f"нет данных за {year - 1} г.: условие «два года подряд» не проверяется")
    decisions = identify(mine, idx_y, year, params, excluded[excluded["municipality"] == municipality])

    model = fit_quality_model(idx_y, params)
    if model is None:
        notes.append("модель качества не построена: мало школ с индексом качества и контекстом")
    effects = None
    panel = frame[frame["year"] <= year].copy()
    panel["school_key"] = panel["municipality"] + "/" + panel["school_id"].astype(str)
    several = panel["year"].nunique() > 1 or panel["municipality"].nunique() > 1
    if params["model"]["mixed"] == "always" or (params["model"]["mixed"] == "auto" and several):
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
    if effects is not None:
        e = effects.effects.copy()
        e = e[e["school_key"].str.startswith(municipality + "/")]
        e["school_id"] = e["school_key"].str[len(municipality) + 1:]
        e = e.rename(columns={"effect": "school_effect", "low": "effect_low", "high": "effect_high",
                              "label": "effect_label"})
        schools = schools.merge(e[["school_id", "school_effect", "effect_low", "effect_high", "effect_label"]],
                                on="school_id", how="left")
    schools["cluster"] = schools["school_id"].map(clusters)
    fl = flags[(flags["municipality"] == municipality) & (flags["year"] == year)]
    fsum = fl.groupby("school_id").apply(
        lambda d: "; ".join(f"{r.procedure}, {r.subject}: {r.flag_label}" for r in d.itertuples()),
        include_groups=False) if len(fl) else pd.Series(dtype=object)
    schools["objectivity_flags"] = schools["school_id"].map(fsum).astype(object).fillna("")
    for c in SCHOOL_COLUMNS:
        if c not in schools.columns:
            schools[c] = np.nan
    schools = schools[SCHOOL_COLUMNS + [c for c in schools.columns if c not in SCHOOL_COLUMNS]]
    schools = schools.sort_values("school_id", key=_id_sort_key).reset_index(drop=True)

    metrics = mine[mine["year"] <= year].drop(columns="municipality").reset_index(drop=True)
    by_grade = grades[(grades["municipality"] == municipality) & (grades["year"] <= year)].drop(columns="municipality")
    checksums = {}
    for (m, y), s in sorted(data.seasons.items()):
        if m == municipality and y <= year:
            checksums.update(s.checksums)
    return SeasonResult(
        municipality, year, params, schools, metrics, by_grade.reset_index(drop=True),
        fl.drop(columns="municipality").reset_index(drop=True),
        excluded[excluded["municipality"] == municipality].reset_index(drop=True),
        data.issues(municipality, year), identifier_table(schools), model, effects, clusters_desc,
        isbsh_info, checksums, notes, year - 1 if has_prev else None,
        time.perf_counter() - started, data.data_root)


def _id_sort_key(ids: pd.Series) -> pd.Series:
    return ids.map(lambda s: f"{int(s):08d}" if str(s).isdigit() else f"~{s}")


def _with_municipality(results: pd.DataFrame, params: dict) -> pd.DataFrame:
    frames = []
    for m, r in results.groupby("municipality", sort=True):
        g = grade_metrics(r, params["confidence_level"])
        g.insert(0, "municipality", m)
        frames.append(g)
    return pd.concat(frames, ignore_index=True)


def _pooled_by_municipality(results: pd.DataFrame, params: dict) -> pd.DataFrame:
    frames = []
    for m, r in results.groupby("municipality", sort=True):
        p = pooled_metrics(r, params)
        p.insert(0, "municipality", m)
        frames.append(p)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- writing

def _write_xlsx(df: pd.DataFrame, path: Path, sheet: str) -> None:
    """One sheet with a bold header; fixed metadata and zip dates so equal tables give equal bytes."""
    import datetime as _dt

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from .xlsx_templates import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False):
        ws.append([None if (v is None or (isinstance(v, float) and np.isnan(v))) else
                   (v.item() if isinstance(v, np.generic) else v) for v in row])
    ws.freeze_panes = "A2"
    fixed = _dt.datetime(2000, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = "shnor"
    save_workbook(wb, path)


def _safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise spreadsheet formulas coming from input text (=, +, -, @ at the start)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    return out


def write_outputs(result: SeasonResult, out_root: str | Path) -> Path:
    """Write the season's tables to ``<out_root>/<municipality>/<year>/`` atomically.

    Everything is written into a temporary folder beside the target and swapped in
    with renames, so a failure leaves the previous outputs intact and no half-written
    files.
    """
    target = Path(out_root) / result.municipality / str(result.year)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{result.year}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        _write_all(result, tmp)
        backup = None
        if target.exists():
            backup = target.parent / f".{result.year}.old-{os.getpid()}"
            os.replace(target, backup)
        os.replace(tmp, target)
        if backup is not None:
            # keep report files of an earlier run (report.html/pdf) that compute does not produce
            for f in backup.iterdir():
                if not (target / f.name).exists():
                    os.replace(f, target / f.name)
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


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


def _write_all(r: SeasonResult, folder: Path) -> None:
    # Text from input files (names, verbatim rows) must never become a spreadsheet formula.
    schools = _safe_cells(r.schools)
    schools.to_csv(folder / "schools.csv", index=False, encoding="utf-8")
    _write_xlsx(schools, folder / "schools.xlsx", "Школы")
    r.metrics.to_csv(folder / "metrics.csv", index=False, encoding="utf-8")
    r.metrics_by_grade.to_csv(folder / "metrics_by_grade.csv", index=False, encoding="utf-8")
    _safe_cells(r.issues).to_csv(folder / "data_issues.csv", index=False, encoding="utf-8")
    r.flags.to_csv(folder / "objectivity.csv", index=False, encoding="utf-8")
    r.identifier_table.to_csv(folder / "identifier_table.csv", encoding="utf-8")
    r.clusters.to_csv(folder / "clusters.csv", index=False, encoding="utf-8")
    parts = [f"Модель качества: {r.municipality}, {r.year}\n"]
    if r.model is not None:
        parts.append(r.model.summary())
    else:
        parts.append("Модель не построена: недостаточно школ с индексом качества и контекстом.")
    if r.effects is not None:
        parts.append("\n\nМодель со случайным эффектом школы (MixedLM)\n")
        parts.append(r.effects.summary())
    if r.isbsh_info:
        parts.append("\n\nИСБШ: " + yaml.safe_dump(r.isbsh_info, allow_unicode=True, sort_keys=True))
    (folder / "model.txt").write_text("\n".join(parts), encoding="utf-8")
    (folder / "manifest.json").write_text(manifest(
        municipality=r.municipality, year=r.year, checksums=r.checksums, params=r.params,
        digest=params_digest(r.params), status="рассчитано", seconds=r.seconds, notes=r.notes,
        data_root=r.data_root), encoding="utf-8")
    clean = {k: v for k, v in r.params.items() if not k.startswith("_")}
    (folder / "parameters_used.yml").write_text(yaml.safe_dump(clean, allow_unicode=True, sort_keys=False),
                                                encoding="utf-8")

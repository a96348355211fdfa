"""``shnor report``: compute every selected season, run the report notebook for each
(municipality, year) in parallel, publish HTML/PDF and an index page.

Fault isolation: a municipality whose files have structural errors gets a failed
row in the index (with the first problems) and the others are still reported; a
notebook that fails keeps its executed copy and names the failing cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import DataValidationError
from .params import PROJECT_DIR, load_params
from .pipeline import compute_season, load_dataset, write_outputs
from .readers import list_seasons
from .report_runner import ReportJob, ReportOutcome, run_reports, write_index

__all__ = ["SEASON_NOTEBOOK", "build_reports", "run_season_reports"]

SEASON_NOTEBOOK = PROJECT_DIR / "notebooks" / "season_report.ipynb"
EXIT_FAILED, EXIT_DATA = 1, 2


def _parameters_dir(data_root: Path) -> Path | None:
    candidate = data_root.resolve().parent / "parameters"
    return candidate if (candidate / "default.yml").exists() else None


def _data_failure(municipality: str, year: int, out_root: Path, exc: DataValidationError) -> ReportOutcome:
    job = ReportJob(SEASON_NOTEBOOK, out_root / municipality / str(year), {}, key=(municipality, year))
    first = "; ".join(str(p) for p in exc.problems[:3])
    more = f" (всего ошибок: {len(exc.problems)})" if len(exc.problems) > 3 else ""
    return ReportOutcome(job, False, None, None, job.output_dir / "report.ipynb",
                         f"ошибки во входных данных: {first}{more}", None, None, 0.0)


def build_reports(data_root: Path, out_root: Path, municipality: str = "all", year: str | int = "all",
                  params_file: str | None = None, formats=("html", "pdf"), n_jobs: int | None = None,
                  strict: bool = False, progress: bool = True) -> tuple[list[ReportOutcome], bool]:
    """Compute, write tables and reports for every selected season.

    Returns
    -------
    (outcomes, data_errors)
        One outcome per (municipality, year) in order, and whether any
        municipality was skipped for structural input errors.
    """
    data_root, out_root = Path(data_root).resolve(), Path(out_root).resolve()
    seasons = list_seasons(data_root, municipality, year)
    if not seasons:
        load_dataset(data_root, municipality, year)  # raises the «не найдены данные» error
    munis = sorted({m for m, _ in seasons})
    pdir = _parameters_dir(data_root)
    outcomes: dict[tuple[str, int], ReportOutcome] = {}
    good: list[str] = []
    for m in munis:
        try:
            load_dataset(data_root, m, strict=strict)
            good.append(m)
        except DataValidationError as exc:
            print(f"{m}: входные данные с ошибками — отчёты не сформированы.\n{exc.report(10)}", file=sys.stderr)
            for mm, y in seasons:
                if mm == m:
                    outcomes[(mm, y)] = _data_failure(mm, y, out_root, exc)
    jobs = []
    if good:
        data = load_dataset(data_root, good, strict=strict)
        for m, y in seasons:
            if m not in good:
                continue
            params = load_params(m, params_file, pdir)
            write_outputs(compute_season(data, m, y, params), out_root)
            folder = out_root / m / str(y)
            jobs.append(ReportJob(
                SEASON_NOTEBOOK, folder,
                {"municipality": m, "year": int(y), "data_root": str(data_root),
                 "params_file": str(Path(params_file).resolve()) if params_file else None,
                 "output_dir": str(folder)},
                title=f"Аналитическая справка: {m}, {y}", key=(m, y)))
    for outcome in run_reports(jobs, n_jobs=n_jobs, formats=formats, progress=progress):
        outcomes[tuple(outcome.job.key)] = outcome
    ordered = [outcomes[k] for k in seasons]
    write_index(ordered, out_root)
    return ordered, len(good) < len(munis)


def run_season_reports(args) -> int:
    """CLI entry of ``shnor report``."""
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    outcomes, data_errors = build_reports(Path(args.data_root), Path(args.out), args.municipality, args.year,
                                          args.params, formats, args.jobs, args.strict)
    for o in outcomes:
        m, y = o.job.key
        print(f"{m} {y}: {o.status}" + (f" → {o.html}" if o.html else ""))
    print(f"Оглавление отчётов: {Path(args.out).resolve() / 'index.html'}")
    if data_errors:
        return EXIT_DATA
    return 0 if all(o.ok for o in outcomes) else EXIT_FAILED

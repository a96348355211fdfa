"""``shnor report``: compute every selected season, run the report notebooks for each
(municipality, year) and make its school cards in parallel, publish HTML/PDF and an index page.

Per season the main notebook is ``notebooks/season_report.ipynb`` (→ ``<out>/M/Y/report.*``);
a notebook named ``notebooks/<M>_<Y>.ipynb`` (e.g. the Pervouralsk reproduction) is run
too, into ``<out>/M/Y/<its name>/``.

Fault isolation: a municipality whose files have structural errors gets a failed row
in the index (with the first problems) and the others are still reported; a notebook
that fails keeps its executed copy and names the failing cell. With ``resume`` a job
whose inputs, parameters, notebook and package version are unchanged since its last
successful run is not run again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .. import __version__
from ..config.folders import shipped_dir
from ..config.params import load_project_params, params_digest
from ..errors import DataValidationError, ShnorError
from ..io.atomic import atomic_write_text
from ..io.paths import check_selection
from ..io.readers import list_seasons
from ..pipeline import Dataset, compute_all, load_dataset, write_outputs
from ..pipeline.executor import Executor, call_with_env, cluster_executor, local_executor
from ..pipeline.published import keep_published, record_published
from ..pipeline.support import consecutive_years
from .card_page import CardOutcome, write_cards
from .context import CACHE_ENV, build_context, store_context
from .export import keep_browser_for_process, persistent_browser
from .runner import ReportJob, ReportOutcome, crashed_outcome, run_report, run_reports, write_index, write_overview

__all__ = ["NOTEBOOKS_DIR", "SEASON_NOTEBOOK", "FORMATS", "build_reports", "check_report_arguments",
           "run_season_reports"]

NOTEBOOKS_DIR = shipped_dir("notebooks")  # the package's copy in a wheel, the checkout's folder otherwise
SEASON_NOTEBOOK = NOTEBOOKS_DIR / "season_report.ipynb"
CARD_NOTEBOOK = NOTEBOOKS_DIR / "school_card.ipynb"
EXIT_FAILED, EXIT_DATA = 1, 2
FORMATS = ("html", "pdf")
SCREEN_LIMIT = 10  # problems printed per municipality that failed; all go to <out>/validation_errors.txt


@dataclass
class _Planned:
    job: ReportJob
    fingerprint: str


def check_report_arguments(formats: str | tuple | list, n_jobs: int | None) -> tuple[tuple[str, ...], int | None]:
    """``--format`` and ``--jobs`` of ``shnor report``, checked before anything is written.

    Parameters
    ----------
    formats : str or sequence
        ``"html,pdf"`` (case and spaces do not matter) or a sequence of format names.
    n_jobs : int or None
        Parallel reports; None means the number of cores.

    Returns
    -------
    (formats, n_jobs)
        The formats as a tuple of lower-case names, in the order given, without repeats.

    Raises
    ------
    ShnorError
        An unknown or empty format list, or fewer than one parallel job.
    """
    from ..errors import ShnorError

    items = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = tuple(dict.fromkeys(str(f).strip().lower() for f in items if str(f).strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        what = f"неизвестный формат {', '.join(f'«{f}»' for f in unknown)}" if unknown else "не указан ни один формат"
        raise ShnorError(f"--format: {what}. Допустимо: {', '.join(FORMATS)} (через запятую, например html,pdf).")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1):
        raise ShnorError(f"--jobs {n_jobs}: число параллельных отчётов должно быть целым, не меньше 1 "
                         "(или не указывайте --jobs: по числу ядер).")
    return wanted, n_jobs


def _data_failure(municipality: str, year: int, out_root: Path, exc: DataValidationError) -> ReportOutcome:
    job = ReportJob(SEASON_NOTEBOOK, out_root / municipality / str(year), {},
                    title=f"Аналитическая справка: {municipality}, {year}", key=(municipality, year))
    first = "; ".join(str(p) for p in exc.problems[:3])
    more = f" (всего ошибок: {len(exc.problems)})" if len(exc.problems) > 3 else ""
    return ReportOutcome(job, False, None, None, job.output_dir / "report.ipynb",
                         f"ошибки во входных данных: {first}{more}", None, None, 0.0)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fingerprint(job: ReportJob, params: dict, data: Dataset, municipality: str, year: int, formats) -> str:
    inputs = {p: h for (m, y), s in data.seasons.items() if m == municipality and y <= year
              for p, h in s.checksums.items()}
    # The notebook's own parameters count too: a report made without cards has no card links.
    blob = json.dumps({"notebook": _sha(job.notebook), "params": params_digest(params), "inputs": sorted(inputs.items()),
                       "version": __version__, "formats": sorted(formats),
                       "notebook_parameters": job.parameters}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _stamp(job: ReportJob) -> Path:
    return job.output_dir / f".{job.name}.shnor-run.json"


def _unchanged(planned: _Planned, formats) -> ReportOutcome | None:
    folder, name = planned.job.output_dir, planned.job.name
    stamp = _stamp(planned.job)
    html, pdf = folder / f"{name}.html", folder / f"{name}.pdf"
    try:
        done = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if done.get("fingerprint") != planned.fingerprint or not html.exists():
        return None
    if "pdf" in formats and done.get("pdf") and not pdf.exists():
        return None
    return ReportOutcome(planned.job, True, html, pdf if pdf.exists() else None, folder / f"{name}.ipynb",
                         None, None, done.get("pdf_note"), 0.0, skipped=True)


def _season_jobs(m: str, y: int, out_root: Path, data_root: Path, params_file: str | None,
                 name: str | None = None, cards: bool = True) -> list[ReportJob]:
    folder = out_root / m / str(y)
    shown = name or m
    common = {"municipality": m, "year": int(y), "data_root": str(data_root),
              "params_file": str(Path(params_file).resolve()) if params_file else None}
    nav = (("../../index.html", "Все отчёты"),) + ((("schools/index.html", "Карточки школ"),) if cards else ())
    # the earlier years' published справки: read by the notebook before this run records its own
    jobs = [ReportJob(SEASON_NOTEBOOK, folder, {**common, "school_cards": cards, "published_root": str(folder.parent)},
                      title=f"Аналитическая справка: {shown}, {y}", key=(m, y), footer=f"{shown}, {y}", nav=nav)]
    extra = NOTEBOOKS_DIR / f"{m}_{y}.ipynb"
    if extra.exists():
        sub = folder / "reproduction"
        jobs.append(ReportJob(extra, sub, {**common, "output_dir": str(sub)},
                              title=f"Воспроизведение опубликованных данных: {shown}, {y}", key=(m, y),
                              footer=f"{shown}, {y}",
                              nav=(("../report.html", "Аналитическая справка"), ("../../../index.html", "Все отчёты"))))
    return jobs


def _cards_row(m: str, y: int, made: list[CardOutcome] | None, out_root: Path) -> ReportOutcome:
    """One line of the main index for a season's cards, linking their own index page
    (``made`` is None when a resumed run kept the cards of an earlier run)."""
    folder = out_root / m / str(y) / "schools"
    page = folder / "index.html"
    made = made or []
    bad = [o for o in made if not o.ok]
    count = len(made) if made else sum(1 for f in folder.glob("*.html") if f.name != "index.html")
    job = ReportJob(CARD_NOTEBOOK, folder, {}, title=f"Карточки школ ({count})", key=(m, y), name="index")
    error = None
    if bad:
        error = f"не сформированы {len(bad)} из {len(made)}: " + "; ".join(
            f"{o.school_id}: {o.error}" for o in bad[:3])
    notes = sorted({o.pdf_note for o in made if o.pdf_note})
    return ReportOutcome(job, not bad, page, None, folder / "index.ipynb", error, None,
                         notes[0] if notes else None, sum(o.seconds for o in made), skipped=not made)


_CARD_FILES = (".html", ".pdf", ".ipynb")


def _prune_cards(folder: Path, keep: set[str]) -> None:
    """Remove the cards of schools that have none in this run (their status changed, or
    ``--no-cards``): a card left from an earlier run would show a status the report no
    longer gives. Only card files are touched; with no card at all the folder goes."""
    if not folder.is_dir():
        return
    for f in folder.iterdir():
        stamp = f.name.startswith(".") and f.name.endswith(".shnor-run.json")
        name = f.name[1:-len(".shnor-run.json")] if stamp else f.stem
        if not f.is_file() or not (stamp or f.suffix in _CARD_FILES):
            continue
        if name in keep or (keep and name == "index"):  # this run's cards and their index page
            continue
        f.unlink()
    if not any(folder.iterdir()):
        folder.rmdir()


def _record_reports(folder: Path, outcomes: list[ReportOutcome]) -> None:
    """Add each report's status and duration to the season's run manifest."""
    path = folder / "manifest.json"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # the season was not computed (input errors): nothing to add to
    body["reports"] = [{
        "title": o.job.title, "status": o.status, "ok": o.ok, "seconds": round(o.seconds, 3),
        "html": o.html.name if o.html else None, "pdf": o.pdf.name if o.pdf else None,
    } for o in outcomes]
    atomic_write_text(path, json.dumps(body, ensure_ascii=False, indent=2) + "\n")


def _compute_municipality(data: Dataset, m: str, params: dict, years: list[int], out_root: Path, cache_dir: Path,
                          planned: dict[int, list[_Planned]], formats: tuple[str, ...], resume: bool,
                          cards: bool, cards_here: bool = True) -> dict[int, list[CardOutcome] | Path]:
    """One municipality's task: compute its seasons up to the last selected year (the earlier years
    too, since a report reads the year before), store each selected season's context for its
    notebooks, write its tables and (``cards_here``) every card of it.

    Returns, per selected year written, the cards made, or (cards wanted but not made here) the
    context file :func:`_season_cards` makes them from; a year left out has no cards this run
    (``cards=False``) or was unchanged since its last run (``resume``: its cards of that run stand).
    """
    last = max(years)
    # the support analyses of the selected seasons only, the earlier years sharing the work
    mine = {r.year: r for r in compute_all(data, {m: params}, [(m, yy) for yy in data.years(m) if yy <= last],
                                           support=[(m, y) for y in years])}
    made: dict[int, list[CardOutcome] | Path] = {}
    for y in years:
        result = mine[y]
        stored = store_context(build_context(data, m, y, params, {yy: r for yy, r in mine.items() if yy <= y}),
                      data.data_root, cache_dir)
        if resume and all(_unchanged(p, formats) for p in planned[y]) \
                and (not cards or (out_root / m / str(y) / "schools" / "index.html").exists()):
            continue
        write_outputs(result, out_root)
        if cards:
            made[y] = _write_season_cards(mine, m, y, params, out_root, formats) if cards_here else stored
    return made


def _write_season_cards(results: dict, m: str, y: int, params: dict, out_root: Path,
                        formats: tuple[str, ...]) -> list[CardOutcome]:
    """Every card of season ``(m, y)`` in this process, from its computed years ``results``."""
    history = [r for yy, r in sorted(results.items()) if yy <= y]
    history = history[len(history) - len(consecutive_years([r.year for r in history], y)):]
    return write_cards(history, results[y].support, out_root / m / str(y) / "schools",
                       formats=formats, footer=f"{params.get('municipality_name') or m}, {y}")


def _season_cards(stored: Path, m: str, y: int, out_root: Path, formats: tuple[str, ...]) -> list[CardOutcome]:
    """A season's cards as a task of their own, from the context its municipality's task stored
    (``stored``, a pickled ``(key, context)``), so that they print while report notebooks run."""
    _, ctx = pickle.loads(Path(stored).read_bytes())
    return _write_season_cards(ctx.results, m, y, ctx.params, out_root, formats)


def _run_seasons(work: list[tuple], cache_dir: Path, formats: tuple[str, ...], n_jobs: int | None,
                 executor: Executor | None, progress: bool
                 ) -> tuple[dict[tuple[str, int], list[CardOutcome]], dict[int, ReportOutcome]]:
    """Run every municipality's task (:func:`_compute_municipality`) and, as each finishes, the
    report notebooks of its seasons, on ``executor`` or on ``n_jobs`` local processes: the cards
    and the compute of one municipality overlap the notebooks of another, on every core.

    Returns the cards made per season and each planned report's outcome by ``id`` of its
    :class:`_Planned` (a report unchanged since its last run, with ``resume``, is not run again).
    """
    cards: dict[tuple[str, int], list[CardOutcome]] = {}
    results: dict[int, ReportOutcome] = {}

    def to_run(task: tuple, made: dict[int, list[CardOutcome] | Path]) -> list[_Planned]:
        m, planned, fmts, resume = task[1], task[6], task[7], task[8]
        cards.update({(m, y): c for y, c in made.items() if isinstance(c, list)})
        todo = []
        for p in (p for y in task[3] for p in planned[y]):
            kept = _unchanged(p, fmts) if resume else None
            if kept is not None:
                results[id(p)] = kept
            else:
                todo.append(p)
        return todo

    workers = max(1, n_jobs or os.cpu_count() or 1)
    if executor is None and workers == 1:  # one after another, in this process
        jobs: list[_Planned] = []
        for task in work:
            jobs += to_run(task, _compute_municipality(*task))
        results.update(zip((id(p) for p in jobs),
                           run_reports([p.job for p in jobs], n_jobs=1, formats=formats, progress=progress)))
        return cards, results
    env = {CACHE_ENV: str(cache_dir)}  # a cluster's workers do not inherit this process's environment
    total = sum(len(ps) for task in work for ps in task[6].values())
    bar = tqdm(total=total, desc="Отчёты", unit="отч", disable=not progress)
    pool = contextlib.nullcontext(executor) if executor is not None \
        else local_executor(workers, initializer=keep_browser_for_process)
    with pool as ex:
        # what each running task is: ("season", task), ("cards", (m, y)) or ("report", planned)
        pending: dict[Future, tuple[str, Any]] = {
            ex.submit(call_with_env, env, _compute_municipality, *task, False): ("season", task) for task in work}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    kind, what = pending.pop(future)
                    if kind == "season":  # a municipality computed: its notebooks and cards can run
                        made = future.result()  # its failure (e.g. a table not written) stops the run
                        todo = to_run(what, made)
                        bar.update(sum(len(ps) for ps in what[6].values()) - len(todo))
                        for p in todo:
                            pending[ex.submit(call_with_env, env, run_report, p.job, formats=formats)] = ("report", p)
                        for y, stored in made.items():  # the cards beside the notebooks
                            if isinstance(stored, Path):
                                key = (what[1], y)
                                pending[ex.submit(_season_cards, stored, *key, what[4], formats)] = ("cards", key)
                    elif kind == "cards":
                        cards[what] = future.result()
                    else:
                        try:
                            results[id(what)] = future.result()
                        except Exception as exc:  # the process running it died (a notebook's failure is an outcome)
                            if executor is not None:
                                raise
                            results[id(what)] = crashed_outcome(what.job, exc)
                        bar.update()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        finally:
            bar.close()
    return cards, results


def build_reports(data_root: Path, out_root: Path, municipality: str = "all", year: str | int = "all",
                  params_file: str | None = None, formats=("html", "pdf"), n_jobs: int | None = None,
                  strict: bool = False, progress: bool = True, resume: bool = False, cards: bool = True,
                  executor: Executor | None = None) -> tuple[list[ReportOutcome], bool]:
    """Compute, write tables and reports for every selected season.

    ``cards=False`` makes the season reports only (no card per school of interest, and the
    reports then link no school code to a card). The work runs as tasks on ``n_jobs`` local
    processes (one municipality's compute and tables; then, as soon as it is done, each of its
    report notebooks and each season's cards), so that cards print while notebooks run;
    ``n_jobs=1`` runs everything in this process, one after another. ``executor`` (e.g. a Dask
    cluster's, from :func:`~shnor_lib.pipeline.executor.cluster_executor`) runs the same tasks
    there; its workers must see ``data_root`` and ``out_root``.

    Returns
    -------
    (outcomes, data_errors)
        Outcomes in season order (main report first, then extra notebooks), and
        whether any municipality was skipped for structural input errors.
    """
    with persistent_browser():  # one browser prints every card of the run
        return _build_reports(data_root, out_root, municipality, year, params_file, formats, n_jobs, strict,
                              progress, resume, cards, executor)


def _build_reports(data_root: Path, out_root: Path, municipality: str = "all", year: str | int = "all",
                  params_file: str | None = None, formats=("html", "pdf"), n_jobs: int | None = None,
                  strict: bool = False, progress: bool = True, resume: bool = False, cards: bool = True,
                  executor: Executor | None = None) -> tuple[list[ReportOutcome], bool]:
    formats, n_jobs = check_report_arguments(formats, n_jobs)
    data_root, out_root = Path(data_root).resolve(), Path(out_root).resolve()
    seasons = list_seasons(data_root, municipality, year)
    if not seasons:
        load_dataset(data_root, municipality, year)  # raises the «не найдены данные» error
    munis = sorted({m for m, _ in seasons})
    failed: dict[tuple[str, int], ReportOutcome] = {}
    problems: list = []
    good: list[str] = []
    cut = False
    loaded: dict = {}  # each municipality read and checked once, on its own: one bad one fails alone
    for m in munis:
        try:
            loaded.update(load_dataset(data_root, m, strict=strict,
                                       params_for=lambda mm: load_project_params(data_root, mm, params_file)).seasons)
            good.append(m)
            for folder in sorted((out_root / m).glob("[0-9]*")):  # before this run rewrites their tables
                keep_published(folder)
        except DataValidationError as exc:
            print(f"{m}: входные данные с ошибками — отчёты не сформированы.\n{exc.report(SCREEN_LIMIT)}",
                  file=sys.stderr)
            problems += exc.problems
            cut = cut or len(exc.problems) > SCREEN_LIMIT
            for mm, y in seasons:
                if mm == m:
                    failed[(mm, y)] = _data_failure(mm, y, out_root, exc)
    planned: list[_Planned] = []
    # The notebooks read the results computed here instead of computing them again.
    cache_dir = out_root / ".cache"
    os.environ[CACHE_ENV] = str(cache_dir)
    work: list[tuple] = []  # one task per municipality: its seasons computed, stored, written, carded
    if good:
        data = Dataset(loaded, data_root)
        for m in good:
            params = load_project_params(data_root, m, params_file)
            years = [y for mm, y in seasons if mm == m]
            by_year: dict[int, list[_Planned]] = {}
            for y in years:
                for job in _season_jobs(m, y, out_root, data_root, params_file, params.get("municipality_name"),
                                        cards=cards):
                    by_year.setdefault(y, []).append(_Planned(job, _fingerprint(job, params, data, m, y, formats)))
            planned += [p for y in years for p in by_year[y]]
            own = Dataset({k: v for k, v in loaded.items() if k[0] == m}, data_root)
            work.append((own, m, params, years, out_root, cache_dir, by_year, formats, resume, cards))
    card_outcomes, results = _run_seasons(work, cache_dir, formats, n_jobs, executor, progress)
    ordered: list[ReportOutcome] = []
    by_key: dict[tuple, list[_Planned]] = {}
    for p in planned:
        by_key.setdefault(tuple(p.job.key), []).append(p)
    for key in seasons:
        if key in failed:
            ordered.append(failed[key])
            continue
        for p in by_key.get(key, []):
            outcome = results[id(p)]
            if outcome.ok and not outcome.skipped:
                atomic_write_text(_stamp(p.job), json.dumps(
                    {"fingerprint": p.fingerprint, "pdf": outcome.pdf is not None, "pdf_note": outcome.pdf_note},
                    ensure_ascii=False) + "\n")
            ordered.append(outcome)
        folder = out_root / key[0] / str(key[1]) / "schools"
        made = card_outcomes.get(key)
        if made:
            ordered.append(_cards_row(*key, made, out_root))
            _prune_cards(folder, {o.school_id for o in made if o.ok})
        elif not cards or made == []:
            _prune_cards(folder, set())
        elif (folder / "index.html").exists():  # resumed: the cards of the earlier run stand
            ordered.append(_cards_row(*key, None, out_root))
        mine = [o for o in ordered if tuple(o.job.key) == key]
        _record_reports(out_root / key[0] / str(key[1]), mine)
        if any(o.ok and not o.skipped and o.job.notebook == SEASON_NOTEBOOK for o in mine):  # what it showed
            record_published(out_root / key[0] / str(key[1]))
    if len(munis) > 1:  # a regional run: the overview of municipalities, by their names
        names = {}
        for m in munis:
            try:
                names[m] = load_project_params(data_root, m, params_file).get("municipality_name") or m
            except ShnorError:  # its parameters are broken: the row shows the folder name and the error
                names[m] = m
        write_overview(ordered, out_root, names)
    else:
        write_index(ordered, out_root)
    if cut:  # the screen showed the first problems of each municipality: the file holds them all
        saved = DataValidationError(problems).save(out_root)
        print(f"Все ошибки во входных данных (всего: {len(problems)}) записаны в файл: {saved}", file=sys.stderr)
    return ordered, bool(failed)


def run_season_reports(args) -> int:
    """CLI entry of ``shnor report``."""
    check_selection(args.municipality, args.year)
    formats, _ = check_report_arguments(args.format, args.jobs)
    scheduler = getattr(args, "scheduler", None)
    with cluster_executor(scheduler) if scheduler else contextlib.nullcontext((None, None)) as (executor, _):
        outcomes, data_errors = build_reports(Path(args.data_root), Path(args.out or "outputs"), args.municipality,
                                              args.year, args.params, formats, args.jobs, args.strict,
                                              resume=args.resume, cards=not args.no_cards, executor=executor)
    for o in outcomes:
        m, y = o.job.key
        print(f"{m} {y} — {o.job.title}: {o.status}" + (f" → {o.html}" if o.html else ""))
    print(f"Оглавление отчётов: {Path(args.out or 'outputs').resolve() / 'index.html'}")
    if data_errors:
        return EXIT_DATA
    return 0 if all(o.ok for o in outcomes) else EXIT_FAILED

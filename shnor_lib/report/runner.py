"""Run parameterised report notebooks and publish them as HTML/PDF.

One *job* is one notebook executed with one set of parameters (a
municipality and a year) into its own folder::

    <output_dir>/report.ipynb   the executed notebook: the log of the run, always kept
    <output_dir>/report.html    the report, written only when the run succeeded
    <output_dir>/report.pdf     the same report printed by headless Chromium

Jobs run in parallel worker processes; one failing job never stops the
others, and :func:`write_index` lists every outcome on one page.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import nbformat
from tqdm.auto import tqdm
from traitlets.config import Config

from ..io.atomic import atomic_write_text
from .export import (
    TEMPLATES_DIR,
    PdfEngineMissing,
    PdfExportError,
    html_to_pdf,
    keep_browser_for_process,
    notebook_to_html,
    persistent_browser,
)

__all__ = [
    "FORMATS",
    "ReportJob",
    "ReportOutcome",
    "ReportParameterError",
    "check_parameters",
    "crashed_outcome",
    "run_report",
    "run_reports",
    "write_index",
    "write_overview",
    "season_summary",
]

#: Formats :func:`run_report` can publish.
FORMATS = ("html", "pdf")



class ReportParameterError(ValueError):
    """A job passes a parameter the notebook does not declare (message in Russian)."""


@dataclass
class ReportJob:
    """One notebook to execute with one set of parameters.

    Parameters
    ----------
    notebook : pathlib.Path
        The template notebook (with a cell tagged ``parameters``).
    output_dir : pathlib.Path
        Folder of this report; created when missing. Every job needs its own.
    parameters : dict
        Values injected by papermill; each must be declared in the notebook's
        parameters cell.
    title : str
        Title of the HTML page (``<title>``).
    key : tuple
        ``(municipality, year)``; shown in the index.
    """

    notebook: Path
    output_dir: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str = "Отчёт"
    key: tuple = ()
    name: str = "report"  # base name of the files: <name>.ipynb, <name>.html, <name>.pdf
    footer: str | None = None  # the PDF's running footer before «стр. N из M», e.g. «Демо, 2024»
    nav: tuple = ()  # (relative href, label) links back, shown above the report («Все отчёты»)

    def __post_init__(self) -> None:
        self.notebook = Path(self.notebook)
        self.output_dir = Path(self.output_dir)
        self.parameters = dict(self.parameters)
        self.key = tuple(self.key)
        self.nav = tuple(tuple(x) for x in self.nav)


@dataclass
class ReportOutcome:
    """What happened to one :class:`ReportJob`.

    Parameters
    ----------
    job : ReportJob
        The job.
    ok : bool
        The notebook ran to the end and the HTML was written.
    html, pdf : pathlib.Path or None
        Files written by *this* run (``None`` when not written).
    notebook_out : pathlib.Path
        Where the executed notebook is kept (also after a failure; it does
        not exist when the job failed before execution).
    error : str or None
        Russian one-line reason of a failure, e.g. ``"ячейка 3: ValueError: сломано"``.
    failed_cell : int or None
        1-based number of the failing code cell, counting the template's
        code cells (the cell papermill injects is not counted).
    pdf_note : str or None
        Russian explanation when a PDF was wanted but not produced; the
        report itself is still good.
    seconds : float
        Wall time of the job.
    kept_previous : tuple of pathlib.Path
        After a failure: report files of an earlier run left untouched in
        ``output_dir`` (they do not reflect this run).
    """

    job: ReportJob
    ok: bool
    html: Path | None
    pdf: Path | None
    notebook_out: Path
    error: str | None
    failed_cell: int | None
    pdf_note: str | None
    seconds: float
    kept_previous: tuple[Path, ...] = ()
    skipped: bool = False

    @property
    def status(self) -> str:
        """Russian one-line status: ``готов``, ``ошибка: …`` or ``готов; PDF недоступен: …``."""
        if self.skipped:
            return "готов (входные данные не изменились — не пересчитывался)"
        if not self.ok:
            text = f"ошибка: {self.error}"
            if self.kept_previous:
                names = ", ".join(p.name for p in self.kept_previous)
                text += f" (новый отчёт не записан; в папке остался прежний: {names})"
            return text
        if self.pdf_note:
            return f"готов; PDF недоступен: {self.pdf_note}"
        return "готов"


# --------------------------------------------------------------------------- parameters


def check_parameters(notebook: str | os.PathLike[str], parameters: dict[str, Any]) -> dict[str, Any]:
    """Check that every parameter is declared in the notebook's parameters cell.

    Parameters
    ----------
    notebook : str or os.PathLike
        The template notebook.
    parameters : dict
        Parameters a job wants to inject.

    Returns
    -------
    dict
        The declared parameters as returned by :func:`papermill.inspect_notebook`.

    Raises
    ------
    FileNotFoundError
        The notebook does not exist.
    ReportParameterError
        Some parameter is unknown to the notebook (papermill itself would only warn).
    """
    import papermill  # seconds to import: only paid where notebooks are checked or run

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"блокнот не найден: {path}")
    declared = papermill.inspect_notebook(str(path))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        names = ", ".join(f"«{name}»" for name in unknown)
        word = "параметр" if len(unknown) == 1 else "параметры"
        if declared:
            known = ", ".join(f"«{name}»" for name in declared)
            hint = f"в ячейке с тегом parameters объявлены только: {known}"
        else:
            hint = "в блокноте нет ячейки с тегом parameters"
        raise ReportParameterError(f"блокнот {path.name} не знает {word} {names}: {hint}")
    return declared


# --------------------------------------------------------------------------- one report


def _kernel_config(socket_dir: str):
    if os.name != "posix":
        return Config()  # ZeroMQ has no IPC transport on Windows
    # papermill issue #511: parallel kernels on TCP race for ports
    # ("Address already in use"); a private IPC socket per kernel cannot collide.
    return Config({"KernelManager": {"transport": "ipc", "ip": f"{socket_dir}/k-{uuid.uuid4().hex[:12]}"}})


@functools.cache
def _kernel_manager_class() -> type:
    """jupyter_client's kernel manager, except that shutting down does not interrupt the kernel.

    jupyter_client sends SIGINT before the shutdown request; arriving just after the last reply,
    while the kernel still finishes that request, it makes the kernel print «[IPKernelApp] ERROR |
    KeyboardInterrupt caught in kernel.» on the user's terminal. A kernel that ignores the
    request is still terminated, then killed, by jupyter_client's shutdown.
    """
    from jupyter_client.manager import AsyncKernelManager  # here: heavy, as papermill below

    class QuietShutdownKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return QuietShutdownKernelManager


def _execute(job: ReportJob, notebook_out: Path, kernel_name: str):
    """Execute the job's notebook; the result lands at ``notebook_out`` even on failure."""
    import papermill  # seconds to import: only paid in the process that runs the notebook

    tmp = notebook_out.with_name(f".{notebook_out.stem}.{uuid.uuid4().hex}.ipynb")
    socket_dir = tempfile.mkdtemp(prefix="shnor-k-")
    try:
        return papermill.execute_notebook(
            str(job.notebook),
            str(tmp),
            parameters=job.parameters,
            kernel_name=kernel_name,
            start_timeout=60,
            progress_bar=False,
            log_output=False,
            # relative paths in a notebook mean the same as when it is opened in Jupyter
            cwd=str(job.notebook.resolve().parent),
            config=_kernel_config(socket_dir),
            kernel_manager_class=_kernel_manager_class(),
        )
    finally:
        # papermill saves the notebook (with the error output) before raising;
        # publish that file in one step so readers never see a half-saved one.
        if tmp.exists():
            os.replace(tmp, notebook_out)
        shutil.rmtree(socket_dir, ignore_errors=True)


def _is_error_output(output: dict) -> bool:
    if output.get("output_type") != "error":
        return False
    # papermill treats sys.exit() / sys.exit(0) as a clean stop
    return not (output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"))


def _failed_code_cell(notebook_out: Path) -> int | None:
    """1-based number of the failing code cell in the template's own numbering."""
    try:
        nb = nbformat.read(notebook_out, as_version=4)
    except (OSError, ValueError):
        return None
    number = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        number += 1
        if any(_is_error_output(out) for out in cell.get("outputs", [])):
            return number
        if cell.get("metadata", {}).get("papermill", {}).get("exception") is True:
            return number
    return None


def _one_line(text: object, limit: int = 300) -> str:
    """The first non-blank line of ``str(text)``, cut to ``limit`` characters."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"неизвестный формат отчёта: {', '.join(unknown)}; допустимы: {', '.join(FORMATS)}")
    return formats


def run_report(
    job: ReportJob,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    kernel_name: str = "python3",
) -> ReportOutcome:
    """Execute one report notebook and publish it.

    Never raises for problems of the report itself (bad parameter, failing
    cell, missing browser): they are described in the returned outcome.

    Parameters
    ----------
    job : ReportJob
        What to run and where to put it.
    formats : sequence of {"html", "pdf"}, default ("html", "pdf")
        What to publish. The PDF is printed from ``report.html``, so asking
        for PDF writes the HTML too. A missing PDF engine does not fail the
        report: the HTML is written and ``pdf_note`` says how to get PDFs.
    kernel_name : str, default "python3"
        Jupyter kernel to execute with.

    Returns
    -------
    ReportOutcome
        On failure ``ok`` is False, ``error`` is a Russian one-liner and no
        new ``report.html``/``report.pdf`` is written (files of an earlier
        run are left alone and listed in ``kept_previous``); the executed
        notebook with its traceback is kept at ``notebook_out``.
    """
    formats = _check_formats(formats)
    start = time.perf_counter()
    out_dir = job.output_dir
    notebook_out = out_dir / f"{job.name}.ipynb"
    html_path, pdf_path = out_dir / f"{job.name}.html", out_dir / f"{job.name}.pdf"

    def outcome(**fields: Any) -> ReportOutcome:
        values: dict[str, Any] = dict(html=None, pdf=None, error=None, failed_cell=None, pdf_note=None)
        values.update(fields)
        return ReportOutcome(job=job, notebook_out=notebook_out, seconds=time.perf_counter() - start, **values)

    def failure(error: str, failed_cell: int | None = None) -> ReportOutcome:
        kept = tuple(p for p in (html_path, pdf_path) if p.exists())
        return outcome(ok=False, error=error, failed_cell=failed_cell, kept_previous=kept)

    try:
        check_parameters(job.notebook, job.parameters)
    except (FileNotFoundError, ReportParameterError) as exc:
        return failure(str(exc))

    from papermill.exceptions import PapermillExecutionError  # heavy, as above

    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        nb = _execute(job, notebook_out, kernel_name)
    except PapermillExecutionError as exc:
        cell = _failed_code_cell(notebook_out)
        where = f"ячейка {cell}" if cell is not None else f"ячейка In [{exc.exec_count}]"
        detail = f"{exc.ename}: {_one_line(exc.evalue)}" if _one_line(exc.evalue) else exc.ename
        return failure(f"{where}: {detail}", cell)
    except Exception as exc:  # kernel did not start or died: still one job's failure
        return failure(f"блокнот не выполнен: {type(exc).__name__}: {_one_line(exc) or '—'}")

    if not formats:
        return outcome(ok=True)

    try:
        atomic_write_text(html_path, notebook_to_html(nb, title=job.title, nav=job.nav))
    except Exception as exc:
        return failure(f"не удалось сформировать HTML: {type(exc).__name__}: {_one_line(exc)}")

    pdf, pdf_note = None, None
    if "pdf" in formats:
        try:
            pdf = html_to_pdf(html_path, pdf_path, footer=job.footer)
        except PdfEngineMissing as exc:
            pdf_note = str(exc)
        except PdfExportError as exc:
            pdf_note = str(exc)
    if pdf is None and pdf_path.exists():
        # a PDF of an earlier run next to a new HTML would be read as current
        pdf_path.unlink()
        removed = "прежний report.pdf удалён, так как он не соответствует новому HTML-отчёту"
        pdf_note = f"{pdf_note} ({removed})" if pdf_note else removed
    return outcome(ok=True, html=html_path, pdf=pdf, pdf_note=pdf_note)


# --------------------------------------------------------------------------- many reports


def crashed_outcome(job: ReportJob, exc: BaseException) -> ReportOutcome:
    """The outcome of ``job`` when the process running it died (``exc``: what its future raised)."""
    html_path, pdf_path = job.output_dir / f"{job.name}.html", job.output_dir / f"{job.name}.pdf"
    return ReportOutcome(
        job=job,
        ok=False,
        html=None,
        pdf=None,
        notebook_out=job.output_dir / f"{job.name}.ipynb",
        error=f"процесс, выполнявший отчёт, аварийно завершился: {type(exc).__name__}: {_one_line(exc)}",
        failed_cell=None,
        pdf_note=None,
        seconds=0.0,
        kept_previous=tuple(p for p in (html_path, pdf_path) if p.exists()),
    )


def run_reports(
    jobs: Iterable[ReportJob],
    *,
    n_jobs: int | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    progress: bool = True,
    kernel_name: str = "python3",
) -> list[ReportOutcome]:
    """Run many report jobs in parallel worker processes.

    Parameters
    ----------
    jobs : iterable of ReportJob
        Jobs with pairwise different ``output_dir``.
    n_jobs : int, optional
        Worker processes; default ``os.cpu_count()``. ``1`` runs the jobs one
        after another in this process. On 2 cores more than 2 gains nothing.
    formats : sequence of {"html", "pdf"}, default ("html", "pdf")
        Passed to :func:`run_report`.
    progress : bool, default True
        Show a progress bar («Отчёты») on stderr.
    kernel_name : str, default "python3"
        Jupyter kernel to execute with.

    Returns
    -------
    list of ReportOutcome
        In the order of ``jobs``, whatever order they finished in.

    Notes
    -----
    Workers are started with the ``spawn`` method on every platform (the
    parent may hold threads and ZeroMQ sockets that must not be forked), so a
    script calling this function needs the usual
    ``if __name__ == "__main__":`` guard.
    """
    jobs = list(jobs)
    formats = _check_formats(formats)
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"число процессов должно быть не меньше 1, получено {n_jobs}")
    seen: dict[Path, ReportJob] = {}
    for job in jobs:
        folder = job.output_dir.resolve() / job.name
        if folder in seen:
            raise ValueError(f"два отчёта пишутся в одни файлы {folder}: {seen[folder].key} и {job.key}")
        seen[folder] = job
    if not jobs:
        return []

    workers = max(1, min(n_jobs or os.cpu_count() or 1, len(jobs)))
    results: list[ReportOutcome | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), desc="Отчёты", unit="отч", disable=not progress)
    try:
        if workers == 1:
            with persistent_browser():  # one browser for all the PDFs of the run
                for i, job in enumerate(jobs):
                    results[i] = run_report(job, formats=formats, kernel_name=kernel_name)
                    bar.update()
        else:
            context = multiprocessing.get_context("spawn")
            # each worker keeps one browser for all the PDFs it prints
            with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                     initializer=keep_browser_for_process) as pool:
                futures = {
                    pool.submit(run_report, job, formats=formats, kernel_name=kernel_name): i
                    for i, job in enumerate(jobs)
                }
                try:
                    for future in as_completed(futures):
                        i = futures[future]
                        try:
                            results[i] = future.result()
                        except Exception as exc:  # a worker died (BrokenProcessPool, …)
                            results[i] = crashed_outcome(jobs[i], exc)
                        bar.update()
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        bar.close()
    return [r for r in results if r is not None]


# --------------------------------------------------------------------------- index page

#: The index page's template (``templates/report_index.html.j2``).
INDEX_TEMPLATE = "report_index.html.j2"


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def _href(path: Path, root: Path) -> str:
    rel = Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    return quote(rel, safe="/")


def write_index(
    outcomes: Sequence[ReportOutcome],
    out_root: str | os.PathLike[str],
    *,
    title: str = "Отчёты по мониторингу ШНОР и ШНСУ",
) -> Path:
    """Write ``<out_root>/index.html``: one row per report with status and links.

    The page is Russian, self-contained (no external resources), and every
    value coming from data or error messages is HTML-escaped (the Jinja2
    template ``templates/report_index.html.j2`` renders with autoescape). Links
    are relative, so the folder can be moved or zipped as a whole.

    Parameters
    ----------
    outcomes : sequence of ReportOutcome
        Rows, in the order given; ``job.key`` is ``(municipality, year)``.
    out_root : str or os.PathLike
        Folder of the index; report folders are expected below it.
    title : str, default "Отчёты по мониторингу ШНОР и ШНСУ"
        Page title and heading.

    Returns
    -------
    pathlib.Path
        Path of the written ``index.html``.
    """
    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for outcome in outcomes:
        key = tuple(outcome.job.key)
        files = ((outcome.html, "HTML"), (outcome.pdf, "PDF"), (outcome.notebook_out, "блокнот"))
        rows.append({
            "municipality": str(key[0] if len(key) > 0 else outcome.job.output_dir.name),
            "year": str(key[1] if len(key) > 1 else ""),
            "title": outcome.job.title,
            "css": "err" if not outcome.ok else ("warn" if outcome.pdf_note else "ok"),
            "status": outcome.status,
            "links": [(_href(Path(path), root), label) for path, label in files
                      if path is not None and Path(path).exists()],
        })
    total = len(outcomes)
    good = sum(o.ok for o in outcomes)
    summary = f"Готово {good} из {total}."
    if good < total:
        summary += f" С ошибками: {total - good} — подробности в столбце «Статус» и в блокноте отчёта."
    page = _templates().get_template(INDEX_TEMPLATE).render(title=title, summary=summary, rows=rows)
    return atomic_write_text(root / "index.html", page)


# --------------------------------------------------------------------------- regional overview

#: The regional overview's template (``templates/overview.html.j2``).
OVERVIEW_TEMPLATE = "overview.html.j2"
_STATUSES = ("ШНОР", "ШНСУ", "ШНОР+ШНСУ", "зона риска")
SHARE_INDICATOR = "shnor_shnsu_share"  # the monitoring indicator with the municipal target


def season_summary(folder: str | os.PathLike[str], year: int) -> dict[str, Any] | None:
    """Counts by status and the share of ШНОР and ШНСУ against its target, read from the tables
    ``shnor compute`` wrote in ``folder`` (``schools.csv``, ``indicators.csv``); None when the
    season was not computed."""
    import pandas as pd  # here: pandas is heavy and only the overview needs it

    folder = Path(folder)
    try:
        schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError):
        return None
    counts = {s: int((schools["status"] == s).sum()) for s in _STATUSES}
    out: dict[str, Any] = {"schools": len(schools), "counts": counts, "share": None, "plan": None, "change": None}
    try:
        ind = pd.read_csv(folder / "indicators.csv")
    except (OSError, ValueError):
        return out
    rows = ind[ind["code"] == SHARE_INDICATOR].set_index("year")
    if year in rows.index:
        out["share"] = float(rows.at[year, "fact"]) if pd.notna(rows.at[year, "fact"]) else None
        out["plan"] = float(rows.at[year, "plan"]) if pd.notna(rows.at[year, "plan"]) else None
        if year - 1 in rows.index and out["share"] is not None and pd.notna(rows.at[year - 1, "fact"]):
            out["change"] = out["share"] - float(rows.at[year - 1, "fact"])
    return out


def write_overview(
    outcomes: Sequence[ReportOutcome],
    out_root: str | os.PathLike[str],
    names: dict[str, str],
    *,
    title: str = "Мониторинг ШНОР и ШНСУ: обзор по муниципалитетам",
) -> Path:
    """Write ``<out_root>/index.html`` as a regional overview: one row per municipality and year with
    its name (from parameters, never the folder name), counts by status, the share of ШНОР and ШНСУ
    against the municipal target and its change since the year before, and links to the report, its
    PDF, the cards, the workbook; the notebooks in a separate column «для специалистов». The table
    sorts by a click on a column header (a few lines of inline script, no network). Below it, every
    report with its status, as :func:`write_index` lists them.
    """
    from .format import fmt_num  # here: the formatter is a leaf; the runner does not need it otherwise

    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    seasons: dict[tuple, list[ReportOutcome]] = {}
    for o in outcomes:
        seasons.setdefault(tuple(o.job.key), []).append(o)
    rows = []
    for (m, y), group in seasons.items():
        folder = root / str(m) / str(y)
        summary = season_summary(folder, int(y))
        main = next((o for o in group if o.job.name == "report" and o.job.output_dir.resolve() == folder.resolve()),
                    None)
        links, expert = [], []
        if main is not None and main.html is not None and Path(main.html).exists():
            links.append((_href(Path(main.html), root), "справка"))
        if (folder / "report.pdf").exists():
            links.append((_href(folder / "report.pdf", root), "PDF"))
        if (folder / "schools" / "index.html").exists():
            links.append((_href(folder / "schools" / "index.html", root), "карточки"))
        if (folder / "таблицы.xlsx").exists():
            links.append((_href(folder / "таблицы.xlsx", root), "таблицы Excel"))
        for o in group:
            if o.notebook_out is not None and Path(o.notebook_out).exists():
                expert.append((_href(Path(o.notebook_out), root), f"{Path(o.notebook_out).name}"))
        ok = all(o.ok for o in group)
        counts = (summary or {}).get("counts") or {}
        share, plan, change = ((summary or {}).get(k) for k in ("share", "plan", "change"))
        rows.append({
            "name": names.get(str(m)) or str(m), "year": str(y), "ok": ok,
            "status": "готово" if ok else "есть ошибки — см. ниже",
            "counts": [(counts.get(s), str(counts.get(s, "—"))) for s in _STATUSES],
            "share": (share, f"{fmt_num(share, 1)}%" if share is not None else "—"),
            "plan": (plan, f"{fmt_num(plan, 1)}%" if plan is not None else "—"),
            "change": (change, ("+" if change > 0 else "−" if change < 0 else "±") + f"{fmt_num(abs(change), 1)} п.п."
                       if change is not None else "—"),
            "links": links, "expert": expert,
        })
    total = len(outcomes)
    good = sum(o.ok for o in outcomes)
    summary_line = f"Муниципалитетов: {len({r['name'] for r in rows})}; отчётов готово {good} из {total}."
    detail = []
    for outcome in outcomes:
        key = tuple(outcome.job.key)
        files = ((outcome.html, "HTML"), (outcome.pdf, "PDF"))
        detail.append({
            "municipality": names.get(str(key[0])) or str(key[0]), "year": str(key[1]),
            "title": outcome.job.title, "css": "err" if not outcome.ok else ("warn" if outcome.pdf_note else "ok"),
            "status": outcome.status,
            "links": [(_href(Path(p), root), label) for p, label in files if p is not None and Path(p).exists()],
        })
    page = _templates().get_template(OVERVIEW_TEMPLATE).render(
        title=title, summary=summary_line, statuses=_STATUSES, rows=rows, detail=detail)
    return atomic_write_text(root / "index.html", page)

"""Many seasons: :func:`compute_all` / :func:`iter_compute` share the work between the seasons
of many municipalities (and give each season its support analyses, reusing the earlier years
computed on the way), and :func:`compute_outputs` (what ``shnor compute`` runs) loads, computes
and stages every selected season — as tasks on an executor (:mod:`.executor`: worker processes
when there are several cores) — then publishes them together.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.indices import social_shares, teacher_shares
from ..config.params import load_params
from ..errors import DataValidationError, Problem, ShnorError
from ..io.readers import list_seasons
from ..report.format import fmt_pct
from .dataset import Dataset, ParamsFor, load_dataset
from .executor import Executor, local_executor, run_tasks
from .outputs import StagedOutputs, stage_outputs
from .season import (
    SeasonResult,
    _scope_is_all,
    _season_result,
    _Shared,
    _shared_tables,
    attach_support,
    compute_season,
)
from .support import SupportInputs, consecutive_years

__all__ = ["compute_all", "iter_compute", "compute_outputs"]

# Tasks of a parallel run: at least this many per worker (they balance the load and advance
# the progress bar), and at most about this many seasons each.
TASKS_PER_WORKER = 4
SEASONS_PER_TASK = 100


def compute_all(data: Dataset, params_for: ParamsFor, keys: list[tuple[str, int]] | None = None,
                progress: Callable[[int], object] | None = None,
                support: bool | Iterable[tuple[str, int]] = True) -> list[SeasonResult]:
    """Compute every season of ``keys`` (default: all loaded), sharing the work between seasons.

    Gives for each season exactly what :func:`compute_season` gives, but computes the
    grades, flags, pooled metrics and indices once for all the years of a municipality and
    once for many municipalities that share parameters (and the same available index
    inputs); only the models and clusters are fitted per season, and the support analyses
    (:class:`~shnor_lib.pipeline.support.SupportResult`) reuse the earlier years computed on
    the way.

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
    support : bool or iterable of (municipality, year), default True
        The seasons whose support analyses to compute: all of ``keys``, none, or these.

    Returns
    -------
    list of SeasonResult
        In the order of ``keys``. To hold only one season at a time, use
        :func:`iter_compute`.
    """
    keys = list(data.keys()) if keys is None else list(keys)
    done = {}
    for r in iter_compute(data, params_for, keys, support=support):
        done[(r.municipality, r.year)] = r
        if progress:
            progress(1)
    return [done[k] for k in keys]


def iter_compute(data: Dataset, params_for: ParamsFor, keys: list[tuple[str, int]] | None = None,
                 batch_rows: int = 250_000, support: bool | Iterable[tuple[str, int]] = True
                 ) -> Iterator[SeasonResult]:
    """:func:`compute_all`, yielding each season as soon as it is computed.

    Seasons come batch by batch (municipalities sharing parameters, in sorted order of
    (municipality, year) within a batch), not necessarily in the order of ``keys``; a batch
    holds about ``batch_rows`` results rows, which bounds the memory of the shared tables.
    """
    for result, _ in _iter_compute(data, params_for, keys, batch_rows, support):
        yield result


def _iter_compute(data: Dataset, params_for: ParamsFor, keys: list[tuple[str, int]] | None = None,
                  batch_rows: int = 250_000, support: bool | Iterable[tuple[str, int]] = True
                  ) -> Iterator[tuple[SeasonResult, _Shared | None]]:
    """:func:`iter_compute` yielding (result, the _Shared it came from or None)."""
    keys = list(data.keys()) if keys is None else list(keys)
    for k in keys:
        if k not in data.seasons:
            raise KeyError(f"season {k[0]}/{k[1]} is not loaded")
    wanted = set(keys)
    analysed = wanted if support is True else set() if support is False else set(support) & wanted
    # a season's support analyses span the consecutive loaded years before it: compute those too
    needed = set(wanted)
    for m, y in analysed:
        needed.update((m, yy) for yy in consecutive_years(data.years(m), y))
    inputs = SupportInputs()
    history: list[SeasonResult] = []
    for result, shared in _iter_core(data, params_for, sorted(needed), batch_rows):
        last = history[-1] if history else None
        if last is None or last.municipality != result.municipality or last.year != result.year - 1:
            history = []
        history.append(result)
        key = (result.municipality, result.year)
        if key in analysed:
            attach_support(data, history, inputs)
        if key in wanted:
            yield result, shared


def _iter_core(data: Dataset, params_for: ParamsFor, keys: list[tuple[str, int]], batch_rows: int
               ) -> Iterator[tuple[SeasonResult, _Shared | None]]:
    """Every season of ``keys`` without its support analyses, municipality by municipality in
    year order, with the _Shared it came from (None when computed on its own)."""
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
                    yield compute_season(data, m, y, params[m], support=False), None
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
    groups: list[list[str]] = []
    current: list[str] = []
    rows = 0
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
        key: tuple | None
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



# ---------------------------------------------------------------- shnor compute

def compute_outputs(data_root: str | Path, out_root: str | Path, municipality: str = "all", year: str | int = "all",
                    params_for: Callable[[str], dict] | None = None, strict: bool = False, jobs: int | None = None,
                    progress: Callable[[int], object] | None = None, executor: Executor | None = None
                    ) -> list[tuple[tuple[str, int], Path, str, list[str]]]:
    """Load, compute and write every selected season — what ``shnor compute`` does.

    Each season is written into a hidden folder beside its target as soon as it is
    computed (memory holds one season's results, not all of them); only when every season
    succeeded are they swapped in, so a failure leaves no partial set. With several
    processor cores, the municipalities are split into tasks run by ``jobs`` worker
    processes (default: the ``SHNOR_JOBS`` environment variable, else the number of cores),
    each task reading, validating and computing its own municipalities; the outputs are the
    same.

    Parameters
    ----------
    data_root, out_root : folders of the input seasons and of the outputs.
    municipality, year : the selection, as in :func:`load_dataset` and :meth:`Dataset.keys`.
    params_for : callable
        Parameters of a municipality (default: :func:`shnor_lib.config.params.load_params`).
    strict : bool
        As in :func:`load_dataset`.
    jobs : int, optional
        Worker processes on this machine (with ``executor``: its workers, to split the work
        into enough tasks).
    progress : callable, optional
        Called with the number of seasons just finished.
    executor : concurrent.futures.Executor, optional
        Run the tasks there instead of on local processes (e.g. a Dask client's
        ``get_executor()``, see :func:`~shnor_lib.pipeline.executor.cluster_executor`; its workers
        must see ``data_root`` and ``out_root``). The outputs are the same bytes.

    Returns
    -------
    list of ((municipality, year), folder written, one-line summary, notes), in season order.

    Raises
    ------
    DataValidationError, ParameterError
        As :func:`load_dataset` and the parameters raise them; nothing is written.
    """
    root, out_root = Path(data_root), Path(out_root)
    params_for = params_for or load_params
    selected = list_seasons(root, municipality, year)
    munis = sorted({m for m, _ in selected})
    jobs = jobs or int(os.environ.get("SHNOR_JOBS", "0") or 0) or os.cpu_count() or 1
    params = None
    if (executor is not None and munis) or (len(munis) > 1 and jobs > 1 and len(selected) >= 50):
        try:
            params = {m: params_for(m) for m in munis}
        except ShnorError:
            params = None  # the one-process path raises it at its proper place (after the data's errors)
        if params is not None and any(_scope_is_all(p) for p in params.values()):
            params = None  # every municipality is the reference of every other: one process
    existed = out_root.exists()
    try:
        if params is None:
            data = load_dataset(root, municipality, year, strict=strict, params_for=params_for)
            keys = data.keys(municipality, year)
            params = {m: params_for(m) for m in sorted({m for m, _ in keys})}
            staged = _stage_seasons(data, params, keys, out_root, progress)
        else:
            parts = _partition(root, munis, min(len(munis), max(TASKS_PER_WORKER * jobs,
                                                                -(-len(selected) // SEASONS_PER_TASK))))
            with nullcontext(executor) if executor is not None else local_executor(min(jobs, len(parts))) as ex:
                staged = _stage_in_tasks(ex, root, out_root, municipality, year, params, strict, parts, progress)
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
            f"зона риска {sh['risk_zone']}; доля ШНОР и ШНСУ {fmt_pct(sh['share_shnor_shnsu'])}")


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
    """Consecutive groups of municipalities with about equal input bytes (so the tasks take
    about as long, and their messages keep the order of one process)."""
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


def _stage_part(root: Path, out_root: Path, munis: list[str], municipality: str, year: str | int,
                params: dict[str, dict], strict: bool) -> tuple[list[tuple], list[Problem]]:
    """One task: load, validate, compute and stage the seasons of ``munis``.

    Returns (staged seasons, problems of the input data); the data's problems are returned,
    not raised, so that the run can report those of every task together.
    """
    try:
        data = load_dataset(root, munis, "all", strict=strict, params_for=params)
    except DataValidationError as exc:
        return [], exc.problems
    keys = data.keys(municipality, year)
    mine = {m: params[m] for m in sorted({m for m, _ in keys})}
    return _stage_seasons(data, mine, keys, out_root), []


def _stage_in_tasks(executor: Executor, root: Path, out_root: Path, municipality: str, year: str | int,
                    params: dict[str, dict], strict: bool, parts: list[list[str]],
                    progress: Callable[[int], object] | None = None) -> list[tuple]:
    """:func:`_stage_part` of every group of municipalities on ``executor``; the staged seasons
    in the order of ``parts``. When any task fails, every staged folder is removed and the
    problems of the data of all tasks are raised (or else the first error)."""
    outcomes = run_tasks(executor, _stage_part, [(root, out_root, part, municipality, year, params, strict)
                                                for part in parts],
                         on_done=(lambda value: progress(len(value[0]))) if progress else None)
    done = [o.value for o in outcomes if o.error is None]
    problems = [p for _, probs in done for p in probs]
    failure = next((o.error for o in outcomes if o.error is not None), None)
    error = DataValidationError(problems) if problems else failure
    if error is not None:
        _discard(item for staged, _ in done for item in staged)
        raise error
    return [item for staged, _ in done for item in staged]

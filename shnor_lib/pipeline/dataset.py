"""Loading a folder of seasons: read every file, validate it against the contract, and hold
the typed seasons (:class:`Dataset`); the schools whose results repeat last year's are added to
the issues ledger (copied rows).

    data = load_dataset("data_raw", municipality="demo")
    data.keys(); data.table("results", "demo")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import numpy as np
import pandas as pd

from ..config.params import load_project_params
from ..contract.validate import ISSUE_COLUMNS, Season, copied_results, quarantine_limits, validate_seasons
from ..errors import DataValidationError, Problem
from ..io.paths import season_folder_problems
from ..io.readers import list_seasons, read_season

__all__ = ["Dataset", "load_dataset", "ParamsFor"]

#: Parameters of each municipality: ``params_for(m)`` or ``params_for[m]`` (from ``load_params``).
ParamsFor = Callable[[str], dict] | Mapping[str, dict]


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
                 strict: bool = False, params_for: ParamsFor | None = None) -> Dataset:
    """Read and validate seasons under ``data_root``.

    Every year of each selected municipality is loaded (the ШНОР rule looks at Y−1),
    whatever ``year`` says; ``year`` only has to exist. ``municipality`` is a name,
    a list of names or ``"all"``.

    Parameters
    ----------
    params_for : callable or dict, optional
        Parameters of a municipality, ``params_for(m)`` or ``params_for[m]``: their
        ``validation`` limits decide when too many left-out rows stop the run. By default
        :func:`~shnor_lib.config.params.load_params` with the project's ``parameters/``
        beside ``data_root`` (what ``shnor`` reads without ``--params``).

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
    limits = _limits(root, params_for, sorted(munis))
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
            # consecutive seasons with the same limits together: the problems keep season order
            for _, same_limits in groupby(chunk, key=lambda r: limits[r.municipality]):
                run = list(same_limits)
                try:
                    for season in validate_seasons(run, strict=strict, limits=limits[run[0].municipality]):
                        seasons[(season.municipality, season.year)] = season
                except DataValidationError as exc:
                    problems.extend(exc.problems)
            chunk, rows = [], 0
    if problems:
        raise DataValidationError(problems)
    _warn_copied(seasons, strict)
    return Dataset(seasons, root)


def _limits(root: Path, params_for: ParamsFor | None, munis: list[str]) -> dict[str, tuple[float, int]]:
    """The quarantine limits of each municipality, from its parameters."""
    if params_for is None:
        lookup: Callable[[str], dict] = lambda m: load_project_params(root, m)  # noqa: E731
    else:
        lookup = params_for if callable(params_for) else params_for.__getitem__
    return {m: quarantine_limits(lookup(m)) for m in munis}


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

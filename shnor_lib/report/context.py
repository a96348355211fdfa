"""Everything a report notebook needs for one municipality and year, computed once.

``season_context`` loads and validates the municipality's seasons, resolves the
parameters and computes every year up to the one asked for. ``shnor report``
computes these anyway to write the tables, so it stores them in a cache folder
(``SHNOR_CACHE_DIR``) and the notebooks it runs — the season report and every
school card — read them instead of recomputing. The cache is keyed by the input
files' SHA-256, the parameters and the package version, so a stale entry is never
used; without the variable (a researcher in JupyterLab) everything is computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..config.params import load_project_params, params_digest
from ..io.atomic import atomic_write_bytes
from ..io.readers import list_seasons, sha256_file
from ..pipeline import Dataset, SeasonResult, compute_season, load_dataset
from ..pipeline.support import SupportResult

__all__ = ["CACHE_ENV", "SeasonContext", "build_context", "season_context", "store_context"]

CACHE_ENV = "SHNOR_CACHE_DIR"
log = logging.getLogger(__name__)
# What reading a truncated, overwritten or outdated pickle raises (the file itself, its shape,
# or classes that moved since it was written).
_DAMAGED = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError,
            ValueError)


@dataclass
class SeasonContext:
    """Loaded data, parameters and the results of every loaded year up to ``year``."""

    municipality: str
    year: int
    data: Dataset
    params: dict
    results: dict[int, SeasonResult]
    history: list[SeasonResult]   # consecutive loaded years ending with ``year``, oldest first
    support: SupportResult        # sections 8–11 (indicators, risks, dynamics, leaders), from the pipeline

    @property
    def res(self) -> SeasonResult:
        """The result of the year asked for."""
        return self.results[self.year]

    @property
    def prev(self) -> SeasonResult | None:
        """The previous year's result, when that year is loaded."""
        return self.results.get(self.year - 1)



def build_context(data: Dataset, municipality: str, year: int, params: dict,
                  results: dict[int, SeasonResult]) -> SeasonContext:
    """Assemble a context from computed seasons, adding the consecutive history and sections 8–11."""
    from .cards import season_history, support_context

    history = season_history(data, municipality, year, params, known=tuple(results.values()))
    return SeasonContext(municipality, year, data, params, dict(results), history,
                         support_context(data, history))


def _key(data_root: Path, municipality: str, year: int, params: dict) -> str:
    files = []
    for m, y in list_seasons(data_root, municipality, "all"):
        if y <= year:
            files += [(str(p.relative_to(data_root)), sha256_file(p))
                      for p in sorted((data_root / m / str(y)).iterdir()) if p.is_file()]
    blob = json.dumps({"files": files, "params": params_digest(params), "version": __version__,
                       "year": year}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_file(cache_dir: Path, municipality: str, year: int) -> Path:
    return cache_dir / f"{municipality}-{year}.pkl"


def store_context(ctx: SeasonContext, data_root: str | Path, cache_dir: str | Path) -> Path:
    """Write ``ctx`` to the cache under its key (atomically)."""
    root = Path(data_root).resolve()
    key = _key(root, ctx.municipality, ctx.year, ctx.params)
    path = _cache_file(Path(cache_dir), ctx.municipality, ctx.year)
    return atomic_write_bytes(path, pickle.dumps((key, ctx), protocol=pickle.HIGHEST_PROTOCOL))


def season_context(data_root: str | Path, municipality: str, year: int, params_file: str | Path | None = None,
                   *, strict: bool = False) -> SeasonContext:
    """Load, validate and compute a municipality's seasons up to ``year``.

    Parameters
    ----------
    data_root : path
        The folder of seasons (``data_raw``).
    municipality, year : the season of the report.
    params_file : path, optional
        An extra parameter file applied after ``parameters/<municipality>.yml``.

    Returns
    -------
    SeasonContext
        From the cache (``$SHNOR_CACHE_DIR``) when an entry with the same inputs,
        parameters and version exists; computed otherwise.
    """
    root = Path(data_root).resolve()
    year = int(year)
    params = load_project_params(root, municipality, params_file)
    cache_dir = os.environ.get(CACHE_ENV)
    if cache_dir:
        path = _cache_file(Path(cache_dir), municipality, year)
        if path.exists():
            key = _key(root, municipality, year, params)
            try:
                stored_key, ctx = pickle.loads(path.read_bytes())
            except _DAMAGED as exc:  # a damaged or outdated cache entry is recomputed, never trusted
                log.info("cache entry %s not used (%s: %s)", path, type(exc).__name__, exc)
                stored_key, ctx = None, None
            if stored_key == key:
                return ctx
    data = load_dataset(root, municipality, strict=strict, params_for={municipality: params})
    years = sorted(y for m, y in data.seasons if m == municipality and y <= year)
    # the support analyses of the report's year only, over these results (build_context)
    results = {y: compute_season(data, municipality, y, params, support=False) for y in years}
    ctx = build_context(data, municipality, year, params, results)
    if cache_dir:
        store_context(ctx, root, cache_dir)
    return ctx

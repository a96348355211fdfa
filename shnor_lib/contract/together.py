"""Many seasons validated at once (the fast path of :func:`shnor_lib.contract.validate.validate_seasons`).

The per-file cost of pandas dominates a region of small files, so the files of one stem are
stacked and each column is converted and checked once for all of them. The checks are the
same functions the per-season path uses, generated from the same declarations
(:func:`shnor_lib.contract.cells.cell_verdict`, :func:`shnor_lib.contract.checks.violates_declared`,
the vocabulary and risk-factor checks, the contract's keys); but this path words nothing:
as soon as any check finds anything — or anything the per-season path would record (totals
rows, cells with «%», readings through the vocabulary, ФИС ОКО exports) — it gives up with
None, and the seasons are validated one by one, for their exact messages and ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io.readers import ROW, RawFile, RawSeason
from .cells import cell_verdict, distinct_codes
from .checks import limit_total, risk_values, violates_declared, vocabulary_findings
from .marks import journal_shares, reconcile_marks, systematic_quarantine, usual_marks
from .schema import CONTRACT
from .season import Season, issues_frame, unknown_columns

__all__ = ["validate_together"]


@dataclass
class _Stacked:
    """Typed rows of one stem's files with the same columns, stacked; ``season`` numbers the
    season of each row, ``bounds`` delimit the files (file k is rows bounds[k]:bounds[k+1])."""

    members: list[int]
    table: pd.DataFrame
    bounds: np.ndarray
    season: np.ndarray


def _typed_together(files: list[RawFile], members: list[int]) -> list[_Stacked] | None:
    """:func:`_typed` of files of one stem (of seasons ``members``), stacked per column
    layout; None when any cell is a problem."""
    spec = CONTRACT[files[0].stem]
    layouts: dict[tuple, list[int]] = {}
    for i, rf in enumerate(files):
        layouts.setdefault(tuple(rf.frame.columns), []).append(i)
    out = []
    for columns, which in layouts.items():
        frames = [files[i].frame for i in which]
        big = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        n = len(big)
        data: dict[str, np.ndarray] = {ROW: big[ROW].astype(int).to_numpy()}
        for c in spec.columns:
            if c.name not in columns:
                data[c.name] = np.full(n, np.nan) if c.kind != "str" else np.full(n, None, dtype=object)
                continue
            codes, uniques = distinct_codes(big[c.name])
            verdicts = [cell_verdict(str(u).strip(), c) for u in uniques]
            # a problem, or a cell with «%» (a row of percentages, a journal unit to check)
            if any(p or pct for _, p, pct in verdicts):
                return None
            values = np.empty(len(verdicts), dtype=object if c.kind == "str" else float)
            for k, (value, _, _) in enumerate(verdicts):
                values[k] = value
            data[c.name] = values[codes]
        # Extra columns are kept verbatim (monitoring fields of a custom catalogue, notes).
        for name in columns:
            if name not in data and name != ROW:
                data[name] = big[name].to_numpy(dtype=object)
        table = pd.DataFrame({k: pd.Series(v, dtype=v.dtype) for k, v in data.items()})
        sizes = [len(f) for f in frames]
        season = np.repeat(np.array([members[i] for i in which], dtype=int), sizes)
        out.append(_Stacked([members[i] for i in which], table, np.cumsum([0, *sizes]), season))
    return out


def _rows(groups: list[_Stacked], cols: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Columns ``cols`` of every file of a stem and the season of each row."""
    if len(groups) == 1:
        return groups[0].table[cols], groups[0].season
    return (pd.concat([g.table[cols] for g in groups], ignore_index=True),
            np.concatenate([g.season for g in groups]))


def _totals_by_school(stacked: dict[str, list[_Stacked]], df: pd.DataFrame, season: np.ndarray):
    """For a declared total in another file: that file's total of each row's school in the
    row's season (NaN where unknown; a school's first row where it has several)."""
    rows = pd.MultiIndex.from_arrays([season, df["school_id"].to_numpy(dtype=object)])

    def totals_of(stem: str, total: str) -> np.ndarray | None:
        if stem not in stacked:
            return None
        other, o_season = _rows(stacked[stem], ["school_id", total])
        index = pd.MultiIndex.from_arrays([o_season, other["school_id"].to_numpy(dtype=object)])
        per_school = pd.Series(other[total].to_numpy(dtype=float), index=index)
        per_school = per_school[~index.duplicated()]
        return per_school.reindex(rows).to_numpy()

    return totals_of


def validate_together(raws: list[RawSeason], strict: bool = False,
                      quarantine: tuple[float, int] | None = None) -> list[Season] | None:
    """Seasons validated together, or None when any season has anything to word (then each
    season is validated on its own by :func:`~shnor_lib.contract.validate.validate_season`,
    for its exact messages and ledger).

    Parameters
    ----------
    raws : list of RawSeason
        As returned by :func:`shnor_lib.io.readers.read_season`.
    strict, quarantine : as ``strict`` and ``limits`` of ``validate_season``.

    Returns
    -------
    list of Season or None
        Exactly what ``validate_season`` gives for each season, in order; or None.
    """
    # problems, exports to merge or totals rows to ledger: the per-season path words them
    if any(raw.problems or raw.fisoko is not None or any(rf.skipped for rf in raw.files.values()) for raw in raws):
        return None
    stems = list(dict.fromkeys(stem for raw in raws for stem in raw.files))  # contract order
    stacked: dict[str, list[_Stacked]] = {}
    for stem in stems:
        members = [i for i, raw in enumerate(raws) if stem in raw.files]
        groups = _typed_together([raws[i].files[stem] for i in members], members)
        if groups is None:
            return None
        stacked[stem] = groups

    # Structural checks over all seasons at once; any finding sends the chunk to the
    # per-season path, which words the messages.
    schools, s_season = _rows(stacked["schools"], ["school_id"])
    known = pd.MultiIndex.from_arrays([s_season, schools["school_id"].to_numpy(dtype=object)])
    if known.has_duplicates:
        return None
    for stem in stems:
        key = list(CONTRACT[stem].key)
        df, season = _rows(stacked[stem], list(dict.fromkeys(["school_id", *key])))
        if stem != "schools":
            if not pd.MultiIndex.from_arrays([season, df["school_id"].to_numpy(dtype=object)]).isin(known).all():
                return None
        if stem != "results" and df.assign(_season=season).duplicated(["_season", *key]).any():
            return None
    for g in stacked["results"]:
        res = g.table
        procs, subs, found, readings = vocabulary_findings(res, res[ROW].to_numpy())
        if found or readings:
            return None  # the per-season path records the readings
        res["procedure"], res["subject"] = procs, subs
    key = list(CONTRACT["results"].key)
    res_all, r_season = _rows(stacked["results"], key)
    if res_all.assign(_season=r_season).duplicated(["_season", *key]).any():
        return None
    # The checks declared on the columns (bounds, totals), file by file.
    for stem, groups in stacked.items():
        spec = CONTRACT[stem]
        if not spec.bounded and not spec.limited:
            continue
        same_file = [limit_total(c)[1] for c in spec.limited if not limit_total(c)[0]]
        cols = list(dict.fromkeys(["school_id", *(c.name for c in spec.bounded), *(c.name for c in spec.limited),
                                   *same_file]))
        df, season = _rows(groups, cols)
        if violates_declared(spec, df, _totals_by_school(stacked, df, season)):
            return None
    risk_lists: dict[int, tuple] = {}  # groups whose lists go in season by season
    for gi, g in enumerate(stacked.get("risk_profiles", [])):
        codes, names, levels, errors = risk_values(g.table)
        if errors:
            return None
        if any(c is None for c in codes):
            # factor_code is int64 in a season where every factor is known, float64 where
            # one is not: assigned season by season, as validate_season does
            risk_lists[gi] = (codes, names, levels)
        else:
            g.table["factor_code"], g.table["factor_name"], g.table["significance"] = codes, names, levels
    unusual = []
    for g in stacked["results"]:
        # journal shares are computed row by row, so stacked or one season at a time alike
        journal_shares(g.table)
        unusual.append(~usual_marks(g.table))

    tables: list[dict[str, pd.DataFrame]] = [{} for _ in raws]
    odd: set[int] = set()
    for stem, groups in stacked.items():
        for gi, g in enumerate(groups):
            for k, i in enumerate(g.members):
                a, b = g.bounds[k], g.bounds[k + 1]
                table = g.table.iloc[a:b].reset_index(drop=True)
                if stem == "results" and unusual[gi][a:b].any():
                    odd.add(i)
                if stem == "risk_profiles" and gi in risk_lists:
                    codes, names, levels = (x[a:b] for x in risk_lists[gi])
                    table["factor_code"], table["factor_name"], table["significance"] = codes, names, levels
                tables[i][stem] = table
    seasons = []
    for i, (raw, t) in enumerate(zip(raws, tables)):
        issues: list[dict] = []
        if i in odd:
            n_rows = len(t["results"])
            res = reconcile_marks(t["results"], raw.files["results"], issues, raw.municipality, raw.year)
            if res.empty or (strict and issues) or systematic_quarantine(raw.municipality, n_rows, issues, quarantine):
                return None  # the per-season path words the error
            t["results"] = res.reset_index(drop=True)
        checksums = {str(rf.path): rf.sha256 for rf in raw.files.values()}
        seasons.append(Season(raw.municipality, raw.year, t, issues_frame(issues), checksums,
                              unknown_columns=unknown_columns(raw)))
    return seasons



"""Two-tier validation of a season (Методика §10, docs/methodology/data-contract.md).

Structural errors (missing file or column, blank required cell, unparseable or infinite
number, a percentage in a count or score, unknown school, duplicate key, negative count,
count above the total, a value outside its list or range, a ``results`` file with no usable
row or with more rows left out than ``validation.max_quarantined_share``) are collected
— all of them, with file, row and column — and raised together as
:class:`~shnor_lib.errors.DataValidationError`: the run stops and nothing is written.

Row-level inconsistencies of ``results`` are not errors: the row is converted
(percentages → counts, blank marks → 0 when the rest adds up) or quarantined (marks
that do not add up), and every such row is listed in the issues table with its
reason and original values; so are the totals rows the reader left out of any file
(«пропущена»). ``strict=True`` turns each of them into an error.

What is checked is declared in :mod:`.schema`; how a cell is read is :mod:`.cells`, the
checks of typed tables :mod:`.checks`, the reading of marks :mod:`.marks`. This module
runs them over one season in the order the messages follow (file by file, then row by
row); :func:`validate_seasons` validates many seasons at once through the same checks
(:mod:`.together`) and falls back to this path for anything it would have to word.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from ..io.fisoko import merge_exports
from ..io.readers import ROW, RawFile, RawSeason
from .cells import cell_verdict, distinct_codes, parse_number
from .checks import Finding, bounds_findings, limit_findings, risk_values, rows_text, vocabulary_findings
from .marks import (
    JOURNAL,
    MARKS,
    journal_shares,
    quarantine_limits,
    reconcile_marks,
    systematic_quarantine,
)
from .schema import CONTRACT
from .season import (
    ISSUE_COLUMNS,
    READING_COLUMNS,
    Season,
    file_display,
    in_file_order,
    issues_frame,
    skipped_issues,
    unknown_columns,
)
from .together import validate_together

__all__ = ["Season", "validate_season", "validate_seasons", "ISSUE_COLUMNS", "parse_number", "MARKS",
           "quarantine_limits", "copied_results"]


class _Collector:
    """The problems of one file, each naming the file, the row and the column as the user wrote it."""

    def __init__(self, raw: RawFile):
        self.raw = raw
        self.problems: list[Problem] = []

    def add(self, row: int | None, column: str | None, message: str, hint: str = "") -> None:
        label = self.raw.label(column) if column else None
        self.problems.append(Problem(file_display(self.raw), row, label, message, hint))

    def add_findings(self, findings: list[Finding], rows: np.ndarray) -> None:
        """Word findings: a row of its own, or one message listing the rows of a repeated value."""
        for _, positions, column, message, hint in findings:
            if len(positions) == 1:
                self.add(int(rows[positions[0]]), column, message, hint)
            elif "(строки" in message:
                self.add(None, column, message, hint)
            else:
                self.add(None, column, f"{message[:-1]} ({rows_text(rows[positions])}).", hint)


def _typed(raw: RawFile, col: _Collector) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Convert text cells to the contract's types, recording problems; also, per column with
    any cell written with «%» (marks, shares), which rows were."""
    spec = CONTRACT[raw.stem]
    frame = raw.frame
    out = pd.DataFrame({ROW: frame[ROW].astype(int)})
    rownums = frame[ROW].tolist()
    percent: dict[str, np.ndarray] = {}
    for c in spec.columns:
        if c.name not in frame.columns:
            out[c.name] = np.nan if c.kind != "str" else None
            continue
        # A column repeats few distinct texts (counts, subjects, «да»): judge each text once.
        codes, uniques = distinct_codes(frame[c.name])
        verdicts = [cell_verdict(str(u).strip(), c) for u in uniques]
        values = np.empty(len(verdicts), dtype=object if c.kind == "str" else float)
        for i, (value, _, _) in enumerate(verdicts):
            values[i] = value
        bad = np.array([bool(p) for _, p, _ in verdicts], dtype=bool)
        if bad.any():
            for pos in np.flatnonzero(bad[codes]).tolist():
                for message, hint in verdicts[codes[pos]][1]:
                    col.add(rownums[pos], c.name, message, hint)
        pct = np.array([p for _, _, p in verdicts], dtype=bool)
        if pct.any():
            percent[c.name] = pct[codes]
        out[c.name] = pd.Series(values[codes] if len(codes) else values[:0], index=frame.index,
                                dtype=object if c.kind == "str" else float)
    # Extra columns are kept verbatim (monitoring fields of a custom catalogue, notes).
    for name in frame.columns:
        if name not in out.columns and name != ROW:
            out[name] = frame[name].astype(object)
    return out, percent


def _check_journal_percent(raw: RawFile, percent: dict[str, np.ndarray], col: _Collector) -> None:
    """Journal shares of one row written partly with «%» and partly without: which unit is meant
    is unclear (15%, 80, 5 — percentages or counts?), so the row is an error."""
    marked = [percent[c] for c in JOURNAL if c in percent]
    if not marked:
        return
    present = [c for c in JOURNAL if c in raw.frame.columns]
    any_pct = np.logical_or.reduce(marked)
    for pos in np.flatnonzero(any_pct).tolist():
        texts = {c: str(raw.frame[c].iloc[pos]).strip() for c in present}
        plain = [c for c in present if texts[c] and not (c in percent and percent[c][pos])]
        if plain:
            shown = ", ".join(f"«{texts[c]}»" for c in present if texts[c])
            col.add(int(raw.frame[ROW].iloc[pos]), plain[0],
                    f"доли по журналу записаны по-разному ({shown}): одни со знаком %, другие без — "
                    "непонятно, проценты это или число человек.",
                    "Запишите все три одинаково: в процентах (15%), в долях (0,15) или числом человек.")


def _check_keys(df: pd.DataFrame, raw: RawFile, col: _Collector, key: tuple[str, ...]) -> None:
    # Rows with a blank key part are already reported as blank required cells.
    df = df[[*key, ROW]].dropna(subset=list(key))
    if df.empty:
        return
    dup = df.duplicated(list(key), keep=False)
    if dup.any():
        first_seen: dict[tuple, int] = {}
        for _, r in df[dup].iterrows():
            k = tuple(int(r[c]) if isinstance(r[c], float) and r[c].is_integer() else r[c] for c in key)
            if k in first_seen:
                col.add(int(r[ROW]), key[-1], f"повтор записи {', '.join(map(str, k))} (уже в строке {first_seen[k]}).",
                        "Удалите дубликат или исправьте ключ.")
            else:
                first_seen[k] = int(r[ROW])


def _check_known_schools(df: pd.DataFrame, known: set[str], col: _Collector) -> None:
    ids = df["school_id"].to_numpy(dtype=object)
    unknown = np.fromiter((sid is not None and sid not in known for sid in ids), dtype=bool, count=len(ids))
    rows = df[ROW].to_numpy()
    for pos in np.flatnonzero(unknown):
        col.add(int(rows[pos]), "school_id", f"неизвестный код ОО «{ids[pos]}» — его нет в файле schools.",
                "Добавьте школу в schools или исправьте код.")


def _risk_factors(rp: pd.DataFrame, col: _Collector) -> None:
    """Factor numbers or names → ``factor_code`` / ``factor_name``; significance levels (in place)."""
    codes, names, levels, errors = risk_values(rp)
    rows = rp[ROW].to_numpy()
    for pos, column, message in errors:
        col.add(int(rows[pos]), column, message)
    rp["factor_code"], rp["factor_name"], rp["significance"] = codes, names, levels


def _totals_by_school(tables: dict[str, pd.DataFrame], df: pd.DataFrame):
    """For a declared total in another file: that file's total of each row's school (NaN where unknown)."""

    def totals_of(stem: str, total: str) -> np.ndarray | None:
        other = tables.get(stem)
        if other is None:
            return None
        # Duplicate or blank codes in the other file are reported on their own; map each code once.
        per_school = other.dropna(subset=["school_id"]).drop_duplicates("school_id").set_index("school_id")[total]
        return df["school_id"].map(per_school).to_numpy(dtype=float)

    return totals_of


def _check_declared(stem: str, tables: dict[str, pd.DataFrame], raw: RawFile, col: _Collector,
                    bounds: bool = True) -> None:
    """The checks declared on the columns of ``stem`` (bounds, totals), worded row by row."""
    df, spec = tables[stem], CONTRACT[stem]
    rows = df[ROW].to_numpy()
    if bounds:
        col.add_findings(bounds_findings(spec, df), rows)
    col.add_findings(limit_findings(spec, df, _totals_by_school(tables, df), raw.label), rows)


def validate_season(raw: RawSeason, strict: bool = False, limits: tuple[float, int] | None = None) -> Season:
    """Type and check every file of a season.

    Parameters
    ----------
    raw : RawSeason
        As returned by :func:`shnor_lib.io.readers.read_season`.
    strict : bool
        Turn every conversion or quarantine into a structural error.
    limits : (float, int), optional
        Largest share of ``results`` rows that may be left out and the number of left-out
        rows from which the share applies; default :func:`quarantine_limits` of the
        season's municipality (read only when a row is left out).

    Returns
    -------
    Season
        Typed tables and the issues ledger (see ``ISSUE_COLUMNS``).

    Raises
    ------
    DataValidationError
        With every structural problem found (file, row, column, what to do).
    """
    problems = list(raw.problems)
    tables: dict[str, pd.DataFrame] = {}
    collectors: dict[str, _Collector] = {}
    read_as: list[dict] = []
    marks_percent = None
    for stem, rf in raw.files.items():
        col = _Collector(rf)
        collectors[stem] = col
        df, percent = _typed(rf, col)
        if stem != "results":  # results are checked on canonical procedure names below
            _check_keys(df, rf, col, CONTRACT[stem].key)
        else:
            _check_journal_percent(rf, percent, col)
            marked = [percent[m] for m in MARKS if m in percent]
            marks_percent = np.logical_or.reduce(marked) if marked else None
        tables[stem] = df

    schools = tables.get("schools")
    known = set(schools["school_id"].dropna()) if schools is not None else set()
    for stem, df in tables.items():
        if stem != "schools" and schools is not None:
            _check_known_schools(df, known, collectors[stem])

    if "results" in tables:
        res, col = tables["results"], collectors["results"]
        rows = res[ROW].to_numpy()
        procs, subs, found, readings = vocabulary_findings(res, rows)
        shown = file_display(raw.files["results"])
        read_as = [{"file": shown, "column": raw.files["results"].label(c), "written": w, "read_as": n, "rows": k}
                   for c, w, n, k in readings]
        # A grade outside its bounds is worded among the vocabulary's findings, in row order.
        col.add_findings(sorted(found + bounds_findings(CONTRACT["results"], res), key=lambda f: f[0]), rows)
        res["procedure"], res["subject"] = procs, subs
        # Duplicates are checked again on canonical values (ГИА-9 and ОГЭ are the same procedure).
        _check_keys(res.dropna(subset=["procedure"]), raw.files["results"], col, CONTRACT["results"].key)
        _check_declared("results", tables, raw.files["results"], col, bounds=False)
    if "risk_profiles" in tables:
        _risk_factors(tables["risk_profiles"], collectors["risk_profiles"])
    for stem in tables:
        if stem != "results":
            _check_declared(stem, tables, raw.files[stem], collectors[stem])

    # -- ФИС ОКО exports (shnor_lib.io.fisoko): logins → codes, checked against results; appended below
    merged = None
    if raw.fisoko is not None and "results" in tables:
        merged = merge_exports(raw.fisoko, tables["results"], raw.files["results"], schools,
                               raw.files.get("schools"), raw.municipality, raw.year)
        tables["results"] = merged.results
    # --
    for col in collectors.values():
        problems.extend(col.problems)
    if merged is not None:
        problems.extend(merged.problems)
    if problems:
        raise DataValidationError(problems)

    issues: list[dict] = skipped_issues(raw)
    if "results" in tables:
        reconciled: list[dict] = []
        res = reconcile_marks(tables["results"], raw.files["results"], reconciled, raw.municipality, raw.year,
                               marks_percent)
        issues = in_file_order(raw, issues + reconciled)
        if merged is not None:  # exported rows add up by construction; only rows of 0 pupils were left out
            res = merged.append_to(res)
            issues.extend(merged.issues)
        if res.empty and not strict:
            # Nothing left to compute on: stop and say why, row by row, instead of an empty season.
            display = file_display(raw.files["results"])
            raise DataValidationError(
                [Problem(display, None, None, f"ни одна строка не пригодна для расчёта: все строки ({len(reconciled)}) "
                         "исключены.", "Исправьте строки, перечисленные ниже.")]
                + [Problem(i["file"], i["row"], None, f"{i['action']}: {i['reason']}") for i in reconciled])
        systematic = systematic_quarantine(raw.municipality, len(tables["results"]), reconciled, limits)
        if systematic:
            raise DataValidationError(systematic)
        tables["results"] = journal_shares(res.copy())
    issues_df = issues_frame(issues)
    if strict and len(issues_df):
        raise DataValidationError([
            Problem(i["file"], i["row"], None, f"{i['action']}: {i['reason']}",
                    "Режим --strict: исправьте строку в исходном файле.")
            for i in issues
        ])
    for stem in tables:
        tables[stem] = tables[stem].reset_index(drop=True)
    checksums = {str(rf.path): rf.sha256 for rf in raw.files.values()}
    if raw.fisoko is not None:
        checksums.update(raw.fisoko.checksums)
    return Season(raw.municipality, raw.year, tables, issues_df, checksums,
                  pd.DataFrame(read_as, columns=READING_COLUMNS),
                  fisoko_reference=merged.reference if merged is not None else None,
                  unknown_columns=unknown_columns(raw))




def validate_seasons(raws: list[RawSeason], strict: bool = False, chunk_rows: int = 200_000,
                     limits: tuple[float, int] | None = None) -> list[Season]:
    """:func:`validate_season` of many seasons, typing and checking them together.

    Gives exactly what calling :func:`validate_season` on each season gives (the same
    tables, issues and errors, in the same order), but converts and checks each column
    once for many files: the per-file cost of pandas dominates a region of small files.
    Seasons go in chunks of about ``chunk_rows`` results rows (to bound memory); a chunk
    with any structural problem, or anything the per-season path words (totals rows,
    cells with «%», too many rows left out), is validated season by season, so that every
    message and ledger line is the one :func:`validate_season` writes. ``limits`` as in
    :func:`validate_season`.

    Raises
    ------
    DataValidationError
        With the problems of every season, in season order.
    """
    out: list[Season] = []
    problems: list[Problem] = []
    chunk: list[RawSeason] = []
    rows = 0
    for i, raw in enumerate(raws):
        chunk.append(raw)
        rows += len(raw.files["results"].frame) if "results" in raw.files else 0
        if rows >= chunk_rows or i == len(raws) - 1:
            fast = None if problems else validate_together(chunk, strict, limits)
            if fast is not None:
                out.extend(fast)
            else:
                for r in chunk:
                    try:
                        out.append(validate_season(r, strict=strict, limits=limits))
                    except DataValidationError as exc:
                        problems.extend(exc.problems)
            chunk, rows = [], 0
    if problems:
        raise DataValidationError(problems)
    return out




# ---------------------------------------------------------------- across seasons

_COPY_COLUMNS = ["subject", "grade", "participants", *MARKS, "failed", "high", "mean_score"]


def _results_display(season: Season) -> str:
    path = next((p for p in season.checksums if p.replace("\\", "/").split("/")[-1].startswith("results.")), "results")
    return "/".join(path.replace("\\", "/").split("/")[-4:])


def copied_results(previous: Season, current: Season) -> pd.DataFrame:
    """Warnings for schools whose rows of a procedure repeat the previous year's exactly.

    Real results never repeat a year's subjects, grades, participants and marks row for
    row; a copied file or folder does, and it makes «два года подряд» fire on one year's
    numbers. Each such (school, procedure) gets one ``предупреждение`` in the issues ledger
    (the rows stay in the computation: they may be right, a person has to look).
    """
    a, b = previous.results, current.results
    if a.empty or b.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)

    def signatures(df: pd.DataFrame) -> pd.DataFrame:
        # A (school, procedure) is its multiset of rows: a hash of each row, summed (order-free).
        h = pd.util.hash_pandas_object(df[_COPY_COLUMNS].astype(object).where(df[_COPY_COLUMNS].notna(), None),
                                       index=False).astype("uint64")
        g = pd.DataFrame({"school_id": df["school_id"], "procedure": df["procedure"], "h": h, "n": 1,
                          ROW: df[ROW]})
        return g.groupby(["school_id", "procedure"], sort=False).agg(h=("h", "sum"), n=("n", "sum"),
                                                                      first=(ROW, "min")).reset_index()

    same = signatures(b).merge(signatures(a), on=["school_id", "procedure", "h", "n"], suffixes=("", "_prev"))
    out = []
    file = _results_display(current)
    for r in same.itertuples(index=False):
        # Confirm exactly (a hash sum could collide): the same rows, in any order.
        rows_b = b[(b["school_id"] == r.school_id) & (b["procedure"] == r.procedure)][_COPY_COLUMNS]
        rows_a = a[(a["school_id"] == r.school_id) & (a["procedure"] == r.procedure)][_COPY_COLUMNS]
        key = _COPY_COLUMNS[:2]
        if not rows_b.sort_values(key).reset_index(drop=True).equals(rows_a.sort_values(key).reset_index(drop=True)):
            continue
        n = int(r.n)
        word = "строка" if n % 10 == 1 and n % 100 != 11 else (
            "строки" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "строк")
        out.append({"municipality": current.municipality, "year": current.year, "file": file, "row": int(r.first),
                    "school_id": r.school_id, "procedure": r.procedure, "subject": "", "grade": "",
                    "action": "предупреждение",
                    "reason": f"все строки {r.procedure} этой школы ({n} {word}: предметы, классы, участники и "
                              f"отметки) совпадают со строками {previous.year} г. — похоже, данные скопированы с "
                              f"прошлого года. Проверьте их: иначе условие «два года подряд» сработает по одним и "
                              f"тем же числам.",
                    "original": ""})
    return pd.DataFrame(out, columns=ISSUE_COLUMNS)

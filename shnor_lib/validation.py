"""Two-tier validation of a season (METHODOLOGY §10).

Structural errors (missing file or column, blank required cell, unparseable or infinite
number, unknown school, duplicate key, negative count, count above the total, a value
outside its list or range, a ``results`` file with no usable row) are collected
— all of them, with file, row and column — and raised together as
:class:`~shnor_lib.errors.DataValidationError`: the run stops and nothing is written.

Row-level inconsistencies of ``results`` are not errors: the row is converted
(percentages → counts, blank marks → 0 when the rest adds up) or quarantined (marks
that do not add up), and every such row is listed in the issues table with its
reason and original values. ``strict=True`` turns each of them into an error.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .contract import (
    CONTRACT,
    RISK_FACTOR_ALIASES,
    RISK_FACTORS,
    SIGNIFICANCE_LEVELS,
    canonical_procedure,
    canonical_subject,
    normalize_label,
)
from .errors import DataValidationError, Problem
from .readers import ROW, RawFile, RawSeason

__all__ = ["Season", "validate_season", "ISSUE_COLUMNS", "parse_number", "MARKS"]

MARKS = ["n2", "n3", "n4", "n5"]
ISSUE_COLUMNS = ["municipality", "year", "file", "row", "school_id", "procedure", "subject", "grade",
                 "action", "reason", "original"]
_NUM_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_YES = {"да", "yes", "1", "true", "+", "есть"}
_NO = {"нет", "no", "0", "false", "-", "—"}


@dataclass
class Season:
    """A validated season: typed tables keyed by contract file stem, plus the issues ledger."""

    municipality: str
    year: int
    tables: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    checksums: dict[str, str] = field(default_factory=dict)  # file path -> sha256

    def has(self, stem: str) -> bool:
        return stem in self.tables and not self.tables[stem].empty

    @property
    def schools(self) -> pd.DataFrame:
        return self.tables["schools"]

    @property
    def results(self) -> pd.DataFrame:
        return self.tables["results"]


def parse_number(text: str) -> float | None:
    """Parse ``12``, ``12,5``, ``1 234``, ``12.5`` ; None for blank; NaN for unparseable."""
    s = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if s == "":
        return None
    if s.endswith("%"):
        s = s[:-1]
    if not _NUM_RE.match(s):
        return math.nan
    value = float(s.replace(",", "."))
    # «1e309» overflows to infinity: no count or score is infinite, so it is not a number.
    return value if math.isfinite(value) else math.nan


class _Collector:
    def __init__(self, raw: RawFile):
        self.raw = raw
        self.problems: list[Problem] = []

    def add(self, row: int | None, column: str | None, message: str, hint: str = "") -> None:
        label = self.raw.label(column) if column else None
        self.problems.append(Problem(str(self._display()), row, label, message, hint))

    def _display(self) -> str:
        parts = self.raw.path.parts
        return "/".join(parts[-4:])


def _typed(raw: RawFile, col: _Collector) -> pd.DataFrame:
    """Convert text cells to the contract's types, recording problems."""
    spec = CONTRACT[raw.stem]
    frame = raw.frame
    out = pd.DataFrame({ROW: frame[ROW].astype(int)})
    for c in spec.columns:
        if c.name not in frame.columns:
            out[c.name] = np.nan if c.kind != "str" else None
            continue
        cells = frame[c.name].astype(str)
        values: list = []
        for cell, rownum in zip(cells, frame[ROW]):
            cell = cell.strip()
            if cell == "":
                if c.required:
                    col.add(rownum, c.name, "пустая обязательная ячейка.", "Заполните её.")
                values.append(None if c.kind == "str" else np.nan)
                continue
            if c.kind == "str":
                values.append(cell)
            elif c.kind == "yesno":
                key = normalize_label(cell)
                if key in _YES:
                    values.append(1.0)
                elif key in _NO:
                    values.append(0.0)
                else:
                    col.add(rownum, c.name, f"значение «{cell}» — ожидается «да» или «нет».")
                    values.append(np.nan)
            else:
                num = parse_number(cell)
                if num is None or math.isnan(num):
                    col.add(rownum, c.name, f"значение «{cell}» не является числом.",
                            "Исправьте его (допустимы цифры и десятичная запятая).")
                    values.append(np.nan)
                    continue
                # z-scores (ИСБШ, ИУРШ) are the contract's only signed quantities; counts, shares
                # and scores below zero are typos.
                if num < 0 and c.unit != "z":
                    col.add(rownum, c.name, f"отрицательное значение {cell}.", "Количество не может быть меньше нуля.")
                if c.kind == "int" and not float(num).is_integer():
                    col.add(rownum, c.name, f"значение «{cell}» должно быть целым числом (количество).")
                values.append(num)
        out[c.name] = pd.Series(values, index=frame.index, dtype=object if c.kind == "str" else float)
    # Extra columns are kept verbatim (monitoring fields of a custom catalogue, notes).
    for name in frame.columns:
        if name not in out.columns and name != ROW:
            out[name] = frame[name]
    return out


def _check_keys(df: pd.DataFrame, raw: RawFile, col: _Collector, key: tuple[str, ...]) -> None:
    # Rows with a blank key part are already reported as blank required cells.
    df = df.dropna(subset=list(key))
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
    for _, r in df.iterrows():
        sid = r["school_id"]
        if sid is not None and sid not in known:
            col.add(int(r[ROW]), "school_id", f"неизвестный код ОО «{sid}» — его нет в файле schools.",
                    "Добавьте школу в schools или исправьте код.")


def _check_not_above(df: pd.DataFrame, cols: list[str], total: str, col: _Collector, total_label: str) -> None:
    for c in cols:
        if c not in df.columns:
            continue
        bad = df[c].notna() & df[total].notna() & (df[c] > df[total])
        for _, r in df[bad].iterrows():
            col.add(int(r[ROW]), c, f"значение {r[c]:g} больше, чем «{total_label}» ({r[total]:g}).")


def _fmt(v: float) -> str:
    return "" if pd.isna(v) else f"{v:g}".replace(".", ",")


def _largest_remainder(shares: list[float], total: int) -> list[int]:
    raw = [s * total / 100.0 for s in shares]
    base = [math.floor(x) for x in raw]
    rest = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def _reconcile_marks(res: pd.DataFrame, raw: RawFile, issues: list[dict], municipality: str, year: int) -> pd.DataFrame:
    """Convert or quarantine rows whose mark distribution does not match participants."""
    keep = []
    display = "/".join(raw.path.parts[-4:])
    for idx, r in res.iterrows():
        original = "; ".join(f"{raw.label(c)}={raw.frame.at[idx, c]}" for c in raw.frame.columns
                             if c != ROW and not c.startswith("_extra:"))

        def issue(action: str, reason: str) -> None:
            issues.append({"municipality": municipality, "year": year, "file": display, "row": int(r[ROW]),
                           "school_id": r["school_id"], "procedure": r["procedure"], "subject": r["subject"],
                           "grade": int(r["grade"]), "action": action, "reason": reason, "original": original})

        n = r["participants"]
        if n == 0:
            issue("исключена", "нет участников (0).")
            keep.append(False)
            continue
        if r["procedure"] == "ЕГЭ":
            if pd.isna(r["failed"]):
                issue("исключена", "ЕГЭ: не указано число не преодолевших порог.")
                keep.append(False)
            elif r["failed"] > n or (pd.notna(r["high"]) and r["high"] > n):
                issue("исключена", f"ЕГЭ: не преодолели порог ({_fmt(r['failed'])}) или высокий балл "
                                   f"({_fmt(r['high'])}) больше числа участников ({_fmt(n)}).")
                keep.append(False)
            else:
                keep.append(True)
            continue
        marks = [r[m] for m in MARKS]
        if all(pd.isna(m) for m in marks):
            issue("исключена", "нет распределения отметок (все ячейки 2–5 пустые).")
            keep.append(False)
            continue
        blanks = [m for m, v in zip(MARKS, marks) if pd.isna(v)]
        values = [0.0 if pd.isna(v) else float(v) for v in marks]
        total = sum(values)
        shown = "+".join(_fmt(v) for v in values)
        if abs(total - n) < 1e-9 and all(float(v).is_integer() for v in values):
            if blanks:
                res.loc[idx, blanks] = 0.0
                issue("преобразована", f"пустые ячейки отметок ({', '.join('«' + b[1] + '»' for b in blanks)}) приняты за 0: "
                                       f"{shown} = {_fmt(n)} участников.")
            keep.append(True)
        elif abs(total - 100.0) <= 0.5 and n != 100:
            counts = _largest_remainder(values, int(n))
            res.loc[idx, MARKS] = [float(c) for c in counts]
            issue("преобразована", f"отметки указаны в процентах ({shown} = {_fmt(total)}%), пересчитаны в количество "
                                   f"от {_fmt(n)} участников: {'+'.join(map(str, counts))}.")
            keep.append(True)
        else:
            issue("исключена", f"сумма отметок {shown} = {_fmt(total)} не равна числу участников {_fmt(n)}.")
            keep.append(False)
    return res[pd.Series(keep, index=res.index, dtype=bool)] if len(res) else res


def _journal_shares(res: pd.DataFrame) -> pd.DataFrame:
    """Journal columns may be shares (≤1), percentages or counts; store shares of participants."""
    cols = ["journal_lowered", "journal_confirmed", "journal_raised"]
    vals = res[cols].astype(float)
    total = vals.sum(axis=1, min_count=1)
    as_counts = total > 1.5
    as_pct = as_counts & (total - 100).abs().le(1.0) & res["participants"].ne(100)
    denom = np.where(as_pct, 100.0, np.where(as_counts, res["participants"].astype(float), 1.0))
    for c in cols:
        res[c] = vals[c] / denom
    return res


def validate_season(raw: RawSeason, strict: bool = False) -> Season:
    """Type and check every file of a season.

    Parameters
    ----------
    raw : RawSeason
        As returned by :func:`shnor_lib.readers.read_season`.
    strict : bool
        Turn every conversion or quarantine into a structural error.

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
    for stem, rf in raw.files.items():
        col = _Collector(rf)
        collectors[stem] = col
        df = _typed(rf, col)
        if stem != "results":  # results are checked on canonical procedure names below
            _check_keys(df, rf, col, CONTRACT[stem].key)
        tables[stem] = df

    schools = tables.get("schools")
    known = set(schools["school_id"].dropna()) if schools is not None else set()
    for stem, df in tables.items():
        if stem != "schools" and schools is not None:
            _check_known_schools(df, known, collectors[stem])

    if "results" in tables:
        res, col = tables["results"], collectors["results"]
        procs, subs = [], []
        for _, r in res.iterrows():
            p = canonical_procedure(r["procedure"]) if r["procedure"] is not None else None
            if r["procedure"] is not None and p is None:
                col.add(int(r[ROW]), "procedure", f"неизвестная процедура «{r['procedure']}».",
                        "Допустимо: ВПР, ОГЭ (ГИА-9), ЕГЭ, ДКР, КДР.")
            procs.append(p)
            subs.append(canonical_subject(r["subject"]) if r["subject"] is not None else None)
            g = r["grade"]
            if pd.notna(g) and not (1 <= g <= 11):
                col.add(int(r[ROW]), "grade", f"класс {g:g} вне диапазона 1–11.")
        res["procedure"], res["subject"] = procs, subs
        # Duplicates are checked again on canonical values (ГИА-9 and ОГЭ are the same procedure).
        _check_keys(res.dropna(subset=["procedure"]), raw.files["results"], col,
                    ("school_id", "procedure", "subject", "grade"))
        if schools is not None:
            # Duplicate or blank codes in schools are reported on their own; map each code once.
            totals = (schools.dropna(subset=["school_id"]).drop_duplicates("school_id")
                      .set_index("school_id")["students_total"])
            res["_students_total"] = res["school_id"].map(totals)
            _check_not_above(res, ["participants"], "_students_total", col, "Число обучающихся (schools)")
            res = res.drop(columns="_students_total")
        tables["results"] = res

    if "social" in tables:
        soc = tables["social"]
        _check_not_above(soc, ["both_parents_higher_ed", "single_parent", "non_native_russian", "on_register",
                               "unemployed_parents", "ovz"], "students_total", collectors["social"],
                         raw.files["social"].label("students_total"))
    if "teachers" in tables:
        tea = tables["teachers"]
        _check_not_above(tea, ["higher_education", "category_highest", "category_first", "category_szd",
                               "experience_10plus"], "teachers_total", collectors["teachers"],
                         raw.files["teachers"].label("teachers_total"))
    if "risk_profiles" in tables:
        rp, col = tables["risk_profiles"], collectors["risk_profiles"]
        by_name = {normalize_label(v): k for k, v in RISK_FACTORS.items()}
        by_name.update({normalize_label(v): k for v, k in RISK_FACTOR_ALIASES.items()})
        lo, hi = min(RISK_FACTORS), max(RISK_FACTORS)
        codes, names, levels = [], [], []
        for _, r in rp.iterrows():
            f = r["factor"]
            num = parse_number(f) if f is not None else None
            if num is not None and not math.isnan(num) and num.is_integer() and int(num) in RISK_FACTORS:
                codes.append(int(num))
                names.append(RISK_FACTORS[int(num)])
            elif num is not None and not math.isnan(num):
                # A bare number outside the catalogue is a typo, not a factor of a regional list.
                col.add(int(r[ROW]), "factor", f"фактор «{f}» — ожидается номер {lo}–{hi} или название фактора.")
                codes.append(None)
                names.append(str(f))
            else:
                text = re.sub(r"^\s*\d+[.)]\s*", "", str(f))
                code = by_name.get(normalize_label(text))
                codes.append(code)
                names.append(RISK_FACTORS[code] if code else text)
            s = normalize_label(r["significance"]) if r["significance"] is not None else ""
            if r["significance"] is not None and s not in SIGNIFICANCE_LEVELS:
                col.add(int(r[ROW]), "significance", f"значимость «{r['significance']}» — ожидается "
                        "«высокая», «средняя» или «низкая».")
            levels.append(s)
        rp["factor_code"], rp["factor_name"], rp["significance"] = codes, names, levels
    if "indices" in tables:
        ind, col = tables["indices"], collectors["indices"]
        for c, lo, hi in (("isbsh_group", 1, 11), ("quality_group", 1, 11), ("iursh_group", 1, 4)):
            bad = ind[c].notna() & ~ind[c].between(lo, hi)
            for _, r in ind[bad].iterrows():
                col.add(int(r[ROW]), c, f"группа {r[c]:g} вне диапазона {lo}–{hi}.")

    for col in collectors.values():
        problems.extend(col.problems)
    if problems:
        raise DataValidationError(problems)

    issues: list[dict] = []
    if "results" in tables:
        res = _reconcile_marks(tables["results"], raw.files["results"], issues, raw.municipality, raw.year)
        if res.empty and not strict:
            # Nothing left to compute on: stop and say why, row by row, instead of an empty season.
            display = "/".join(raw.files["results"].path.parts[-4:])
            raise DataValidationError(
                [Problem(display, None, None, f"ни одна строка не пригодна для расчёта: все строки ({len(issues)}) "
                         "исключены.", "Исправьте строки, перечисленные ниже.")]
                + [Problem(i["file"], i["row"], None, f"{i['action']}: {i['reason']}") for i in issues])
        tables["results"] = _journal_shares(res.copy())
    issues_df = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    if strict and len(issues_df):
        raise DataValidationError([
            Problem(i["file"], i["row"], None, f"{i['action']}: {i['reason']}",
                    "Режим --strict: исправьте строку в исходном файле.")
            for i in issues
        ])
    for stem in tables:
        tables[stem] = tables[stem].reset_index(drop=True)
    checksums = {str(rf.path): rf.sha256 for rf in raw.files.values()}
    return Season(raw.municipality, raw.year, tables, issues_df, checksums)

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
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from ..io.readers import ROW, RawFile, RawSeason
from .schema import (
    CONTRACT,
    RISK_FACTOR_ALIASES,
    RISK_FACTORS,
    SIGNIFICANCE_LEVELS,
    normalize_label,
)
from .vocabulary import load_vocabulary, normalize_term

__all__ = ["Season", "validate_season", "validate_seasons", "ISSUE_COLUMNS", "parse_number", "MARKS",
           "quarantine_limits"]

MARKS = ["n2", "n3", "n4", "n5"]
ISSUE_COLUMNS = ["municipality", "year", "file", "row", "school_id", "procedure", "subject", "grade",
                 "action", "reason", "original"]
READING_COLUMNS = ["file", "column", "written", "read_as", "rows"]
_NUM_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
# Thousands separated by spaces (plain, no-break, narrow no-break, thin, figure): «1 234», «12 345,5».
_SPACES = " \u00a0\u202f\u2009\u2007"
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f\u2009\u2007]\d{3})+(?:[.,]\d+)?$")
_THOUSANDS_LIKE = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")  # «1.234»: 1234 in some locales, 1,234 in ours
_PERCENT_SIGNS = ("%", "\uff05")
JOURNAL = ["journal_lowered", "journal_confirmed", "journal_raised"]
# How a cell written with «%» is read, by column: marks make the row a row of percentages
# (converted from participants); shares become fractions; any other column refuses it.
_PERCENT_READING = {**{m: "marks" for m in MARKS}, **{j: "share" for j in JOURNAL}, "quality_index": "share"}
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
    # Spellings read through a vocabulary alias («Рус. яз.» → «русский язык»), for the record.
    readings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=READING_COLUMNS))
    # Region and municipality rows of ФИС ОКО exports (shnor_lib.io.fisoko.REFERENCE_COLUMNS), or None.
    fisoko_reference: pd.DataFrame | None = None
    # Headers the contract does not know, ignored: (file, header as written).
    unknown_columns: list[tuple[str, str]] = field(default_factory=list)

    def has(self, stem: str) -> bool:
        return stem in self.tables and not self.tables[stem].empty

    @property
    def schools(self) -> pd.DataFrame:
        return self.tables["schools"]

    @property
    def results(self) -> pd.DataFrame:
        return self.tables["results"]


def parse_number(text: str) -> float | None:
    """Parse ``12``, ``12,5``, ``1 234``, ``12.5`` ; None for blank; NaN for unparseable.

    A percent sign is not a number's part: «30%» is NaN here (the validator reads it
    by column, see ``_PERCENT_READING``). Spaces only group thousands: «12 5» is NaN.
    """
    value, percent = _parse(text)
    return math.nan if percent else value


def _parse(text: object) -> tuple[float | None, bool]:
    """The number in a cell and whether it was written with a percent sign («30%», «30 %»)."""
    s = str(text).strip()
    if s == "":
        return None, False
    percent = s.endswith(_PERCENT_SIGNS)
    if percent:
        s = s[:-1].rstrip()
    if any(ch in s for ch in _SPACES):
        if not _GROUPED_RE.match(s):
            return math.nan, percent
        s = "".join(ch for ch in s if ch not in _SPACES)
    if not _NUM_RE.match(s):
        return math.nan, percent
    value = float(s.replace(",", "."))
    # «1e309» overflows to infinity: no count or score is infinite, so it is not a number.
    return (value if math.isfinite(value) else math.nan), percent


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


def _distinct(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes and distinct values of a text column (``values[i] == uniques[codes[i]]``).

    A missing cell (None) stays None among the distinct values; ``pd.factorize`` would turn it into NaN.
    A categorical column (as the reader stores text) gives its own codes and categories.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = list(values.cat.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(uniques), codes)
            uniques.append(None)
        return codes, uniques
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    uniques = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(uniques), codes)
        uniques.append(None)
    return codes, uniques


def _cell_verdict(cell: str, c) -> tuple[object, list[tuple[str, str]], bool]:
    """Typed value of one (stripped) cell of column ``c``, the problems it raises, in order,
    and whether it was written with a percent sign (marks: the value is that percentage;
    shares: the value is the fraction, «15%» → 0.15)."""
    if cell == "":
        problems = [("пустая обязательная ячейка.", "Заполните её.")] if c.required else []
        return (None if c.kind == "str" else np.nan), problems, False
    if c.kind == "str":
        return cell, [], False
    if c.kind == "yesno":
        key = normalize_label(cell)
        if key in _YES:
            return 1.0, [], False
        if key in _NO:
            return 0.0, [], False
        return np.nan, [(f"значение «{cell}» — ожидается «да» или «нет».", "")], False
    num, percent = _parse(cell)
    if num is None or math.isnan(num):
        return np.nan, [(f"значение «{cell}» не является числом.",
                         "Исправьте его (допустимы цифры и десятичная запятая).")], False
    reading = _PERCENT_READING.get(c.name) if percent else None
    if percent and reading is None:
        # «30%» of pupils is not 30 pupils: a count (or a score) is never read from a percentage.
        if c.kind == "int":
            return np.nan, [(f"значение «{cell}» — процент, а в этом столбце количество (чел.).",
                             "Укажите число человек, а не процент.")], False
        return np.nan, [(f"значение «{cell}» — процент, а в этом столбце {c.unit or 'не доля'}.",
                         f"Уберите знак % и укажите значение в единицах столбца ({c.unit}).")], False
    problems = []
    # z-scores (ИСБШ, ИУРШ) are the contract's only signed quantities; counts, shares
    # and scores below zero are typos.
    if num < 0 and c.unit != "z":
        problems.append((f"отрицательное значение {cell}.", "Количество не может быть меньше нуля."))
    if c.kind == "int" and not float(num).is_integer():
        hint = ""
        if _THOUSANDS_LIKE.match(cell):
            whole = cell.replace(".", "").replace(",", "")
            hint = (f"Если это {whole} (точка или запятая отделяет тысячи), запишите {whole} "
                    "без разделителя или с пробелом.")
        problems.append((f"значение «{cell}» должно быть целым числом (количество).", hint))
    if reading == "share":
        num = num / 100.0
    return num, problems, percent


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
        codes, uniques = _distinct(frame[c.name])
        verdicts = [_cell_verdict(str(u).strip(), c) for u in uniques]
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


def _usual_marks(res: pd.DataFrame, percent: np.ndarray | None = None) -> np.ndarray:
    """Rows :func:`_reconcile_marks` keeps untouched and silently: participants, and either
    ЕГЭ with failed/high within participants, or integer marks (not written with «%»)
    adding up to participants."""
    n = res["participants"].to_numpy(dtype=float)
    ege = ~load_vocabulary().marked_mask(res["procedure"], res["subject"])  # scores with a threshold
    failed, high = res["failed"].to_numpy(dtype=float), res["high"].to_numpy(dtype=float)
    m = res[MARKS].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ege_ok = ege & ~np.isnan(failed) & ~(failed > n) & ~(high > n)
        total = m[:, 0] + m[:, 1] + m[:, 2] + m[:, 3]
        marks_ok = (~ege & ~np.isnan(m).any(axis=1) & (np.abs(total - n) < 1e-9)
                    & (np.floor(m) == m).all(axis=1))
    usual = (n != 0) & (ege_ok | marks_ok)
    return usual if percent is None else usual & ~percent


def _reconcile_marks(res: pd.DataFrame, raw: RawFile, issues: list[dict], municipality: str, year: int,
                     percent: np.ndarray | None = None) -> pd.DataFrame:
    """Convert or quarantine rows whose mark distribution does not match participants.

    ``percent`` marks the rows whose marks were written with «%»: they are percentages
    whatever they add up to. Each issue carries ``_kind``, its reason without the row's
    numbers (to count the reasons of a file).
    """
    display = "/".join(raw.path.parts[-4:])
    keep_all = np.ones(len(res), dtype=bool)
    if not len(res):
        return res
    # Most rows are consistent; they are kept as they are. Only the others go through the
    # row-by-row reasoning below (in file order, so the ledger keeps its order).
    unusual = np.flatnonzero(~_usual_marks(res, percent))
    shown_cols = [c for c in raw.frame.columns if c != ROW and not c.startswith("_extra:")]
    labels = [raw.label(c) for c in shown_cols]
    marks_now = res[MARKS].to_numpy(dtype=float).copy()  # conversions, written back at the end
    scored = ~load_vocabulary().marked_mask(res["procedure"], res["subject"])
    changed = False
    for pos, (idx, r) in zip(unusual, res.iloc[unusual].iterrows()):
        original = "; ".join(f"{label}={v}" for label, v in zip(labels, raw.frame.loc[idx, shown_cols].tolist()))

        def issue(action: str, reason: str, kind: str) -> None:
            issues.append({"municipality": municipality, "year": year, "file": display, "row": int(r[ROW]),
                           "school_id": r["school_id"], "procedure": r["procedure"], "subject": r["subject"],
                           "grade": int(r["grade"]), "action": action, "reason": reason, "original": original,
                           "_kind": kind})

        n = r["participants"]
        if n == 0:
            issue("исключена", "нет участников (0).", "нет участников (0)")
            keep_all[pos] = False
            continue
        if scored[pos]:
            if pd.isna(r["failed"]):
                issue("исключена", "ЕГЭ: не указано число не преодолевших порог.",
                      "ЕГЭ: не указано число не преодолевших порог")
                keep_all[pos] = False
            elif r["failed"] > n or (pd.notna(r["high"]) and r["high"] > n):
                issue("исключена", f"ЕГЭ: не преодолели порог ({_fmt(r['failed'])}) или высокий балл "
                                   f"({_fmt(r['high'])}) больше числа участников ({_fmt(n)}).",
                      "ЕГЭ: не преодолевших порог или высокобалльников больше, чем участников")
                keep_all[pos] = False
            continue
        marks = [r[m] for m in MARKS]
        if all(pd.isna(m) for m in marks):
            issue("исключена", "нет распределения отметок (все ячейки 2–5 пустые).",
                  "нет распределения отметок (все ячейки 2–5 пустые)")
            keep_all[pos] = False
            continue
        blanks = [m for m, v in zip(MARKS, marks) if pd.isna(v)]
        values = [0.0 if pd.isna(v) else float(v) for v in marks]
        total = sum(values)
        shown = "+".join(_fmt(v) for v in values)
        if percent is not None and percent[pos]:
            # Written with «%»: percentages whatever they add up to, even with 100 participants.
            if abs(total - 100.0) <= 0.5:
                counts = _largest_remainder(values, int(n))
                marks_now[pos] = [float(c) for c in counts]
                changed = True
                issue("преобразована", f"отметки указаны в процентах (со знаком «%»: {shown} = {_fmt(total)}%), "
                                       f"пересчитаны в количество от {_fmt(n)} участников: "
                                       f"{'+'.join(map(str, counts))}.", "отметки в процентах")
            else:
                issue("исключена", f"отметки указаны в процентах (со знаком «%»), но их сумма {shown} = "
                                   f"{_fmt(total)}% не равна 100%.", "отметки в процентах, но их сумма не 100%")
                keep_all[pos] = False
            continue
        if abs(total - n) < 1e-9 and all(float(v).is_integer() for v in values):
            if blanks:
                marks_now[pos, [MARKS.index(b) for b in blanks]] = 0.0
                changed = True
                issue("преобразована", f"пустые ячейки отметок ({', '.join('«' + b[1] + '»' for b in blanks)}) приняты за 0: "
                                       f"{shown} = {_fmt(n)} участников.", "пустые отметки приняты за 0")
        elif abs(total - 100.0) <= 0.5 and n != 100:
            counts = _largest_remainder(values, int(n))
            marks_now[pos] = [float(c) for c in counts]
            changed = True
            issue("преобразована", f"отметки указаны в процентах ({shown} = {_fmt(total)}%), пересчитаны в количество "
                                   f"от {_fmt(n)} участников: {'+'.join(map(str, counts))}.", "отметки в процентах")
        else:
            issue("исключена", f"сумма отметок {shown} = {_fmt(total)} не равна числу участников {_fmt(n)}.",
                  "сумма отметок не равна числу участников")
            keep_all[pos] = False
    if changed:
        for k, c in enumerate(MARKS):
            res[c] = marks_now[:, k]
    return res[pd.Series(keep_all, index=res.index, dtype=bool)]


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


def _map_values(values: pd.Series, func) -> list:
    """``[func(v) if v is not None else None for v in values]``, calling ``func`` once per distinct value."""
    codes, uniques = _distinct(values)
    mapped = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        mapped[i] = None if u is None else func(u)
    return mapped[codes].tolist()


def _risk_factors(rp: pd.DataFrame, col: _Collector) -> None:
    """Factor numbers or names → ``factor_code`` / ``factor_name``; significance levels (in place)."""
    codes, names, levels, errors = _risk_values(rp)
    rows = rp[ROW].to_numpy()
    for pos, column, message in errors:
        col.add(int(rows[pos]), column, message)
    rp["factor_code"], rp["factor_name"], rp["significance"] = codes, names, levels


def _risk_values(rp: pd.DataFrame) -> tuple[list, list, list, list[tuple[int, str, str]]]:
    """Factor codes, factor names, significance levels of each row, and the problems
    (row position, column, message) in row order."""
    by_name = {normalize_label(v): k for k, v in RISK_FACTORS.items()}
    by_name.update({normalize_label(v): k for v, k in RISK_FACTOR_ALIASES.items()})
    lo, hi = min(RISK_FACTORS), max(RISK_FACTORS)

    def factor(f) -> tuple[int | None, str, str | None]:
        num = _parse(f)[0] if f is not None else None  # «3%» is a number outside the catalogue, as ever
        if num is not None and not math.isnan(num) and num.is_integer() and int(num) in RISK_FACTORS:
            return int(num), RISK_FACTORS[int(num)], None
        if num is not None and not math.isnan(num):
            # A bare number outside the catalogue is a typo, not a factor of a regional list.
            return None, str(f), f"фактор «{f}» — ожидается номер {lo}–{hi} или название фактора."
        text = re.sub(r"^\s*\d+[.)]\s*", "", str(f))
        code = by_name.get(normalize_label(text))
        return code, (RISK_FACTORS[code] if code else text), None

    def significance(v) -> tuple[str, str | None]:
        s = normalize_label(v) if v is not None else ""
        if v is not None and s not in SIGNIFICANCE_LEVELS:
            return s, f"значимость «{v}» — ожидается «высокая», «средняя» или «низкая»."
        return s, None

    # The same few factors and levels repeat on every school: judge each spelling once.
    fcodes, funiq = _distinct(rp["factor"])
    scodes, suniq = _distinct(rp["significance"])
    fv, sv = [factor(f) for f in funiq], [significance(v) for v in suniq]
    codes, names, levels, errors = [], [], [], []
    for pos, (fi, si) in enumerate(zip(fcodes.tolist(), scodes.tolist())):
        code, name, ferr = fv[fi]
        level, serr = sv[si]
        if ferr:
            errors.append((pos, "factor", ferr))
        if serr:
            errors.append((pos, "significance", serr))
        codes.append(code)
        names.append(name)
        levels.append(level)
    return codes, names, levels, errors


def _rows_text(rows, limit: int = 10) -> str:
    """«строки 3, 8, 15» (at most ``limit`` numbers, then «… — всего 42»)."""
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return f"строки {shown}" + (f" … — всего {len(rows)}" if len(rows) > limit else "")


def _vocabulary_check(res: pd.DataFrame) -> tuple[list, list, list[tuple[np.ndarray, str, str, str]], list[tuple]]:
    """Canonical procedures and subjects of ``results`` and what the vocabulary refuses.

    Returns the canonical procedure and subject of each row (None where unknown), the
    problems as ``(row positions, column, message, hint)``, one per distinct wrong value, in
    the order of first appearance: a value outside ``parameters/vocabulary.yml``, a subject
    that does not exist under its procedure (базовая математика in ВПР), a subject whose
    level must be named (ЕГЭ математика), a grade in which the procedure is not held; and the
    spellings read through an alias as ``(column, written, canonical, rows)``.
    """
    vocab = load_vocabulary()
    procs = _map_values(res["procedure"], vocab.procedure)
    subs = _map_values(res["subject"], vocab.subject)
    grade = res["grade"].to_numpy(dtype=float)
    found: list[tuple[int, np.ndarray, str, str, str]] = []
    fix_word = "Исправьте написание; если это верное название, добавьте его в parameters/vocabulary.yml."
    for column, raw_values, canon, kind in (("procedure", res["procedure"], procs, "procedure"),
                                             ("subject", res["subject"], subs, "subject")):
        values = raw_values.to_numpy(dtype=object)
        bad = np.fromiter((v is not None and c is None for v, c in zip(values, canon)), dtype=bool, count=len(values))
        if bad.any():
            codes, uniques = pd.factorize(values[bad])
            where = np.flatnonzero(bad)
            for k, value in enumerate(uniques):
                positions = where[codes == k]
                rows_text = _rows_text(res[ROW].to_numpy()[positions]) if len(positions) > 1 else ""
                found.append((int(positions[0]), positions, column, vocab.explain(kind, value, rows_text), fix_word))
    pairs: dict[tuple, list[int]] = {}
    for pos, (p, sub) in enumerate(zip(procs, subs)):
        if p is not None and sub is not None:
            pairs.setdefault((p, sub), []).append(pos)
    for (p, sub), positions in pairs.items():
        term = vocab.subjects[sub]
        levels = [lv for lv in vocab.levels(sub) if p in vocab.subjects[lv].procedures]
        if term.procedures and p not in term.procedures:
            found.append((positions[0], np.array(positions), "subject",
                          f"предмет «{sub}» бывает только в {', '.join(term.procedures)}, а процедура — {p}.",
                          "Проверьте процедуру и предмет в этой строке."))
        elif levels:
            found.append((positions[0], np.array(positions), "subject",
                          f"{p}, {sub}: не указан уровень — у {p} это разные экзамены: "
                          + " и ".join(f"«{lv}»" for lv in levels) + ".",
                          "Укажите уровень в названии предмета (базовый: отметки 2–5; профильный: "
                          "«Не преодолели порог», «Высокий балл», «Средний балл»)."))
    with np.errstate(invalid="ignore"):
        off = ~np.isnan(grade) & ~((grade >= 1) & (grade <= 11))
    for pos in np.flatnonzero(off):
        found.append((int(pos), np.array([pos]), "grade", f"класс {grade[pos]:g} вне диапазона 1–11.", ""))
    by_proc: dict[tuple, list[int]] = {}
    for pos, p in enumerate(procs):
        if p is not None and not np.isnan(grade[pos]) and not off[pos] and int(grade[pos]) not in vocab.grades(p):
            by_proc.setdefault((p, int(grade[pos])), []).append(pos)
    for (p, g), positions in by_proc.items():
        allowed = _grade_ranges(vocab.grades(p))
        found.append((positions[0], np.array(positions), "grade", f"{p} в {g} классе не проводится ({p}: {allowed}).",
                      "Проверьте класс и процедуру (ГИА-9 — это ОГЭ, ГИА-11 — это ЕГЭ)."))
    found.sort(key=lambda f: f[0])
    readings = []
    for column, canon in (("procedure", procs), ("subject", subs)):
        counts = pd.Series(list(zip(res[column].tolist(), canon))).value_counts(sort=False)
        for (written, name), n in counts.items():
            if name is not None and normalize_term(written) != normalize_term(name):
                readings.append((column, written, name, int(n)))
    return procs, subs, [f[1:] for f in found], readings


def _grade_ranges(grades: tuple[int, ...]) -> str:
    """«4–8, 10, 11 классы» from (4, 5, 6, 7, 8, 10, 11)."""
    parts, run = [], [grades[0]]
    for g in grades[1:]:
        if g == run[-1] + 1:
            run.append(g)
        else:
            parts.append(run)
            run = [g]
    parts.append(run)
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in parts)
    return text + (" класс" if len(grades) == 1 else " классы")


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
        procs, subs, found, readings = _vocabulary_check(res)
        shown = "/".join(raw.files["results"].path.parts[-4:])
        read_as = [{"file": shown, "column": raw.files["results"].label(c), "written": w, "read_as": n, "rows": k}
                   for c, w, n, k in readings]
        rows = res[ROW].to_numpy()
        for positions, column, message, hint in found:
            if len(positions) == 1:
                col.add(int(rows[positions[0]]), column, message, hint)
            elif "(строки" in message:
                col.add(None, column, message, hint)
            else:
                col.add(None, column, f"{message[:-1]} ({_rows_text(rows[positions])}).", hint)
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
        _risk_factors(tables["risk_profiles"], collectors["risk_profiles"])
    if "indices" in tables:
        ind, col = tables["indices"], collectors["indices"]
        for c, lo, hi in (("isbsh_group", 1, 11), ("quality_group", 1, 11), ("iursh_group", 1, 4)):
            bad = ind[c].notna() & ~ind[c].between(lo, hi)
            for _, r in ind[bad].iterrows():
                col.add(int(r[ROW]), c, f"группа {r[c]:g} вне диапазона {lo}–{hi}.")

    # -- ФИС ОКО exports (shnor_lib.io.fisoko): logins → codes, checked against results; appended below
    merged = None
    if raw.fisoko is not None and "results" in tables:
        from ..io.fisoko import merge_exports  # fisoko builds on this module

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

    issues: list[dict] = _skipped_issues(raw)
    if "results" in tables:
        reconciled: list[dict] = []
        res = _reconcile_marks(tables["results"], raw.files["results"], reconciled, raw.municipality, raw.year,
                               marks_percent)
        issues = _in_file_order(raw, issues + reconciled)
        if merged is not None:  # exported rows add up by construction; only rows of 0 pupils were left out
            res = merged.append_to(res)
            issues.extend(merged.issues)
        if res.empty and not strict:
            # Nothing left to compute on: stop and say why, row by row, instead of an empty season.
            display = "/".join(raw.files["results"].path.parts[-4:])
            raise DataValidationError(
                [Problem(display, None, None, f"ни одна строка не пригодна для расчёта: все строки ({len(reconciled)}) "
                         "исключены.", "Исправьте строки, перечисленные ниже.")]
                + [Problem(i["file"], i["row"], None, f"{i['action']}: {i['reason']}") for i in reconciled])
        systematic = _systematic_quarantine(raw, len(tables["results"]), reconciled, limits)
        if systematic:
            raise DataValidationError(systematic)
        tables["results"] = _journal_shares(res.copy())
    issues_df = _issues_frame(issues)
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
                  unknown_columns=_unknown_columns(raw))


def _display(rf: RawFile) -> str:
    return "/".join(rf.path.parts[-4:])


def _unknown_columns(raw: RawSeason) -> list[tuple[str, str]]:
    """Headers of the season's files that the contract does not know: (file, header)."""
    return [(_display(rf), h) for rf in raw.files.values() for h in rf.unknown]


def _skipped_issues(raw: RawSeason) -> list[dict]:
    """Totals rows the reader left out («Итого по МО»), as issues «пропущена»."""
    out = []
    for rf in raw.files.values():
        shown = [c for c in rf.frame.columns if c != ROW and not c.startswith("_extra:")]
        for sk in rf.skipped:
            grade = parse_number(sk.cells.get("grade", ""))
            out.append({"municipality": raw.municipality, "year": raw.year, "file": _display(rf), "row": sk.row,
                        "school_id": sk.cells.get("school_id") or None, "procedure": sk.cells.get("procedure") or None,
                        "subject": sk.cells.get("subject") or None,
                        "grade": int(grade) if grade is not None and not math.isnan(grade) and grade.is_integer()
                        else None,
                        "action": "пропущена",
                        "reason": f"строка итогов («{sk.text}» в столбце «{sk.column}»), а не строка школы.",
                        "original": "; ".join(f"{rf.label(c)}={sk.cells.get(c, '')}" for c in shown),
                        "_kind": "строка итогов"})
    return out


def _in_file_order(raw: RawSeason, issues: list[dict]) -> list[dict]:
    """Issues by file (in the contract's order) and row; a file's own order is kept."""
    order = {_display(rf): k for k, rf in enumerate(raw.files.values())}
    return sorted(issues, key=lambda i: (order.get(i["file"], len(order)), i["row"]))


def _issues_frame(issues: list[dict]) -> pd.DataFrame:
    """The ledger; grades stay integers (a totals row may have none)."""
    df = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    if any(i["grade"] is None for i in issues):
        df["grade"] = pd.array([i["grade"] for i in issues], dtype="Int64")
    return df


def quarantine_limits(municipality: str | None = None) -> tuple[float, int]:
    """``validation.max_quarantined_share`` and ``validation.min_quarantined_rows`` of a municipality
    (``parameters/default.yml``, overridden by ``parameters/<municipality>.yml``)."""
    from ..config.params import load_params
    from ..errors import ParameterError

    block = load_params(municipality).get("validation") or {}
    share, rows = block.get("max_quarantined_share", 0.2), block.get("min_quarantined_rows", 5)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise ParameterError(f"параметр «validation.max_quarantined_share» = {share!r} должен быть долей "
                             "больше 0 и не больше 1.")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ParameterError(f"параметр «validation.min_quarantined_rows» = {rows!r} должен быть целым числом "
                             "не меньше 1.")
    return float(share), rows


def _systematic_quarantine(raw: RawSeason, n_rows: int, reconciled: list[dict],
                           limits: tuple[float, int] | None) -> list[Problem]:
    """The problems to stop with when too many of the results rows would be left out.

    Only rows left out («исключена») count: converted rows are read as meant, totals rows
    are not data. A few wrong rows are typos; a large share of them is a file filled or
    exported the wrong way (columns shifted, marks of another kind), which the ledger
    would otherwise hide behind a shorter list of schools.
    """
    out = [i for i in reconciled if i["action"] == "исключена"]
    if not out or not n_rows:
        return []
    share, min_rows = limits if limits is not None else quarantine_limits(raw.municipality)
    if len(out) < min_rows or len(out) <= share * n_rows:
        return []
    from ..report.format import plural

    display = out[0]["file"]
    kinds: dict[str, list[int]] = {}
    for i in out:
        kinds.setdefault(i["_kind"], []).append(i["row"])
    ranked = sorted(kinds.items(), key=lambda kv: -len(kv[1]))
    top = "; ".join(f"«{k}» — {len(v)} {plural(len(v), 'строка', 'строки', 'строк')}" for k, v in ranked[:3])
    head = Problem(display, None, None,
                   f"исключены были бы {len(out)} из {n_rows} {plural(n_rows, 'строки', 'строк', 'строк')} "
                   f"({100 * len(out) / n_rows:.0f}%) — больше допустимой доли {100 * share:g}% "
                   "(параметр validation.max_quarantined_share): это похоже не на отдельные опечатки, а на ошибку "
                   f"всего файла. Чаще всего: {top}.",
                   "Проверьте, как файл заполнен или выгружен (сдвинутые или переименованные столбцы отметок, "
                   "проценты вместо количества); строки с каждой причиной — ниже.")
    return [head] + [Problem(display, None, None, f"{k}: {_rows_text(np.array(v))}.") for k, v in ranked]


# ---------------------------------------------------------------- many seasons at once

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
            fast = None if problems else _validate_together(chunk, strict, limits)
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
            codes, uniques = _distinct(big[c.name])
            verdicts = [_cell_verdict(str(u).strip(), c) for u in uniques]
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


def _validate_together(raws: list[RawSeason], strict: bool,
                       quarantine: tuple[float, int] | None = None) -> list[Season] | None:
    """Seasons validated together, or None when any season has a problem (then each season
    is validated on its own, for its exact messages)."""
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
    schools, s_season = _rows(stacked["schools"], ["school_id", "students_total"])
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
        procs, subs, found, readings = _vocabulary_check(res)
        if found or readings:
            return None  # the per-season path records the readings
        res["procedure"], res["subject"] = procs, subs
    res_all, r_season = _rows(stacked["results"], ["school_id", "procedure", "subject", "grade", "participants"])
    if res_all.assign(_season=r_season).duplicated(["_season", "school_id", "procedure", "subject", "grade"]).any():
        return None
    totals = pd.Series(schools["students_total"].to_numpy(dtype=float), index=known)
    cap = totals.reindex(pd.MultiIndex.from_arrays([r_season, res_all["school_id"].to_numpy(dtype=object)]))
    with np.errstate(invalid="ignore"):
        if (res_all["participants"].to_numpy(dtype=float) > cap.to_numpy()).any():
            return None
    limits = {"social": ("students_total", ["both_parents_higher_ed", "single_parent", "non_native_russian",
                                            "on_register", "unemployed_parents", "ovz"]),
              "teachers": ("teachers_total", ["higher_education", "category_highest", "category_first",
                                              "category_szd", "experience_10plus"])}
    for stem, (total, parts) in limits.items():
        if stem in stacked:
            df, _ = _rows(stacked[stem], [total, *parts])
            tot = df[total].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                if any((df[c].to_numpy(dtype=float) > tot).any() for c in parts):
                    return None
    if "indices" in stacked:
        df, _ = _rows(stacked["indices"], ["isbsh_group", "quality_group", "iursh_group"])
        for c, lo, hi in (("isbsh_group", 1, 11), ("quality_group", 1, 11), ("iursh_group", 1, 4)):
            if (df[c].notna() & ~df[c].between(lo, hi)).any():
                return None
    risk_lists: dict[int, tuple] = {}  # groups whose lists go in season by season
    for gi, g in enumerate(stacked.get("risk_profiles", [])):
        codes, names, levels, errors = _risk_values(g.table)
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
        _journal_shares(g.table)
        unusual.append(~_usual_marks(g.table))

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
            res = _reconcile_marks(t["results"], raw.files["results"], issues, raw.municipality, raw.year)
            if res.empty or (strict and issues) or _systematic_quarantine(raw, n_rows, issues, quarantine):
                return None  # the per-season path words the error
            t["results"] = res.reset_index(drop=True)
        checksums = {str(rf.path): rf.sha256 for rf in raw.files.values()}
        seasons.append(Season(raw.municipality, raw.year, t, _issues_frame(issues), checksums,
                              unknown_columns=_unknown_columns(raw)))
    return seasons


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

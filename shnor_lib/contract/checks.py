"""The checks of typed tables, generated from the contract's declarations.

Each check is one vectorised predicate over a column (:func:`out_of_bounds`,
:func:`above_total`) driven by what :mod:`shnor_lib.contract.schema` declares on the column
(``bounds``, ``max_of``), plus the checks of the vocabulary (procedures, subjects, grades in
which a procedure is held) and of the risk-factor catalogue. Both validation paths use the
same predicates: the per-season path words a message for every row a predicate marks
(:func:`bounds_findings`, :func:`limit_findings`); the many-seasons path only asks whether
any row is marked and then lets the per-season path word it (:func:`violates_declared`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from .cells import distinct_codes, parse_cell
from .schema import (
    CONTRACT,
    RISK_FACTOR_ALIASES,
    RISK_FACTORS,
    RISK_PROFILE_VARIANT_NAMES,
    RISK_PROFILE_VARIANTS,
    SIGNIFICANCE_LEVELS,
    Column,
    FileSpec,
    normalize_label,
)
from .vocabulary import load_vocabulary, normalize_term

__all__ = ["Finding", "TotalsOf", "out_of_bounds", "above_total", "bounds_findings", "limit_total", "limit_label",
           "limit_findings", "violates_declared", "vocabulary_findings", "risk_values", "rows_text"]

# One problem found in a table: the first row position, every row position it concerns,
# the column, the message and the hint.
Finding = tuple[int, np.ndarray, str, str, str]
# Rows of another file by school: given the total's file stem and column, the total of each
# row of the table checked (NaN where unknown), or None when that file is absent.
TotalsOf = Callable[[str, str], np.ndarray | None]


def _floats(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


def out_of_bounds(values: pd.Series | np.ndarray, col: Column) -> np.ndarray:
    """Rows whose value of ``col`` lies outside its declared ``bounds`` (blank cells never do)."""
    assert col.bounds is not None
    lo, hi = col.bounds
    v = _floats(values)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(v) & ~((v >= lo) & (v <= hi))


def above_total(values: pd.Series | np.ndarray, totals: pd.Series | np.ndarray) -> np.ndarray:
    """Rows whose count is above its total (a blank count or an unknown total never is)."""
    v, t = _floats(values), _floats(totals)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(v) & ~np.isnan(t) & (v > t)


def bounds_findings(spec: FileSpec, df: pd.DataFrame) -> list[Finding]:
    """A finding for every row outside the declared bounds of a column of ``spec``, column by column."""
    out: list[Finding] = []
    for col in spec.bounded:
        assert col.bounds is not None
        lo, hi = col.bounds
        values = _floats(df[col.name])
        for pos in np.flatnonzero(out_of_bounds(values, col)).tolist():
            out.append((pos, np.array([pos]), col.name, f"{col.noun} {values[pos]:g} вне диапазона {lo}–{hi}.", ""))
    return out


def limit_total(col: Column) -> tuple[str, str]:
    """The file stem ("" for the same file) and the column of the total ``col`` may not exceed."""
    assert col.max_of is not None
    stem, _, total = col.max_of.rpartition(".")
    return stem, total


def limit_label(col: Column, header: Callable[[str], str]) -> str:
    """How a message names the total of ``col``: the header as written in the same file, or
    the contract's label and the file of another file («Число обучающихся (schools)»)."""
    stem, total = limit_total(col)
    return f"{CONTRACT[stem].column(total).label} ({stem})" if stem else header(total)


def _totals(col: Column, df: pd.DataFrame, totals_of: TotalsOf) -> np.ndarray | None:
    stem, total = limit_total(col)
    return _floats(df[total]) if not stem else totals_of(stem, total)


def limit_findings(spec: FileSpec, df: pd.DataFrame, totals_of: TotalsOf,
                   header: Callable[[str], str]) -> list[Finding]:
    """A finding for every row whose count is above its declared total, column by column."""
    out: list[Finding] = []
    for col in spec.limited:
        totals = _totals(col, df, totals_of)
        if totals is None:
            continue
        values = _floats(df[col.name])
        label = limit_label(col, header)
        for pos in np.flatnonzero(above_total(values, totals)).tolist():
            out.append((pos, np.array([pos]), col.name,
                        f"значение {values[pos]:g} больше, чем «{label}» ({totals[pos]:g}).", ""))
    return out


def violates_declared(spec: FileSpec, df: pd.DataFrame, totals_of: TotalsOf) -> bool:
    """Whether any row breaks a declared bound or total of ``spec`` (what the two functions above word)."""
    if any(out_of_bounds(df[col.name], col).any() for col in spec.bounded):
        return True
    for col in spec.limited:
        totals = _totals(col, df, totals_of)
        if totals is not None and above_total(df[col.name], totals).any():
            return True
    return False


# ---------------------------------------------------------------- vocabulary

def rows_text(rows: np.ndarray | list[int], limit: int = 10) -> str:
    """«строки 3, 8, 15» (at most ``limit`` numbers, then «… — всего 42»)."""
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return f"строки {shown}" + (f" … — всего {len(rows)}" if len(rows) > limit else "")


def _map_values(values: pd.Series, func: Callable[[object], object]) -> list:
    """``[func(v) if v is not None else None for v in values]``, calling ``func`` once per distinct value."""
    codes, uniques = distinct_codes(values)
    mapped = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        mapped[i] = None if u is None else func(u)
    return mapped[codes].tolist()


def vocabulary_findings(res: pd.DataFrame, row_numbers: np.ndarray
                        ) -> tuple[list, list, list[Finding], list[tuple[str, object, str, int]]]:
    """Canonical procedures and subjects of ``results`` and what the vocabulary refuses.

    Returns the canonical procedure and subject of each row (None where unknown), the
    problems, one per distinct wrong value, in the order of first appearance: a value outside
    ``parameters/vocabulary.yml``, a subject that does not exist under its procedure
    (базовая математика in ВПР), a subject whose level must be named (ЕГЭ математика), a
    grade in which the procedure is not held (grades outside the declared bounds are the
    bounds check's); and the spellings read through an alias as ``(column, written,
    canonical, rows)``. ``row_numbers`` are the file's row numbers of ``res`` (for messages).
    """
    vocab = load_vocabulary()
    procs = _map_values(res["procedure"], vocab.procedure)
    subs = _map_values(res["subject"], vocab.subject)
    grade = _floats(res["grade"])
    found: list[Finding] = []
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
                shown = rows_text(row_numbers[positions]) if len(positions) > 1 else ""
                found.append((int(positions[0]), positions, column, vocab.explain(kind, value, shown), fix_word))
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
    off = out_of_bounds(grade, CONTRACT["results"].column("grade"))
    by_proc: dict[tuple, list[int]] = {}
    for pos, p in enumerate(procs):
        if p is not None and not np.isnan(grade[pos]) and not off[pos] and int(grade[pos]) not in vocab.grades(p):
            by_proc.setdefault((p, int(grade[pos])), []).append(pos)
    for (p, g), positions in by_proc.items():
        allowed = _grade_ranges(vocab.grades(p))
        found.append((positions[0], np.array(positions), "grade", f"{p} в {g} классе не проводится ({p}: {allowed}).",
                      "Проверьте класс и процедуру (ГИА-9 — это ОГЭ, ГИА-11 — это ЕГЭ)."))
    readings = []
    for column, canon in (("procedure", procs), ("subject", subs)):
        counts = pd.Series(list(zip(res[column].tolist(), canon))).value_counts(sort=False)
        for (written, name), n in counts.items():
            if name is not None and normalize_term(written) != normalize_term(name):
                readings.append((column, written, name, int(n)))
    return procs, subs, found, readings


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


# ---------------------------------------------------------------- risk factors

def risk_values(rp: pd.DataFrame) -> tuple[list, list, list, list[tuple[int, str, str]]]:
    """Factor codes, factor names, significance levels of each row of ``risk_profiles``, and
    the problems (row position, column, message) in row order.

    A factor is its name, or its number in the profile variant of the row's «Вариант профиля»
    (:data:`~shnor_lib.contract.schema.RISK_PROFILE_VARIANTS`): FIOKO's tables number the same
    factors differently, so a bare number is never mapped by guess. A number without a variant
    is read through the row's «Наименование фактора» when that names a known factor; otherwise
    it is an error. With both a variant and a name, they must agree.
    """
    by_name = {normalize_label(v): k for k, v in RISK_FACTORS.items()}
    by_name.update({normalize_label(v): k for v, k in RISK_FACTOR_ALIASES.items()})
    variants = ", ".join(RISK_PROFILE_VARIANT_NAMES.values())
    fix = (f"Напишите название фактора или укажите в столбце «Вариант профиля», чья это нумерация "
           f"({variants}): в таблицах ФИОКО одни и те же номера означают разные факторы.")

    def number(f: object) -> float | None:
        num = parse_cell(f)[0] if f is not None else None  # «3%» is a number outside the catalogue, as ever
        return None if num is None or math.isnan(num) else num

    def by_label(text: object) -> int | None:
        if text is None:
            return None
        return by_name.get(normalize_label(re.sub(r"^\s*\d+[.)]\s*", "", str(text))))

    def factor(f: object, variant: object, label: object) -> tuple[int | None, str, str | None, str]:
        """(code, name, error, column of the error)."""
        variant = None if variant is None or (isinstance(variant, float) and math.isnan(variant)) else variant
        label = None if label is None or (isinstance(label, float) and math.isnan(label)) else label
        num = number(f)
        if num is None:
            code = by_label(f)
            return code, (RISK_FACTORS[code] if code else str(f)), None, "factor"
        named = by_label(label)
        if variant is None:
            if named is not None:
                return named, RISK_FACTORS[named], None, "factor"
            return None, str(f), f"фактор «{f}» — номер без варианта профиля. {fix}", "factor"
        key = normalize_label(variant)
        table = RISK_PROFILE_VARIANTS.get(key)
        if table is None:
            return None, str(f), (f"вариант профиля «{variant}» — ожидается {variants}."), "profile_variant"
        name = RISK_PROFILE_VARIANT_NAMES[key]
        if not num.is_integer() or int(num) not in table:
            return None, str(f), (f"фактор «{f}» — в варианте профиля «{name}» номера "
                                  f"{min(table)}–{max(table)}; или напишите название фактора."), "factor"
        code = table[int(num)]
        if named is not None and named != code:
            return None, str(f), (f"фактор № {int(num)} варианта «{name}» — «{RISK_FACTORS[code]}», а в столбце "
                                  f"«Наименование фактора» — «{label}». Проверьте вариант профиля или номер."), "factor"
        return code, RISK_FACTORS[code], None, "factor"

    def significance(v: object) -> tuple[str, str | None]:
        s = normalize_label(v) if v is not None else ""
        if v is not None and s not in SIGNIFICANCE_LEVELS:
            return s, f"значимость «{v}» — ожидается «высокая», «средняя» или «низкая»."
        return s, None

    # The same few factors and levels repeat on every school: judge each spelling once.
    none = pd.Series([None] * len(rp), index=rp.index, dtype=object)
    triples = pd.Series(list(zip(rp["factor"], rp.get("profile_variant", none), rp.get("factor_label", none))),
                        index=rp.index, dtype=object)
    fcodes, funiq = distinct_codes(triples)
    scodes, suniq = distinct_codes(rp["significance"])
    fv, sv = [factor(*t) for t in funiq], [significance(v) for v in suniq]
    codes, names, levels, errors = [], [], [], []
    for pos, (fi, si) in enumerate(zip(fcodes.tolist(), scodes.tolist())):
        code, name, ferr, fcol = fv[fi]
        level, serr = sv[si]
        if ferr:
            errors.append((pos, fcol, ferr))
        if serr:
            errors.append((pos, "significance", serr))
        codes.append(code)
        names.append(name)
        levels.append(level)
    return codes, names, levels, errors

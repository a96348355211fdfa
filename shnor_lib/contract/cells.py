"""Reading one text cell as its column's kind (Методика §10, docs/methodology/data-contract.md).

A cell is judged by the declarations of its :class:`~shnor_lib.contract.schema.Column` only:
its kind (``str``, ``int``, ``float``, ``yesno``), whether it is required, whether it may be
negative (``signed``) and how a «%» is read (``percent``). Numbers are read as a person writes
them in Russian forms: decimal comma, thousands grouped by spaces, «30%» where a percentage
is meant. Both validation paths (one season, many seasons at once) call :func:`cell_verdict`,
once per distinct text of a column.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from .schema import Column, normalize_label

__all__ = ["parse_number", "parse_cell", "cell_verdict", "distinct_codes"]

_NUM_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
# Thousands separated by spaces (plain, no-break, narrow no-break, thin, figure): «1 234», «12 345,5».
_SPACES = " \u00a0\u202f\u2009\u2007"
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f\u2009\u2007]\d{3})+(?:[.,]\d+)?$")
_THOUSANDS_LIKE = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")  # «1.234»: 1234 in some locales, 1,234 in ours
_PERCENT_SIGNS = ("%", "\uff05")
_YES = {"да", "yes", "1", "true", "+", "есть"}
_NO = {"нет", "no", "0", "false", "-", "—"}

# (message, hint) of one problem of a cell
CellProblem = tuple[str, str]


def parse_number(text: str) -> float | None:
    """Parse ``12``, ``12,5``, ``1 234``, ``12.5`` ; None for blank; NaN for unparseable.

    A percent sign is not a number's part: «30%» is NaN here (the validator reads it
    by column, see :attr:`Column.percent`). Spaces only group thousands: «12 5» is NaN.
    """
    value, percent = parse_cell(text)
    return math.nan if percent else value


def parse_cell(text: object) -> tuple[float | None, bool]:
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


def distinct_codes(values: pd.Series) -> tuple[np.ndarray, list]:
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
    codes, found = pd.factorize(values.to_numpy(dtype=object))
    uniques = list(found)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(uniques), codes)
        uniques.append(None)
    return codes, uniques


def cell_verdict(cell: str, c: Column) -> tuple[object, list[CellProblem], bool]:
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
    num, percent = parse_cell(cell)
    if num is None or math.isnan(num):
        return np.nan, [(f"значение «{cell}» не является числом.",
                         "Исправьте его (допустимы цифры и десятичная запятая).")], False
    reading = c.percent if percent else None
    if percent and reading is None:
        # «30%» of pupils is not 30 pupils: a count (or a score) is never read from a percentage.
        if c.kind == "int":
            return np.nan, [(f"значение «{cell}» — процент, а в этом столбце количество (чел.).",
                             "Укажите число человек, а не процент.")], False
        return np.nan, [(f"значение «{cell}» — процент, а в этом столбце {c.unit or 'не доля'}.",
                         f"Уберите знак % и укажите значение в единицах столбца ({c.unit}).")], False
    problems = []
    # Counts, shares and scores below zero are typos; only declared signed columns (z-scores) may be.
    if num < 0 and not c.signed:
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

"""Writing tables that people open in Excel: every text cell is made safe first.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel (and to
LibreOffice) when a CSV or a workbook is opened; school names, codes and verbatim input rows
come from people's files, so such a cell is written with a leading apostrophe (the OWASP «CSV
injection» advice). Numbers are never touched: −0,5 stays a number.

Workbooks are written with XlsxWriter (measured against openpyxl on our tables:
``benchmarks/bench_xlsx.py``), with fixed document properties, so equal tables give equal bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

__all__ = ["FORMULA_STARTS", "CSV_DECIMALS", "P_DIGITS", "plain_numbers", "safe_cells", "csv_text", "write_csv", "xlsx_bytes", "write_xlsx"]

# Fixed metadata: the same table gives the same bytes (XlsxWriter's zip entries carry fixed dates).
_PROPERTIES = {"author": "shnor", "created": dt.datetime(2000, 1, 1)}
# Write every text as text: never a formula, a number or a hyperlink guessed from its content.
_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
            "in_memory": True}  # no temporary files: a third faster for our small sheets

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain_dtype(dtype: object) -> bool:
    """Whether a column of ``dtype`` holds only numbers or booleans (never text to make safe)."""
    if dtype not in _PLAIN_DTYPES:
        _PLAIN_DTYPES[dtype] = bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    return _PLAIN_DTYPES[dtype]


_PLAIN_DTYPES: dict[object, bool] = {}


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and text index) cannot become spreadsheet formulas."""
    return _make_safe(df.copy(deep=False))  # copy-on-write: the caller's frame is never changed


def _make_safe(out: pd.DataFrame) -> pd.DataFrame:
    """:func:`safe_cells` on ``out`` itself (a frame of this module's own making)."""
    for i, dtype in enumerate(out.dtypes):
        if _plain_dtype(dtype):
            continue
        # one pass over the column's values in plain Python (a pandas map per column costs more than the test)
        values = out.iloc[:, i].to_numpy(dtype=object)
        unsafe = [j for j, v in enumerate(values) if isinstance(v, str) and v.startswith(FORMULA_STARTS)]
        if unsafe:
            values = values.copy()
            for j in unsafe:
                values[j] = _safe(values[j])
            out.isetitem(i, pd.Series(values, index=out.index, dtype=object))
    if out.index.dtype == object:
        out.index = out.index.map(_safe)
    return out


#: Decimals a CSV keeps: far below any difference the methodology reads (shares, indices, z), far above
#: the float noise of sums and differences (``1.3877787807814457e-17`` is written as ``0``).
CSV_DECIMALS = 10
#: Significant digits a p-value keeps (it can be far below 1e-10 and still mean something).
P_DIGITS = 6


def _is_p_value(name: object) -> bool:
    text = str(name)
    return text in ("p", "p_value", "p_adjusted") or text.startswith("p_") or text.endswith("_p")


def plain_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` without float noise, as the CSV tables are written.

    A float column whose values are all whole numbers (counts that went through a merge or a
    sum with gaps: ``203.0``) becomes an integer column (``203``, empty where missing); other
    floats are rounded to :data:`CSV_DECIMALS` decimals (``-0.0`` becomes ``0.0``), p-values to
    :data:`P_DIGITS` significant digits. Text, integer and boolean columns are left alone.
    """
    out = df.copy(deep=False)  # copy-on-write: replaced columns never reach the caller's frame
    for i, (c, dtype) in enumerate(zip(df.columns, df.dtypes, strict=True)):
        if not _float_dtype(dtype):
            continue
        col = df.iloc[:, i]
        values = col.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(values)
        if _is_p_value(c):
            rounded = np.array([float(f"{v:.{P_DIGITS}g}") if f else v for v, f in zip(values, finite, strict=True)],
                               dtype=float)
        else:
            rounded = np.where(finite, np.round(values, CSV_DECIMALS), values)
        rounded = rounded + 0.0  # -0.0 → 0.0
        whole = finite & (rounded == np.round(rounded))
        if finite.any() and whole[finite].all() and not np.isinf(values).any() and np.abs(rounded[finite]).max() < 2**53:
            integers = np.where(finite, rounded, 0).astype(np.int64)
            out.isetitem(i, pd.Series(pd.arrays.IntegerArray(integers, ~finite), index=col.index, name=c))
        else:
            out.isetitem(i, pd.Series(rounded, index=col.index, name=c))
    return out


def _float_dtype(dtype: object) -> bool:
    if dtype not in _FLOAT_DTYPES:
        _FLOAT_DTYPES[dtype] = bool(pd.api.types.is_float_dtype(dtype))
    return _FLOAT_DTYPES[dtype]


_FLOAT_DTYPES: dict[object, bool] = {}


def csv_text(df: pd.DataFrame, index: bool = False) -> str:
    """The table as CSV text (UTF-8 when written, ``,`` separated), made safe for Excel and without
    float noise (:func:`plain_numbers`)."""
    return _make_safe(plain_numbers(df)).to_csv(index=index, lineterminator="\n")


def write_csv(df: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write :func:`csv_text` of ``df`` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_bytes(csv_text(df, index=index).encode("utf-8"))
    return path


def _cell(value: object) -> object:
    """A plain Python value for a cell; None for an empty one (missing values, NaN, empty text)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, str) and not value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def xlsx_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    """The table as a one-sheet workbook: a bold header row, frozen, then one row per row of ``df``.

    The cells are written as they are: call :func:`safe_cells` first for text from people's files.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, _OPTIONS)
    book.set_properties(_PROPERTIES)
    ws = book.add_worksheet(sheet[:31])
    ws.write_row(0, 0, [str(c) for c in df.columns], book.add_format({"bold": True}))
    ws.freeze_panes(1, 0)
    # XlsxWriter's undecorated writers (the public ones only add an «A1» notation check per cell);
    # rows in order, as the shared strings are numbered in the order they are first written
    write_boolean = getattr(ws, "_write_boolean", ws.write_boolean)
    write_number = getattr(ws, "_write_number", ws.write_number)
    write_string = getattr(ws, "_write_string", ws.write_string)
    columns = [df.iloc[:, c].tolist() for c in range(df.shape[1])]
    for r, row in enumerate(zip(*columns), start=1):
        for c, value in enumerate(row):
            value = _cell(value)
            if value is None:
                continue
            if isinstance(value, bool):
                write_boolean(r, c, value)
            elif isinstance(value, (int, float)) and math.isfinite(value):
                write_number(r, c, value)
            else:  # text, and an infinite number as the CSV shows it («inf»)
                write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def write_xlsx(df: pd.DataFrame, path: str | Path, sheet: str) -> Path:
    """Write :func:`xlsx_bytes` of ``df`` to ``path``, replacing it whole (never half-written)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(xlsx_bytes(df, sheet))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

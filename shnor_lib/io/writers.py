"""Writing tables that people open in Excel: every text cell is made safe first.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel (and to
LibreOffice) when a CSV or an openpyxl-written workbook is opened; school names, codes and
verbatim input rows come from people's files, so such a cell is written with a leading
apostrophe (the OWASP «CSV injection» advice). Numbers are never touched: −0,5 stays a number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_cells", "csv_text", "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and text index) cannot become spreadsheet formulas."""
    out = df.copy()
    for c in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c])):
            col = out[c]
            mask = col.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            if mask.any():
                out[c] = col.astype(object).where(~mask, col.map(_safe))
    if out.index.dtype == object:
        out.index = out.index.map(_safe)
    return out


def csv_text(df: pd.DataFrame, index: bool = False) -> str:
    """The table as CSV text (UTF-8 when written, ``,`` separated), made safe for Excel."""
    return safe_cells(df).to_csv(index=index, lineterminator="\n")


def write_csv(df: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write :func:`csv_text` of ``df`` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_bytes(csv_text(df, index=index).encode("utf-8"))
    return path

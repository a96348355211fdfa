"""A fast writer of the one-sheet tables ``compute`` publishes (``schools.xlsx``), byte for byte
what openpyxl writes.

openpyxl builds a cell object per value and serialises the sheet element by element, which
costs more than computing a small municipality's season. The workbooks here are always the
same apart from the sheet's cells: a bold header row, frozen below it, fixed document
properties and zip dates (:func:`shnor_lib.pipeline.outputs._write_xlsx`). So every other part of
the package is taken from a workbook openpyxl writes once per process, and the sheet XML is
written directly for the values whose serialisation is plain: text without markup-relevant
whitespace or control characters, booleans, finite numbers, empty cells. Anything else
(formulas, error codes, dates, long or unusual text) returns None, and the caller writes
the workbook with openpyxl. A self-check against openpyxl on first use switches the fast
path off if an openpyxl version serialises differently.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Callable, Sequence

__all__ = ["workbook_bytes"]

_SHEET = "xl/worksheets/sheet1.xml"
_ILLEGAL = re.compile(r"[\000-\037]")  # control characters (openpyxl refuses some, escapes none)
_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
_states: dict[str, dict] = {}  # per sheet title: the workbook parts and whether the self-check passed


def _letters(n: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [get_column_letter(i) for i in range(1, n + 1)]


def _text(value: str) -> str | None:
    """The escaped text of a plain string cell, or None when openpyxl must judge it."""
    if (len(value) > 32767 or (len(value) > 1 and value.startswith("=")) or value in _ERROR_CODES
            or _ILLEGAL.search(value) or value != value.strip()):
        return None
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, value, style: str) -> str | None:
    """One ``<c>`` element as openpyxl writes it; "" for a cell it skips; None when unsure."""
    if value is None:
        return ""
    t = type(value)
    if t is str:
        if value == "":
            return f'<c r="{ref}"{style} t="inlineStr" />'
        text = _text(value)
        return None if text is None else f'<c r="{ref}"{style} t="inlineStr"><is><t>{text}</t></is></c>'
    if t is bool:
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if t is int or t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return f'<c r="{ref}"{style} t="n"><v>{"%.16g" % value}</v></c>'  # noqa: UP031 (openpyxl's safe_string)
    return None


def _sheet(_state: dict, header: Sequence[str], rows: Sequence[Sequence]) -> bytes | None:
    head, tail = _state["sheet"]
    letters = _letters(len(header))
    parts = [head.replace("{DIM}", f"A1:{letters[-1]}{len(rows) + 1}")]
    for i, row in enumerate(itertools.chain([header], rows), start=1):
        style = ' s="1"' if i == 1 else ""  # the header row is bold
        parts.append(f'<row r="{i}">')
        for letter, value in zip(letters, row):
            c = _cell(f"{letter}{i}", value, style)
            if c is None:
                return None
            parts.append(c)
        parts.append("</row>")
    parts.append(tail)
    return "".join(parts).encode("utf-8")


def _zip(_state: dict, sheet: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in _state["members"]:
            dst.writestr(info, sheet if info.filename == _SHEET else data)
    return out.getvalue()


def _learn(_state: dict, write_openpyxl: Callable[[list, list], bytes]) -> None:
    """Take the constant parts from a workbook openpyxl writes, then check the fast path
    against openpyxl on a sample with every kind of value it handles."""
    _state["ok"] = False
    probe = write_openpyxl(["a", "b"], [["x", 1.5], [None, True]])
    with zipfile.ZipFile(io.BytesIO(probe)) as z:
        members = []
        for info in z.infolist():
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
            members.append((copy, z.read(info.filename)))
        sheet = z.read(_SHEET).decode("utf-8")
    start, end = sheet.find("<sheetData>"), sheet.find("</sheetData>")
    dim = re.search(r'<dimension ref="([^"]*)" />', sheet)
    if start < 0 or end < 0 or dim is None:
        return
    head = sheet[: start + len("<sheetData>")].replace(dim.group(0), '<dimension ref="{DIM}" />')
    _state["sheet"] = (head, sheet[end:])
    _state["members"] = members
    header = ["school_id", "name", "flag", "n", "share", "empty", "note"]
    rows = [["1", "МБОУ СОШ № 1 «Ёлка» & <b>", True, 12, 0.1 + 0.2, "", None],
            ["2", "ООШ", False, -3, -1.5e-07, None, "a, b; c"],
            ["03", "x" * 300, None, 10**17, 123456789.123456789, "", "'=1"]]
    fast = _sheet(_state, header, rows)
    _state["ok"] = fast is not None and _zip(_state, fast) == write_openpyxl(header, rows)


def workbook_bytes(title: str, header: list[str], rows: list[list],
                   write_openpyxl: Callable[[list, list], bytes]) -> bytes | None:
    """The workbook openpyxl would write for ``header`` and ``rows`` (values already plain
    Python) on a sheet named ``title``, or None when the fast path does not apply (the
    caller then uses openpyxl). ``write_openpyxl(header, rows)`` returns openpyxl's bytes."""
    state = _states.setdefault(title, {})
    if "ok" not in state:
        _learn(state, write_openpyxl)
    if not state["ok"]:
        return None
    sheet = _sheet(state, header, rows)
    return None if sheet is None else _zip(state, sheet)

"""The season's workbook ``таблицы.xlsx``: the tables methodologists hand on, ready for Excel.

One sheet per table — schools, metrics, data issues, objectivity signs, the identifier table,
monitoring indicators, recommendations — with Russian column headers, widths that fit the
text, number formats (percent with one decimal for shares, integers for counts, one decimal
for marks and scores, three decimals for indices), «да»/«нет» instead of TRUE/FALSE, a frozen
header row and an autofilter. Text from people's files is made safe first
(:func:`~shnor_lib.io.writers.safe_cells`), and fixed document properties make equal tables
give equal bytes. The CSV tables beside it stay the machine-readable copy (raw column names).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import xlsxwriter

from .writers import _cell, safe_cells

if TYPE_CHECKING:  # annotations only: io does not import the pipeline
    from ..pipeline.season import SeasonResult

__all__ = ["WORKBOOK_NAME", "SHEETS", "HEADERS", "workbook_bytes", "write_workbook"]

#: File name of the season's workbook, beside its CSV tables.
WORKBOOK_NAME = "таблицы.xlsx"

#: Sheet name → the CSV table it holds (``docs/outputs``).
SHEETS = {
    "Школы": "schools.csv",
    "Показатели": "metrics.csv",
    "Качество данных": "data_issues.csv",
    "Объективность": "objectivity.csv",
    "Таблица-идентификатор": "identifier_table.csv",
    "Мониторинг": "indicators.csv",
    "Рекомендации": "recommendations.csv",
}

# Number formats by kind of column.
PCT, INT, DEC1, DEC3, P, BOOL, TEXT = "0.0%", "0", "0.0", "0.000", "0.0000", "bool", "text"

#: Column → (Russian header, kind). Columns not listed keep their name and are written as they are.
HEADERS: dict[str, tuple[str, str]] = {
    # schools.csv
    "school_id": ("Код ОО", TEXT), "name": ("Наименование", TEXT), "kind": ("Тип ОО", TEXT),
    "territory": ("Территория", TEXT), "status": ("Статус", TEXT), "shnor": ("ШНОР", BOOL),
    "shnor_branch": ("Условие ШНОР", TEXT), "shnsu": ("ШНСУ", BOOL), "risk_zone": ("Зона риска", BOOL),
    "reasons": ("Основания", TEXT), "isbsh": ("ИСБШ", DEC3), "isbsh_group": ("Группа ИСБШ", INT),
    "isbsh_level": ("Уровень ИСБШ", TEXT), "isbsh_quartile": ("Квартиль ИСБШ", INT), "iursh": ("ИУРШ", DEC3),
    "iursh_group": ("Группа ИУРШ", INT), "quality_index": ("Индекс качества", DEC3),
    "quality_n": ("Участников в индексе качества", INT), "quality_group": ("Группа качества", INT),
    "predicted": ("Ожидаемый индекс качества", DEC3), "pi_low": ("Интервал прогноза: от", DEC3),
    "pi_high": ("Интервал прогноза: до", DEC3), "residual": ("Отклонение от ожидаемого", DEC3),
    "resilience": ("Оценка с учётом контекста", TEXT), "p_value": ("p-значение", P),
    "p_adjusted": ("p-значение с поправкой", P), "z_score": ("z-оценка", DEC3),
    "robust_k": ("Вариантов модели с тем же выводом", INT), "robust_m": ("Вариантов модели всего", INT),
    "fragile": ("Вывод неустойчив", BOOL), "school_effect": ("Эффект школы", DEC3),
    "effect_low": ("Эффект школы: от", DEC3), "effect_high": ("Эффект школы: до", DEC3),
    "effect_label": ("Эффект школы словами", TEXT), "cluster": ("Кластер", INT),
    "objectivity_flags": ("Признаки необъективности", TEXT), "indices_source": ("Источник индексов", TEXT),
    "students_total": ("Обучающихся", INT),
    # metrics.csv
    "year": ("Год", INT), "procedure": ("Процедура", TEXT), "subject": ("Предмет", TEXT),
    "participants": ("Участников", INT), "failed": ("Получили «2»", INT), "quality": ("Получили «4» и «5»", INT),
    "high": ("Получили «5»", INT), "in_scope": ("Учитывается правилом", BOOL), "grades": ("Классы", TEXT),
    "fail_share": ("Доля «2»", PCT), "fail_low": ("Доля «2»: от", PCT), "fail_high": ("Доля «2»: до", PCT),
    "base_share": ("Успеваемость", PCT), "quality_share": ("Качество знаний", PCT),
    "quality_low": ("Качество знаний: от", PCT), "quality_high": ("Качество знаний: до", PCT),
    "high_share": ("Доля «5»", PCT), "mean_mark": ("Средняя отметка", DEC1), "mean_score": ("Средний балл ЕГЭ", DEC1),
    "enough": ("Участников достаточно", BOOL),
    # data_issues.csv
    "municipality": ("Муниципалитет", TEXT), "file": ("Файл", TEXT), "row": ("Строка файла", INT),
    "grade": ("Класс", INT), "action": ("Что сделано", TEXT), "reason": ("Почему", TEXT),
    "original": ("Исходная строка", TEXT),
    # objectivity.csv
    "flag": ("Код признака", TEXT), "detail": ("Числа", TEXT), "flag_label": ("Признак", TEXT),
    # indicators.csv
    "code": ("Код показателя", TEXT), "level": ("Уровень", TEXT), "population": ("По каким школам", TEXT),
    "unit": ("Единица", TEXT), "direction": ("Лучше, когда", TEXT), "fact": ("Факт", DEC1),
    "numerator": ("Числитель", INT), "denominator": ("Знаменатель", INT), "plan": ("План", DEC1),
    "baseline": ("Базовое значение", DEC1), "plan_met": ("План достигнут", BOOL),
    "dynamics_level": ("Уровень динамики", INT), "dynamics_label": ("Динамика", TEXT),
    "source": ("Источник", TEXT), "note": ("Примечание", TEXT),
    # recommendations.csv
    "trigger_kind": ("Вид основания", TEXT), "trigger": ("Основание", TEXT), "measure_id": ("Код меры", TEXT),
    "recommendation": ("Мера", TEXT), "addressee": ("Адресат", TEXT),
}
# the identifier table's own headers are Russian already; its cells are school codes
_IDENTIFIER = {"Группа ИСБШ": ("Группа ИСБШ", TEXT), "Итого ОО": ("Итого ОО", INT),
               **{str(g): (f"Группа качества {g}", TEXT) for g in range(1, 12)}}

#: What an empty cell of these columns means, in the report's words (``report.common.status_word``).
_NONE_SHOWN = {"status": "без статуса"}

_MAX_WIDTH, _MIN_WIDTH = 60, 6
_PROPERTIES = {"author": "shnor", "created": pd.Timestamp(2000, 1, 1).to_pydatetime()}
_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False, "in_memory": True}


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SHOWN = {PCT: lambda v: f"{100 * v:.1f}%", INT: lambda v: f"{v:.0f}", DEC1: lambda v: f"{v:.1f}",
          DEC3: lambda v: f"{v:.3f}", P: lambda v: f"{v:.4f}"}


def _width(header: str, values: list[object], kind: str) -> float:
    """Characters the column needs: its longest value as shown (numbers in their format) or the longest
    word of its header, within limits."""
    shown = _SHOWN.get(kind, _text)
    longest = max((len(shown(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   else len(_text(v)) for v in _distinct(values) if v is not None), default=0)
    head = max((len(w) for w in header.split()), default=0)
    return float(min(_MAX_WIDTH, max(_MIN_WIDTH, longest + 2, head + 2, min(len(header), 16) + 1)))


def _distinct(values: list[object]) -> list[object]:
    """``values`` with each text once (a column repeats its names and codes); numbers all kept, since
    equal numbers can be shown differently (``0.0`` and ``-0.0``, ``1`` and ``True``)."""
    texts = {v for v in values if type(v) is str}
    return [*texts, *(v for v in values if type(v) is not str)]


def _column(values: list[object], kind: str, formats: dict) -> list[tuple[int, object, object]]:
    """How each cell of a column is written: ``(how, value, format)``, ``how`` 0 = skip, 1 = number, 2 = text."""
    number_format = formats.get(kind)
    text_format = formats["text"]
    out: list[tuple[int, object, object]] = []
    for value in values:
        if value is None:
            out.append((0, None, None))
        elif isinstance(value, bool) or kind == BOOL and isinstance(value, (int, float)):
            out.append((2, "да" if value else "нет", None))
        elif isinstance(value, (int, float)) and math.isfinite(value):
            fmt = number_format if number_format is not None else formats[DEC3 if isinstance(value, float) else INT]
            out.append((1, value, fmt))
        else:
            out.append((2, str(value), text_format))
    return out


def _sheet(book: xlsxwriter.Workbook, name: str, df: pd.DataFrame, formats: dict, labels: Mapping) -> None:
    ws = book.add_worksheet(name[:31])
    df = safe_cells(df)
    columns = [str(c) for c in df.columns]
    kinds = [labels.get(c, (c, TEXT))[1] for c in columns]
    headers = [labels.get(c, (c, TEXT))[0] for c in columns]
    ws.write_row(0, 0, headers, formats["head"])
    # column by column (pandas hands out a column's values at once), written row by row as before:
    # the workbook's shared strings are numbered in the order they are first written
    values = [[_cell(v) for v in df.iloc[:, c].tolist()] for c in range(len(columns))]
    for c, col in enumerate(columns):
        if col in _NONE_SHOWN:  # a school without a status reads as the report words it, not as a blank
            values[c] = [_NONE_SHOWN[col] if v is None or v == "" else v for v in values[c]]
    plans = [_column(v, kinds[c], formats) for c, v in enumerate(values)]
    # XlsxWriter's undecorated writers: the public ones only add an «A1» notation check per cell
    write_number = getattr(ws, "_write_number", ws.write_number)
    write_string = getattr(ws, "_write_string", ws.write_string)
    for r, row in enumerate(zip(*plans), start=1):
        for c, (how, value, fmt) in enumerate(row):
            if how == 1:
                write_number(r, c, value, fmt)
            elif how == 2:
                write_string(r, c, value, fmt)
    n_rows = len(df)
    for c, header in enumerate(headers):
        width = _width(header, values[c], kinds[c])
        # a long text column wraps at the widest width instead of running off the screen
        ws.set_column(c, c, width, formats["wrap"] if width >= _MAX_WIDTH else None)
    ws.set_row(0, None, formats["head"])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n_rows, 1), max(len(columns) - 1, 0))


def workbook_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook of ``tables`` (sheet name → table in the columns of its CSV), as bytes.

    Equal tables give equal bytes (fixed document properties and zip dates).
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, _OPTIONS)
    book.set_properties(_PROPERTIES)
    formats = {
        "head": book.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bg_color": "#EEF1F5",
                                 "bottom": 1}),
        "text": book.add_format({"valign": "top"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        PCT: book.add_format({"num_format": PCT, "valign": "top"}),
        INT: book.add_format({"num_format": INT, "valign": "top"}),
        DEC1: book.add_format({"num_format": DEC1, "valign": "top"}),
        DEC3: book.add_format({"num_format": DEC3, "valign": "top"}),
        P: book.add_format({"num_format": P, "valign": "top"}),
    }
    for name, df in tables.items():
        labels = {**HEADERS, **_IDENTIFIER} if SHEETS.get(name) == "identifier_table.csv" else HEADERS
        _sheet(book, name, df, formats, labels)
    book.close()
    return buffer.getvalue()


def season_tables(result: SeasonResult) -> dict[str, pd.DataFrame]:
    """The workbook's tables of a computed season (:class:`~shnor_lib.pipeline.season.SeasonResult`)."""
    support = result.support
    empty = pd.DataFrame()
    tables = {
        "Школы": result.schools,
        "Показатели": result.metrics,
        "Качество данных": result.issues,
        "Объективность": result.flags,
        "Таблица-идентификатор": result.identifier_table.reset_index(),
        "Мониторинг": support.indicators if support is not None and support.indicators is not None else empty,
        "Рекомендации": (support.recommendations if support is not None and support.recommendations is not None
                         else empty),
    }
    return {k: v for k, v in tables.items() if v is not None and len(v.columns)}


def write_workbook(result: SeasonResult, path: str | Path) -> Path:
    """Write the season's workbook (:data:`WORKBOOK_NAME`) to ``path``, replacing it whole."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(workbook_bytes(season_tables(result)))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

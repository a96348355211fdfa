"""XLSX templates of a season's input files, generated from the declared contract.

``create_templates(data_root, municipality, year)`` writes one workbook per contract
file into ``data_root/<municipality>/<year>/``: row 1 holds the Russian labels the
reader expects, row 2 a grey hint with the English name and the unit (the reader
skips it), drop-down lists and number checks guard the cells a methodologist fills
by hand, and an «Инструкция» sheet explains the whole season in Russian. Columns,
labels, units, required flags and the accepted values all come from
:mod:`shnor_lib.contract.schema`; this module only lays them out.

The bytes depend on the arguments only (fixed dates inside the workbook and the
zip), so templates can be committed and compared.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..contract.schema import (
    CONTRACT,
    RISK_FACTORS,
    RISK_PROFILE_VARIANT_NAMES,
    RISK_PROFILE_VARIANTS,
    SIGNIFICANCE_LEVELS,
    Column,
    FileSpec,
)
from ..contract.vocabulary import load_vocabulary
from ..errors import PathError
from .fisoko import LAYOUTS
from .paths import safe_component
from .readers import rows_description

__all__ = ["create_templates", "template_workbook", "save_workbook", "SUBJECTS", "FIRST_DATA_ROW"]

FIRST_DATA_ROW = 3  # row 1: Russian labels, row 2: English name and unit
LAST_CHECKED_ROW = 20000  # drop-down lists and number checks cover this many rows
FIXED_TIME = dt.datetime(2000, 1, 1)  # workbook properties and zip entries: same bytes on every run
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Subjects offered in the drop-down: the vocabulary's canonical names (parameters/vocabulary.yml).
# A value outside the list is refused on reading (its aliases are accepted), so the list stops it here too.
SUBJECTS: tuple[str, ...] = tuple(load_vocabulary().names("subject"))
_YES_NO = ("да", "нет")

_BOLD = Font(bold=True)
_HINT = Font(italic=True, color="808080")
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_OPTIONAL_FILL = PatternFill("solid", fgColor="EDEDED")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


# ---------------------------------------------------------------- what a column accepts

def _choices(col: Column) -> tuple[tuple[str, ...], str, str] | None:
    """Drop-down values of a column, the Excel error style and the message; None for free cells."""
    if col.name == "procedure":
        values = tuple(load_vocabulary().names("procedure"))
        return values, "stop", "Выберите процедуру из списка: " + ", ".join(values) + "."
    if col.name == "subject":
        return SUBJECTS, "warning", ("Предмета нет в списке — проверьте написание. Программа принимает "
                                     "названия из списка и их обычные сокращения («Рус. яз.», «Матем.»).")
    if col.name == "significance":
        values = tuple(SIGNIFICANCE_LEVELS)
        return values, "stop", "Значимость: " + ", ".join(values) + "."
    if col.name == "factor":
        lo, hi = min(RISK_FACTORS), max(RISK_FACTORS)
        return (tuple(str(k) for k in RISK_FACTORS), "warning",
                "Укажите название фактора (перечень — на листе «Инструкция») или его номер вместе со столбцом "
                f"«Вариант профиля»: номера {lo}–{hi} — «каталог», в профилях ФИОКО ШНОР и ШНСУ нумерация своя.")
    if col.name == "profile_variant":
        values = tuple(RISK_PROFILE_VARIANT_NAMES.values())
        return values, "stop", "Вариант профиля (чья нумерация факторов): " + ", ".join(values) + "."
    if col.kind == "yesno":
        return _YES_NO, "stop", "Ответ: «да» или «нет»."
    return None


def _number_check(col: Column) -> DataValidation | None:
    """Excel-side check of a number cell (the program checks again on reading)."""
    if col.name == "grade":
        return DataValidation(type="whole", operator="between", formula1="1", formula2="11", allow_blank=True,
                              showErrorMessage=True, errorTitle="Класс", error="Класс — целое число от 1 до 11.")
    if col.kind == "int":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                              showErrorMessage=True, errorTitle="Количество",
                              error="Количество — целое неотрицательное число.")
    return None


def _hint(col: Column) -> str:
    """Row-2 text: it must start with the English name (that is how the reader recognises the row)."""
    text = col.name + (f" ({col.unit})" if col.unit else "")
    return text + (" — обязательный" if col.required else "")


# ---------------------------------------------------------------- workbook

def template_workbook(spec: FileSpec, municipality: str, year: int | str, data_dir: str = "data_raw") -> Workbook:
    """The template of one contract file: the data sheet first (the reader reads it), then «Инструкция».

    Parameters
    ----------
    spec : FileSpec
        One entry of :data:`shnor_lib.contract.schema.CONTRACT`.
    municipality, year : shown in the instruction and the workbook title.
    data_dir : the name of the data folder shown in the instruction (``data_raw``).
    """
    wb = Workbook()
    ws = wb.active
    ws.title = spec.stem
    for j, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(j)
        head = ws.cell(row=1, column=j, value=col.label)
        head.font, head.alignment = _BOLD, Alignment(wrap_text=True, vertical="center")
        head.fill = _REQUIRED_FILL if col.required else _OPTIONAL_FILL
        ws.cell(row=2, column=j, value=_hint(col)).font = _HINT
        ws.column_dimensions[letter].width = min(max(len(col.label), len(_hint(col)), 8) + 2, 45)
        if col.kind in ("str", "yesno"):
            # Text cells keep «001» as typed instead of turning it into the number 1.
            ws.column_dimensions[letter].number_format = "@"
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_CHECKED_ROW}"
        choice = _choices(col)
        if choice is not None:
            values, style, message = choice
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                showErrorMessage=True, errorStyle=style, errorTitle=col.label[:32], error=message)
        else:
            dv = _number_check(col)
        if dv is not None:
            dv.add(cells)
            ws.add_data_validation(dv)
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    _instruction(wb.create_sheet("Инструкция"), spec, municipality, year, data_dir)
    props = wb.properties
    props.creator, props.lastModifiedBy = "shnor", "shnor"
    props.created = props.modified = FIXED_TIME
    props.title = f"Шаблон «{spec.stem}»: {spec.title}"
    return wb


def _instruction(ws: Worksheet, spec: FileSpec, municipality: str, year: int | str, data_dir: str) -> None:
    """The «Инструкция» sheet: the season's files, their columns and the rules of reading, in Russian."""
    folder = f"{data_dir}/{municipality}/{year}/"
    required = [s.stem for s in CONTRACT.values() if s.required]
    optional = [s.stem for s in CONTRACT.values() if not s.required]
    lines: list[tuple[str, ...] | str] = [
        ("# Шаблон входных данных ШНОР / ШНСУ",),
        f"Муниципалитет: {municipality}; учебный год (сезон): {year}. "
        f"Этот файл — «{spec.stem}.xlsx»: {spec.title.lower()} ({rows_description(spec)}).",
        "",
        ("# Куда положить файлы",),
        f"Все файлы сезона лежат в одной папке: {folder} — имена файлов не меняйте "
        f"({', '.join(s + '.xlsx' for s in CONTRACT)}).",
        f"Обязательные файлы: {', '.join(required)}. Необязательные: {', '.join(optional)}; "
        "анализ, которому нужен отсутствующий файл, сообщит об этом в отчёте.",
        "Файл можно сохранить и как CSV (UTF-8 или Windows-1251, разделитель «;» или «,»), "
        "но в папке не должно быть одновременно CSV и XLSX одного вида.",
        "",
        ("# Откуда берутся числа",),
        f"ВПР — из ФИС ОКО (отчёты {' и '.join(f'«{lay.title}»' for lay in LAYOUTS.values())}). "
        f"Их не нужно перепечатывать: выгрузки, как они скачаны (XLSX), можно положить в папку {folder}fisoko/ — "
        "программа прочитает их сама, пересчитает проценты в количество участников и проверит, что пересчёт "
        "даёт те же проценты. Тогда в results.xlsx вносятся только остальные строки (ОГЭ, ЕГЭ и то, чего нет "
        "в выгрузках); одна и та же работа школы не должна быть и в выгрузке, и в results.",
        "Школа в выгрузке ФИС ОКО названа логином (eduNNNNNN, до 2022 года schNNNNNN — те же цифры): впишите его "
        "в столбец «Логин ФИС ОКО» файла schools (или используйте логин как код ОО).",
        "ОГЭ (ГИА-9) и ЕГЭ (ГИА-11) — из РИС ГИА (региональный центр обработки информации).",
        "social — из социального паспорта школы; teachers — из кадрового отчёта школы (сведения о педагогических "
        "работниках); monitoring — из мониторинговой формы муниципалитета.",
        "",
        ("# Как заполнять",),
        "Читается только первый лист. Строка 1 — заголовки: не переименовывайте их (порядок столбцов не важен, "
        "лишние столбцы разрешены и не используются).",
        "Строка 2 — серая подсказка (английское имя столбца и единица): её можно оставить или удалить. "
        f"Данные — с {FIRST_DATA_ROW}-й строки.",
        "Обязательные столбцы выделены жёлтым; пустая обязательная ячейка — ошибка, расчёт не выполняется.",
        "Необязательный файл, в котором остались только заголовки, считается отсутствующим; "
        "обязательный файл без строк данных — ошибка.",
        "",
        ("# Числа, проценты и пустые ячейки",),
        "Количества указываются в людях (чел.) целыми числами; десятичный разделитель — запятая или точка.",
        "Отметки ВПР и ОГЭ («Отметка 2» … «Отметка 5») — число участников с этой отметкой. Если в строке указаны "
        "проценты (сумма 100 при числе участников не 100), программа пересчитает их в количество от числа "
        "участников и запишет это в data_issues.csv.",
        "Если сумма отметок не равна числу участников, строка исключается из расчёта и записывается "
        "в data_issues.csv с причиной (исходный файл не меняется).",
        "Пустая ячейка необязательного столбца означает «нет данных», а не ноль. Пустые ячейки отметок "
        "принимаются за 0, только если остальные отметки в сумме дают число участников (это тоже записывается "
        "в data_issues.csv).",
        "Столбцы журнала («Понизили», «Подтвердили», «Повысили») — число обучающихся или доля.",
        "Строка с числом участников 0 исключается из расчёта.",
        "",
        ("# ВПР, ОГЭ (ГИА-9) и ЕГЭ",),
        "ГИА-9 — это ОГЭ, ГИА-11 — это ЕГЭ: пишите ОГЭ и ЕГЭ. Одна школа, предмет и класс не должны повторяться "
        "под двумя названиями одной процедуры.",
        "ВПР и ОГЭ: заполняются отметки 2–5. ЕГЭ: «Не преодолели порог», «Высокий балл», «Средний балл» "
        "(кроме базовой математики, см. ниже).",
        "ЕГЭ по математике — два разных экзамена, у каждого своя строка: «математика (базовый уровень)» — "
        "отметки 2–5 («Отметка 2» … «Отметка 5»); «математика (профильный уровень)» — «Не преодолели порог», "
        "«Высокий балл», «Средний балл». Просто «математика» для ЕГЭ не принимается.",
        "",
        ("# Проверка и расчёт",),
        f"Проверить файлы:  shnor validate --data-root {data_dir} --municipality {municipality} --year {year}",
        f"Рассчитать:  shnor compute --data-root {data_dir} --municipality {municipality}",
        f"Отчёты:  shnor report --data-root {data_dir} --municipality {municipality}",
        "Ошибка в файле (нет столбца, не число, неизвестный код ОО, повтор строки …) останавливает расчёт; "
        "сообщение называет файл, строку и столбец. Ничего не записывается, пока ошибки не исправлены.",
        "",
        ("# Файлы сезона и их столбцы",),
    ]
    for s in CONTRACT.values():
        lines.append(("## " + f"{s.stem}.xlsx — {s.title} ({'обязательный' if s.required else 'необязательный'})",))
        lines.append(rows_description(s)[0].upper() + rows_description(s)[1:] + "." + (f" {s.notes}" if s.notes else ""))
        lines.append(("Заголовок", "Имя (англ.)", "Тип", "Обязательный", "Единица / значения"))
        for c in s.columns:
            lines.append((c.label, c.name, _KIND_RU.get(c.kind, c.kind), "да" if c.required else "", _values(c)))
        lines.append("")
    lines.append(("# Факторы риска (файл risk_profiles, столбец «Фактор риска»)",))
    lines.append("Пишите название фактора или номер вместе со столбцом «Вариант профиля»: в таблицах ФИОКО для "
                 "ШНОР и для ШНСУ одни и те же номера означают разные факторы. Номер без варианта — ошибка.")
    number_in = {key: {code: n for n, code in table.items()} for key, table in RISK_PROFILE_VARIANTS.items()}
    lines.append(("Название", *(f"№ «{RISK_PROFILE_VARIANT_NAMES[k]}»" for k in number_in)))
    for code, name in RISK_FACTORS.items():
        lines.append((name, *(str(number_in[k].get(code, "—")) for k in number_in)))
    lines.append("")
    lines.append(f"Значимость: {', '.join(SIGNIFICANCE_LEVELS)}. Ответы «да/нет»: «да» или «нет».")

    for i, line in enumerate(lines, start=1):
        if isinstance(line, str):
            ws.cell(row=i, column=1, value=line or None).alignment = _WRAP_TOP
            continue
        if len(line) == 1 and line[0].startswith("#"):
            cell = ws.cell(row=i, column=1, value=line[0].lstrip("# "))
            cell.font = Font(bold=True, size=14 if not line[0].startswith("##") else 12)
            continue
        for j, value in enumerate(line, start=1):
            cell = ws.cell(row=i, column=j, value=value)
            cell.alignment = _WRAP_TOP
            if line[0] == "Заголовок":
                cell.font = _BOLD
    for letter, width in zip("ABCDE", (70, 26, 10, 14, 30), strict=True):
        ws.column_dimensions[letter].width = width


_KIND_RU = {"str": "текст", "int": "целое", "float": "число", "yesno": "да/нет"}


def _values(col: Column) -> str:
    choice = _choices(col)
    if choice is not None and col.name != "factor":
        return ", ".join(choice[0][:6]) + (" …" if len(choice[0]) > 6 else "")
    return col.unit


# ---------------------------------------------------------------- saving

def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Save ``wb`` to ``path`` with the same bytes on every run, atomically.

    openpyxl stamps the current time into ``docProps/core.xml`` and into every zip
    entry; here the properties keep their own (fixed) dates and the zip entries get
    1980-01-01. The file appears under its name only when complete.
    """
    path = Path(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook(): it resets properties.modified
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(out.getvalue())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _check_names(municipality: object, year: object) -> tuple[str, str]:
    m = safe_component(municipality, "муниципалитет")
    if m.startswith((".", "_")):
        raise PathError(f"Недопустимое значение (муниципалитет): «{m}» — папки, имя которых начинается "
                        "с точки или подчёркивания, программа не читает.")
    y = safe_component(year, "год")
    if not (y.isascii() and y.isdigit() and len(y) == 4):
        raise PathError(f"Недопустимое значение (год): «{y}» — ожидается год четырьмя цифрами, например 2024.")
    return m, y


def create_templates(data_root: str | Path, municipality: str, year: int | str, *, overwrite: bool = False,
                     log: Callable[[str], None] | None = None) -> list[Path]:
    """Create ``data_root/<municipality>/<year>/`` with an XLSX template for every contract file.

    Parameters
    ----------
    data_root : path
        The data folder (``data_raw``); created when missing.
    municipality, year : str, int
        The season; each must be a safe folder name (see :func:`shnor_lib.io.paths.safe_component`),
        the year four digits.
    overwrite : bool
        Replace existing ``<file>.xlsx`` templates. Without it an existing file is never
        touched. A file present as CSV is never shadowed by a new XLSX of the same kind.
    log : callable, optional
        Receives one Russian line per file (created, overwritten, kept); ``shnor init`` prints them.

    Returns
    -------
    list of Path
        The files written (created or overwritten), in contract order.

    Raises
    ------
    PathError
        For an unsafe municipality or year, or a season folder that cannot be created.
    """
    m, y = _check_names(municipality, year)
    root = Path(data_root)
    folder = root / m / y
    say = log or (lambda _line: None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PathError(f"Не удаётся создать папку {folder}: {exc.strerror or exc}.") from None
    written: list[Path] = []
    for spec in CONTRACT.values():
        target = folder / f"{spec.stem}.xlsx"
        twin = folder / f"{spec.stem}.csv"
        if twin.exists():
            say(f"пропущен {target.name}: в папке уже есть {twin.name} (два файла одного вида недопустимы)")
            continue
        existed = target.exists()
        if existed and not overwrite:
            say(f"пропущен {target.name}: файл уже есть (заменить его пустым шаблоном можно только явно: --overwrite)")
            continue
        try:
            save_workbook(template_workbook(spec, m, y, root.name or "data_raw"), target)
        except OSError as exc:
            raise PathError(f"Не удаётся записать {target}: {exc.strerror or exc}.") from None
        say(f"{'перезаписан' if existed else 'создан'} {target}")
        written.append(target)
    return written

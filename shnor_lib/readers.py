"""Reading a season's files from disk: CSV (UTF-8 / Windows-1251, or UTF-16 with a byte-order
mark as Excel's «Текст в Юникоде» saves it; ``,`` / ``;`` / tab) or XLSX.

The reader returns every cell as text exactly as written, with the spreadsheet row
number of each row and the headers mapped to the contract's English names. Types
and checks are the validator's job.
"""

from __future__ import annotations

import csv
import errno
import functools
import hashlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .contract import CONTRACT, FileSpec, normalize_label
from .errors import Problem

if TYPE_CHECKING:
    from .fisoko import FisokoExports

__all__ = ["RawFile", "RawSeason", "read_table", "read_season", "sha256_file", "list_seasons",
           "rows_description"]

EXTENSIONS = (".csv", ".xlsx")
ROW = "_row"  # spreadsheet row number (header = 1)
# Column names the pipeline adds itself: a free (monitoring) column may not take them.
_RESERVED = {ROW, "municipality", "year"}
_OS_REASONS = {errno.EISDIR: "это папка, а не файл", errno.EACCES: "нет прав на чтение",
               errno.EPERM: "нет прав на чтение", errno.ENOENT: "файл исчез во время чтения"}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected workbooks


@dataclass
class RawFile:
    """One input file read as text: ``frame`` has contract names as columns plus ``_row``."""

    stem: str
    path: Path
    frame: pd.DataFrame
    sha256: str
    headers: dict[str, str] = field(default_factory=dict)  # contract name -> header as written
    encoding: str | None = None
    separator: str | None = None

    def label(self, column: str) -> str:
        """The header the user wrote for ``column`` (to quote it back in messages)."""
        return self.headers.get(column, column)


@dataclass
class RawSeason:
    """All files found for one municipality and year."""

    municipality: str
    year: int
    folder: Path
    files: dict[str, RawFile]
    problems: list[Problem]
    fisoko: FisokoExports | None = None  # exports in <season>/fisoko/ (shnor_lib.fisoko)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def list_seasons(data_root: Path, municipality: str = "all", year: str | int = "all") -> list[tuple[str, int]]:
    """(municipality, year) pairs present under ``data_root``, sorted."""
    out = []
    root = Path(data_root)
    if not root.is_dir():
        return out
    for mdir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if municipality not in ("all", None) and mdir.name != municipality:
            continue
        # ASCII digits only: str.isdigit() also accepts «²» or «٢», which int() rejects or reads differently.
        for ydir in sorted(p for p in mdir.iterdir() if p.is_dir() and p.name.isascii() and p.name.isdigit()):
            if year not in ("all", None) and int(ydir.name) != int(year):
                continue
            out.append((mdir.name, int(ydir.name)))
    return out


def _decode(raw: bytes, display: str) -> tuple[str, str] | Problem:
    # Excel's «Текст в Юникоде» is UTF-16 with a byte-order mark (and tabs): readable text, not binary.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return Problem(display, None, None, "не удаётся определить кодировку файла.",
                           "Сохраните файл в кодировке UTF-8 или Windows-1251.")
    if b"\x00" in raw[:4096]:
        return Problem(display, None, None, "файл не является текстовым CSV (двоичные данные).",
                       "Сохраните таблицу как CSV (UTF-8) или XLSX.")
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    return Problem(display, None, None, "не удаётся определить кодировку файла.",
                   "Сохраните файл в кодировке UTF-8 или Windows-1251.")


def _sniff_separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        # Excel shows 15 significant digits: a formula's 19.999999999999996 is the «20» the user sees.
        shown = float(f"{value:.15g}")
        if shown.is_integer() and abs(shown) < 1e15:
            return str(int(shown))
        return f"{shown:.15g}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value).strip()


def _read_grid(path: Path, display: str) -> tuple[list[list[str]], str | None, str | None, str] | Problem:
    """Cells as text, encoding, separator and the SHA-256 of the bytes read (or the problem)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder named like a file, no permission, a vanished network share
        reason = _OS_REASONS.get(exc.errno, exc.strerror or type(exc).__name__)
        return Problem(display, None, None, f"файл не читается ({reason}).",
                       "Проверьте, что это обычный файл и что он доступен для чтения.")
    if path.suffix.lower() == ".xlsx":
        if raw.startswith(_OLE2_MAGIC):
            return Problem(display, None, None, "это книга старого формата Excel 97–2003 (.xls) "
                           "или книга, защищённая паролем.",
                           "Снимите пароль и сохраните её как «Книга Excel (.xlsx)».")
        try:
            # openpyxl warns about styles and extensions it drops; the user cannot act on that.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sheet = pd.read_excel(io.BytesIO(raw), sheet_name=0, header=None, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for broken files
            return Problem(display, None, None, f"файл XLSX не читается ({type(exc).__name__}).",
                           "Откройте его в Excel и сохраните заново как «Книга Excel (.xlsx)».")
        grid = [[_cell_text(v) for v in row] for row in sheet.itertuples(index=False)]
        return grid, None, None, hashlib.sha256(raw).hexdigest()
    decoded = _decode(raw, display)
    if isinstance(decoded, Problem):
        return decoded
    text, encoding = decoded
    sep = _sniff_separator(text)
    # newline=None: a lone «\r» (old Mac line ends, stray carriage returns) ends a line too.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=sep)
    try:
        grid = [list(map(str.strip, row)) for row in reader]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            limit = f"{csv.field_size_limit():,}".replace(",", " ")
            return Problem(display, reader.line_num, None, "файл CSV повреждён: слишком длинная ячейка "
                           f"(больше {limit} символов) — вероятно, не закрыта кавычка «\"».",
                           "Проверьте кавычки в этой строке и выше или сохраните файл заново как CSV.")
        return Problem(display, reader.line_num, None, f"файл CSV повреждён: {exc}.", "Сохраните его заново как CSV.")
    # A quote opened and never closed swallows line ends and separators into one cell
    # (without any quote character no cell can hold a line end).
    for i, row in enumerate(grid if '"' in text else ()):
        if any("\n" in c and sep in c for c in row):
            return Problem(display, i + 1, None, "не закрыта кавычка «\"»: следующие строки файла попали в одну ячейку.",
                           "Закройте кавычку или удалите её.")
    return grid, encoding, sep, hashlib.sha256(raw).hexdigest()


@functools.cache
def _header_index(spec: FileSpec) -> dict[str, str]:
    index = {}
    for col in spec.columns:
        for text in (col.name, col.label, *col.aliases):
            index.setdefault(normalize_label(text), col.name)
    return index


def read_table(path: Path, spec: FileSpec, display: str | None = None) -> RawFile | list[Problem]:
    """Read one file into text cells with contract column names.

    Returns a :class:`RawFile`, or the list of problems that prevent reading it
    (undecodable, empty, duplicated or missing required headers).
    """
    path = Path(path)
    display = display or str(path)
    got = _read_grid(path, display)
    if isinstance(got, Problem):
        return [got]
    grid, encoding, sep, digest = got
    # Leading blank lines are skipped; the first non-empty row is the header.
    start = next((i for i, row in enumerate(grid) if any(c for c in row)), None)
    if start is None:
        if path.suffix.lower() == ".xlsx":
            return [Problem(display, None, None, "первый лист книги пустой.",
                            "Данные должны быть на первом листе: заголовок в строке 1, ниже — строки данных.")]
        return [Problem(display, None, None, "файл пустой.", "Заполните его по шаблону (shnor init).")]
    header = grid[start]
    index = _header_index(spec)  # shared: read only
    names: list[str] = []
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    for j, cell in enumerate(header):
        name = index.get(normalize_label(cell))
        if name is None:
            name = cell.strip() or f"_blank_{j}"
            if not spec.open_columns or name in _RESERVED or name.startswith("_"):
                name = f"_extra:{name}"
        if name in headers:
            problems.append(Problem(display, start + 1, cell, f"столбец повторяется (уже есть «{headers[name]}»).",
                                    "Оставьте один из них."))
        headers[name] = cell
        names.append(name)
    missing = [c for c in spec.required_columns if c not in headers]
    for col in missing:
        c = spec.column(col)
        problems.append(Problem(display, start + 1, c.label, "нет обязательного столбца.",
                                f"Добавьте столбец «{c.label}» (или «{c.name}»)."))
    if problems:
        return problems
    body = grid[start + 1:]
    rows, numbers = [], []
    english = {normalize_label(c.name) for c in spec.columns}
    width = len(names)
    for i, row in enumerate(body):
        if not any(row):  # every cell empty
            continue
        # Templates carry a second header row with English names and units: skip it.
        if i == 0 and all(normalize_label(c).split(" ")[0] in english for c in row if c):
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        elif len(row) > width:
            if any(row[width:]):
                problems.append(Problem(display, start + i + 2, None,
                                        f"в строке {len(row)} значений, а в заголовке {width} столбцов.",
                                        "Проверьте разделитель и лишние ячейки справа."))
                continue
            row = row[:width]
        rows.append(row)
        numbers.append(start + i + 2)
    if problems:
        return problems
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame(columns=names, dtype=object)
    frame[ROW] = numbers
    return RawFile(spec.stem, path, frame, digest, headers, encoding, sep)


def _near_misses(folder: Path, stem: str) -> list[str]:
    """Files that were probably meant as ``stem``: «Results.CSV», «results.xls», «results.csv.txt»."""
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:
        return []
    return sorted(n for n in names if n.split(".")[0].strip().lower() == stem and n not in {stem + e for e in EXTENSIONS})


def rows_description(spec: FileSpec) -> str:
    """What one row of the file is, in Russian («одна строка на каждую школу»)."""
    if spec.key == ("school_id",):
        return "одна строка на каждую школу"
    labels = " × ".join(f"«{spec.column(k).label}»" for k in spec.key)
    return f"одна строка на каждое сочетание {labels}"


def read_season(data_root: Path, municipality: str, year: int) -> RawSeason:
    """Find and read every contract file of ``data_root/municipality/year``."""
    folder = Path(data_root) / municipality / str(year)
    files: dict[str, RawFile] = {}
    problems: list[Problem] = []
    for stem, spec in CONTRACT.items():
        found = [folder / f"{stem}{ext}" for ext in EXTENSIONS if (folder / f"{stem}{ext}").exists()]
        display_dir = f"{Path(data_root).name}/{municipality}/{year}"
        if not found:
            if spec.required:
                near = _near_misses(folder, stem)
                hint = (f"Есть {', '.join(f'«{n}»' for n in near)} — переименуйте в «{stem}.csv» или «{stem}.xlsx»."
                        if near else "Положите его в папку сезона как .csv или .xlsx.")
                problems.append(Problem(f"{display_dir}/{stem}.csv", None, None,
                                        f"нет обязательного файла «{stem}» ({spec.title}).", hint))
            continue
        if len(found) > 1:
            problems.append(Problem(f"{display_dir}/{stem}", None, None,
                                    "файл есть и в CSV, и в XLSX — неясно, какой использовать.",
                                    "Оставьте один из них."))
            continue
        got = read_table(found[0], spec, f"{display_dir}/{found[0].name}")
        if isinstance(got, list):
            problems.extend(got)
        elif got.frame.empty:
            # A header without rows is an untouched template: fatal for a required file,
            # the same as no file at all for an optional one.
            if spec.required:
                problems.append(Problem(f"{display_dir}/{found[0].name}", None, None,
                                        "в файле нет ни одной строки данных (только заголовок).",
                                        f"Заполните его: {rows_description(spec)}."))
        else:
            files[stem] = got
    from .fisoko import read_exports  # imported here: fisoko builds on validation, which imports this module

    exports, more = read_exports(folder, f"{Path(data_root).name}/{municipality}/{year}", int(year))
    return RawSeason(municipality, int(year), folder, files, problems + more, exports)

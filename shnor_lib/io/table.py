"""Reading one input file from disk: CSV (UTF-8 / Windows-1251, or UTF-16 with a byte-order
mark as Excel's «Текст в Юникоде» saves it; ``,`` / ``;`` / tab, or the separator a ``sep=;``
first line names) or XLSX.

The reader returns every cell as text exactly as written (stripped), with the spreadsheet row
number of each row and the headers mapped to the contract's English names. Types and checks
are the validator's job. What the reader itself refuses, naming the file, row and column: a
file in two encodings (the lines are named), an unquoted decimal comma in a comma-separated
file, an unknown header that looks like a missing contract column, values under no header,
formulas whose values the XLSX does not store. Totals rows («Итого по МО») are left out and
returned in ``RawFile.skipped`` for the issues ledger. A large file is held as codes of its
distinct texts, never as a list of rows. A season's folder is read by :mod:`.readers`.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import errno
import functools
import hashlib
import io
import re
import warnings
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from ..contract.schema import FileSpec, normalize_label
from ..errors import Problem

__all__ = ["ROW", "LARGE_FILE_ROWS", "OLE2_MAGIC", "RawFile", "SkippedRow", "read_table", "sha256_file", "cell_text"]

ROW = "_row"  # spreadsheet row number (header = 1)
# Column names the pipeline adds itself: a free (monitoring) column may not take them.
_RESERVED = {ROW, "municipality", "year"}
_OS_REASONS: dict[int | None, str] = {errno.EISDIR: "это папка, а не файл", errno.EACCES: "нет прав на чтение",
               errno.EPERM: "нет прав на чтение", errno.ENOENT: "файл исчез во время чтения"}
LARGE_FILE_ROWS = 20_000  # from this many rows a file's text columns are categorical (memory)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected workbooks
# «sep=;» — the first line Excel writes (and reads) to name a CSV file's separator.
_SEP_LINE = re.compile(r'"?sep=([;,\t|])"?\1*[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)
_SEP_LINE_BYTES = re.compile(rb'"?sep=[;,\t|]', re.IGNORECASE)
_UTF8_CYRILLIC = re.compile(rb"[\xd0\xd1][\x80-\xbf]")  # a Cyrillic letter in UTF-8
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")  # <f>, <x:f …/> (not <formula1> of data validation)
# The first line with a visible character; line ends as ``str.splitlines`` knows them.
_FIRST_LINE = re.compile(r"[^\S\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]*\S[^\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]*")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
# Words that only say «a count of» in a header: «Кол-во "2"», «2 (чел.)», «Отметка 2» all mean n2.
_FILLER = {"кол", "во", "колво", "количество", "число", "чел", "человек", "отметка", "отметки", "отметок",
           "отметкой", "отм", "оценка", "оценки", "оценок", "оценкой", "получили", "получивших", "на", "с", "n"}
# A whole cell (normalised) that labels a totals row; school names never match (they do not
# start with these words, or only in other forms: «Средняя школа», «Итоговая …»).
_TOTALS = re.compile(
    r"(?:итого|итог)(?!\w).*"
    r"|всего\s*[:.]?\s*(?:(?:по|за|в|во|из|среди|на)\s+.+|\(.+\))?"
    r"|(?:в\s+целом|в\s+среднем|среднее(?:\s+значение)?)\s*(?:по\s+.+|:)?"
    r"|по\s+(?:мо|го|мр|му|району|округу|городу|муниципалитету|муниципальному\s+\w+|городскому\s+округу"
    r"|области|региону|всем\s+.+)(?:\s.*)?"
)


@dataclass(frozen=True)
class SkippedRow:
    """A totals row left out of a file: its row, the header and text of the cell that labels
    it («Итого по МО»), and all its cells (contract name -> text)."""

    row: int
    column: str
    text: str
    cells: dict[str, str]


@dataclass
class RawFile:
    """One input file read as text: ``frame`` has contract names as columns plus ``_row``.

    In a file of ``LARGE_FILE_ROWS`` rows or more the text columns are categorical (each
    distinct text of a column stored once); ``frame[c].astype(object)`` gives plain strings.
    """

    stem: str
    path: Path
    frame: pd.DataFrame
    sha256: str
    headers: dict[str, str] = field(default_factory=dict)  # contract name -> header as written
    encoding: str | None = None
    separator: str | None = None
    skipped: list[SkippedRow] = field(default_factory=list)  # totals rows, left out
    unknown: list[str] = field(default_factory=list)  # headers the contract does not know (ignored)

    def label(self, column: str) -> str:
        """The header the user wrote for ``column`` (to quote it back in messages)."""
        return self.headers.get(column, column)




def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()




def _line_numbers(lines: list[int], limit: int = 10) -> str:
    """«строка 3» / «строки 3, 7, 12» (at most ``limit`` numbers, then «… — всего 42»)."""
    if len(lines) == 1:
        return f"строка {lines[0]}"
    shown = ", ".join(map(str, lines[:limit]))
    return f"строки {shown}" + (f" … — всего {len(lines)}" if len(lines) > limit else "")


def _mixed_encoding(raw: bytes, display: str) -> Problem | None:
    """Lines of a file that is not UTF-8 as a whole, when they are not all in one encoding.

    A UTF-8 file with a line pasted from a Windows-1251 one (or the reverse) decodes as
    Windows-1251 throughout, and its UTF-8 lines become «РњР°С‚…»: name those lines instead.
    Lines that neither encoding reads are named too. Line numbers are the file's own (a
    ``sep=`` first line is not counted, as Excel hides it).
    """
    # Without a UTF-8 Cyrillic letter anywhere the file is plain Windows-1251 (the usual case,
    # checked without splitting the file into lines).
    has_utf8 = _UTF8_CYRILLIC.search(raw) is not None
    if not has_utf8 and b"\x98" not in raw:
        return None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    offset = 1 if _SEP_LINE_BYTES.match(body) else 0
    utf8, other, neither = [], [], []
    for no, line in enumerate(body.splitlines(), 1 - offset):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(no)
        except UnicodeDecodeError:
            try:
                line.decode("cp1251")
                other.append(no)
            except UnicodeDecodeError:
                neither.append(no)
    if neither:
        return Problem(display, neither[0] if len(neither) == 1 else None, None,
                       ("не удаётся определить кодировку: " if len(neither) == 1 else
                        f"не удаётся определить кодировку ({_line_numbers(neither)}): ")
                       + "в строке есть байты, которых нет ни в UTF-8, ни в Windows-1251.",
                       "Сохраните файл в кодировке UTF-8 или Windows-1251.")
    if not (utf8 and other):
        return None
    # The minority of lines is what was pasted in.
    if len(other) <= len(utf8):
        lines, own, foreign = other, "UTF-8", "Windows-1251"
    else:
        lines, own, foreign = utf8, "Windows-1251", "UTF-8"
    where = "эта строка записана" if len(lines) == 1 else f"{_line_numbers(lines)} записаны"
    return Problem(display, lines[0] if len(lines) == 1 else None, None,
                   f"{where} в кодировке {foreign}, а остальной файл — в {own}: "
                   "прочитать файл однозначно нельзя (русские буквы превратились бы в «кракозябры»).",
                   "Сохраните файл заново целиком в одной кодировке (в Excel: «CSV UTF-8») "
                   + ("или перепечатайте эту строку." if len(lines) == 1 else "или перепечатайте эти строки."))


def _decodes(raw: bytes, codec: str) -> bool:
    """Whether ``raw`` is valid in ``codec``, checked piece by piece (a large file is never
    held as one more copy of itself)."""
    decoder = codecs.getincrementaldecoder(codec)()
    view, step = memoryview(raw), 1 << 20
    try:
        for k in range(0, len(raw), step):
            decoder.decode(view[k:k + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode(raw: bytes, display: str) -> tuple[str, str] | Problem:
    """The codec to read ``raw`` with and the encoding to report («utf-8», «cp1251», «utf-16»)."""
    # Excel's «Текст в Юникоде» is UTF-16 with a byte-order mark (and tabs): readable text, not binary.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _decodes(raw, "utf-16"):
            return "utf-16", "utf-16"
        return Problem(display, None, None, "не удаётся определить кодировку файла.",
                       "Сохраните файл в кодировке UTF-8 или Windows-1251.")
    if b"\x00" in raw[:4096]:
        return Problem(display, None, None, "файл не является текстовым CSV (двоичные данные).",
                       "Сохраните таблицу как CSV (UTF-8) или XLSX.")
    if _decodes(raw, "utf-8-sig"):
        return "utf-8-sig", "utf-8"
    mixed = _mixed_encoding(raw, display)
    if mixed is not None:
        return mixed
    if _decodes(raw, "cp1251"):
        return "cp1251", "cp1251"
    return Problem(display, None, None, "не удаётся определить кодировку файла.",  # pragma: no cover
                   "Сохраните файл в кодировке UTF-8 или Windows-1251.")  # (_mixed_encoding names such lines)


def _sniff_separator(text: str) -> str:
    found = _FIRST_LINE.search(text)  # the first line that is not blank (without splitting the file)
    first = found.group(0) if found else ""
    counts = {sep: first.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def cell_text(value: object) -> str:
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


class _Stop(Exception):
    """A problem met while rows are streamed: the file cannot be read further."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Grid:
    """A file's records as lists of stripped text cells, streamed (a large file is never held
    as a list of rows: only its distinct texts and their codes are kept, see ``_Columns``)."""

    rows: Iterator[list[str]]
    encoding: str | None
    separator: str | None
    sha256: str
    formulas: list[tuple[int, int]] = field(default_factory=list)  # XLSX cells (row, column), 0-based


def _csv_rows(lines: Iterator[str], sep: str, display: str, quotes: bool) -> Iterator[list[str]]:
    """Records of a CSV file as lists of cells as written; ``quotes``: the file has a «"»."""
    reader = csv.reader(lines, delimiter=sep)
    i = 0
    try:
        for row in reader:
            # A quote opened and never closed swallows line ends and separators into one cell
            # (without any quote character no cell can hold a line end).
            if quotes and any("\n" in c and sep in c for c in row):
                raise _Stop(Problem(display, i + 1, None, "не закрыта кавычка «\"»: следующие строки файла "
                                    "попали в одну ячейку.", "Закройте кавычку или удалите её."))
            yield list(map(str.strip, row))
            i += 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            limit = f"{csv.field_size_limit():,}".replace(",", " ")
            raise _Stop(Problem(display, reader.line_num, None, "файл CSV повреждён: слишком длинная ячейка "
                                f"(больше {limit} символов) — вероятно, не закрыта кавычка «\"».",
                                "Проверьте кавычки в этой строке и выше или сохраните файл заново как CSV.")) from None
        raise _Stop(Problem(display, reader.line_num, None, f"файл CSV повреждён: {exc}.",
                            "Сохраните его заново как CSV.")) from None


def _xlsx_uncached_formulas(raw: bytes) -> list[tuple[int, int]]:
    """Cells (row, column; 0-based) of the first sheet holding a formula whose value the file
    does not store — what openpyxl, XlsxWriter and other scripts write: Excel computes it
    when it opens the book, but a reader sees an empty cell (or XlsxWriter's placeholder 0).

    A formula counts as without a value when its cell has no ``<v>`` (or an empty one that
    is not a text result), or when the book asks for every formula to be recalculated on
    opening (``fullCalcOnLoad``: the stored values were not computed by a spreadsheet).
    """
    # here: openpyxl costs 0.15 s of every report kernel's start, which reads no file
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import _find_workbook_part  # here: as the line above
    from openpyxl.reader.workbook import WorkbookParser  # here: as above
    from openpyxl.utils.cell import coordinate_to_tuple  # here: as above
    from openpyxl.xml.functions import fromstring  # here: as above

    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(_FORMULA_TAG.search(z.read(n)) for n in sheets):
            return []
        manifest = Manifest.from_tree(fromstring(z.read("[Content_Types].xml")))
        part = _find_workbook_part(manifest).PartName[1:]
        parser = WorkbookParser(z, part, keep_links=False)
        parser.parse()
        # Read the attribute itself: openpyxl's CalcProperties default it to True when absent.
        calc = next((el for el in ElementTree.fromstring(z.read(part)).iter() if el.tag.endswith("}calcPr")), None)
        recalc = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
        # pandas reads the first worksheet (chart sheets are not worksheets).
        target = next((rel.target for _, rel in parser.find_sheets() if rel.Type.endswith("/worksheet")), None)
        if target is None or target not in z.namelist():
            return []
        out = []
        with z.open(target) as fh:
            for _, el in ElementTree.iterparse(fh):
                if el.tag.rsplit("}", 1)[-1] != "c":
                    continue
                children = {child.tag.rsplit("}", 1)[-1]: child for child in el}
                if "f" in children:
                    v = children.get("v")
                    empty = v is None or not (v.text or "") and el.get("t") not in ("str", "inlineStr")
                    if recalc or empty:
                        row, col = coordinate_to_tuple(el.get("r"))
                        out.append((row - 1, col - 1))
                el.clear()
        return out


def _read_grid(path: Path, display: str) -> _Grid | Problem:
    """The file's cells as text, streamed, with its encoding, separator and SHA-256 (or the problem)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder named like a file, no permission, a vanished network share
        reason = _OS_REASONS.get(exc.errno, exc.strerror or type(exc).__name__)
        return Problem(display, None, None, f"файл не читается ({reason}).",
                       "Проверьте, что это обычный файл и что он доступен для чтения.")
    digest = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() == ".xlsx":
        if raw.startswith(OLE2_MAGIC):
            return Problem(display, None, None, "это книга старого формата Excel 97–2003 (.xls) "
                           "или книга, защищённая паролем.",
                           "Снимите пароль и сохраните её как «Книга Excel (.xlsx)».")
        try:
            # openpyxl warns about styles and extensions it drops; the user cannot act on that.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sheet = pd.read_excel(io.BytesIO(raw), sheet_name=0, header=None, dtype=object, engine="openpyxl")
                formulas = _xlsx_uncached_formulas(raw)
        except Exception as exc:  # openpyxl raises many kinds for broken files
            return Problem(display, None, None, f"файл XLSX не читается ({type(exc).__name__}).",
                           "Откройте его в Excel и сохраните заново как «Книга Excel (.xlsx)».")
        rows = ([cell_text(v) for v in row] for row in sheet.itertuples(index=False))
        return _Grid(rows, None, None, digest, formulas)
    decoded = _decode(raw, display)
    if isinstance(decoded, Problem):
        return decoded
    codec, encoding = decoded
    # The text is decoded as it is parsed, never held whole. newline=None: a lone «\r» (old
    # Mac line ends, stray carriage returns) ends a line too.
    stream = io.TextIOWrapper(io.BytesIO(raw), encoding=codec, newline=None)
    head = raw[:1 << 20].decode(codec, errors="ignore")
    if len(raw) > 1 << 20 and not _FIRST_LINE.search(head):
        head = raw.decode(codec)  # a megabyte of blank lines before the header
    # Excel writes «sep=;» as the first line when asked to, and hides it when it opens the file:
    # honour it, and count rows as Excel shows them (the header is row 1).
    declared = _SEP_LINE.match(head)
    if declared:
        sep = declared.group(1)
        stream.readline()
    else:
        sep = _sniff_separator(head)
    quotes = b'"' in raw if codec != "utf-16" else '"' in raw.decode(codec)
    return _Grid(_csv_rows(stream, sep, display, quotes), encoding, sep, digest)


@functools.cache
def _header_index(spec: FileSpec) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in spec.columns:
        for text in (col.name, col.label, *col.aliases):
            index.setdefault(normalize_label(text), col.name)
    return index


def _tokens(text: str) -> list[str]:
    """Words and numbers of a header without the filler words of counts («Кол-во "2"» → ["2"])."""
    return [t for t in _TOKEN.findall(normalize_label(text)) if t not in _FILLER]


def _resemblance(header: str, spelling: str) -> float:
    """How much an unknown header looks like a spelling of a contract column (0 — not at all).

    The same words once filler is dropped («Кол-во "2"», «2 (чел.)» and «Отметка 2»),
    abbreviations word by word («Отм. 2», «Ср. балл»), or a typo (difflib ratio ≥ 0.85).
    Numbers must be equal: «Отметка 3» never looks like «Отметка 2».
    """
    h, s = _tokens(header), _tokens(spelling)
    if not h or not s:
        return 0.0
    if h == s:
        return 1.0
    if len(h) == len(s) and all(a == b or (len(a) >= 2 and not a.isdigit() and not b.isdigit() and b.startswith(a))
                                for a, b in zip(h, s)):
        return 0.95
    if [t for t in h if t.isdigit()] != [t for t in s if t.isdigit()]:
        return 0.0
    a, b = " ".join(h), " ".join(s)
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= 0.85 and min(len(a), len(b)) >= 4 else 0.0


def _nearest_missing(header: str, spec: FileSpec, missing: list[str]) -> str | None:
    """The missing contract column that ``header`` most looks like, if any does."""
    best, score = None, 0.0
    for name in missing:
        c = spec.column(name)
        r = max(_resemblance(header, text) for text in (c.name, c.label, *c.aliases))
        if r > score:
            best, score = name, r
    return best


def _totals_text(text: str) -> bool:
    """A whole cell that labels a totals or subtotals row («Итого», «ВСЕГО по МО:», «Итого по району»)."""
    return bool(text) and text[0] in "ИиВвСсПп" and _TOTALS.fullmatch(normalize_label(text)) is not None


class _Columns:
    """Rows of text cells kept as codes of their distinct texts (stripped), column by column.

    A results file repeats few texts per column (procedures, subjects, counts); a
    1.5-million-row file held as Python lists of strings takes gigabytes, as codes tens of
    MB. Rows are coded in chunks (one hash pass per chunk, in C); the texts are stripped
    once each, at the end.
    """

    CHUNK_CELLS = 1 << 20

    def __init__(self, width: int):
        self.width = width
        self.index: dict[str, int] = {}  # text as read -> code
        self.parts: list[np.ndarray] = []

    def take(self, cells: list[str]) -> None:
        """Code a chunk of rows given as their cells one after another (``width`` per row)."""
        if cells:
            codes, uniques = pd.factorize(np.array(cells, dtype=object))
            index = self.index
            to_global = np.fromiter((index.setdefault(u, len(index)) for u in uniques), dtype=np.int32,
                                    count=len(uniques))
            self.parts.append(to_global[codes])

    def finish(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        """The cells as codes (rows × columns) of the file's distinct stripped texts, those texts,
        and which rows are blank (every cell empty or spaces)."""
        stripped: dict[str, int] = {}
        strip_code = np.fromiter((stripped.setdefault(t.strip(), len(stripped)) for t in self.index),
                                 dtype=np.int32, count=len(self.index))
        codes = strip_code[np.concatenate(self.parts)] if self.parts else np.zeros(0, np.int32)
        codes = codes.reshape(-1, self.width)
        empty = stripped.get("")
        blank = (codes == empty).all(axis=1) if empty is not None else np.zeros(len(codes), dtype=bool)
        return codes, list(stripped), blank


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter  # here: as in _xlsx_uncached_formulas (import time)

    return get_column_letter(j + 1)


def read_table(path: Path, spec: FileSpec, display: str | None = None) -> RawFile | list[Problem]:
    """Read one file into text cells with contract column names.

    Returns a :class:`RawFile`, or the list of problems that prevent reading it
    (undecodable, empty, duplicated, missing or unrecognised headers, ragged rows,
    formulas without values). Totals rows («Итого», «Всего по МО») are left out and
    listed in ``RawFile.skipped``.
    """
    path = Path(path)
    display = display or str(path)
    got = _read_grid(path, display)
    if isinstance(got, Problem):
        return [got]
    try:
        return _read_rows(got, path, spec, display)
    except _Stop as stop:
        return [stop.problem]


def _read_rows(grid: _Grid, path: Path, spec: FileSpec, display: str) -> RawFile | list[Problem]:
    rows = iter(grid.rows)  # CSV cells come as written; they are stripped where they are judged
    # Leading blank lines are skipped; the first non-empty row is the header.
    start, header = 0, None
    for row in rows:
        row = [c.strip() for c in row]
        if any(row):
            header = row
            break
        start += 1
    if header is None:
        if path.suffix.lower() == ".xlsx":
            return [Problem(display, None, None, "первый лист книги пустой.",
                            "Данные должны быть на первом листе: заголовок в строке 1, ниже — строки данных.")]
        return [Problem(display, None, None, "файл пустой.", "Заполните его по шаблону (shnor init).")]
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
    known = {c.name for c in spec.columns}
    missing = [c.name for c in spec.columns if c.name not in headers]
    # An unknown header that looks like a missing column is that column under another name:
    # ignoring it would read its cells as blank (marks taken as 0, a share left out).
    looks_like: dict[str, list[str]] = {}
    if not spec.open_columns:
        for name, cell in headers.items():
            if name not in known and not name.startswith("_extra:_blank_"):
                near = _nearest_missing(cell, spec, missing)
                if near is not None:
                    looks_like.setdefault(near, []).append(cell)
    for col in spec.required_columns:
        if col in headers:
            continue
        c = spec.column(col)
        hint = f"Добавьте столбец «{c.label}» (или «{c.name}»)."
        if col in looks_like:
            found = ", ".join(f"«{h}»" for h in looks_like[col])
            hint = (f"Есть столбец {found} — если это он, переименуйте заголовок в «{c.label}» (или «{c.name}»); "
                    "иначе " + hint[0].lower() + hint[1:])
        problems.append(Problem(display, start + 1, c.label, "нет обязательного столбца.", hint))
    for col, cells in looks_like.items():
        c = spec.column(col)
        if c.required:
            continue
        for cell in cells:
            problems.append(Problem(display, start + 1, cell,
                                    f"заголовок не распознан: похоже, это столбец «{c.label}» ({c.name}), которого в "
                                    "файле нет; под неизвестным заголовком его значения не были бы прочитаны.",
                                    f"Переименуйте заголовок в «{c.label}» (или «{c.name}»); если это другой "
                                    "показатель, назовите его иначе."))
    if problems:
        return problems
    english = {normalize_label(c.name) for c in spec.columns}
    width = len(names)
    strict_width = grid.separator == ","
    columns = _Columns(width)
    numbers = array("q")
    flat: list[str] = []  # the cells of the rows not yet coded, one row after another
    chunk = _Columns.CHUNK_CELLS
    for i, row in enumerate(rows):
        # A row of the header's width goes straight in (blank ones are dropped by their codes).
        if i == 0 or len(row) != width:
            if not any(row):  # every cell empty
                continue
            if i == 0:
                cells = [c.strip() for c in row]
                # Templates carry a second header row with English names and units: skip it.
                if not any(cells) or all(normalize_label(c).split(" ")[0] in english for c in cells if c):
                    continue
            if len(row) < width:
                row = row + [""] * (width - len(row))
            elif len(row) > width and not any(c.strip() for c in row):
                continue
            elif len(row) > width:
                if strict_width:
                    # «12,5» in a comma-separated file is two cells: every cell to its right moves
                    # one column on, even when the extra cells at the end are empty.
                    problems.append(Problem(display, start + i + 2, None,
                                            f"в строке {len(row)} значений, а в заголовке {width} столбцов: столбцы "
                                            "разделены запятой, и число с десятичной запятой без кавычек (12,5) "
                                            "делится на два значения — все ячейки правее сдвигаются.",
                                            "Сохраните файл с разделителем «;» (в Excel: «CSV (разделители — точка "
                                            "с запятой)») или заключите такие числа в кавычки: \"12,5\"."))
                    continue
                if any(c.strip() for c in row[width:]):
                    problems.append(Problem(display, start + i + 2, None,
                                            f"в строке {len(row)} значений, а в заголовке {width} столбцов.",
                                            "Проверьте разделитель и лишние ячейки справа."))
                    continue
                row = row[:width]
        flat += row
        numbers.append(start + i + 2)
        if len(flat) >= chunk:
            columns.take(flat)
            flat = []
    columns.take(flat)
    del flat
    codes, texts, blank = columns.finish()
    del columns
    if grid.formulas:
        problems.extend(_formula_problems(grid.formulas, start, names, header, known, display))
    if not problems:
        problems.extend(_unlabelled_data(codes, texts, names, spec, headers, start, display))
    if problems:
        return problems
    row_numbers = np.frombuffer(numbers, dtype=np.int64) if len(numbers) else np.zeros(0, np.int64)
    skipped, keep = _totals_rows(codes, texts, names, headers, row_numbers)
    if blank.any():
        keep = ~blank if keep is None else keep & ~blank
    if keep is not None:
        codes, row_numbers = codes[keep], row_numbers[keep]
    frame = _frame(codes, texts, names)
    del codes
    frame[ROW] = row_numbers
    unknown = [cell for name, cell in headers.items() if name.startswith("_extra:") and cell.strip()]
    return RawFile(spec.stem, path, frame, grid.sha256, headers, grid.encoding, grid.separator,
                   skipped=skipped, unknown=unknown)


def _formula_problems(cells: list[tuple[int, int]], start: int, names: list[str], header: list[str],
                      known: set[str], display: str) -> list[Problem]:
    """One problem per column with formulas that have no stored value (the header row's own cells too)."""
    by_column: dict[int, list[int]] = {}
    for r, j in cells:
        if r == start or (r > start and j < len(names) and names[j] in known):
            by_column.setdefault(j, []).append(r)
    out = []
    why = "файл записан программой и не открывался в Excel"
    hint = ("Откройте и сохраните файл в Excel (или LibreOffice Calc): формулы будут вычислены и их значения "
            "сохранены в файле; или замените формулы значениями.")
    for j in sorted(by_column):
        rows = sorted(by_column[j])
        refs = [f"{_letter(j)}{r + 1}" for r in rows]
        shown = ", ".join(refs[:10]) + (f" … — всего {len(refs)}" if len(refs) > 10 else "")
        label = header[j] if j < len(header) and rows[0] != start else None
        if len(refs) == 1:
            text = f"в ячейке {shown} формула без сохранённого значения ({why}): её значение прочиталось бы как пустое."
        else:
            text = (f"в ячейках {shown} формулы без сохранённых значений ({why}): их значения прочитались бы "
                    "как пустые.")
        out.append(Problem(display, rows[0] + 1 if len(refs) == 1 else None, label or None, text, hint))
    return out


def _frame(codes: np.ndarray, texts: list[str], names: list[str]) -> pd.DataFrame:
    """The text cells as a frame: categorical columns for a large file (each distinct text of a
    column once: the categories are the column's own), plain text for a small one (quicker to
    build, and its size does not matter)."""
    if len(codes) < LARGE_FILE_ROWS:
        every = np.array(texts, dtype=object)
        return pd.DataFrame(every[codes], columns=names, dtype=object)
    data = {}
    for j, name in enumerate(names):
        own, used = pd.factorize(codes[:, j])
        data[name] = pd.Categorical.from_codes(own, categories=pd.Index([texts[k] for k in used], dtype=object),
                                               validate=False)
    return pd.DataFrame(data, columns=names)


def _unlabelled_data(codes: np.ndarray, texts: list[str], names: list[str], spec: FileSpec,
                     headers: dict[str, str], start: int, display: str) -> list[Problem]:
    """A column with values but no header, while a contract column is missing: it may be that column."""
    missing = [spec.column(c).label for c in (c.name for c in spec.columns) if c not in headers]
    if spec.open_columns or not missing:
        return []
    empty = [k for k, t in enumerate(texts) if not t]
    out = []
    for j, name in enumerate(names):
        if name.startswith("_extra:_blank_"):
            filled = np.flatnonzero(~np.isin(codes[:, j], empty))
            if len(filled):
                shown = ", ".join(f"«{m}»" for m in missing[:4]) + (" …" if len(missing) > 4 else "")
                out.append(Problem(display, start + 1, None,
                                   f"у столбца {_letter(j)} ({j + 1}-го) нет заголовка, но в нём есть значения "
                                   f"(например, «{texts[codes[filled[0], j]]}»).",
                                   f"Впишите заголовок (в файле нет столбцов {shown}) или удалите столбец."))
    return out


def _totals_rows(codes: np.ndarray, texts: list[str], names: list[str], headers: dict[str, str],
                 row_numbers: np.ndarray) -> tuple[list[SkippedRow], np.ndarray | None]:
    """Totals rows (a cell, in any column, that labels the row as «Итого» …): the rows left out,
    and the mask of rows kept (None when none is left out)."""
    bad = [k for k, t in enumerate(texts) if _totals_text(t)]
    if not bad:
        return [], None
    hit = np.full(len(row_numbers), -1, dtype=np.int64)  # column of the label, per row
    for j in range(len(names)):
        rows = np.isin(codes[:, j], bad) & (hit < 0)
        hit[rows] = j
    if not (hit >= 0).any():
        return [], None
    skipped = []
    for pos in np.flatnonzero(hit >= 0).tolist():
        j = int(hit[pos])
        cells = {name: texts[codes[pos, k]] for k, name in enumerate(names)}
        skipped.append(SkippedRow(int(row_numbers[pos]), headers[names[j]], cells[names[j]], cells))
    return skipped, hit < 0



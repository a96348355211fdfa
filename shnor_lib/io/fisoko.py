"""Direct import of ФИС ОКО exports (Методика §10, docs/methodology/data-contract.md; docs/guide/data-sources.md).

Methodologists download ВПР results from ФИС ОКО as XLSX reports and drop them, as they are,
into ``data_raw/<M>/<Y>/fisoko/``. Each known report is one :class:`Layout` in :data:`LAYOUTS`,
found by the title in row 1: the header cells it has in row 8 and what each column is. Reading
is the same for every layout:

- rows 1–7 are the title block: row 3 «ВПР 2026 Русский язык 4 класс» gives the procedure, the
  year (it must be the season's) and the grade, row 4 «Предмет:» | subject gives the subject
  (through ``parameters/vocabulary.yml``);
- from row 9 the groups nest by order only: «Вся выборка», the region, the municipality, then
  its schools «Name(eduNNNNNN)» (``schNNNNNN`` before 2022, the same digits);
- a school's percentages become counts (participants × share, largest remainder) or, where
  the report gives counts too, the counts are taken; either way the counts must give back
  every exported percentage to two decimals, or the row is an error;
- the group rows are kept as reference shares («школа — округ — регион»).

Every sheet of every workbook is read and must be a known report (empty sheets aside), so
merged workbooks work and nothing is skipped unseen. :func:`read_exports` does the reading
(called by :func:`shnor_lib.io.readers.read_season`); :func:`merge_exports` maps logins to
``school_id`` through ``schools`` and merges the rows into ``results`` (called by
:func:`shnor_lib.contract.validate.validate_season`).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract.cells import parse_number
from ..contract.marks import MARKS, largest_remainder
from ..contract.schema import CONTRACT
from ..contract.vocabulary import load_vocabulary, normalize_term
from ..errors import Problem
from .table import OLE2_MAGIC, ROW, RawFile, cell_text

__all__ = ["Layout", "LayoutColumn", "LAYOUTS", "register_layout", "FisokoExports", "Merged", "read_exports",
           "merge_exports", "REFERENCE_COLUMNS", "FOLDER"]

FOLDER = "fisoko"
TITLE_ROW, WORK_ROW, SUBJECT_ROW, HEADER_ROW = 1, 3, 4, 8
TOLERANCE = 0.005 + 1e-9  # half a unit of the second decimal: ФИС ОКО rounds the percentages it shows

_SCHOOL_RE = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<prefix>edu|sch)\s*(?P<digits>\d+)\s*\)\s*$", re.IGNORECASE)
_CODE_RE = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<code>[^()]*?)\s*\)\s*$")
_LOGIN_RE = re.compile(r"^(edu|sch)(\d+)$", re.IGNORECASE)
_WORK_RE = re.compile(r"^\s*(?P<proc>\S+?)[\s.,]+(?P<year>\d{4})\b.*?(?P<grade>\d{1,2})\s*(класс|кл\b)", re.IGNORECASE)
WHOLE, REGION, MUNICIPALITY = "вся выборка", "регион", "муниципалитет"


@dataclass(frozen=True)
class LayoutColumn:
    """One column of a report: the name it is read into, the header texts accepted in row 8
    (the first is quoted in messages) and its kind: ``"name"``, ``"count"`` or ``"percent"``."""

    name: str
    headers: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Layout:
    """One ФИС ОКО report.

    Parameters
    ----------
    title : str
        The text of cell A1 that identifies the report.
    columns : tuple of LayoutColumn
        The header of row 8, in order.
    shares : tuple of (percent column, results column)
        What each percentage of a school becomes in ``results`` (as a count).
    counts_given : bool
        The report gives the counts beside the percentages (they are taken and checked);
        otherwise they are computed from participants (largest remainder) and checked.
    role : str
        ``"rows"``: each school row is a ``results`` row; ``"journal"``: it fills the journal
        columns of the matching ВПР row.
    """

    title: str
    columns: tuple[LayoutColumn, ...]
    shares: tuple[tuple[str, str], ...]
    counts_given: bool = False
    role: str = "rows"


def _col(name: str, kind: str, *headers: str) -> LayoutColumn:
    return LayoutColumn(name, headers, kind)


_GROUP = _col("group", "name", "Группы участников")
_JOURNAL = (("lowered", "Понизили (Отметка < Отметка по журналу)"),
            ("confirmed", "Подтвердили (Отметка = Отметке по журналу)"),
            ("raised", "Повысили (Отметка > Отметка по журналу)"))

#: The reports read, by their normalised title (:func:`register_layout` adds one).
LAYOUTS: dict[str, Layout] = {}


def register_layout(layout: Layout) -> Layout:
    """Make ``layout`` known to :func:`read_exports` (found by its title in cell A1)."""
    LAYOUTS[normalize_term(layout.title)] = layout
    return layout


register_layout(Layout(
    "Статистика по отметкам",
    (_GROUP, _col("schools_count", "count", "Кол-во ОО"), _col("participants", "count", "Кол-во участников"),
     *(_col(f"percent_{m}", "percent", m, f"«{m}»", f"Отметка {m}") for m in "2345")),
    tuple((f"percent_{m}", f"n{m}") for m in "2345"),
))
register_layout(Layout(
    "Сравнение отметок с отметками по журналу",
    (_GROUP, _col("participants", "count", "Кол-во участников(всего)", "Кол-во участников"),
     *(c for key, text in _JOURNAL
       for c in (_col(f"percent_{key}", "percent", f"{text} %", f"{text}, %"),
                 _col(f"journal_{key}", "count", f"{text} Кол-во участников", "Кол-во участников")))),
    tuple((f"percent_{key}", f"journal_{key}") for key, _ in _JOURNAL),
    counts_given=True,
    role="journal",
))

REFERENCE_COLUMNS = ["procedure", "subject", "grade", "report", "level", "name", "code", "schools_count",
                     "participants", "percent_2", "percent_3", "percent_4", "percent_5", "percent_lowered",
                     "percent_confirmed", "percent_raised"]
_SCHOOL_COLUMNS = ["source", ROW, "login", "digits", "written_name", "role", "procedure", "subject", "grade",
                   "participants", *MARKS, "journal_lowered", "journal_confirmed", "journal_raised"]


@dataclass
class FisokoExports:
    """The school rows and reference rows of a season's exports, and the files they came from.

    ``schools`` has one row per school row of an export (counts already exact), with
    ``source`` (file and sheet, as shown in messages), ``_row``, ``login``, ``digits``
    (the login without ``edu``/``sch``), ``written_name`` and ``role`` (the layout's).
    """

    schools: pd.DataFrame
    reference: pd.DataFrame
    checksums: dict[str, str] = field(default_factory=dict)


def _fmt(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _layouts_text() -> str:
    return ", ".join(f"«{lay.title}»" for lay in LAYOUTS.values())


# ---------------------------------------------------------------- reading


def read_exports(season_folder: Path, display_dir: str, year: int) -> tuple[FisokoExports | None, list[Problem]]:
    """Read every workbook of ``season_folder/fisoko/``.

    Parameters
    ----------
    season_folder : Path
        ``data_raw/<M>/<Y>``.
    display_dir : str
        The season folder as shown in messages (``data_raw/<M>/<Y>``).
    year : int
        The season: every export's title must name it.

    Returns
    -------
    exports, problems
        ``exports`` is None when there is no ``fisoko/`` folder. An export lying in the
        season folder itself (not in ``fisoko/``) is a problem, so it is never ignored unseen.
    """
    problems = _misplaced(season_folder, display_dir)
    folder = season_folder / FOLDER
    if not folder.is_dir():
        return None, problems
    school_rows: list[dict] = []
    group_rows: list[dict] = []
    checksums: dict[str, str] = {}
    found = False
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith((".", "~$")):  # hidden files, Excel's lock file of an open workbook
            continue
        shown = f"{display_dir}/{FOLDER}/{path.name}"
        if path.is_dir():
            problems.append(Problem(shown, None, None, "вложенные папки в fisoko не читаются.",
                                    "Положите выгрузки прямо в папку fisoko."))
            continue
        if path.suffix.lower() != ".xlsx":
            problems.append(Problem(shown, None, None, "в папке fisoko читаются только выгрузки ФИС ОКО в XLSX "
                                    f"({_layouts_text()}).",
                                    "Скачайте отчёт из ФИС ОКО в формате XLSX; остальные данные внесите в results."))
            continue
        found = True
        book = _open(path, shown)
        if isinstance(book, Problem):
            problems.append(book)
            continue
        book, checksums[str(path)] = book
        for ws in book.worksheets:
            grid = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            if not any(any(row) for row in grid):
                continue  # an empty sheet (Excel's «Лист1» of a merged workbook)
            where = f"{shown}, лист «{ws.title}»"
            problems.extend(_read_sheet(grid, where, year, school_rows, group_rows))
    if not found and not problems:
        return None, problems
    schools = pd.DataFrame(school_rows, columns=_SCHOOL_COLUMNS)
    reference = pd.DataFrame(group_rows, columns=REFERENCE_COLUMNS)
    reference[["grade", "schools_count", "participants"]] = reference[["grade", "schools_count",
                                                                       "participants"]].astype("Int64")
    order = {lay.title: k for k, lay in enumerate(LAYOUTS.values())}  # the reports in registration order
    reference = reference.sort_values(["procedure", "subject", "grade", "report"], kind="stable",
                                      key=lambda c: c.map(order) if c.name == "report" else c)
    return FisokoExports(schools, reference.reset_index(drop=True), checksums), problems


def _misplaced(season_folder: Path, display_dir: str) -> list[Problem]:
    """Exports dropped into the season folder itself, beside the contract files."""
    out: list[Problem] = []
    try:
        paths = sorted(p for p in season_folder.iterdir() if p.suffix.lower() == ".xlsx" and p.is_file()
                       and p.stem not in CONTRACT and not p.name.startswith((".", "~$")))
    except OSError:
        return out
    for path in paths:
        book = _open(path, path.name)
        if isinstance(book, Problem):
            continue  # not an export; the contract files are checked by the reader
        titles = [cell_text(ws.cell(TITLE_ROW, 1).value) for ws in book[0].worksheets]
        if any(normalize_term(t) in LAYOUTS for t in titles):
            out.append(Problem(f"{display_dir}/{path.name}", None, None,
                               "это выгрузка ФИС ОКО, а выгрузки читаются только из папки fisoko.",
                               f"Переложите файл в {display_dir}/{FOLDER}/."))
    return out


def _open(path: Path, shown: str):
    """The workbook (cached values, not formulas) and the SHA-256 of its bytes, or the problem
    that prevents reading it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Problem(shown, None, None, f"файл не читается ({exc.strerror or type(exc).__name__}).",
                       "Проверьте, что это обычный файл и что он доступен для чтения.")
    if raw.startswith(OLE2_MAGIC):
        return Problem(shown, None, None, "это книга старого формата Excel 97–2003 (.xls) или книга, защищённая паролем.",
                       "Снимите пароль и сохраните её как «Книга Excel (.xlsx)».")
    from openpyxl import load_workbook  # here: openpyxl costs 0.15 s of every report kernel's start, which never reads

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # styles openpyxl drops: nothing the user can act on
            return load_workbook(io.BytesIO(raw), data_only=True), hashlib.sha256(raw).hexdigest()
    except Exception as exc:  # openpyxl raises many kinds for broken files
        return Problem(shown, None, None, f"файл XLSX не читается ({type(exc).__name__}).",
                       "Откройте его в Excel и сохраните заново как «Книга Excel (.xlsx)».")


def _cell(grid: list[list[str]], row: int, col: int) -> str:
    """Cell text at spreadsheet ``row`` and ``col`` (both from 1); blank outside the grid."""
    if row > len(grid) or col > len(grid[row - 1]):
        return ""
    return grid[row - 1][col - 1]


def _title_block(grid, where: str, year: int) -> tuple[dict, list[Problem]]:
    """Procedure, subject and grade of a report from rows 3 and 4."""
    vocab = load_vocabulary()
    problems: list[Problem] = []
    work = _cell(grid, WORK_ROW, 1)
    m = _WORK_RE.match(work)
    if not m:
        return {}, [Problem(where, WORK_ROW, None, f"не удаётся прочитать процедуру, год и класс из «{work}».",
                            "Ожидается заголовок выгрузки, например «ВПР 2026 Русский язык 4 класс»; "
                            "скачайте отчёт из ФИС ОКО заново.")]
    proc = vocab.procedure(m["proc"])
    if proc is None:
        problems.append(Problem(where, WORK_ROW, None, vocab.explain("procedure", m["proc"]), ""))
    if int(m["year"]) != year:
        problems.append(Problem(where, WORK_ROW, None, f"выгрузка за {m['year']} год лежит в папке сезона {year}.",
                                f"Положите её в папку {m['year']} или скачайте выгрузку за {year} год."))
    grade = int(m["grade"])
    if proc is not None and grade not in vocab.grades(proc):
        problems.append(Problem(where, WORK_ROW, None, f"{proc} в {grade} классе не проводится.",
                                "Проверьте заголовок выгрузки."))
    label, written = _cell(grid, SUBJECT_ROW, 1), _cell(grid, SUBJECT_ROW, 2)
    subject = vocab.subject(written) if normalize_term(label) == "предмет" else None
    if normalize_term(label) != "предмет" or not written:
        problems.append(Problem(where, SUBJECT_ROW, None, f"нет строки «Предмет:» с названием предмета (в строке "
                                f"{SUBJECT_ROW}: «{label}» | «{written}»).", "Скачайте отчёт из ФИС ОКО заново."))
    elif subject is None:
        problems.append(Problem(where, SUBJECT_ROW, None, vocab.explain("subject", written),
                                "Если это верное название, добавьте его в parameters/vocabulary.yml."))
    return {"procedure": proc, "subject": subject, "grade": grade}, problems


def _read_sheet(grid, where: str, year: int, school_rows: list[dict], group_rows: list[dict]) -> list[Problem]:
    title = _cell(grid, TITLE_ROW, 1)
    layout = LAYOUTS.get(normalize_term(title))
    if layout is None:
        return [Problem(where, TITLE_ROW, None, f"не распознана выгрузка ФИС ОКО (в строке {TITLE_ROW}: «{title}»). "
                        f"Читаются выгрузки: {_layouts_text()}.",
                        "Оставьте в папке fisoko только эти отчёты, как они скачаны; остальные данные внесите в results.")]
    work, problems = _title_block(grid, where, year)
    header = grid[HEADER_ROW - 1] if len(grid) >= HEADER_ROW else []
    for j, col in enumerate(layout.columns):
        written = header[j] if j < len(header) else ""
        if normalize_term(written) not in {normalize_term(h) for h in col.headers}:
            problems.append(Problem(where, HEADER_ROW, written or None,
                                    f"в выгрузке «{layout.title}» здесь ожидается столбец «{col.headers[0]}», "
                                    f"а написано «{written}».", "Скачайте отчёт из ФИС ОКО заново, не меняя столбцы."))
    extra = [c for c in header[len(layout.columns):] if c]
    if extra:
        problems.append(Problem(where, HEADER_ROW, extra[0], f"лишний столбец в выгрузке «{layout.title}».",
                                "Удалите добавленные столбцы или скачайте отчёт заново."))
    if problems:
        return problems
    labels = header[:len(layout.columns)]
    region_seen = False
    for r in range(HEADER_ROW + 1, len(grid) + 1):
        cells = (grid[r - 1] + [""] * len(layout.columns))[:len(layout.columns)]
        if not any(grid[r - 1]):
            continue
        if any(grid[r - 1][len(layout.columns):]):
            problems.append(Problem(where, r, None, "в строке больше значений, чем столбцов в заголовке.",
                                    "Удалите лишние ячейки справа."))
            continue
        values, bad = _numbers(layout, cells, labels, where, r)
        problems.extend(bad)
        name = cells[0]
        if not name:
            problems.append(Problem(where, r, labels[0], "пустое название группы участников.",
                                    "Скачайте отчёт из ФИС ОКО заново."))
            continue
        if bad:
            continue
        school = _SCHOOL_RE.match(name)
        if school is None:
            level = WHOLE if normalize_term(name) == WHOLE else (MUNICIPALITY if region_seen else REGION)
            region_seen = region_seen or level == REGION
            code = _CODE_RE.match(name)
            group_rows.append({**work, "report": layout.title, "level": level,
                               "name": code["name"] if code else name, "code": code["code"] if code else "",
                               **{c.name: values[c.name] for c in layout.columns if c.kind != "name"}})
            continue
        counts, problem = _school_counts(layout, values, school, where, r, labels)
        if problem:
            problems.append(problem)
            continue
        school_rows.append({"source": where, ROW: r, "login": f"{school['prefix'].lower()}{school['digits']}",
                            "digits": school["digits"], "written_name": school["name"], "role": layout.role,
                            **work, "participants": values["participants"], **counts})
    return problems


def _numbers(layout: Layout, cells: list[str], labels: list[str], where: str, r: int) -> tuple[dict, list[Problem]]:
    """The numbers of one data row (blank → NaN) and the cells that are not valid numbers."""
    values: dict[str, float] = {}
    problems = []
    for col, text, label in zip(layout.columns, cells, labels):
        if col.kind == "name":
            continue
        num = parse_number(text)
        values[col.name] = np.nan if num is None else num
        if num is None:
            continue
        if np.isnan(num) or num < 0 or (col.kind == "count" and not float(num).is_integer()) \
                or (col.kind == "percent" and num > 100):
            what = "целое неотрицательное число" if col.kind == "count" else "процент от 0 до 100"
            problems.append(Problem(where, r, label, f"значение «{text}» — ожидается {what}.",
                                    "Скачайте отчёт из ФИС ОКО заново."))
    if not problems and np.isnan(values["participants"]):
        j = [c.name for c in layout.columns].index("participants")
        problems.append(Problem(where, r, labels[j], "не указано число участников.", "Скачайте отчёт из ФИС ОКО заново."))
    return values, problems


def _school_counts(layout: Layout, values: dict, school, where: str, r: int, labels: list[str]
                   ) -> tuple[dict, Problem | None]:
    """The counts of a school row, checked to give back every exported percentage."""
    n = int(values["participants"])
    percents = [0.0 if np.isnan(values[p]) else values[p] for p, _ in layout.shares]
    if layout.counts_given:
        counts = [0 if np.isnan(values[c]) else int(values[c]) for _, c in layout.shares]
    else:
        counts = largest_remainder(percents, n) if n else [0] * len(percents)
    out = {c: float(k) for (_, c), k in zip(layout.shares, counts)}
    if n == 0:
        return out, None  # nothing to reproduce; the row is listed as excluded when merged
    shown = [k * 100 / n for k in counts]
    school_name = f"«{school['name']}» ({school['prefix'].lower()}{school['digits']})"
    if sum(counts) != n:
        return out, Problem(where, r, None, f"школа {school_name}: количества {'+'.join(map(str, counts))} = "
                            f"{sum(counts)} не равны числу участников {n}.", "Скачайте отчёт из ФИС ОКО заново.")
    off = [i for i, (p, s) in enumerate(zip(percents, shown)) if abs(p - s) > TOLERANCE]
    if off:
        cols = {c.name: labels[j] for j, c in enumerate(layout.columns)}
        return out, Problem(where, r, None,
                            f"школа {school_name}: проценты выгрузки не воспроизводятся. Из {n} участников "
                            f"получается {'+'.join(map(str, counts))}, это "
                            f"{'; '.join(_fmt(s) for s in shown)}%, а в выгрузке "
                            f"{'; '.join(_fmt(p) for p in percents)}% (не совпадают столбцы "
                            f"{', '.join('«' + cols[layout.shares[i][0]] + '»' for i in off)}).",
                            "Выгрузку, видимо, меняли вручную: скачайте её из ФИС ОКО заново.")
    return out, None


# ---------------------------------------------------------------- merging into results


@dataclass
class Merged:
    """What :func:`merge_exports` gives back to validation."""

    results: pd.DataFrame  # results with the journal columns filled from journal exports
    imported: pd.DataFrame  # new results rows from the mark exports (typed like results)
    reference: pd.DataFrame
    issues: list[dict]
    problems: list[Problem]
    checksums: dict[str, str]

    def append_to(self, results: pd.DataFrame) -> pd.DataFrame:
        """``results`` followed by the imported rows, each column keeping the dtype of ``results``."""
        rows = self.imported.astype({c: results[c].dtype for c in self.imported.columns if c in results.columns})
        return pd.concat([results, rows], ignore_index=True)


def _display(rf: RawFile) -> str:
    return "/".join(rf.path.parts[-4:])


def _login_map(schools: pd.DataFrame, schools_file: RawFile) -> tuple[dict[str, str], list[Problem]]:
    """Login digits → school_id from the «Логин ФИС ОКО» column and from codes that are logins."""
    shown = _display(schools_file)
    label = schools_file.headers.get("fisoko_login", CONTRACT["schools"].column("fisoko_login").label)
    out: dict[str, tuple[str, int]] = {}
    problems = []
    for sid, login, row in zip(schools["school_id"], schools["fisoko_login"], schools[ROW]):
        candidates = []
        if isinstance(login, str) and login.strip():
            m = _LOGIN_RE.match(login.strip())
            if m is None:
                problems.append(Problem(shown, int(row), label, f"логин «{login}» — ожидается eduNNNNNN или schNNNNNN.",
                                        "Скопируйте логин школы из ФИС ОКО."))
            else:
                candidates.append(m[2])
        if isinstance(sid, str) and (m := _LOGIN_RE.match(sid.strip())):
            candidates.append(m[2])
        for digits in dict.fromkeys(candidates):
            other = out.get(digits)
            if other is not None and other[0] != sid:
                problems.append(Problem(shown, int(row), label, f"логин с цифрами {digits} уже указан у школы "
                                        f"«{other[0]}» (строка {other[1]}): один логин — одна школа "
                                        "(edu и sch с одними цифрами — одна и та же школа).",
                                        "Исправьте логин у одной из школ."))
            else:
                out[digits] = (sid, int(row))
    return {d: s for d, (s, _) in out.items()}, problems


def _key_text(proc, subject, grade, sid) -> str:
    return f"{proc}, {subject}, {int(grade)} класс, школа «{sid}»"


def merge_exports(exports: FisokoExports, results: pd.DataFrame, results_file: RawFile,
                  schools: pd.DataFrame | None, schools_file: RawFile | None, municipality: str, year: int) -> Merged:
    """Map the exports' logins to ``school_id`` and merge them with ``results``.

    Mark reports become new ``results`` rows; journal reports fill ``journal_*`` (as counts) of
    the matching ВПР row, from a mark report or from ``results``. Structural problems: a login
    not in ``schools``, a malformed or shared login in ``schools``, the same school, procedure,
    subject and grade twice (in two exports, or in an export and ``results``), a journal row
    without its results row or with other participants, participants above ``students_total``.
    A school row with 0 participants is left out and listed (as ``results`` rows are).
    """
    problems: list[Problem] = []
    issues: list[dict] = []
    rows = exports.schools
    if schools is None or schools_file is None:  # no schools file: reported on its own
        return Merged(results, _as_results(rows.iloc[:0]), exports.reference, issues, problems, exports.checksums)
    logins, problems = _login_map(schools, schools_file)
    sid = rows["digits"].map(logins)
    for pos in np.flatnonzero(sid.isna().to_numpy()):
        r = rows.iloc[pos]
        problems.append(Problem(r["source"], int(r[ROW]), "Группы участников",
                                f"логин «{r['login']}» школы «{r['written_name']}» не найден в schools.",
                                "Добавьте его в столбец «Логин ФИС ОКО» файла schools у этой школы "
                                "(или исправьте код ОО)."))
    rows = rows.assign(school_id=sid)[sid.notna().to_numpy()]
    places: dict[tuple, str] = {}  # key → where it is already
    res_rows = results[ROW].to_numpy()
    res_shown = _display(results_file)
    for k, key in enumerate(zip(results["procedure"], results["subject"], results["grade"], results["school_id"])):
        places.setdefault(("results", *key), f"файле {res_shown}, строка {int(res_rows[k])}")
    totals = (schools.dropna(subset=["school_id"]).drop_duplicates("school_id")
              .set_index("school_id")["students_total"])
    imported, journal = rows[rows["role"].eq("rows")], rows[rows["role"].eq("journal")]
    keep = []
    for _, r in imported.iterrows():
        key = (r["procedure"], r["subject"], float(r["grade"]), r["school_id"])
        here = f"файле {r['source']}, строка {int(r[ROW])} (логин {r['login']})"
        for kind in ("results", "export"):
            if (kind, *key) in places:
                other = places[(kind, *key)]
                same = (" (edu и sch с одними цифрами — одна и та же школа)"
                        if kind == "export" and f"логин {r['login']})" not in other else "")
                problems.append(Problem(r["source"], int(r[ROW]), None,
                                        f"{_key_text(*key)} (логин {r['login']}) уже есть в {other}{same}: одна и та "
                                        "же строка не может быть записана дважды.",
                                        "Удалите строку из results (её заменяет выгрузка) или лишнюю выгрузку."
                                        if kind == "results" else "Уберите лишнюю выгрузку или лист."))
                break
        else:
            places[("export", *key)] = here
            total = totals.get(r["school_id"], np.nan)
            if pd.notna(total) and r["participants"] > total:
                problems.append(Problem(r["source"], int(r[ROW]), "Кол-во участников",
                                        f"участников {int(r['participants'])} больше, чем «Число обучающихся» "
                                        f"школы «{r['school_id']}» в schools ({int(total)})."))
            keep.append(r)
    imported = pd.DataFrame(keep, columns=rows.columns)
    results = _attach_journal(journal, imported, results, res_shown, problems)
    zero = imported["participants"].eq(0).to_numpy()
    for _, r in imported[zero].iterrows():
        issues.append({"municipality": municipality, "year": year, "file": r["source"], "row": int(r[ROW]),
                       "school_id": r["school_id"], "procedure": r["procedure"], "subject": r["subject"],
                       "grade": int(r["grade"]), "action": "исключена", "reason": "нет участников (0).",
                       "original": f"{r['written_name']} ({r['login']}): участников 0"})
    return Merged(results, _as_results(imported[~zero]), exports.reference, issues, problems, exports.checksums)


def _as_results(rows: pd.DataFrame) -> pd.DataFrame:
    """School rows as typed ``results`` rows (the contract's columns and ``_row``)."""
    out = pd.DataFrame({ROW: rows[ROW].astype(int).to_numpy()})
    for c in CONTRACT["results"].columns:
        values = rows[c.name].to_numpy() if c.name in rows.columns else np.full(len(rows), np.nan)
        out[c.name] = pd.Series(values, dtype=object if c.kind == "str" else float)
    return out


def _attach_journal(journal: pd.DataFrame, imported: pd.DataFrame, results: pd.DataFrame, res_shown: str,
                    problems: list[Problem]) -> pd.DataFrame:
    """Journal counts onto their ВПР row (in ``imported`` — in place — or a copy of ``results``)."""
    cols = ["journal_lowered", "journal_confirmed", "journal_raised"]
    index_imp = {(r.procedure, r.subject, float(r.grade), r.school_id): i for i, r in imported.iterrows()}
    index_res = {k: i for i, k in zip(results.index, zip(results["procedure"], results["subject"],
                                                           results["grade"], results["school_id"]))}
    results = results.copy()
    seen: dict[tuple, str] = {}
    for _, r in journal.iterrows():
        key = (r["procedure"], r["subject"], float(r["grade"]), r["school_id"])
        here = f"файле {r['source']}, строка {int(r[ROW])}"
        if key in seen:
            problems.append(Problem(r["source"], int(r[ROW]), None, f"{_key_text(*key)}: сравнение с журналом уже "
                                    f"есть в {seen[key]}.", "Уберите лишнюю выгрузку или лист."))
            continue
        seen[key] = here
        if key in index_imp:
            i = index_imp[key]
            frame, place = imported, f"файле {imported.at[i, 'source']}, строка {int(imported.at[i, ROW])}"
        elif key in index_res:
            i = index_res[key]
            frame, place = results, f"файле {res_shown}, строка {int(results.at[i, ROW])}"
        else:
            problems.append(Problem(r["source"], int(r[ROW]), None,
                                    f"{_key_text(*key)}: есть сравнение с журналом, но нет результатов (отметок).",
                                    "Положите в fisoko и выгрузку «Статистика по отметкам» этой работы "
                                    "(или внесите строку в results)."))
            continue
        if frame is results and results.loc[i, cols].notna().any():
            problems.append(Problem(r["source"], int(r[ROW]), None,
                                    f"{_key_text(*key)}: столбцы журнала уже заполнены в {place}.",
                                    "Оставьте их в одном месте: очистите их в results или уберите выгрузку."))
            continue
        if frame.at[i, "participants"] != r["participants"]:
            problems.append(Problem(r["source"], int(r[ROW]), "Кол-во участников(всего)",
                                    f"{_key_text(*key)}: участников {int(r['participants'])}, а в результатах "
                                    f"(в {place}) — {int(frame.at[i, 'participants'])}.",
                                    "Скачайте обе выгрузки этой работы из ФИС ОКО в один день."))
            continue
        for c in cols:
            frame.at[i, c] = r[c]
    return results

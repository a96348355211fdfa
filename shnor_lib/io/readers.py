"""Reading a season's folder: every contract file found in ``data_root/<municipality>/<year>/``
(each read by :func:`shnor_lib.io.table.read_table`) and the ФИС ОКО exports of its ``fisoko/``
folder (:mod:`shnor_lib.io.fisoko`), with the problems of files missing, doubled or empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..contract.schema import CONTRACT, FileSpec
from ..errors import Problem
from .fisoko import FisokoExports, read_exports
from .table import LARGE_FILE_ROWS, ROW, RawFile, SkippedRow, read_table, sha256_file

__all__ = ["RawFile", "RawSeason", "SkippedRow", "read_table", "read_season", "sha256_file", "list_seasons",
           "rows_description", "ROW", "LARGE_FILE_ROWS", "EXTENSIONS"]

EXTENSIONS = (".csv", ".xlsx")


@dataclass
class RawSeason:
    """All files found for one municipality and year."""

    municipality: str
    year: int
    folder: Path
    files: dict[str, RawFile]
    problems: list[Problem]
    fisoko: FisokoExports | None = None  # exports in <season>/fisoko/ (shnor_lib.io.fisoko)



def list_seasons(data_root: Path, municipality: str = "all", year: str | int = "all") -> list[tuple[str, int]]:
    """(municipality, year) pairs present under ``data_root``, sorted."""
    out: list[tuple[str, int]] = []
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
    exports, more = read_exports(folder, f"{Path(data_root).name}/{municipality}/{year}", int(year))
    return RawSeason(municipality, int(year), folder, files, problems + more, exports)

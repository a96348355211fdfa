"""A validated season and its issues ledger.

:class:`Season` holds the typed tables of one municipality and year (keyed by contract file
stem), the issues ledger (every row converted, left out or skipped, with its reason and
original values: ``data_issues.csv``), the checksums of the files read and the spellings
read through the vocabulary. The helpers below build the ledger the same way for both
validation paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..io.readers import ROW, RawFile, RawSeason
from .cells import parse_number

__all__ = ["Season", "ISSUE_COLUMNS", "READING_COLUMNS", "file_display", "unknown_columns", "skipped_issues",
           "in_file_order", "issues_frame"]

ISSUE_COLUMNS = ["municipality", "year", "file", "row", "school_id", "procedure", "subject", "grade",
                 "action", "reason", "original"]
READING_COLUMNS = ["file", "column", "written", "read_as", "rows"]


@dataclass
class Season:
    """A validated season: typed tables keyed by contract file stem, plus the issues ledger."""

    municipality: str
    year: int
    tables: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    checksums: dict[str, str] = field(default_factory=dict)  # file path -> sha256
    # Spellings read through a vocabulary alias («Рус. яз.» → «русский язык»), for the record.
    readings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=READING_COLUMNS))
    # Region and municipality rows of ФИС ОКО exports (shnor_lib.io.fisoko.REFERENCE_COLUMNS), or None.
    fisoko_reference: pd.DataFrame | None = None
    # Headers the contract does not know, ignored: (file, header as written).
    unknown_columns: list[tuple[str, str]] = field(default_factory=list)

    def has(self, stem: str) -> bool:
        return stem in self.tables and not self.tables[stem].empty

    @property
    def schools(self) -> pd.DataFrame:
        return self.tables["schools"]

    @property
    def results(self) -> pd.DataFrame:
        return self.tables["results"]



def file_display(rf: RawFile) -> str:
    """How messages and the ledger name a file: its last four path parts (``data_raw/m/2024/results.csv``)."""
    return "/".join(rf.path.parts[-4:])


def unknown_columns(raw: RawSeason) -> list[tuple[str, str]]:
    """Headers of the season's files that the contract does not know: (file, header)."""
    return [(file_display(rf), h) for rf in raw.files.values() for h in rf.unknown]


def skipped_issues(raw: RawSeason) -> list[dict]:
    """Totals rows the reader left out («Итого по МО»), as issues «пропущена»."""
    out = []
    for rf in raw.files.values():
        shown = [c for c in rf.frame.columns if c != ROW and not c.startswith("_extra:")]
        for sk in rf.skipped:
            grade = parse_number(sk.cells.get("grade", ""))
            out.append({"municipality": raw.municipality, "year": raw.year, "file": file_display(rf), "row": sk.row,
                        "school_id": sk.cells.get("school_id") or None, "procedure": sk.cells.get("procedure") or None,
                        "subject": sk.cells.get("subject") or None,
                        "grade": int(grade) if grade is not None and not math.isnan(grade) and grade.is_integer()
                        else None,
                        "action": "пропущена",
                        "reason": f"строка итогов («{sk.text}» в столбце «{sk.column}»), а не строка школы.",
                        "original": "; ".join(f"{rf.label(c)}={sk.cells.get(c, '')}" for c in shown),
                        "_kind": "строка итогов"})
    return out


def in_file_order(raw: RawSeason, issues: list[dict]) -> list[dict]:
    """Issues by file (in the contract's order) and row; a file's own order is kept."""
    order = {file_display(rf): k for k, rf in enumerate(raw.files.values())}
    return sorted(issues, key=lambda i: (order.get(i["file"], len(order)), i["row"]))


def issues_frame(issues: list[dict]) -> pd.DataFrame:
    """The ledger; grades stay integers (a totals row may have none)."""
    df = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    if any(i["grade"] is None for i in issues):
        df["grade"] = pd.array([i["grade"] for i in issues], dtype="Int64")
    return df



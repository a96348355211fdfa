"""Errors a user can act on: each names the file, row and column to fix (in Russian)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Problem", "ShnorError", "DataValidationError", "ParameterError", "PathError", "OutputError",
           "ERRORS_FILE"]

# Where the CLI writes every structural problem when there are more than the screen shows.
ERRORS_FILE = "validation_errors.txt"


@dataclass(frozen=True)
class Problem:
    """One structural problem of an input file.

    ``row`` is the spreadsheet row as the user sees it (the header is row 1),
    or None when the problem concerns the whole file.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    hint: str = ""
    what: str = "файл"  # «папка» for a problem of the folder layout

    def __str__(self) -> str:
        where = [f"{self.what} {self.file}"]
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.column:
            where.append(f"столбец «{self.column}»")
        text = ", ".join(where) + f": {self.message}"
        if self.hint:
            text += f" {self.hint}"
        return text


class ShnorError(Exception):
    """Base class of the errors that carry a message for the user."""


class ParameterError(ShnorError):
    """A parameter file has an unknown key, a wrong type or an invalid value."""


class PathError(ShnorError):
    """A name or a folder given by the user cannot be used (unsafe name, outputs inside the inputs)."""


class OutputError(ShnorError):
    """The output folder cannot be written (no permission): the system, not the command, refuses."""


class DataValidationError(ShnorError):
    """One or more structural problems: the run stops and nothing is written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self, limit: int | None = 50) -> str:
        """The problems as the user reads them; at most ``limit`` of them (None: all)."""
        lines = [f"Найдено ошибок во входных данных: {len(self.problems)}. Расчёт остановлен, ничего не записано."]
        shown = self.problems if limit is None else self.problems[:limit]
        for p in shown:
            lines.append(f"  • {p}")
        if len(shown) < len(self.problems):
            lines.append(f"  … и ещё {len(self.problems) - len(shown)}.")
        return "\n".join(lines)

    def save(self, folder: str | os.PathLike[str] | None) -> Path:
        """Write every problem to ``<folder>/validation_errors.txt`` and return its path.

        The screen shows the first problems only; this file lists them all, one per line,
        as the screen does. Without a folder, or when it cannot be written, the file goes to
        the system's temporary folder instead (the returned path says where).
        """
        text = "\n".join([f"Найдено ошибок во входных данных: {len(self.problems)}.",
                          *(f"  • {p}" for p in self.problems)]) + "\n"
        if folder is not None:
            target = Path(folder) / ERRORS_FILE
            tmp = target.with_name(f".{ERRORS_FILE}.{os.getpid()}.tmp")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, target)
                return target
            except OSError:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        fd, name = tempfile.mkstemp(prefix="shnor-validation_errors-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return Path(name)

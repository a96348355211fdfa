"""Errors a user can act on: each names the file, row and column to fix (in Russian)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ShnorError", "DataValidationError", "ParameterError", "PathError"]


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

    def __str__(self) -> str:
        where = [f"файл {self.file}"]
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
    """A name given by the user (municipality, year) cannot safely become a folder name."""


class DataValidationError(ShnorError):
    """One or more structural problems: the run stops and nothing is written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self, limit: int = 50) -> str:
        lines = [f"Найдено ошибок во входных данных: {len(self.problems)}. Расчёт остановлен, ничего не записано."]
        for p in self.problems[:limit]:
            lines.append(f"  • {p}")
        if len(self.problems) > limit:
            lines.append(f"  … и ещё {len(self.problems) - limit}.")
        return "\n".join(lines)

"""Small readers of a computed season shared by the report's sections, the school card and the
display helpers: school order, text columns, status flags, which input files the season had,
and the recurring Russian phrases («недостаточно данных», «5 школ», «без статуса»).

Nothing here computes a statistic; every function reads a
:class:`~shnor_lib.pipeline.season.SeasonResult` or one of its tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

import pandas as pd

from ..contract.schema import school_id_key
from .format import count

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ..pipeline.season import SeasonResult

__all__ = [
    "NO_DATA",
    "as_text",
    "flag",
    "is_risk",
    "has_card",
    "has_input",
    "pure_path",
    "published_indices",
    "scope_rows",
    "id_key",
    "sorted_ids",
    "by_id",
    "name_of",
    "school_list",
    "n_schools",
    "n_schools_gen",
    "no_isbsh_reason",
    "relative_path",
    "status_word",
    "lower_first",
]

#: Said wherever a section cannot be computed; the text always adds why.
NO_DATA = "недостаточно данных"

def as_text(values: pd.Series) -> pd.Series:
    """Text column with "" for missing values (works for all-NaN float columns too)."""
    return values.astype(object).where(values.notna(), "")


def flag(schools: pd.DataFrame, col: str) -> pd.Series:
    """A boolean flag column of the schools table with missing values read as False."""
    return schools[col].astype(object).where(schools[col].notna(), False).astype(bool)


def is_risk(schools: pd.DataFrame) -> pd.Series:
    """Status «зона риска» (a ШНСУ school with the risk flag keeps status ШНСУ, §3.4)."""
    return as_text(schools["status"]).eq("зона риска")


def has_card(schools: pd.DataFrame) -> pd.Series:
    """The schools of report section 2 — a status or the risk-zone flag: those that get a card."""
    return as_text(schools["status"]).ne("") | flag(schools, "risk_zone")


def pure_path(path: str) -> PurePath:
    """A path of the season's checksums as written on the machine that computed it."""
    return PureWindowsPath(path) if "\\" in str(path) else PurePosixPath(str(path))


def has_input(result: SeasonResult, stem: str, year: int | None = None) -> bool:
    """Whether the season's input files (``result.checksums``) include ``stem`` (e.g. ``"social"``)."""
    year = result.year if year is None else year
    for path in result.checksums:
        p = pure_path(path)
        if p.stem == stem and p.parent.name == str(year):
            return True
    return False


def published_indices(result: SeasonResult) -> bool:
    """Whether the indices come from a published table (file ``indices``) rather than computed."""
    src = result.schools.get("indices_source")
    return src is not None and as_text(src).eq("файл indices").any()


def scope_rows(result: SeasonResult) -> pd.DataFrame:
    """Pooled metrics of the season's year in the rules' scope (procedures and subjects)."""
    m = result.metrics
    p = result.params
    return m[(m["year"] == result.year) & m["procedure"].isin(p["procedures"]) & m["subject"].isin(p["subjects"])]


#: Sort key of a school code: the contract's one order (numeric codes numerically, then text).
id_key = school_id_key


def sorted_ids(ids: Iterable) -> list[str]:
    """School codes as strings in code order."""
    return sorted((str(i) for i in ids), key=id_key)


def by_id(df: pd.DataFrame, col: str = "school_id") -> pd.DataFrame:
    """Rows ordered by school code (numeric codes numerically)."""
    order = sorted(range(len(df)), key=lambda i: id_key(df[col].iat[i]))
    return df.iloc[order]


def name_of(schools: pd.DataFrame) -> dict[str, str]:
    """School code → name."""
    return dict(zip(schools["school_id"].astype(str), as_text(schools["name"]).astype(str), strict=True))


def school_list(ids: Iterable, names: dict[str, str], with_names: bool = True) -> str:
    """«7 (МБОУ СОШ № 7), 14 (…)» (or just «7; 14») in code order."""
    ids = sorted_ids(ids)
    if not with_names:
        return "; ".join(ids)  # «3; 7», never «3, 7» (read as a decimal)
    return ", ".join(f"{i} ({names[i]})" if names.get(i) else str(i) for i in ids)


def n_schools(n: int) -> str:
    """«1 школа», «2 школы», «5 школ»."""
    return count(n, "школа", "школы", "школ")


def n_schools_gen(n: int) -> str:
    """Genitive after «для», «из»: «1 школы», «2 школ», «5 школ»."""
    return count(n, "школы", "школ", "школ")


def status_word(status) -> str:
    """A status as the reader sees it: «без статуса» for none."""
    return status if isinstance(status, str) and status else "без статуса"


def lower_first(text: str) -> str:
    """«Высокая доля … с ОВЗ» → «высокая доля … с ОВЗ» (abbreviations keep their capitals)."""
    text = str(text)
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def no_isbsh_reason(result: SeasonResult) -> str:
    """Why ИСБШ is not computed and ШНСУ are not determined (sections 1 and 5)."""
    if not has_input(result, "social"):
        return ("Социального паспорта (файл social) нет, поэтому ИСБШ не рассчитан и ШНСУ не определяются — "
                f"{NO_DATA}.")
    return f"ИСБШ не рассчитан (в социальном паспорте нет нужных сведений), ШНСУ не определяются — {NO_DATA}."


def relative_path(path: str, data_root: str | None = None) -> str:
    """``path`` relative to ``data_root`` when inside it, else its last three parts (municipality/year/file)."""
    p = pure_path(str(path))
    if data_root is not None:
        root = pure_path(str(data_root))
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            pass
    return PurePosixPath(*p.parts[-3:]).as_posix()

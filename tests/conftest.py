"""Shared builders: small seasons written to disk exactly as a methodologist would."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shnor_lib import load_params

pytest_plugins = ["report_season"]  # the hand-made season shared by the report tests

REPO = Path(__file__).resolve().parent.parent

RESULT_HEADER = ["school_id", "procedure", "subject", "grade", "participants", "n2", "n3", "n4", "n5",
                 "failed", "high", "mean_score"]


def write_csv(path: Path, header: list[str], rows: list[list], *, encoding="utf-8", sep=",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def vpr(school, subject, grade, n, failed, year_rows=None):
    """A ВПР/ОГЭ row with ``failed`` «2» and the rest «3»."""
    return [school, "ВПР", subject, grade, n, failed, n - failed, 0, 0, None, None, None]


def row(school, procedure, subject, grade, n, failed):
    if procedure == "ЕГЭ":
        return [school, "ЕГЭ", subject, grade, n, None, None, None, None, failed, 0, 50]
    return [school, procedure, subject, grade, n, failed, n - failed, 0, 0, None, None, None]


@pytest.fixture
def season_writer(tmp_path):
    """Write ``data_raw/<m>/<year>/{schools,results,...}.csv`` under a temp root; returns the root."""
    root = tmp_path / "data_raw"

    def write(year, results, schools=None, municipality="t", social=None, extra=None):
        folder = root / municipality / str(year)
        ids = sorted({r[0] for r in results}) if schools is None else schools
        write_csv(folder / "schools.csv", ["school_id", "name", "students_total"],
                  [[s, f"Школа {s}", 1000] for s in ids])
        write_csv(folder / "results.csv", RESULT_HEADER, results)
        if social is not None:
            write_csv(folder / "social.csv", ["school_id", "students_total", "both_parents_higher_ed",
                                              "single_parent", "non_native_russian", "on_register",
                                              "unemployed_parents"], social)
        for name, (header, rows) in (extra or {}).items():
            write_csv(folder / f"{name}.csv", header, rows)
        return root

    return write


@pytest.fixture
def params():
    return load_params()

"""The bad-input suite (tests/bad_inputs/): every failure class through the command line.

Structural cases (``s…``) exit 2 with exactly the expected message and write nothing;
row-level cases (``r…``) and accepted quirks (``a…``) exit 0 and ``data_issues.csv`` is
exactly as expected. See tests/bad_inputs/README.md for the classes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shnor_lib.cli import main

CASES_DIR = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
STRUCTURAL = [p for p in CASES if p.name.startswith("s")]
ROW_LEVEL = [p for p in CASES if p.name.startswith(("r", "a"))]


def _run(case: Path, tmp_path: Path, command: str = "compute") -> tuple[int, Path]:
    """Run the CLI on a copy of the case's data (``data_raw/`` must never be written anyway)."""
    data = tmp_path / "data_raw"
    shutil.copytree(case / "data_raw", data)
    extra = (case / "args.txt").read_text(encoding="utf-8").split() if (case / "args.txt").exists() else []
    out = tmp_path / "out"
    argv = [command, "--data-root", str(data), *extra]
    if command == "compute":
        argv += ["--out", str(out)]
    return main(argv), out


def _expected(case: Path) -> str:
    return (case / "expected.txt").read_text(encoding="utf-8")


def test_every_case_has_an_expected_file_and_a_known_kind():
    assert len(STRUCTURAL) >= 30 and len(ROW_LEVEL) >= 7
    for case in CASES:
        assert (case / "expected.txt").is_file(), case.name
        assert case in STRUCTURAL or case in ROW_LEVEL, case.name


def test_readme_lists_every_case():
    readme = (CASES_DIR / "README.md").read_text(encoding="utf-8")
    missing = [c.name for c in CASES if f"`{c.name}`" not in readme]
    assert not missing


@pytest.mark.parametrize("case", STRUCTURAL, ids=lambda p: p.name)
def test_structural_case_stops_with_the_exact_message_and_writes_nothing(case, tmp_path, capsys):
    code, out = _run(case, tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    assert err == _expected(case)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("case", STRUCTURAL, ids=lambda p: p.name)
def test_validate_prints_the_same_message(case, tmp_path, capsys):
    code, _ = _run(case, tmp_path, "validate")
    assert code == 2
    assert capsys.readouterr().err == _expected(case)


@pytest.mark.parametrize("case", ROW_LEVEL, ids=lambda p: p.name)
def test_row_level_case_is_ledgered_exactly(case, tmp_path, capsys):
    code, out = _run(case, tmp_path)
    assert code == 0, capsys.readouterr().err
    issues = out / "t" / "2024" / "data_issues.csv"
    assert issues.read_text(encoding="utf-8") == _expected(case)


def test_cases_are_left_untouched_by_a_run(tmp_path):
    # The runner copies each case, but the CLI must not write next to its input either.
    case = CASES_DIR / "r01_percentages_converted"
    before = sorted(p.relative_to(case) for p in case.rglob("*"))
    main(["compute", "--data-root", str(case / "data_raw"), "--out", str(tmp_path / "out")])
    assert sorted(p.relative_to(case) for p in case.rglob("*")) == before

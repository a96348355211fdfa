"""The two validation paths agree: one season at a time (``validate_season``) and many seasons
at once (``validate_together``, the fast path of ``validate_seasons``).

Both are generated from the checks declared in shnor_lib/contract/schema.py. The fast path
may give up (None) whenever a season has anything to word; it may never accept a season the
per-season path refuses, and when it accepts one it must give exactly the same Season.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shnor_lib.contract.marks import quarantine_limits
from shnor_lib.contract.schema import CONTRACT
from shnor_lib.contract.together import validate_together
from shnor_lib.contract.validate import Season, validate_season, validate_seasons
from shnor_lib.errors import DataValidationError
from shnor_lib.io.readers import list_seasons, read_season

CASES_DIR = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
LIMITS = quarantine_limits("t")  # the package's defaults, as the bad-input suite runs with them


def _assert_same(a: Season, b: Season) -> None:
    assert (a.municipality, a.year) == (b.municipality, b.year)
    assert list(a.tables) == list(b.tables)
    for stem in a.tables:
        pd.testing.assert_frame_equal(a.tables[stem], b.tables[stem])
    pd.testing.assert_frame_equal(a.issues, b.issues)
    pd.testing.assert_frame_equal(a.readings, b.readings)
    assert a.checksums == b.checksums
    assert a.unknown_columns == b.unknown_columns
    assert a.fisoko_reference is None and b.fisoko_reference is None


def _paths(raw, strict: bool) -> tuple[Season | list[str], list[Season] | None]:
    try:
        alone: Season | list[str] = validate_season(raw, strict=strict, limits=LIMITS)
    except DataValidationError as exc:
        alone = [str(p) for p in exc.problems]
    return alone, validate_together([raw], strict, LIMITS)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_every_bad_input_case_gets_the_same_verdict_from_both_paths_or_the_fast_path_falls_back(case):
    strict = "--strict" in ((case / "args.txt").read_text(encoding="utf-8") if (case / "args.txt").exists() else "")
    root = case / "data_raw"
    seasons = list_seasons(root)
    assert seasons or case.name.startswith("s80"), "a case without any season folder"
    for m, y in seasons:
        raw = read_season(root, m, y)
        alone, fast = _paths(raw, strict)
        if isinstance(alone, list):
            assert fast is None, f"the fast path accepted a season the per-season path refuses: {alone[:2]}"
            if case.name.startswith("s"):
                assert alone  # the structural case is refused, with its messages
        elif fast is not None:
            _assert_same(alone, fast[0])


def test_the_fast_path_accepts_the_accepted_quirks_it_has_nothing_to_word_about():
    # Not vacuous: the comparison above runs on real Seasons for these cases.
    accepted = []
    for case in CASES:
        if not case.name.startswith("a"):
            continue
        raw = read_season(case / "data_raw", "t", 2024)
        fast = validate_together([raw], False, LIMITS)
        if fast is not None:
            _assert_same(validate_season(raw, limits=LIMITS), fast[0])
            accepted.append(case.name)
    assert len(accepted) >= 3, accepted


# ------------------------------------------------------------------ every declared check, both paths

SCHOOLS = "Код ОО;Наименование ОО;Число обучающихся\n1;Школа № 1;900\n2;Школа № 2;300\n"
RESULTS = ("Код ОО;Процедура;Предмет;Класс;Участников;Отметка 2;Отметка 3;Отметка 4;Отметка 5\n"
           "1;ВПР;математика;5;20;5;15;0;0\n2;ВПР;математика;5;30;3;10;10;7\n")


def _valid_row(spec_stem: str) -> dict[str, str]:
    """A row of school 2 that passes every check: totals large, parts small, codes in bounds."""
    row = {"school_id": "2"}
    for c in CONTRACT[spec_stem].columns:
        if c.name in row:
            continue
        if c.bounds is not None:
            row[c.name] = str(c.bounds[0])
        elif c.kind == "int":
            row[c.name] = "100" if c.required else "1"
        elif c.kind == "float":
            row[c.name] = "0,5"
        elif c.kind == "str":
            row[c.name] = {"factor": "1", "significance": "высокая"}.get(c.name, "x")
        elif c.kind == "yesno":
            row[c.name] = "да"
    return row


def _season(tmp_path: Path, files: dict[str, str]) -> object:
    folder = tmp_path / "data_raw" / "t" / "2024"
    folder.mkdir(parents=True)
    for name, text in {"schools.csv": SCHOOLS, "results.csv": RESULTS, **files}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return read_season(tmp_path / "data_raw", "t", 2024)


def _file(stem: str, row: dict[str, str]) -> dict[str, str]:
    spec = CONTRACT[stem]
    header = ";".join(c.label for c in spec.columns)
    return {f"{stem}.csv": header + "\n" + ";".join(row[c.name] for c in spec.columns) + "\n"}


DECLARED = [(spec.stem, c.name, kind) for spec in CONTRACT.values() if spec.stem not in ("schools", "results")
            for c, kind in [*((c, "bounds") for c in spec.bounded), *((c, "max_of") for c in spec.limited)]]


def test_the_contract_declares_the_checks_the_old_hand_written_lists_held():
    # The lists both paths kept before the checks were declared (hand-copied from the old code).
    assert sorted(n for s, n, k in DECLARED if s == "social") == sorted(
        ["both_parents_higher_ed", "single_parent", "non_native_russian", "on_register", "unemployed_parents", "ovz"])
    assert sorted(n for s, n, k in DECLARED if s == "teachers") == sorted(
        ["higher_education", "category_highest", "category_first", "category_szd", "experience_10plus"])
    assert {c.name: c.bounds for c in CONTRACT["indices"].bounded} == {
        "isbsh_group": (1, 11), "iursh_group": (1, 4), "quality_group": (1, 11)}
    assert CONTRACT["results"].column("grade").bounds == (1, 11)
    assert CONTRACT["results"].column("participants").max_of == "schools.students_total"


@pytest.mark.parametrize(("stem", "name", "kind"), DECLARED, ids=lambda x: str(x))
def test_each_declared_check_stops_both_paths_and_a_valid_row_passes_both(tmp_path, stem, name, kind):
    good = _valid_row(stem)
    raw = _season(tmp_path / "good", _file(stem, good))
    alone = validate_season(raw, limits=LIMITS)
    fast = validate_together([raw], False, LIMITS)
    assert fast is not None  # the valid season goes through the fast path …
    _assert_same(alone, fast[0])

    col = CONTRACT[stem].column(name)
    bad = dict(good)
    if kind == "bounds":
        bad[name] = str(col.bounds[1] + 1)
        expected = f"{col.noun} {col.bounds[1] + 1} вне диапазона {col.bounds[0]}–{col.bounds[1]}."
    else:
        total = col.max_of.rpartition(".")[2]
        bad[name] = str(int(good[total]) + 1)
        expected = f"значение {int(good[total]) + 1} больше, чем «{CONTRACT[stem].column(total).label}» ({good[total]})."
    raw = _season(tmp_path / "bad", _file(stem, bad))
    with pytest.raises(DataValidationError) as exc:
        validate_season(raw, limits=LIMITS)
    assert [(p.column, p.message) for p in exc.value.problems] == [(col.label, expected)]
    assert validate_together([raw], False, LIMITS) is None  # … and the broken one falls back


def test_participants_above_the_schools_pupils_stop_both_paths(tmp_path):
    raw = _season(tmp_path, {"results.csv": RESULTS.replace("2;ВПР;математика;5;30;3;10;10;7",
                                                            "2;ВПР;математика;5;301;3;10;10;278")})
    with pytest.raises(DataValidationError) as exc:
        validate_season(raw, limits=LIMITS)
    assert [p.message for p in exc.value.problems] == ["значение 301 больше, чем «Число обучающихся (schools)» (300)."]
    assert validate_together([raw], False, LIMITS) is None


def test_a_grade_outside_its_bounds_stops_both_paths(tmp_path):
    raw = _season(tmp_path, {"results.csv": RESULTS.replace("2;ВПР;математика;5;", "2;ВПР;математика;12;")})
    with pytest.raises(DataValidationError) as exc:
        validate_season(raw, limits=LIMITS)
    assert [p.message for p in exc.value.problems] == ["класс 12 вне диапазона 1–11."]
    assert validate_together([raw], False, LIMITS) is None


def test_a_bad_season_among_good_ones_gives_the_per_season_errors_through_validate_seasons(tmp_path):
    good = _season(tmp_path / "a", {})
    bad = _season(tmp_path / "b", _file("indices", {**_valid_row("indices"), "iursh_group": "5"}))
    with pytest.raises(DataValidationError) as together:
        validate_seasons([good, bad], limits=LIMITS)
    with pytest.raises(DataValidationError) as alone:
        validate_season(bad, limits=LIMITS)
    assert [str(p) for p in together.value.problems] == [str(p) for p in alone.value.problems]

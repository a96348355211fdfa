"""The declared contract (shnor_lib/contract/schema.py): the school-code order and the declared checks."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from shnor_lib.contract.schema import CONTRACT, school_id_key, school_id_order, sorted_school_ids

PACKAGE = Path(__file__).resolve().parent.parent / "shnor_lib"


def test_numeric_school_codes_sort_as_numbers_and_the_others_after_them_as_text():
    # By hand: 2 < 10 < 22 as numbers (as text «10» < «2»); codes with letters follow, as text.
    assert sorted_school_ids(["22", "10", "2", "14а", "edu660001", "2"]) == ["2", "10", "22", "14а", "edu660001"]


def test_a_code_of_non_ascii_digits_sorts_as_text_instead_of_failing():
    # «²».isdigit() is True but int("²") raises: such a code is text.
    assert sorted(["²", "3", "1"], key=school_id_key) == ["1", "3", "²"]


def test_the_rank_key_of_sort_values_gives_the_same_order_as_the_tuple_key():
    ids = ["10", "2", "b", "1", "a", "33", "007"]
    df = pd.DataFrame({"school_id": ids, "year": [2024] * len(ids)})
    by_rank = df.sort_values(["year", "school_id"], key=lambda c: school_id_order(c) if c.name == "school_id" else c)
    assert by_rank["school_id"].tolist() == sorted(ids, key=school_id_key) == ["1", "2", "007", "10", "33", "a", "b"]


def test_no_module_writes_its_own_school_code_sort_key():
    # The lambda every copy used: «(0, int(s), "") if … isdigit() else (1, 0, …)».
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.IfExp) and "isdigit" in ast.unparse(node.test) and "int(" in ast.unparse(node.body):
                copies.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert copies == ["contract/schema.py:" + str(_line_of_school_id_key())]


def _line_of_school_id_key() -> int:
    tree = ast.parse((PACKAGE / "contract" / "schema.py").read_text(encoding="utf-8"))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "school_id_key")
    return next(n.lineno for n in ast.walk(fn) if isinstance(n, ast.IfExp))


def test_declared_bounds_match_the_unit_the_templates_show():
    # The unit «1–11» of a group is what the template's hint row says; the check uses ``bounds``.
    for spec in CONTRACT.values():
        for c in spec.bounded:
            assert c.noun, c.name
            if c.unit:
                assert c.unit == f"{c.bounds[0]}–{c.bounds[1]}", c.name


def test_every_declared_total_is_a_count_column_of_its_file_or_of_another():
    for spec in CONTRACT.values():
        for c in spec.limited:
            stem, _, total = c.max_of.rpartition(".")
            target = CONTRACT[stem] if stem else spec
            assert target.column(total).kind == "int", (spec.stem, c.name)
            assert c.kind == "int", (spec.stem, c.name)

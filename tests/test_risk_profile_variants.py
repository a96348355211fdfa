"""Risk-profile variants (Методика §7.1): FIOKO's ШНСУ table numbers the factors differently
from its ШНОР table (seed 004: table 5 № 4 «Высокая доля обучающихся с ОВЗ» is table 4 № 7;
table 5 № 9 «Высокая доля обучающихся с рисками учебной неуспешности» is table 4 № 6). A number
is read only through a declared «Вариант профиля» or a factor name; a bare number stops the run.
"""

from __future__ import annotations

import pandas as pd
from conftest import REPO

from shnor_lib.contract.checks import risk_values
from shnor_lib.contract.schema import RISK_FACTORS, RISK_PROFILE_VARIANTS, normalize_label

SEED = REPO / "data_raw" / "pervouralsk" / "source" / "programme_2023-2025.txt"


def _table(rows: list[tuple]) -> pd.DataFrame:
    cols = ["factor", "significance", "profile_variant", "factor_label"]
    return pd.DataFrame([list(r) + [None] * (4 - len(r)) for r in rows], columns=cols, dtype=object)


def test_the_same_number_means_different_factors_in_the_shnor_and_shnsu_variants():
    codes, names, _, errors = risk_values(_table([("4", "высокая", "ШНОР"), ("4", "высокая", "ШНСУ"),
                                                  ("9", "средняя", "шнсу"), ("9", "средняя", "ШНОР")]))
    assert errors == []
    assert codes == [4, 7, 6, 9]  # table 4 № 4 / table 5 № 4 (ОВЗ) / table 5 № 9 (неуспешность) / table 4 № 9
    assert names[1] == "Высокая доля обучающихся с ОВЗ"


def test_shnsu_variant_follows_the_printed_table_5_line_by_line():
    # Seed 004 lines 160–172: «N. name<TAB>…» rows of table 5; every printed name is the catalogue's
    # name of the code the variant maps N to (the seed's «педагогических работников» is alias 3).
    lines = SEED.read_text(encoding="utf-8").split("\n")
    start = lines.index("Таблица 5")
    rows = [ln.split("\t")[0] for ln in lines[start:start + 16] if ln[:2].rstrip(".").strip().isdigit()]
    assert len(rows) == 10
    by_name = {normalize_label(v): k for k, v in RISK_FACTORS.items()}
    by_name[normalize_label("Недостаточная предметная и методическая компетентность педагогических работников")] = 3
    for text in rows:
        number, name = text.split(". ", 1)
        assert RISK_PROFILE_VARIANTS["шнсу"][int(number)] == by_name[normalize_label(name)], text


def test_bare_number_without_variant_or_name_is_an_error_naming_the_column():
    codes, _, _, errors = risk_values(_table([("Дефицит педагогических кадров", "низкая"), ("4", "высокая")]))
    assert codes == [2, None]
    assert len(errors) == 1 and errors[0][:2] == (1, "factor")
    assert "номер без варианта профиля" in errors[0][2] and "Вариант профиля" in errors[0][2]


def test_number_with_a_name_but_no_variant_is_read_through_the_name():
    codes, _, _, errors = risk_values(_table([("7", "высокая", None, "Высокая доля обучающихся с ОВЗ")]))
    assert (codes, errors) == ([7], [])


def test_number_and_name_that_disagree_under_the_variant_are_an_error():
    # ШНСУ № 4 is ОВЗ (code 7), but the row names «Риски низкой адаптивности» (code 4).
    _, _, _, errors = risk_values(_table([("4", "высокая", "ШНСУ", "Риски низкой адаптивности учебного процесса")]))
    assert len(errors) == 1 and "«Высокая доля обучающихся с ОВЗ»" in errors[0][2]


def test_unknown_variant_and_number_outside_the_variant_are_errors():
    _, _, _, errors = risk_values(_table([("4", "высокая", "ФИОКО"), ("11", "высокая", "ШНОР"), ("11", "высокая", "каталог")]))
    assert [(pos, col) for pos, col, _ in errors] == [(0, "profile_variant"), (1, "factor")]
    assert "ожидается ШНОР, ШНСУ, каталог" in errors[0][2] and "номера 1–10" in errors[1][2]

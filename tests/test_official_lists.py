"""Official lists beside the rule (Методика §3.7): the optional season file ``official_lists``,
read by the contract, carried by ``SeasonResult.official_lists`` and compared list by list.

Expected counts are worked out by hand from the hand-made season below.
"""

from __future__ import annotations

import pandas as pd
from conftest import row, write_csv

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.official import AGREE, ONLY_OFFICIAL, ONLY_RULE, official_comparison, official_summary
from shnor_lib.report import sections as nv


def _schools(rows):
    return pd.DataFrame(rows, columns=["school_id", "shnor", "shnsu", "reasons"])


SCHOOLS = _schools([
    ("1", True, False, "ШНОР: не менее 30% не преодолели порог в двух различных процедурах в один год: … | не ШНСУ: группа ИСБШ 6"),
    ("2", False, True, "не ШНОР и не зона риска: наибольшая доля … | ШНСУ: группа ИСБШ ≤ 2: группа 1"),
    ("3", False, False, "не ШНОР и не зона риска: наибольшая доля не преодолевших порог — ВПР 2024, математика: 12,0% (6 из 50) | не ШНСУ: группа ИСБШ 4"),
    ("4", True, True, "ШНОР: … | ШНСУ: группа ИСБШ ≤ 2: группа 2"),
])
FLAGS = pd.DataFrame([{"school_id": "3", "procedure": "ВПР", "subject": "математика",
                       "flag_label": "резкое изменение результатов класса за год"}])
OFFICIAL = pd.DataFrame([
    ("1", "ФИОКО ШНОР", "приказ 1"), ("3", "ФИОКО ШНОР", "приказ 1"),          # 1 agrees, 3 only official; 4 only rule
    ("2", "500+", None), ("3", "500+", None), ("4", "500+", None),            # 2, 4 agree; 3 only official; 1 only rule
    ("3", "Рособрнадзор: признаки необъективности", "письмо"),                  # 3 agrees
    ("9", "региональный список", None),                                        # not compared, shown
], columns=["school_id", "list_name", "source"])


def test_agreement_counts_per_list_are_the_hand_counted_ones():
    summary = official_summary(official_comparison(SCHOOLS, FLAGS, OFFICIAL)).set_index("Список")
    cols = ["В официальном списке", "По правилу", "В обоих", "Только в официальном списке", "Только по правилу"]
    assert list(summary.loc["ФИОКО ШНОР", cols]) == [2, 2, 1, 1, 1]
    assert list(summary.loc["500+", cols]) == [3, 3, 2, 1, 1]
    assert list(summary.loc["Рособрнадзор: признаки необъективности", cols]) == [1, 1, 1, 0, 0]
    assert summary.loc["региональный список", "С чем сравнивается"] == "не сравнивается"
    assert summary.loc["500+", "С чем сравнивается"] == "ШНОР или ШНСУ по правилу"


def test_every_disagreement_carries_the_schools_own_reason():
    t = official_comparison(SCHOOLS, FLAGS, OFFICIAL)
    shnor = t[t["Список"] == "ФИОКО ШНОР"].set_index("Код ОО")
    assert list(shnor["Итог"]) == [AGREE, ONLY_OFFICIAL, ONLY_RULE]  # schools 1, 3, 4 in code order
    assert shnor.loc["1", "Почему"] == "" and shnor.loc["1", "Источник"] == "приказ 1"
    assert shnor.loc["3", "Почему"].startswith("не ШНОР и не зона риска: наибольшая доля не преодолевших порог — ВПР 2024")
    assert shnor.loc["4", "Почему"] == "ШНОР: …"
    other = t[t["Список"] == "региональный список"]
    assert list(other["Итог"]) == ["не сравнивается"] and "показан без сравнения" in other["Почему"].iloc[0]


def test_school_missing_from_the_season_is_said_not_guessed():
    off = pd.DataFrame([("77", "ФИОКО ШНСУ", None)], columns=["school_id", "list_name", "source"])
    t = official_comparison(SCHOOLS, FLAGS, off)
    row77 = t.set_index("Код ОО").loc["77"]
    assert row77["Итог"] == ONLY_OFFICIAL and "нет в файле schools" in row77["Почему"]


def test_season_file_is_read_carried_and_worded(season_writer):
    # School 1: ВПР 20/50 = 40% and ОГЭ 7/20 = 35% → ШНОР; school 2: 5/50 = 10% only → no status.
    root = season_writer(2024, [row("1", "ВПР", "математика", 6, 50, 20), row("1", "ОГЭ", "математика", 9, 20, 7),
                                row("2", "ВПР", "математика", 6, 50, 5)])
    write_csv(root / "t" / "2024" / "official_lists.csv", ["Код ОО", "Список", "Источник"],
              [["2", "ФИОКО ШНОР", "письмо ФИОКО 2023"]])
    res = compute_season(load_dataset(root, "t"), "t", 2024, load_params())
    assert list(res.official_lists["list_name"]) == ["ФИОКО ШНОР"]
    t = nv.official_lists_table(res).set_index("Код ОО")
    assert (t.loc["1", "Итог"], t.loc["2", "Итог"]) == (ONLY_RULE, ONLY_OFFICIAL)
    text = nv.official_lists_text(res)
    assert ("«ФИОКО ШНОР» (1 школа) и ШНОР по правилу (1 школа): в обоих — 0, только в официальном списке — 1, "
            "только по правилу — 1") in text


def test_without_the_file_the_text_says_there_is_nothing_to_compare(season_writer):
    root = season_writer(2024, [row("1", "ВПР", "математика", 6, 50, 20)])
    res = compute_season(load_dataset(root, "t"), "t", 2024, load_params())
    assert res.official_lists is None
    assert "файл official_lists не приложен" in nv.official_lists_text(res)

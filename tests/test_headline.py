"""«Главное», the block that opens the справка (shnor_lib.report.sections.headline).

Expected numbers come from the hand-made two-year season of ``report_season.py`` (its docstring
derives them by hand): 2024 — ШНОР {1, 2}, ШНСУ {4}, зона риска {5}, 3 of 10 = 30,0%, plan 10%;
2023 — ШНОР {3}, ШНСУ {4}, 2 of 10 = 20,0%. In 2023 the fail shares at or above 30% are school 3
(ВПР математика 12/30, ОГЭ математика 10/25) and school 2 (ВПР русский язык 10/30 = 33,3%).
"""

from __future__ import annotations

from report_season import recommendations_frame

from shnor_lib.report import sections


def test_headline_names_each_listed_school_with_its_status_and_reason(seasons):
    cur, prev = seasons
    text = sections.headline_text(cur, prev)
    assert text.startswith("#### Главное")
    assert "[1](schools/1.html) Школа 1 — **ШНОР**: не менее 30% не преодолели порог в двух процедурах одного года" in text
    assert "[2](schools/2.html) Школа 2 — **ШНОР**: не менее 30% не преодолели порог в одной процедуре два года подряд" \
        in text
    assert "[4](schools/4.html) Школа 4 — **ШНСУ**: группа 1 из 11 по индексу социального благополучия школы" in text
    # the reason line drops the pupil counts, keeps the shares
    assert "40,0%" in text and "(12 из 30)" not in text


def test_headline_counts_change_since_last_year_and_share_against_target(seasons):
    cur, prev = seasons
    text = sections.headline_text(cur, prev)
    assert "— 2 школы** (+1 за год)" in text            # ШНОР 1 → 2
    assert "— 1 школа** (без изменений за год)" in text  # ШНСУ {4} both years
    assert "**Зона риска — 1 школа** (+1 за год)" in text
    assert "Доля ШНОР и ШНСУ — **30,0%** (3 из 10) при целевом значении муниципалитета 10% — цель не достигнута" in text
    assert "в 2023 году — 20,0% (рост на 10 п.п.)" in text


def test_headline_lists_schools_that_entered_and_left_a_list(seasons):
    text = sections.headline_text(*seasons)
    assert "вошли в список ШНОР — 1 (Школа 1); 2 (Школа 2); вышли из списка ШНОР — 3 (Школа 3)" in text
    assert "вошли в зону риска — 5 (Школа 5)" in text


def test_headline_says_when_a_rule_condition_cannot_fire_and_counts_schools_at_the_threshold(seasons):
    _, first = seasons  # 2023: no 2022 results, so «два года подряд» cannot be checked
    text = sections.headline_text(first, None)
    assert "**Внимание:** условие «одна процедура два года подряд» не проверялось — нет результатов за 2022 год" \
        in text
    assert "Доля не преодолевших порог 30% и выше хотя бы по одному предмету — у 2 школ " \
           "(по ВПР — 2, по ОГЭ — 1): 2; 3" in text


def test_headline_does_not_warn_when_both_conditions_could_be_checked(seasons):
    cur, _ = seasons  # 2024 with 2023 results loaded, every school has ВПР and ОГЭ
    assert sections.rule_gaps(cur) == []
    assert "Внимание" not in sections.headline_text(cur, None)


def test_key_measures_are_in_words_with_addressee_schools_and_reason(seasons):
    cur, prev = seasons
    text = sections.headline_text(cur, prev, recommendations_frame())
    # S01 is recommended to 2 schools, O01 and O02 to 1: S01 comes first
    assert "1. Мера S01. *Кто выполняет:* руководитель ОО. *Для 2 школ:* 1; 2. *Основание:* статусы ШНОР, ШНСУ." \
        in text
    assert "*Основание:* фактор риска 1 — низкий уровень оснащения школы; фактор риска 7 — высокая доля " \
           "обучающихся с ОВЗ." in text
    ms = sections.key_measures(recommendations_frame(), n=2)
    assert [m["id"] for m in ms] == ["S01", "O01"]

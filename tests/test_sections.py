"""The season report's sections (shnor_lib.report.sections): every number a text quotes.

Sections 1–7, 12 and 13 read the hand-made two-year season of ``report_season.py`` (its
docstring derives every expected count and share by hand); sections 8–11 read small hand-made
tables (indicators, diagnostics, risk profiles, dynamics, leader pairs) whose expected words
follow from the rows given.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from report_season import (
    SCHOOLS,
    changes_frame,
    diagnostics_frame,
    fake_season,
    indicators_frame,
    recommendations_frame,
    results_rows,
    significance_frame,
    transitions_frame,
)

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.models import BELOW, RESILIENT
from shnor_lib.report import sections
from shnor_lib.report.format import fmt_num, fmt_pct


def test_the_hand_made_season_has_the_intended_statuses(res):
    st = res.schools.set_index("school_id")["status"]
    assert st["1"] == "ШНОР" and st["2"] == "ШНОР" and st["4"] == "ШНСУ" and st["5"] == "зона риска"
    assert (st.drop(["1", "2", "4", "5"]) == "").all()


def test_summary_quotes_the_exact_counts_share_and_plan(res):
    text = sections.summary_text(res)
    assert "В 2024 году выявлено 2 ШНОР и 1 ШНСУ" in text
    assert "доля ШНОР и ШНСУ — 30,0% (3 из 10) при плановом значении 10%" in text
    assert "плановое значение не достигнуто" in text
    assert "В зоне риска — 1 школа" in text


def test_summary_compares_the_share_with_the_previous_year(seasons):
    cur, prev = seasons
    text = sections.summary_text(cur, prev)
    assert "В 2023 году доля ШНОР и ШНСУ составляла 20,0% (2 из 10)" in text
    assert "выросла на 10,0 п.п." in text


def test_status_changes_list_entered_left_and_stayed(seasons):
    ch = sections.status_changes(*seasons)

    def ids(lst, change):
        return list(ch[(ch["list"] == lst) & (ch["change"] == change)]["school_id"])

    assert ids("ШНОР", "вошла") == ["1", "2"]
    assert ids("ШНОР", "вышла") == ["3"]
    assert ids("ШНОР", "осталась") == []
    assert ids("ШНСУ", "осталась") == ["4"]
    assert ids("зона риска", "вошла") == ["5"]
    assert ch.loc[ch["school_id"] == "3", "status_now"].iat[0] == ""


def test_changes_text_names_schools_by_id_and_name(seasons):
    text = sections.changes_text(*seasons)
    assert "**ШНОР**: вошли — 1 (Школа 1), 2 (Школа 2); вышли — 3 (Школа 3); остались — нет." in text
    t = sections.changes_table(*seasons)
    assert list(t.columns) == ["Код ОО", "Наименование", "Статус 2023", "Статус 2024"]
    assert t.set_index("Код ОО").loc["3", "Статус 2024"] == "без статуса"


def test_without_a_previous_year_the_comparison_says_insufficient_data(res):
    assert "недостаточно данных" in sections.changes_text(res, None)


def test_identified_table_gives_reasons_in_words_and_numbers(res):
    t = sections.identified_table(res)
    assert list(t.columns) == ["Код ОО", "Наименование", "Статус", "Основание"]
    assert list(t["Код ОО"]) == ["1", "2", "4", "5"]
    why = t.set_index("Код ОО")["Основание"]
    assert "ВПР 2024, математика: 40,0% (12 из 30)" in why["1"]
    assert "ОГЭ 2024, математика: 40,0% (10 из 25)" in why["1"]
    assert "два года подряд" in why["2"] and "36,7% (11 из 30)" in why["2"]
    assert why["4"].startswith("ШНСУ")


def test_identified_text_lists_each_status(res):
    text = sections.identified_text(res)
    assert "**ШНОР (2)**: 1 (Школа 1), 2 (Школа 2)" in text
    assert "**ШНСУ (1)**: 4 (Школа 4)" in text
    assert "**Зона риска (1)**: 5 (Школа 5)" in text
    assert "ссылка на её карточку" in text
    assert "карточк" not in sections.identified_text(res, cards=False)


def test_assessment_table_pools_over_schools(res):
    t = sections.assessment_table(res).set_index(["Процедура", "Предмет"])
    row = t.loc[("ОГЭ", "математика")]
    # fails 10 + 1 + 1 + 1 + 1 + 2 + 0 + 2 + 1 + 1 = 20 of 250
    assert row["Участников"] == 250
    assert row["Не преодолели порог, %"] == pytest.approx(8.0)
    assert row["Школ с долей «2» ≥ 30%"] == 1


def test_model_text_quotes_r2_and_states_the_small_sample_warning(res):
    text = sections.model_text(res)
    assert f"R² = {fmt_num(res.model.r2)}" in text
    assert "малая выборка: 10 школ" in text


def test_model_text_says_in_plain_russian_what_was_tested_and_which_schools_stand_out(res):
    text = sections.model_text(res)
    assert "**Что проверялось.**" in text and "построенная по 10 школам муниципалитета" in text
    assert f"Контекст объясняет {fmt_pct(res.model.r2)} различий" in text
    # every school the model labels is named in the main text
    for kind in (RESILIENT, BELOW):
        for sid in sections.resilience_table(res, kind)["Код ОО"]:
            assert f"{sid} (" in text.split("**Какие школы выделяются:**")[1]
    main = text.split("Технические подробности")[0]
    assert "~" not in main and "HC3" not in main and "p =" not in main  # no formulas in the main text


def test_coefficient_table_has_interval_and_p_value(res):
    t = sections.coefficient_table(res)
    assert list(t["Показатель"]) == ["Свободный член", "ИСБШ", "ИУРШ"]
    assert {"95% ДИ, нижняя граница", "95% ДИ, верхняя граница", "p-значение"} <= set(t.columns)
    assert (t["95% ДИ, нижняя граница"] <= t["Коэффициент"]).all()


def test_resilience_table_lists_only_flagged_schools(res):
    for kind in (RESILIENT, BELOW):
        t = sections.resilience_table(res, kind)
        flagged = set(res.schools.loc[res.schools["resilience"] == kind, "school_id"])
        assert set(t["Код ОО"]) == flagged


def test_a_missing_model_is_said_plainly():
    from types import SimpleNamespace

    r = SimpleNamespace(model=None, effects=None, params=load_params(),
                        schools=pd.DataFrame({"quality_index": [0.9], "isbsh": [np.nan], "iursh": [np.nan]}))
    assert "недостаточно данных" in sections.model_text(r)
    assert "недостаточно данных" in sections.resilience_text(r)


def test_without_social_passport_the_report_says_why(season_writer, report_params):
    root = season_writer(2024, results_rows(2024), schools=SCHOOLS)  # schools and results only
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, report_params)
    summary = sections.summary_text(r)
    assert "ШНСУ не определялись (недостаточно данных" in summary
    assert "Социального паспорта (файл social) нет" in summary
    assert "недостаточно данных" in sections.context_text(r)
    missing = sections.not_computed_table(r)
    assert "ШНСУ" in set(missing["Не рассчитано"])


def test_objectivity_table_groups_grades_of_one_sign(res):
    t = sections.objectivity_table(res)
    assert list(t.columns) == ["Код ОО", "Наименование", "Процедура", "Предмет", "Классы", "Признак", "Подробности"]
    text = sections.objectivity_text(res)
    assert ("не выявлено" in text) == t.empty


def test_clusters_text_and_table_agree(res):
    t = sections.clusters_table(res)
    assert t["Число ОО"].sum() == 10
    assert f"на {len(t)} кластер" in sections.clusters_text(res)


def test_methodology_states_the_parameter_values_used(res, report_params):
    params_used = dict(res.params, shnor_threshold=0.25)
    res.params = params_used
    text = sections.methodology_text(res)
    assert "не менее 25% участников" in text
    assert "ВПР (5, 6, 7, 8 кл.)" in text


def test_parameters_table_is_grouped_by_rule_in_russian_and_marks_changes(report_params):
    # report_params: the package defaults with plan 10% and no random-intercept model (report_season.py)
    t = sections.parameters_table(report_params, defaults=sections.package_defaults())
    assert "_sources" not in sections.flatten_params(report_params)
    v = t.set_index("Параметр")["Значение"]
    assert v["порог доли «2» для ШНОР"] == "30%"                       # a share as percent, not 0,3
    assert v["формула модели качества"] == "индекс качества зависит от: ИСБШ, ИУРШ"
    assert "ШНОР: нижняя доля ИСБШ" not in v.index and "ШНСУ: нижняя доля ИСБШ" not in v.index  # unset: left out
    assert v["модель со случайным эффектом школы"] == "никогда (изменено; по умолчанию — автоматически)"
    assert not t["Параметр"].str.contains(r"[a-z][._][a-z]").any()  # no raw keys
    groups = [g for g in t["Правило"] if g]
    assert groups[:2] == ["Правило ШНОР и зоны риска", "Правило ШНСУ"] and len(groups) == len(set(groups))


def test_input_files_table_shows_paths_relative_to_the_data_root(res, root):
    t = sections.input_files_table(res, data_root=str(root))
    assert "t/2024/results.csv" in set(t["Файл"])
    assert "t/2023/social.csv" in set(t["Файл"])
    assert t["SHA-256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert sections.relative_path("/x/y/data_raw/demo/2024/a.csv") == "demo/2024/a.csv"


def test_package_versions_name_every_package():
    t = sections.package_versions()
    assert list(t["Пакет"]) == ["python", "shnor", "pandas", "numpy", "scipy", "statsmodels", "matplotlib",
                                "seaborn", "papermill", "nbconvert", "openpyxl", "pyyaml"]
    assert (t["Версия"] != "").all()


def test_indicator_values_are_percent_or_yes_no_scores():
    assert sections.indicator_value(66.883, "%") == "66,9%"
    assert sections.indicator_value(1.0, "балл") == "1 (да)"
    assert sections.indicator_value(0.0, "балл") == "0 (нет)"
    assert sections.indicator_value(np.nan, "%") == "—"


def test_monitoring_table_shows_fact_plan_direction_plan_met_and_level():
    t = sections.monitoring_table(fake_season(), indicators_frame())
    assert list(t.columns) == ["№", "Показатель", "Факт", "План", "Лучше", "План выполнен", "Динамика (1–3)"]
    assert list(t["№"]) == [1, 2, 3, 4]
    row = t.set_index("№")
    assert (row.loc[1, "Факт"], row.loc[1, "План"], row.loc[1, "Лучше"], row.loc[1, "План выполнен"]) == \
        ("20,0%", "10,0%", "↓ меньше", "нет")
    assert row.loc[2, "План выполнен"] == "да" and row.loc[2, "Динамика (1–3)"].startswith("3")
    assert row.loc[3, "Факт"] == "0 (нет)" and row.loc[3, "План"] == "1 (да)"
    assert row.loc[4, "План"] == "—" and row.loc[4, "План выполнен"] == "—"


def test_monitoring_text_counts_plans_met_and_names_those_not_met():
    text = sections.monitoring_text(fake_season(), indicators_frame())
    # plans for a, b, c: met only b
    assert "Плановые значения заданы для 3 показателей с известным фактом 2024 года: план выполнен по 1, " \
           "не выполнен по 2. Выполнены: № 2." in text
    assert "- № 1. Доля А: факт 20,0% при плане 10,0% (чем меньше, тем лучше)." in text
    assert "- № 3. Наличие В: факт 0 (нет) при плане 1 (да) (чем больше, тем лучше)." in text
    assert "Без планового значения: № 4." in text
    assert "уровень 3 (ярко выраженная положительная) — 1, уровень 2 (положительная стабильная) — 2, " \
           "уровень 1 (отрицательная или отсутствует) — 1 (№ 3)" in text


def test_monitoring_text_says_plainly_when_there_is_no_monitoring_file():
    ind = indicators_frame()
    ind = ind[ind["year"] == 2024].assign(fact=[20.0, np.nan, np.nan, np.nan], dynamics_level=np.nan)
    season = fake_season(files=("results",), previous=None)
    text = sections.monitoring_text(season, ind)
    assert text.startswith("Показатели мониторинга не рассчитываются: нет файла monitoring за 2024 год.")
    assert list(sections.monitoring_table(season, ind)["Показатель"]) == ["Доля А"]  # only what was computed
    assert "рассчитано 1 из 4 показателей каталога: доля А — 20,0%" in text
    assert "загружен один год (2024)" in text


def test_diagnostics_are_summarised_by_level_and_year():
    t = sections.diagnostics_table(diagnostics_frame())
    assert list(t.columns) == ["Уровень", "Что означает", "2023", "2024"]
    assert t.set_index("Уровень").loc["B", "2024"] == "3 (30,0%)"
    text = sections.diagnostics_text(fake_season(), diagnostics_frame())
    assert "уровень определён у 10 педагогов: A — 2 (20,0%); B — 3 (30,0%); C — 4 (40,0%); D — 1 (10,0%)" in text
    assert "(A и B) — у 50,0% педагогов (в 2023 году — 60,0%)" in text
    assert "нет файла monitoring" in sections.diagnostics_text(fake_season(files=("results",)), diagnostics_frame())


def test_risk_text_counts_profiles_high_factors_groups_and_recommendations(res):
    groups = pd.DataFrame({"group_id": ["equipment"], "group": ["Низкий уровень оснащения школы"], "n_schools": [2],
                           "schools": ["№ 1, 2"], "detail": ["низкий уровень оснащения школы — ОО № 1, 2"]})
    text = sections.risk_text(res, significance_frame(), groups, recommendations_frame())
    assert "Рисковые профили заполнены для 3 школ из 10; хотя бы один фактор высокой значимости — у 2 школ." in text
    assert "1. низкий уровень оснащения школы — 2 школы; 7. высокая доля обучающихся с ОВЗ — 1 школа" in text
    assert "низкий уровень оснащения школы — 2 ОО" in text
    assert "Адресные рекомендации: 4 меры для 2 школ со статусом; по основаниям: статус — 2, фактор риска — 2" in text
    assert "Нет рискового профиля у школ со статусом: 4 (Школа 4), 5 (Школа 5)." in text


def test_risk_text_without_a_risk_profiles_file_says_so():
    assert sections.risk_text(fake_season(files=("results",)), pd.DataFrame()) == \
        "Рисковые профили не рассчитываются: нет файла risk_profiles за 2024 год."


def test_recommendations_are_grouped_by_school_with_their_triggers():
    assert sections.short_trigger("фактор 1 «Низкий уровень оснащения школы»: высокая значимость; фактор 7 «X»: "
                                   "высокая значимость") == "фактор 1; фактор 7"
    assert sections.short_trigger("статус: ШНОР") == "статус ШНОР"
    t = sections.recommendations_by_school(recommendations_frame()).set_index("ОО")
    # each measure in words (its number points to the list of measures), the reason in words
    assert t.loc["1 (Школа 1)", "Меры и основания"] == (
        "Мера S01 (мера S01) — статус ШНОР\n"
        "Мера O01 (мера O01) — фактор риска 1 — низкий уровень оснащения школы (высокая значимость); "
        "фактор риска 7 — высокая доля обучающихся с ОВЗ (высокая значимость)\n"
        "Мера O02 (мера O02) — фактор риска 1 — низкий уровень оснащения школы (высокая значимость)")
    m = sections.measures_table(recommendations_frame()).set_index("Код")
    assert m.loc["S01", "Школы"] == "1; 2" and m.loc["O02", "Школы"] == "1"  # «1; 2», never «1, 2» (a decimal)


def test_transitions_table_lists_statuses_by_year_and_the_moves():
    t = sections.transitions_table(transitions_frame()).set_index("Код ОО")
    assert list(t.index) == ["3", "7"]  # school 9 never had a status
    assert (t.loc["3", "Статус 2022"], t.loc["3", "Статус 2023"], t.loc["3", "Статус 2024"]) == \
        ("без статуса", "ШНОР", "зона риска")
    assert t.loc["3", "Переходы"] == "2022→2023: ШНОР — вошла\n2023→2024: ШНОР — вышла, зона риска — вошла"
    assert t.loc["7", "Переходы"] == "без изменений"


def test_transitions_text_counts_who_entered_left_and_stayed_per_pair_of_years():
    text = sections.transitions_text(transitions_frame(), 2024)
    assert "**2022 → 2023** — ШНОР: вошли 3; вышли — нет; остались 7." in text
    assert "**2023 → 2024** — ШНОР: вошли — нет; вышли 3; остались 7." in text
    assert "Зона риска: вошли 3; вышли — нет; остались — нет." in text
    assert sections.transitions_text(pd.DataFrame(), 2022).startswith("Динамика не рассчитывается: загружен один год (2022)")


def test_fail_share_changes_beyond_chance_are_listed_with_p():
    c = changes_frame()
    assert c["p_value"].iat[0] == pytest.approx(0.00645, abs=5e-5) and not c["significant"].iat[1]
    t = sections.fail_changes_table(c)
    assert len(t) == 1
    row = t.iloc[0]
    assert (row["Код ОО"], row["Было"], row["Стало"], row["p"]) == ("5", "5,0% (2 из 40)", "30,0% (12 из 40)", "0,006")
    assert row["Изменение, п.п."] == pytest.approx(25.0)
    text = sections.fail_changes_text(c, {"dynamics": {"alpha": 0.05}}, 2024, 2)
    assert "2 сравнения" in text and "(p < 0,05, точный критерий Фишера) — 1" in text
    assert "- выросла у школ: 5 (2023→2024: +25,0 п.п., p = 0,006);" in text
    assert sections.fail_changes_text(pd.DataFrame(), {}, 2022, 1) == "Не оцениваются: загружен один год (2022)."


def test_support_view_follows_each_school_from_its_inclusion():
    v = pd.DataFrame([
        {"school_id": "3", "name": "Школа 3", "included_since": "2023", "year": 2023, "year_no": 0, "status": "ШНОР",
         "failed": 25.0, "participants": 100.0, "fail_share": 0.25, "shares": "", "change_pp": 0.0},
        {"school_id": "3", "name": "Школа 3", "included_since": "2023", "year": 2024, "year_no": 1,
         "status": "зона риска", "failed": 10.0, "participants": 100.0, "fail_share": 0.10, "shares": "", "change_pp": -15.0},
        {"school_id": "8", "name": "Школа 8", "included_since": "2024", "year": 2024, "year_no": 0, "status": "ШНСУ",
         "failed": 3.0, "participants": 60.0, "fail_share": 0.05, "shares": "", "change_pp": 0.0}])
    t = sections.support_table(v).set_index("Код ОО")
    assert t.loc["3", "2023"] == "ШНОР\n25,0% (25 из 100)" and t.loc["3", "2024"] == "зона риска\n10,0% (10 из 100)"
    assert t.loc["3", "Изменение, п.п."] == pytest.approx(-15.0) and np.isnan(t.loc["8", "Изменение, п.п."])
    text = sections.support_text(v, 2024, 2)
    assert "— 2 школы." in text and "снизилась у: 3 (−15,0 п.п. за 1 год); выросла у: нет." in text
    assert "Включены в 2024 году (динамика появится в следующем году): 8." in text
    assert "Вышли из списков ШНОР и ШНСУ: 3 (в 2024 году — зона риска)." in text


def test_explain_table_and_text_give_the_cause_of_each_change():
    e = pd.DataFrame([{"school_id": "3", "name": "Школа 3", "year_from": 2023, "year_to": 2024, "status_from": "ШНОР",
                       "status_to": "зона риска", "branch_from": "две процедуры", "branch_to": "",
                       "status_from_recomputed": "ШНОР", "branch_from_recomputed": "две процедуры",
                       "status_to_recomputed": "зона риска", "by_data": True, "by_params": False, "by_branch": False,
                       "cause": "данные",
                       "explanation": "данные: при одних параметрах статус сменился «ШНОР» → «зона риска»: ВПР, "
                                      "математика: 2023 — 37,8% (71 из 188), 2024 — 18,2% (33 из 181); доля опустилась "
                                      "ниже порога 30%; ОГЭ, математика: 2023 — 32,7% (18 из 55), 2024 — 6,2% (3 из 48)",
                       "parameter_changes": ""}])
    t = sections.explain_table(e)
    assert t.loc[0, "Статус"] == "ШНОР (две процедуры) →\nзона риска"
    assert t.loc[0, "Причина"] == "данные"
    assert t.loc[0, "Что изменилось"] == ("ВПР, математика: 2023 — 37,8% (71 из 188), 2024 — 18,2% (33 из 181); доля "
                                          "опустилась ниже порога 30%\nОГЭ, математика: 2023 — 32,7% (18 из 55), "
                                          "2024 — 6,2% (3 из 48)")
    text = sections.explain_text(e, 2024, 2)
    assert "сменился в 1 случае: из-за данных — 1, из-за параметров — 0, из-за смены условия ШНОР — 0" in text
    assert "Параметры расчёта во все годы одинаковы" in text


def test_leaders_table_and_text_explain_pairs_and_who_is_left_without_a_leader():
    pairs = pd.DataFrame([
        {"partner_id": "7", "partner_name": "Школа 7", "partner_status": "ШНОР", "leader_id": "16",
         "leader_name": "Школа 16", "isbsh_partner": -0.25, "isbsh_leader": -0.12, "isbsh_gap": 0.13,
         "same_territory": True, "cost": -0.12,
         "explanation": "школа-лидер № 16 (Школа 16): ИСБШ −0,12 против −0,25 у № 7 (|Δ| = 0,13); та же территория "
                        "(город); стоимость пары −0,12"},
        {"partner_id": "9", "partner_name": "Школа 9", "partner_status": "ШНСУ", "leader_id": None, "leader_name": None,
         "isbsh_partner": -2.0, "isbsh_leader": np.nan, "isbsh_gap": np.nan, "same_territory": None, "cost": np.nan,
         "explanation": "школа-лидер не подобрана: мест у школ-лидеров меньше, чем школ"}])
    cands = pd.DataFrame({"school_id": ["16", "17", "7", "9"], "eligible": [True, False, False, False]})
    t = sections.leaders_table(pairs)
    assert list(t["Код ОО"]) == ["7"]
    assert t.loc[0, "Школа-лидер"] == "16 (Школа 16)"
    assert t.loc[0, "Обоснование"] == "ИСБШ −0,12 против −0,25 у № 7 (|Δ| = 0,13)\nта же территория (город)\n" \
                                     "стоимость пары −0,12"
    params = load_params()
    text = sections.leaders_text(pairs, cands, params)
    assert "Школа-лидер подбирается для каждой ШНОР и ШНСУ (2 школ)." in text
    assert ": 1 из 4." in text and "Предложено 1 пара, 1 школа-лидер (не более 2 ОО на каждую)" in text
    assert "- 9 (Школа 9): мест у школ-лидеров меньше, чем школ." in text
    assert sections.leaders_text(pairs.iloc[0:0], cands, params).startswith("Школы-лидеры не подбираются")


def test_not_computed_table_names_the_new_sections_when_their_data_are_missing(res):
    r = copy.copy(res)
    r.checksums = {k: v for k, v in res.checksums.items() if "monitoring" not in k and "risk_profiles" not in k}
    r.previous_year = None
    t = sections.not_computed_table(r)
    named = set(t["Раздел"])
    assert {"8. Показатели мониторинга", "9. Рисковые профили", "10. Динамика"} <= named
    assert "нет файла monitoring за 2024 год" in set(t["Причина"])


def test_legal_basis_comes_from_the_municipality_parameters_never_from_another_region(res):
    # demo: no act in its parameters, so none is cited — neither Pervouralsk's nor Krasnodar's
    demo = sections.methodology_text(copy.copy(res))
    assert "Нормативный акт муниципалитета в параметрах не указан" in demo
    assert "Первоуральск" not in demo and "Краснодар" not in demo
    perv = copy.copy(res)
    perv.params = load_params("pervouralsk")
    text = sections.methodology_text(perv)
    assert text.startswith("Нормативная основа: «Муниципальная программа сопровождения и адресной поддержки")
    assert "Краснодар" not in text


def test_cluster_names_are_distinct_and_ordered_from_lowest_to_highest():
    for k in range(2, 8):
        names = [sections.cluster_level(c, k) for c in range(1, k + 1)]
        assert len(set(names)) == k, names
        assert names[0] == "самые низкие результаты" and names[-1] == "самые высокие результаты"
    assert [sections.cluster_level(c, 4) for c in (2, 3)] == ["результаты ниже среднего", "результаты выше среднего"]

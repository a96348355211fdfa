"""Reproduction of seed 004 (Pervouralsk 2022): shnor_lib.report.reproduction, published.yml and the notebook.

Golden numbers are hand-checked against the published programme, whose text ships with the
dataset (data_raw/pervouralsk/source/programme_2023-2025.txt); each says which table and line it
comes from. The dataset itself is tested in test_seed004.py.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from conftest import REPO

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.report import reproduction as rp

SEED = REPO / "data_raw" / "pervouralsk" / "source" / "programme_2023-2025.txt"
NOTEBOOK = REPO / "notebooks" / "pervouralsk_2022.ipynb"
PUBLISHED = REPO / "data_raw" / "pervouralsk" / "published.yml"
HEADINGS = [
    "## 1. Источник и данные",
    "## 2. Таблица-идентификатор ИСБШ × группа качества",
    "## 3. Регрессия индекса качества на группу ИСБШ и ИУРШ",
    "## 4. Доли не преодолевших порог ВПР (5–8 классы, осень 2022) по школам и предметам",
    "## 5. Качество данных",
    "## 6. Что нельзя вычислить без социального паспорта",
    "## 7. Итог",
]

@pytest.fixture(scope="module")
def result():
    data = load_dataset(REPO / "data_raw", "pervouralsk")
    return compute_season(data, "pervouralsk", 2022, load_params("pervouralsk"))


@pytest.fixture(scope="module")
def published():
    return rp.load_published(PUBLISHED)


@pytest.fixture(scope="module")
def seed_lines():
    return SEED.read_text(encoding="utf-8").split("\n")


def _line(seed_lines, n: int) -> str:
    return seed_lines[n - 1]  # published.yml cites 1-based line numbers


# ---------------------------------------------------------------- the shipped source text

def test_transcribed_csvs_match_the_shipped_source_text_cell_by_cell():
    # The checker parses the published text on its own (captions, header rows) and compares
    # every cell of data_raw/pervouralsk/2022/*.csv; it prints OK only when all of them match.
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "check_pervouralsk_transcription.py")],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == "OK"


def test_the_source_text_is_the_published_programme_line_for_line():
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 669  # 668 lines and the final newline: line numbers cited everywhere stay valid
    assert "Муниципальная программа сопровождения и адресной поддержки школ" in lines[2]
    assert lines[508 - 1] == "5\t\t\t\t3\t36,40\t20,29\t\t\t\t\t\t5"  # identifier table, ИСБШ group 5


# ---------------------------------------------------------------- published.yml against the seed text

def test_every_published_list_is_quoted_from_the_line_it_cites(published, seed_lines):
    entries = {**published["lists"], **published["clusters"], **published["statements"]}
    for name, e in entries.items():
        assert e["quote"] in _line(seed_lines, e["lines"][1]), name


def test_published_schools_are_exactly_the_numbers_of_the_quote_in_printed_order(published):
    for name, e in {**published["lists"], **published["clusters"]}.items():
        assert re.findall(r"\d+", e["quote"]) == e["schools"], name


def test_list_captions_are_on_the_first_cited_line(published, seed_lines):
    for key, caption in (("shnor_table1", "Таблица 1"), ("shnsu_table2", "Таблица 2"), ("risk_table3", "Таблица 3")):
        assert _line(seed_lines, published["lists"][key]["lines"][0]) == caption
    for name, e in published["clusters"].items():
        assert _line(seed_lines, e["lines"][0]) == f"Кластер {name}"


def test_published_lists_are_the_ones_the_brief_names(published):
    # Tables 1–3 (lines 108, 115, 125), the 2023 programme (129), trend-breakers (546, 542).
    assert rp.published_schools(published, "shnor_table1") == ["3", "10", "22", "28", "36"]
    assert rp.published_schools(published, "shnsu_table2") == ["11", "12", "16", "20", "29", "40"]
    assert rp.published_schools(published, "risk_table3") == ["1", "5", "6", "26"]
    assert rp.published_schools(published, "regional_programme_2023") == ["1", "3", "10", "22", "26", "28", "36", "40"]
    assert rp.published_schools(published, "trend_breakers_isbsh") == ["3", "10", "26"]
    assert rp.published_schools(published, "trend_breakers_iursh") == ["3", "20"]


def test_identifier_cells_and_totals_are_the_printed_tab_separated_cells(published, seed_lines):
    t = published["identifier_table"]
    for cell in t["cells"]:
        row = _line(seed_lines, cell["line"]).split("\t")
        assert row[0] == str(cell["isbsh_group"])
        assert row[cell["quality_group"]] == ",".join(cell["schools"])
    for group, total in t["row_totals"].items():
        row = _line(seed_lines, 503 + group).split("\t")  # row of group g is line 503 + g (508 for group 5)
        assert row[0] == str(group) and row[12] == str(total)
    totals = _line(seed_lines, t["lines"][1]).split("\t")
    assert totals[0] == "Итого ОО" and totals[12] == str(t["total"])
    for group, n in t["column_totals"].items():
        assert totals[group] == str(n)
    # every other cell of rows 1–11 is printed empty
    listed = {(c["isbsh_group"], c["quality_group"]) for c in t["cells"]}
    for g in range(1, 12):
        row = _line(seed_lines, 503 + g).split("\t")
        for q in range(1, 12):
            if (g, q) not in listed:
                assert row[q] == "", (g, q)


def test_objectivity_cases_are_the_printed_rows(published, seed_lines):
    for case in published["objectivity_cases"]:
        cells = _line(seed_lines, case["lines"][0]).split("\t")
        assert "\t".join(cells) == case["quote"]
        pr = case["printed"]
        assert [int(c) for c in cells] == [case["grade"], pr["n2"], pr["n3"], pr["n4"], pr["n5"], pr["participants"]]


def test_the_loader_ignores_published_yml(result):
    assert not any(k.endswith("published.yml") for k in result.checksums)


def test_load_published_rejects_an_entry_without_schools(tmp_path):
    bad = tmp_path / "published.yml"
    bad.write_text("lists:\n  x:\n    lines: [1, 1]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="schools"):
        rp.load_published(bad)


def test_cite_names_the_table_and_lines(published):
    assert rp.cite(published, "shnor_table1") == "таблица 1, строки 105–108"
    assert rp.cite(published, "regional_programme_2023").endswith("строка 129")


# ---------------------------------------------------------------- comparing sets

def test_compare_sets_gives_one_row_per_school_with_russian_labels():
    t = rp.compare_sets(["12", "3", "1"], ["3", "5"])
    assert list(t["Код ОО"]) == ["1", "3", "5", "12"]
    assert list(t["Итог"]) == ["только в расчёте", "в обоих", "только в публикации", "только в расчёте"]
    assert list(t.columns) == ["Код ОО", "В расчёте", "В публикации", "Итог"]
    assert rp.comparison_text(t) == "в обоих — 1 (3); только в расчёте — 2 (1, 12); только в публикации — 1 (5)"


def test_compare_sets_of_two_empty_sets_is_empty():
    t = rp.compare_sets([], [])
    assert t.empty and rp.comparison_text(t) == "в обоих — 0; только в расчёте — 0; только в публикации — 0"


# ---------------------------------------------------------------- identifier table

def test_identifier_table_assembled_from_transcribed_groups_matches_the_printed_one_in_every_cell(result, published):
    # A transcription check, not a recomputation: the groups in indices.csv come from this very table.
    cmp = rp.compare_identifier_tables(result.identifier_table, rp.published_identifier_table(published))
    assert len(cmp) == 121 + 23 and cmp["Совпадает"].all()
    verdict = rp.identifier_verdict(cmp)
    assert "совпадает во всех 121 ячейках" in verdict
    assert "сверка переноса, а не пересчёт" in verdict and "Рассчитанная" not in verdict


def test_identifier_verdict_does_not_claim_agreement_when_a_cell_differs(result, published):
    changed = result.identifier_table.copy()
    changed.loc[6, 5] = "10,22,26"  # seed line 509 prints 10,22,26,28
    cmp = rp.compare_identifier_tables(changed, rp.published_identifier_table(published))
    verdict = rp.identifier_verdict(cmp)
    assert "не совпадает" in verdict and "совпадает во всех" not in verdict
    assert int((~cmp["Совпадает"]).sum()) == 1


def test_cells_compare_as_sets_of_schools(result, published):
    reordered = result.identifier_table.copy()
    reordered.loc[6, 5] = "28,26,22,10"
    cmp = rp.compare_identifier_tables(reordered, rp.published_identifier_table(published))
    assert cmp["Совпадает"].all()


def test_quality_groups_do_not_follow_the_printed_quality_index(result):
    # Seed lines 528 and 526: school 10 and school 5 both print 0,98; identifier (line 509): groups 5 and 7.
    inv = rp.quality_group_inversions(result.schools)
    pairs = set(zip(inv["Школа A"], inv["Школа B"], strict=True))
    assert ("10", "5") in pairs and ("5", "10") not in pairs
    assert "№ 10" in rp.inversions_text(inv, 15)


# ---------------------------------------------------------------- ВПР fail shares

def _share(shares, school, subject):
    row = shares[(shares["school_id"] == school) & (shares["subject"] == subject)]
    assert len(row) == 1
    return row.iloc[0]


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_school_3_russian_pooled_over_grades_5_to_8(result):
    # Table 8, lines 228–231: «2» = 31, 54, 39, 48 of 76, 73, 63, 64 pupils.
    r = _share(rp.vpr_fail_shares(result), "3", "русский язык")
    assert (r["failed"], r["participants"]) == (31 + 54 + 39 + 48, 76 + 73 + 63 + 64) == (172, 276)
    assert r["fail_share"] == pytest.approx(172 / 276)
    assert (r["fail_low"], r["fail_high"]) == pytest.approx(_wilson(172, 276))
    assert r["reaches"] and r["grades"] == "5,6,7,8"


def test_school_10_russian_leaves_out_its_quarantined_grade_8(result):
    # Table 11, lines 278–280: 31, 32, 30 of 81, 79, 81; line 281 (28+31+22+0 = 81 ≠ 93) is quarantined.
    r = _share(rp.vpr_fail_shares(result), "10", "русский язык")
    assert (r["failed"], r["participants"]) == (93, 241) and r["grades"] == "5,6,7"


def test_school_1_russian_is_pooled_from_percentages_converted_to_counts(result):
    # Table 7, lines 210–213 print percentages: 43,0% of 179, 40,5% of 153, 66,4% of 137, 62,6% of 131
    # → 77, 62, 91, 82 «2» (largest remainder; here the same as rounding each) = 312 of 600.
    r = _share(rp.vpr_fail_shares(result), "1", "русский язык")
    assert (r["failed"], r["participants"]) == (77 + 62 + 91 + 82, 179 + 153 + 137 + 131) == (312, 600)


def test_school_12_reaches_30_percent_only_through_its_flagged_grade_7(result):
    # Table 13, lines 312–315: Russian «2» = 3, 0, 42, 1 of 21, 27, 43, 19; grade 7 is flagged.
    shares = rp.vpr_fail_shares(result)
    r = _share(shares, "12", "русский язык")
    assert (r["failed"], r["participants"]) == (46, 110) and r["flagged_grades"] == "7"
    clean = _share(rp.vpr_fail_shares(result, exclude_flagged=True), "12", "русский язык")
    assert (clean["failed"], clean["participants"]) == (3 + 0 + 1, 21 + 27 + 19) and not clean["reaches"]


def test_schools_reaching_30_percent_on_vpr(result):
    # From tables 7–21 by hand: every school whose Russian or mathematics pooled share is ≥ 30%.
    assert rp.schools_reaching(rp.vpr_fail_shares(result)) == ["1", "3", "10", "12", "22", "26", "28", "36", "40"]
    assert rp.schools_reaching(rp.vpr_fail_shares(result, exclude_flagged=True)) == [
        "1", "3", "10", "22", "26", "28", "36", "40"]


def test_threshold_defaults_to_the_shnor_parameter_and_can_be_changed(result):
    assert (rp.vpr_fail_shares(result)["threshold"] == result.params["shnor_threshold"]).all()
    # School 6 (table 10): Russian 85 of 294 = 28,9% reaches 0,25 but not 0,30.
    assert "6" in rp.schools_reaching(rp.vpr_fail_shares(result, 0.25))
    assert "6" not in rp.schools_reaching(rp.vpr_fail_shares(result))


def test_excluding_flagged_grades_matches_the_pipeline_option(result):
    params = {**load_params("pervouralsk"), "exclude_nonobjective": True}
    other = compute_season(load_dataset(REPO / "data_raw", "pervouralsk"), "pervouralsk", 2022, params)
    ours = rp.vpr_fail_shares(result, exclude_flagged=True).set_index(["school_id", "subject"])
    m = other.metrics[(other.metrics["procedure"] == "ВПР") & other.metrics["subject"].isin(params["subjects"])]
    m = m.set_index(["school_id", "subject"]).loc[ours.index]
    assert list(ours["failed"]) == list(m["failed"]) and list(ours["participants"]) == list(m["participants"])


def test_vpr_lists_against_tables_1_and_3(result, published):
    reach = rp.schools_reaching(rp.vpr_fail_shares(result))
    t1 = rp.compare_sets(reach, rp.published_schools(published, "shnor_table1"))
    assert set(t1.loc[t1["Итог"] == rp.BOTH, "Код ОО"]) == {"3", "10", "22", "28", "36"}
    assert (t1["Итог"] != rp.ONLY_PUBLISHED).all()
    t3 = rp.compare_sets(reach, rp.published_schools(published, "risk_table3"))
    assert set(t3.loc[t3["Итог"] == rp.BOTH, "Код ОО"]) == {"1", "26"}
    assert set(t3.loc[t3["Итог"] == rp.ONLY_PUBLISHED, "Код ОО"]) == {"5", "6"}


def test_vpr_fail_table_shows_share_interval_and_counts(result, published):
    t = rp.vpr_fail_table(rp.vpr_fail_shares(result), published).set_index("Код ОО")
    assert t.loc["3", "Русский язык"].startswith("62,3% (56,5%–67,8%); 172 из 276")
    assert t.loc["3", "В списках программы"] == "табл. 1, программа 2023"
    assert list(t.columns[:2]) == ["Русский язык", "Математика"]


# ---------------------------------------------------------------- residuals

def test_school_3_has_the_largest_residual_and_nobody_is_outside_the_interval(result):
    ranking = rp.residual_ranking(result)
    assert len(ranking) == 15 and ranking.iloc[0]["school_id"] == "3"
    # Coefficients solved by hand in test_seed004: 0.87328 + 0.00666·g + 0.01298·u; school 3: g = 5, u = 2, q = 0.86.
    assert ranking.iloc[0]["residual"] == pytest.approx(0.86 - (0.87328 + 5 * 0.00666 + 2 * 0.01298), abs=2e-4)
    assert not ranking["outside_pi"].any()


def test_studentized_residuals_are_statsmodels_externally_studentized(result):
    ranking = rp.residual_ranking(result).set_index("school_id")
    ref = result.model.fit.get_influence().resid_studentized_external
    ids = result.model.predictions["school_id"]
    assert list(ranking.loc[ids, "studentized"]) == pytest.approx(list(ref))
    assert (ranking["p_bonferroni"] <= 1).all()


def test_trend_breakers_text_ranks_the_named_schools(result, published):
    text = rp.trend_breakers_text(rp.residual_ranking(result), published)
    assert "№ 3 — 1-е место из 15" in text and "делит место с № 5" in text
    assert "Ни одна из 15 школ не выходит за 95% прогнозный интервал" in text


def test_trend_breakers_text_names_schools_outside_the_interval_when_there_are_some(result, published):
    ranking = rp.residual_ranking(result)
    ranking.loc[ranking["school_id"] == "3", "outside_pi"] = True
    text = rp.trend_breakers_text(ranking, published)
    assert "Ни одна" not in text and "выходят 1 из 15 школ: 3" in text


def test_published_status_colours_tables_1_to_3(result, published):
    s = rp.with_published_status(result.schools, published).set_index("school_id")["status"]
    assert (s["3"], s["11"], s["26"], s["2"]) == ("ШНОР", "ШНСУ", "зона риска", "")


# ---------------------------------------------------------------- data quality

def test_data_quality_summary_lists_every_conversion_quarantine_and_flag(result):
    q = rp.data_quality_summary(result)
    counts = q["Категория"].value_counts()
    assert counts["пересчитана из процентов в количество"] == 6      # SOURCE.md §1, table 7
    assert counts["пустые ячейки приняты за 0"] == 5                 # blank «5» cells
    assert counts["исключена: сумма отметок ≠ числу участников"] == 5
    flagged = q[q["Категория"].str.startswith("отметка объективности")]
    assert ("12", "ВПР, русский язык, 7 кл.") in set(zip(flagged["Код ОО"], flagged["Результат"], strict=True))


def test_row_fate_tells_quarantined_flagged_and_used_rows_apart(result):
    assert rp.row_fate(result, "26", "ВПР", "математика", 7)["state"] == "исключена"  # line 385
    assert rp.row_fate(result, "12", "ВПР", "русский язык", 7)["state"] == "отмечена"  # line 314
    assert rp.row_fate(result, "5", "ВПР", "русский язык", 5)["state"] == "в расчёте"
    assert rp.row_fate(result, "5", "ЕГЭ", "русский язык", 11)["state"] == "нет строки"


def test_school_26_grade_7_mathematics_cannot_be_flagged_and_the_text_says_why(result, published):
    case = next(c for c in published["objectivity_cases"] if c["school_id"] == "26")
    text = rp.objectivity_case_text(result, case)
    assert "2+28+5+0 = 35" in text and "отметить не может" in text
    # other grades in the computation: 6 and 8 (line 384: 34 of 55; line 386: 24 of 48) → 58 of 103
    assert "58 из 103" in text and "«2» было 20" in text


# ---------------------------------------------------------------- explanations and summary

def test_single_season_text_explains_why_the_rule_cannot_run(result, published):
    text = rp.single_season_text(result, published)
    assert "данных за 2021 год нет" in text and "№ 1" in text and "ШНОР — 0" in text


def test_social_passport_text_says_isbsh_and_table_2_cannot_be_checked(result, published):
    text = rp.social_passport_text(result, published)
    assert "ИСБШ по методике не вычисляется" in text and "проверить нельзя" in text
    assert "группы 5–7" in text  # identifier table: 11, 12, 16, 20, 29, 40 are in ИСБШ groups 5–7


def _summary(result, published, **extra):
    """The reproduction's summary table as the notebook builds it, from this season's comparisons."""
    shares = rp.vpr_fail_shares(result)
    return rp.summary_table(
        result, published,
        identifier=rp.compare_identifier_tables(result.identifier_table, rp.published_identifier_table(published)),
        shares=shares, shares_objective=rp.vpr_fail_shares(result, exclude_flagged=True),
        ranking=rp.residual_ranking(result), checks=rp.consistency_checks(result, published),
        clusters=rp.cluster_comparison(result, published, shares), **extra)


def test_summary_table_verdicts(result, published):
    summary = _summary(result, published, definitions=rp.quality_index_definitions(result))
    v = dict(zip(summary["Что сравнивается"], summary["Итог"], strict=True))
    assert v["Индекс качества ОГЭ школы № 1"] == "расходится"
    basis = dict(zip(summary["Что сравнивается"], summary["Основа"], strict=True))
    # transcribed tables compared with the tables they were transcribed from: never called a recomputation
    assert (v["Таблица-идентификатор ИСБШ × группа качества"], basis["Таблица-идентификатор ИСБШ × группа качества"]) == (
        "перенесено верно", rp.TRANSCRIBED)
    assert basis["Списки «город / село» и группы ИУРШ в тексте"] == rp.TRANSCRIBED
    assert v["Таблица 2 (ШНСУ)"] == "не проверяется" and basis["Таблица 2 (ШНСУ)"] == rp.NOT_CHECKED
    assert v["Таблица 3 (зона риска): «менее 30%»"] == "расходится"
    assert v["Школы, выбивающиеся из тенденции ИСБШ"] == "частично"
    assert basis["Таблица 3 (зона риска): «менее 30%»"] == basis["Школы, выбивающиеся из тенденции ИСБШ"] == rp.RECOMPUTED
    rec = summary[summary["Основа"] == rp.RECOMPUTED]
    assert set(rec["Итог"]) <= {"совпадает", "согласуется", "частично", "расходится", "не проверяется"}
    assert set(summary.loc[summary["Основа"] == rp.TRANSCRIBED, "Итог"]) <= {"перенесено верно", "ошибка переноса"}


def test_summary_text_counts_recomputed_findings_apart_from_transcription_checks(result, published):
    summary = _summary(result, published)
    text = rp.summary_text(summary)
    n_rec = int(((summary["Основа"] == rp.RECOMPUTED) & (summary["Итог"] != "не проверяется")).sum())
    assert f"**Пересчитано** библиотекой из перенесённых данных (отметки ВПР, группы) и сопоставлено с выводами программы — {n_rec}:" in text
    recomputed_part, transcribed_part = text.split("**Сверка переноса**")[0], text.split("**Сверка переноса**")[1]
    assert "Таблица-идентификатор" not in recomputed_part
    assert "перенесено верно — Таблица-идентификатор ИСБШ × группа качества" in transcribed_part


def test_consistency_checks_find_the_rural_list_of_line_558_without_36(result, published):
    c = rp.consistency_checks(result, published).set_index("Список")
    assert c["Совпадает"].sum() == len(c) - 1
    assert "(36)" in c.loc[published["lists"]["rural_line_558"]["title"], "Расхождения"]


def test_save_tables_writes_csv_and_refuses_path_names(tmp_path):
    paths = rp.save_tables({"a": pd.DataFrame({"Код ОО": ["1"]})}, tmp_path / "out")
    assert paths[0].read_text(encoding="utf-8").splitlines() == ["Код ОО", "1"]
    with pytest.raises(ValueError):
        rp.save_tables({"../x": pd.DataFrame()}, tmp_path)


# ---------------------------------------------------------------- the notebook

def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_parameters_cell_declares_exactly_the_five_parameters():
    import papermill

    nb = nbformat.read(NOTEBOOK, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", [])
    declared = papermill.inspect_notebook(str(NOTEBOOK))
    assert {k: v["default"] for k, v in declared.items()} == {
        "municipality": '"pervouralsk"', "year": "2022", "data_root": '"../data_raw"', "params_file": "None",
        "output_dir": '"../outputs/pervouralsk/2022/reproduction"'}


def test_notebook_has_the_section_headings():
    sources = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown")
    for h in HEADINGS:
        assert h in sources


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    import papermill

    out = tmp_path_factory.mktemp("reproduction")
    nb = papermill.execute_notebook(str(NOTEBOOK), str(out / "executed.ipynb"), kernel_name="python3",
                                    cwd=str(NOTEBOOK.parent), progress_bar=False,
                                    parameters={"output_dir": str(out / "tables")})
    return nb, out


def _text_outputs(nb) -> str:
    parts = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            parts.append(data.get("text/markdown", "") + data.get("text/html", "") + o.get("text", ""))
    return "\n".join(parts)


def test_notebook_executes_and_states_the_identifier_table_is_a_transcription_check(executed):
    nb, out = executed
    text = _text_outputs(nb)
    assert "совпадает во всех 121 ячейках" in text and "сверка переноса, а не пересчёт" in text
    assert "Ни одна из 15 школ не выходит за 95% прогнозный интервал" in text
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
    assert (out / "tables" / "summary.csv").exists()


def test_exported_report_shows_every_heading_and_the_word_sovpadaet(executed):
    from nbconvert import HTMLExporter

    nb, _ = executed
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(nbformat.from_dict(nb))
    for h in HEADINGS:
        assert h.removeprefix("## ") in html
    assert "совпадает" in html


# ---------------------------------------------------------------- quality index definitions (§4.3)

def test_no_quality_index_definition_reproduces_the_published_0_94_of_school_1(result):
    # School 1's ОГЭ (table 7, lines 214 and 219): Russian 120 pupils at 0,83/56,67/32,5/10,0 % → «2»–«5»
    # = 1, 68, 39, 12; mathematics 120 at 0/81,67/13,33/5,0 % → 0, 98, 16, 6. ВПР 5–8 (lines 210–218):
    # Russian 312 «2» of 600, mathematics 57+41+83+90 = 271 of 178+129+149+141 = 597.
    d = rp.quality_index_definitions(result).set_index("Определение")
    expected = {"oge_base": 1 - 1 / 240, "vpr_base": 1 - 583 / 1197, "quality_share": (51 + 22) / 240,
                "mean_mark": (2 * 1 + 3 * 166 + 4 * 55 + 5 * 18) / 240}
    for option, value in expected.items():
        assert d.loc[option, "Школа № 1: расчёт"] == pytest.approx(value), option
        assert d.loc[option, "Промах по школе № 1"] == pytest.approx(value - 0.94), option
    assert (d["Промах по школе № 1"].abs() > 0.005).all()
    text = rp.quality_definitions_text(d.reset_index())
    assert "Ни одно определение пакета не воспроизводит опубликованный индекс школы № 1 (0,94)" in text
    assert "`oge_base` даёт 0,996 (промах +0,056)" in text


def test_quality_definitions_text_names_the_definition_that_reproduces(result):
    d = rp.quality_index_definitions(result)
    d.loc[d["Определение"] == "oge_base", "Школа № 1: опубликовано"] = 0.996
    d["Промах по школе № 1"] = d["Школа № 1: расчёт"] - d["Школа № 1: опубликовано"]
    assert "воспроизводит определение `oge_base`" in rp.quality_definitions_text(d)

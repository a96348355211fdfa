"""Tests for shnor_lib.plots and shnor_lib.narrative on a hand-made two-year season.

The season (10 schools «1»…«10», years 2023 and 2024) is built so that every
expected number follows by hand from the counts below:

* ВПР grades 5 and 6 with 15 pupils each (pooled 30), ОГЭ grade 9 with 25 pupils;
* 2024: school 1 — ВПР математика 12/30 = 40,0% and ОГЭ математика 10/25 = 40,0% → ШНОР
  (two procedures); school 2 — ВПР русский язык 11/30 = 36,7% in 2024 after 10/30 = 33,3%
  in 2023 → ШНОР (two years); school 4 — an extreme social passport → ИСБШ group 1 → ШНСУ;
  school 5 — ВПР математика 4/30 = 13,3% and ОГЭ русский язык 3/25 = 12,0% → зона риска;
* 2023: school 3 — ВПР математика 12/30 and ОГЭ математика 10/25 → ШНОР; in 2024 it is fine.

So 2024: ШНОР {1, 2}, ШНСУ {4}, зона риска {5}; ШНОР ∪ ШНСУ = 3 of 10 = 30,0%.
2023: ШНОР {3}, ШНСУ {4}; 2 of 10 = 20,0%.
"""

from __future__ import annotations

import copy
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import RESULT_HEADER, write_csv  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from shnor_lib import compute_season, load_dataset, load_params, narrative, plots  # noqa: E402
from shnor_lib.models import BELOW, RESILIENT  # noqa: E402

SCHOOLS = [str(i) for i in range(1, 11)]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")

# fails per school: (ВПР рус 5 кл., ВПР рус 6 кл., ВПР мат 5, ВПР мат 6, ОГЭ рус, ОГЭ мат)
LOW = (0, 1, 1, 0, 1, 1)
FAILS = {
    2024: {"1": (1, 1, 6, 6, 1, 10), "2": (5, 6, 1, 0, 1, 1), "5": (0, 1, 2, 2, 3, 1),
           "6": (1, 1, 0, 1, 0, 2), "7": (0, 0, 1, 1, 2, 0), "8": (1, 0, 0, 0, 1, 2)},
    2023: {"2": (5, 5, 1, 0, 1, 1), "3": (1, 0, 6, 6, 1, 10), "6": (1, 0, 1, 1, 0, 1)},
}


def _marks(school, procedure, subject, grade, n, n2):
    """A mark row: ``n2`` «2», then the rest split into «3», «4» and two «5»."""
    rest = n - n2
    n5 = 2 if rest >= 4 else 0
    n3 = (rest - n5) // 2
    return [school, procedure, subject, grade, n, n2, n3, rest - n5 - n3, n5, None, None, None]


def _results(year):
    rows = []
    for s in SCHOOLS:
        f = FAILS[year].get(s, LOW)
        rows += [_marks(s, "ВПР", "русский язык", 5, 15, f[0]), _marks(s, "ВПР", "русский язык", 6, 15, f[1]),
                 _marks(s, "ВПР", "математика", 5, 15, f[2]), _marks(s, "ВПР", "математика", 6, 15, f[3]),
                 _marks(s, "ОГЭ", "русский язык", 9, 25, f[4]), _marks(s, "ОГЭ", "математика", 9, 25, f[5])]
    return rows


def _social():
    rows = []
    for i, s in enumerate(SCHOOLS):
        if s == "4":
            rows.append([s, 500, 20, 250, 150, 80, 120])
        else:
            rows.append([s, 500, 200 + 7 * i, 100 - 3 * i, 20 + i, 10 + i % 3, 15 + i % 4])
    return rows


def _teachers():
    header = ["school_id", "teachers_total", "higher_education", "category_highest", "category_first",
              "experience_10plus"]
    rows = [[s, 40, 25 if s == "4" else 36 - i % 3, 3 if s == "4" else 10 + i, 10, 12 if s == "4" else 25 + i % 4]
            for i, s in enumerate(SCHOOLS)]
    return header, rows


def _write_season(root, year, social=True):
    """One season as ``conftest.season_writer`` writes it (module scope: computed once)."""
    folder = root / "t" / str(year)
    write_csv(folder / "schools.csv", ["school_id", "name", "students_total"], [[s, f"Школа {s}", 1000] for s in SCHOOLS])
    write_csv(folder / "results.csv", RESULT_HEADER, _results(year))
    if social:
        write_csv(folder / "social.csv", ["school_id", "students_total", "both_parents_higher_ed", "single_parent",
                                          "non_native_russian", "on_register", "unemployed_parents"], _social())
        write_csv(folder / "teachers.csv", *_teachers())
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("season") / "data_raw"
    for year in (2023, 2024):
        _write_season(root, year)
    return root


def _params(**model):
    p = load_params()
    p["targets"]["shnor_shnsu_share"]["plan"] = 10
    p["model"].update({"mixed": "never", **model})
    return p


@pytest.fixture
def params():
    return _params()


@pytest.fixture(scope="module")
def seasons(root):
    data = load_dataset(root, municipality="t")
    return compute_season(data, "t", 2024, _params()), compute_season(data, "t", 2023, _params())


@pytest.fixture
def res(seasons):
    return copy.copy(seasons[0])  # a test may replace attributes (e.g. params) of its own copy


@pytest.fixture(autouse=True)
def _close_figures():
    plots.set_style()
    yield
    plt.close("all")


def test_the_hand_made_season_has_the_intended_statuses(res):
    st = res.schools.set_index("school_id")["status"]
    assert st["1"] == "ШНОР" and st["2"] == "ШНОР" and st["4"] == "ШНСУ" and st["5"] == "зона риска"
    assert (st.drop(["1", "2", "4", "5"]) == "").all()


# ---------------------------------------------------------------- plots

def _title(ax):
    fig_title = ax.figure._suptitle.get_text() if ax.figure._suptitle else ""
    return "".join(ax.get_title(loc) for loc in ("left", "center", "right")) + fig_title


@pytest.mark.parametrize("draw", [
    lambda r: plots.plot_status_counts(r.schools),
    lambda r: plots.plot_mark_distribution(r.metrics, procedure="ВПР", subject="математика"),
    lambda r: plots.plot_fail_heatmap(r.metrics_by_grade, procedure="ВПР", subject="математика"),
    lambda r: plots.plot_index_distribution(r.schools, index="isbsh", highlight_max=2),
    lambda r: plots.plot_index_distribution(r.schools, index="iursh"),
    lambda r: plots.plot_quality_vs_isbsh(r.schools, r.model),
    lambda r: plots.plot_school_effects(r.schools, min_effect=0.02),
    lambda r: plots.plot_funnel(r.schools),
    lambda r: plots.plot_cluster_profiles(r.clusters),
], ids=["status", "marks", "heatmap", "isbsh", "iursh", "scatter", "caterpillar", "funnel", "clusters"])
def test_every_plot_returns_axes_with_a_russian_title_and_draws_something(res, draw):
    ax = draw(res)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert CYRILLIC.search(_title(ax))
    assert CYRILLIC.search(ax.get_xlabel() + ax.get_ylabel())
    assert ax.has_data()
    assert not getattr(ax, "_shnor_no_data", False)


def test_status_counts_draw_one_bar_per_status_with_the_counts(res):
    ax = plots.plot_status_counts(res.schools)
    widths = [p.get_width() for p in ax.patches]
    # order ШНОР, ШНСУ, ШНОР+ШНСУ, зона риска, без статуса
    assert widths == [2, 1, 0, 1, 6]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ШНОР", "ШНСУ", "ШНОР+ШНСУ", "зона риска", "без статуса"]


def test_mark_distribution_stacks_shares_to_one_for_every_school(res):
    ax = plots.plot_mark_distribution(res.metrics, procedure="ВПР", subject="математика", threshold=0.3)
    right = {}
    for p in ax.patches:
        y = round(p.get_y() + p.get_height() / 2)
        right[y] = max(right.get(y, 0), p.get_x() + p.get_width())
    assert len(right) == 10
    assert np.allclose(list(right.values()), 1.0)
    assert any(line.get_xdata()[0] == 0.3 for line in ax.get_lines())  # the threshold is drawn


def test_heatmap_writes_the_number_of_participants_in_every_cell(res):
    ax = plots.plot_fail_heatmap(res.metrics_by_grade, procedure="ВПР", subject="математика", threshold=0.3)
    cells = [t.get_text() for t in ax.texts if "n=" in t.get_text()]
    assert len(cells) == 10 * 2
    assert all(c.endswith("(n=15)") for c in cells)
    assert "40% (n=15)" in cells  # school 1: 6 of 15 in each grade


def test_heatmap_frames_exactly_the_cells_at_or_above_the_threshold(res):
    ax = plots.plot_fail_heatmap(res.metrics_by_grade, procedure="ВПР", subject="русский язык", threshold=0.3)
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    # school 2: 5/15 = 33% and 6/15 = 40% — the only cells ≥ 30%
    assert len(frames) == 2
    row_of_2 = [t.get_text() for t in ax.get_yticklabels()].index("2")
    assert {int(p.get_y()) for p in frames} == {row_of_2}


def test_heatmap_greys_out_groups_below_min_participants(res):
    ax = plots.plot_fail_heatmap(res.metrics_by_grade, procedure="ВПР", subject="математика", threshold=0.3,
                                 min_participants=20)
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert frames == []  # 15 < 20: small groups never count
    assert all(t.get_fontstyle() == "italic" for t in ax.texts if "n=" in t.get_text())


def test_scatter_labels_every_school_once_and_draws_the_fitted_line_with_band(res):
    ax = plots.plot_quality_vs_isbsh(res.schools, res.model)
    labels = sorted((t.get_text() for t in ax.texts), key=int)
    assert labels == SCHOOLS
    assert any(line.get_label().startswith("линия регрессии") for line in ax.get_lines())
    assert any(isinstance(c, matplotlib.collections.PolyCollection) for c in ax.collections)  # the band
    assert ax.get_xlabel().startswith("ИСБШ")


def test_scatter_uses_isbsh_group_when_the_formula_does(root):
    p = _params(formula="quality_index ~ isbsh_group + iursh_group")
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, p)
    ax = plots.plot_quality_vs_isbsh(r.schools, r.model)
    assert ax.get_xlabel().startswith("Группа ИСБШ")
    assert "группа ИСБШ" in ax.get_title("left")


def test_scatter_marks_flagged_schools_in_the_legend():
    d = pd.DataFrame({"school_id": ["1", "2", "3", "4"], "quality_index": [0.9, 0.8, 0.95, 0.7],
                      "isbsh": [0.0, -1.0, 1.0, 0.5], "status": ["", "ШНОР", "", "ШНСУ"],
                      "resilience": ["", "", RESILIENT, BELOW]})
    ax = plots.plot_quality_vs_isbsh(d)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"ШНОР", "ШНСУ", "без статуса", RESILIENT, BELOW} <= set(legend)


def test_caterpillar_uses_residuals_with_prediction_halfwidths_without_mixed_model(res):
    ax = plots.plot_school_effects(res.schools)
    assert "интервалами прогноза" in ax.get_title("left")
    s = res.schools.dropna(subset=["residual"])
    half = ((s["pi_high"] - s["pi_low"]) / 2).to_numpy()
    segs = ax.collections[0].get_segments()
    widths = sorted(seg[1][0] - seg[0][0] for seg in segs)
    assert np.allclose(widths, sorted(2 * half))


def test_caterpillar_uses_school_effects_when_present(root):
    p = _params(mixed="always")
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, p)
    assert r.effects is not None
    ax = plots.plot_school_effects(r.schools)
    assert ax.get_title("left").startswith("Эффекты школ")


def test_funnel_limits_come_from_the_residual_variance_with_a_1_over_sqrt_n_shape():
    r, n = np.array([0.1, -0.1, 0.05, -0.05, 0.0]), np.array([10, 20, 40, 80, 160])
    s2, k = plots.funnel_limits(r, n, 1.96)
    assert s2 == pytest.approx(np.var(r, ddof=1))
    assert k == pytest.approx(s2 * 5 / np.sum(1 / n))  # harmonic mean of n
    d = pd.DataFrame({"school_id": list("abcde"), "residual": r, "quality_n": n})
    ax = plots.plot_funnel(d)
    upper95 = next(line for line in ax.get_lines() if line.get_label().startswith("95%"))
    x, y = upper95.get_xdata(), upper95.get_ydata()
    assert np.allclose(y, 1.959964 * np.sqrt(k / x))


def test_a_chart_without_data_says_so_in_russian(res):
    ax = plots.plot_funnel(res.schools.assign(quality_n=np.nan))
    assert any("Недостаточно данных" in t.get_text() for t in ax.texts)
    assert CYRILLIC.search(ax.get_title("left"))


def test_charts_are_deterministic(res):
    def png():
        ax = plots.plot_quality_vs_isbsh(res.schools, res.model)
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", metadata={"Software": None})
        plt.close(ax.figure)
        return buf.getvalue()

    assert png() == png()


def test_figure_level_helpers_put_subjects_side_by_side(res):
    fig = plots.mark_distribution_figure(res.metrics, procedure="ВПР", subjects=["русский язык", "математика"],
                                         threshold=0.3)
    assert [ax.get_title("left") for ax in fig.axes] == ["Русский язык", "Математика"]
    fig = plots.fail_heatmap_figure(res.metrics_by_grade, procedure="ВПР", subjects=["русский язык", "математика"],
                                    grades=[5, 6])
    assert "Математика" in [ax.get_title("left") for ax in fig.axes]
    assert CYRILLIC.search(plots.figure_title(fig))


# ---------------------------------------------------------------- narrative: numbers

def test_summary_quotes_the_exact_counts_share_and_plan(res):
    text = narrative.summary_text(res)
    assert "В 2024 году выявлено 2 ШНОР и 1 ШНСУ" in text
    assert "доля ШНОР и ШНСУ — 30,0% (3 из 10) при плановом значении 10%" in text
    assert "плановое значение не достигнуто" in text
    assert "В зоне риска — 1 школа" in text


def test_summary_compares_the_share_with_the_previous_year(seasons):
    cur, prev = seasons
    text = narrative.summary_text(cur, prev)
    assert "В 2023 году доля ШНОР и ШНСУ составляла 20,0% (2 из 10)" in text
    assert "выросла на 10,0 п.п." in text


def test_status_changes_list_entered_left_and_stayed(seasons):
    ch = narrative.status_changes(*seasons)

    def ids(lst, change):
        return list(ch[(ch["list"] == lst) & (ch["change"] == change)]["school_id"])

    assert ids("ШНОР", "вошла") == ["1", "2"]
    assert ids("ШНОР", "вышла") == ["3"]
    assert ids("ШНОР", "осталась") == []
    assert ids("ШНСУ", "осталась") == ["4"]
    assert ids("зона риска", "вошла") == ["5"]
    assert ch.loc[ch["school_id"] == "3", "status_now"].iat[0] == ""


def test_changes_text_names_schools_by_id_and_name(seasons):
    text = narrative.changes_text(*seasons)
    assert "**ШНОР**: вошли — 1 (Школа 1), 2 (Школа 2); вышли — 3 (Школа 3); остались — нет." in text
    t = narrative.changes_table(*seasons)
    assert list(t.columns) == ["Код ОО", "Наименование", "Статус 2023", "Статус 2024"]
    assert t.set_index("Код ОО").loc["3", "Статус 2024"] == "без статуса"


def test_without_a_previous_year_the_comparison_says_insufficient_data(res):
    assert "недостаточно данных" in narrative.changes_text(res, None)


def test_identified_table_gives_reasons_in_words_and_numbers(res):
    t = narrative.identified_table(res)
    assert list(t.columns) == ["Код ОО", "Наименование", "Статус", "Основание"]
    assert list(t["Код ОО"]) == ["1", "2", "4", "5"]
    why = t.set_index("Код ОО")["Основание"]
    assert "ВПР 2024, математика: 40,0% (12 из 30)" in why["1"]
    assert "ОГЭ 2024, математика: 40,0% (10 из 25)" in why["1"]
    assert "два года подряд" in why["2"] and "36,7% (11 из 30)" in why["2"]
    assert why["4"].startswith("ШНСУ")


def test_identified_text_lists_each_status(res):
    text = narrative.identified_text(res)
    assert "**ШНОР (2)**: 1 (Школа 1), 2 (Школа 2)" in text
    assert "**ШНСУ (1)**: 4 (Школа 4)" in text
    assert "**Зона риска (1)**: 5 (Школа 5)" in text


def test_assessment_table_pools_over_schools(res):
    t = narrative.assessment_table(res).set_index(["Процедура", "Предмет"])
    row = t.loc[("ОГЭ", "математика")]
    # fails 10 + 1 + 1 + 1 + 1 + 2 + 0 + 2 + 1 + 1 = 20 of 250
    assert row["Участников"] == 250
    assert row["Не преодолели порог, %"] == pytest.approx(8.0)
    assert row["Школ с долей «2» ≥ 30%"] == 1


def test_model_text_quotes_r2_and_states_the_small_sample_warning(res):
    text = narrative.model_text(res)
    assert f"R² = {narrative.fmt_num(res.model.r2)}" in text
    assert "малая выборка: 10 школ" in text


def test_coefficient_table_has_interval_and_p_value(res):
    t = narrative.coefficient_table(res)
    assert list(t["Показатель"]) == ["Свободный член", "ИСБШ", "ИУРШ"]
    assert {"95% ДИ, нижняя граница", "95% ДИ, верхняя граница", "p-значение"} <= set(t.columns)
    assert (t["95% ДИ, нижняя граница"] <= t["Коэффициент"]).all()


def test_resilience_table_lists_only_flagged_schools(res):
    for kind in (RESILIENT, BELOW):
        t = narrative.resilience_table(res, kind)
        flagged = set(res.schools.loc[res.schools["resilience"] == kind, "school_id"])
        assert set(t["Код ОО"]) == flagged


def test_a_missing_model_is_said_plainly():
    from types import SimpleNamespace

    r = SimpleNamespace(model=None, effects=None, params=load_params(),
                        schools=pd.DataFrame({"quality_index": [0.9], "isbsh": [np.nan], "iursh": [np.nan]}))
    assert "недостаточно данных" in narrative.model_text(r)
    assert "недостаточно данных" in narrative.resilience_text(r)


def test_without_social_passport_the_report_says_why(season_writer, params):
    root = season_writer(2024, _results(2024), schools=SCHOOLS)  # schools and results only
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, params)
    summary = narrative.summary_text(r)
    assert "ШНСУ не определялись (недостаточно данных" in summary
    assert "Социального паспорта (файл social) нет" in summary
    assert "недостаточно данных" in narrative.context_text(r)
    missing = narrative.not_computed_table(r)
    assert "ШНСУ" in set(missing["Не рассчитано"])


def test_objectivity_table_groups_grades_of_one_sign(res):
    t = narrative.objectivity_table(res)
    assert list(t.columns) == ["Код ОО", "Наименование", "Процедура", "Предмет", "Классы", "Признак", "Подробности"]
    text = narrative.objectivity_text(res)
    assert ("не выявлено" in text) == t.empty


def test_clusters_text_and_table_agree(res):
    t = narrative.clusters_table(res)
    assert t["Число ОО"].sum() == 10
    assert f"на {len(t)} кластер" in narrative.clusters_text(res)


# ---------------------------------------------------------------- narrative: methodology

def test_methodology_states_the_parameter_values_used(res, params):
    params_used = dict(res.params, shnor_threshold=0.25)
    res.params = params_used
    text = narrative.methodology_text(res)
    assert "не менее 25% участников" in text
    assert "ВПР (5, 6, 7, 8 кл.)" in text


def test_parameters_table_flattens_every_parameter(params):
    t = narrative.parameters_table(params)
    flat = narrative.flatten_params(params)
    assert list(t["Параметр"]) == list(flat)
    assert "_sources" not in flat
    v = t.set_index("Параметр")["Значение"]
    assert v["shnor_threshold"] == "0,3"
    assert v["shnsu_rule.isbsh_quantile"] == "не задано"
    assert v["model.formula"] == "quality_index ~ isbsh + iursh"


def test_input_files_table_shows_paths_relative_to_the_data_root(res, root):
    t = narrative.input_files_table(res, data_root=str(root))
    assert "t/2024/results.csv" in set(t["Файл"])
    assert "t/2023/social.csv" in set(t["Файл"])
    assert t["SHA-256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert narrative.relative_path("/x/y/data_raw/demo/2024/a.csv") == "demo/2024/a.csv"


def test_package_versions_name_every_package():
    t = narrative.package_versions()
    assert list(t["Пакет"]) == ["python", "shnor_lib", "pandas", "numpy", "scipy", "statsmodels", "matplotlib",
                                "seaborn", "papermill", "nbconvert"]
    assert (t["Версия"] != "").all()


# ---------------------------------------------------------------- formatting

def test_numbers_are_formatted_the_russian_way():
    assert narrative.fmt_num(0.1749, 3) == "0,175"
    assert narrative.fmt_num(-1.25, 1) == "−1,2" or narrative.fmt_num(-1.25, 1) == "−1,3"
    assert narrative.fmt_num(-0.0001, 2) == "0,00"
    assert narrative.fmt_num(np.nan) == "—"
    assert narrative.fmt_share(0.175) == "17,5%"
    assert narrative.fmt_int(12345) == "12\u00a0345"
    assert narrative.fmt_p(0.0001) == "< 0,001"
    assert [narrative.plural(n, "школа", "школы", "школ") for n in (1, 2, 5, 11, 21, 22, 25)] == \
        ["школа", "школы", "школ", "школ", "школа", "школы", "школ"]


def test_styled_tables_hide_the_index_and_use_decimal_commas():
    df = pd.DataFrame({"Школа": ["1", None], "Доля, %": [12.5, np.nan], "Участников": [1200, 3]})
    html = narrative.style_table(df).to_html()
    assert "12,5" in html and "12.5" not in html
    assert "1\u00a0200" in html
    assert "—" in html and "nan" not in html.lower().replace("nanosecond", "")
    assert "None" not in html
    assert 'class="row_heading' not in html  # no index column
    assert narrative.style_table(df).to_html() == html  # deterministic ids


def test_empty_tables_become_a_note():
    note = narrative.table(pd.DataFrame(columns=["a"]), empty="Нет строк.")
    assert "Нет строк." in note.data

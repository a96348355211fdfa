"""Tests for shnor_lib.report.plots and shnor_lib.report.narrative on a hand-made two-year season.

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

from shnor_lib import compute_season, load_dataset, load_params  # noqa: E402
from shnor_lib.analysis.models import BELOW, RESILIENT  # noqa: E402
from shnor_lib.report import plots, sections  # noqa: E402
from shnor_lib.report.format import fmt_num  # noqa: E402

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


def test_without_social_passport_the_report_says_why(season_writer, params):
    root = season_writer(2024, _results(2024), schools=SCHOOLS)  # schools and results only
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, params)
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


# ---------------------------------------------------------------- narrative: methodology

def test_methodology_states_the_parameter_values_used(res, params):
    params_used = dict(res.params, shnor_threshold=0.25)
    res.params = params_used
    text = sections.methodology_text(res)
    assert "не менее 25% участников" in text
    assert "ВПР (5, 6, 7, 8 кл.)" in text


def test_parameters_table_flattens_every_parameter(params):
    t = sections.parameters_table(params)
    flat = sections.flatten_params(params)
    assert list(t["Параметр"]) == list(flat)
    assert "_sources" not in flat
    v = t.set_index("Параметр")["Значение"]
    assert v["shnor_threshold"] == "0,3"
    assert v["shnsu_rule.isbsh_quantile"] == "не задано"
    assert v["model.formula"] == "quality_index ~ isbsh + iursh"


def test_input_files_table_shows_paths_relative_to_the_data_root(res, root):
    t = sections.input_files_table(res, data_root=str(root))
    assert "t/2024/results.csv" in set(t["Файл"])
    assert "t/2023/social.csv" in set(t["Файл"])
    assert t["SHA-256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert sections.relative_path("/x/y/data_raw/demo/2024/a.csv") == "demo/2024/a.csv"


def test_package_versions_name_every_package():
    t = sections.package_versions()
    assert list(t["Пакет"]) == ["python", "shnor_lib", "pandas", "numpy", "scipy", "statsmodels", "matplotlib",
                                "seaborn", "papermill", "nbconvert", "openpyxl", "pyyaml"]
    assert (t["Версия"] != "").all()


# ---------------------------------------------------------------- formatting

def test_styled_tables_hide_the_index_and_use_decimal_commas():
    df = pd.DataFrame({"Школа": ["1", None], "Доля, %": [12.5, np.nan], "Участников": [1200, 3]})
    html = sections.style_table(df).to_html()
    assert "12,5" in html and "12.5" not in html
    assert "1\u00a0200" in html
    assert "—" in html and "nan" not in html.lower().replace("nanosecond", "")
    assert "None" not in html
    assert 'class="row_heading' not in html  # no index column
    assert sections.style_table(df).to_html() == html  # deterministic ids


def test_empty_tables_become_a_note():
    note = sections.table(pd.DataFrame(columns=["a"]), empty="Нет строк.")
    assert "Нет строк." in note.data


# ---------------------------------------------------------------- sections 8–11: hand-made inputs

def _season(year=2024, files=("results", "monitoring", "risk_profiles"), previous=2023):
    """A stand-in for SeasonResult with what the section texts read: the year and the input files."""
    from types import SimpleNamespace

    return SimpleNamespace(year=year, previous_year=previous,
                           checksums={f"/d/t/{year}/{f}.csv": "0" * 64 for f in files})


def _indicators():
    """Four indicators over 2023–2024 (facts in %, or 0/1 for the yes/no item).

    1 lower_better 25 → 20 with plan 10: not met, decline of a «lower is better» share = improvement
      of 5 п.п. without a bad year → level 2;
    2 higher_better 40 → 55,5 with plan 50: met, +15,5 п.п. → level 3;
    3 yes/no 1 → 0 with plan 1: not met, worse → level 1;
    4 higher_better 30 → 31 without a plan → level 2.
    """
    rows = []
    spec = [("a", "Доля А", "%", "lower_better", (25.0, 20.0), 10.0), ("b", "Доля Б", "%", "higher_better", (40.0, 55.5), 50.0),
            ("c", "Наличие В", "балл", "higher_better", (1.0, 0.0), 1.0), ("d", "Доля Г", "%", "higher_better", (30.0, 31.0), None)]
    levels = {"a": 2, "b": 3, "c": 1, "d": 2}
    for y, k in ((2023, 0), (2024, 1)):
        for code, name, unit, direction, facts, plan in spec:
            fact = facts[k]
            met = np.nan if plan is None else (fact >= plan if direction == "higher_better" else fact <= plan)
            rows.append({"year": y, "code": code, "name": name, "level": "municipal", "population": "all", "unit": unit,
                         "direction": direction, "fact": fact, "numerator": np.nan, "denominator": np.nan,
                         "plan": np.nan if plan is None else plan, "baseline": np.nan, "plan_met": met,
                         "dynamics_level": levels[code] if k else np.nan, "dynamics_label": "", "source": "", "note": ""})
    out = pd.DataFrame(rows)
    out["plan_met"] = out["plan_met"].astype(object)
    return out


def test_indicator_values_are_percent_or_yes_no_scores():
    assert sections.indicator_value(66.883, "%") == "66,9%"
    assert sections.indicator_value(1.0, "балл") == "1 (да)"
    assert sections.indicator_value(0.0, "балл") == "0 (нет)"
    assert sections.indicator_value(np.nan, "%") == "—"


def test_monitoring_table_shows_fact_plan_direction_plan_met_and_level():
    t = sections.monitoring_table(_season(), _indicators())
    assert list(t.columns) == ["№", "Показатель", "Факт", "План", "Лучше", "План выполнен", "Динамика (1–3)"]
    assert list(t["№"]) == [1, 2, 3, 4]
    row = t.set_index("№")
    assert (row.loc[1, "Факт"], row.loc[1, "План"], row.loc[1, "Лучше"], row.loc[1, "План выполнен"]) == \
        ("20,0%", "10,0%", "↓ меньше", "нет")
    assert row.loc[2, "План выполнен"] == "да" and row.loc[2, "Динамика (1–3)"].startswith("3")
    assert row.loc[3, "Факт"] == "0 (нет)" and row.loc[3, "План"] == "1 (да)"
    assert row.loc[4, "План"] == "—" and row.loc[4, "План выполнен"] == "—"


def test_monitoring_text_counts_plans_met_and_names_those_not_met():
    text = sections.monitoring_text(_season(), _indicators())
    # plans for a, b, c: met only b
    assert "Плановые значения заданы для 3 показателей с известным фактом 2024 года: план выполнен по 1, " \
           "не выполнен по 2. Выполнены: № 2." in text
    assert "- № 1. Доля А: факт 20,0% при плане 10,0% (чем меньше, тем лучше)." in text
    assert "- № 3. Наличие В: факт 0 (нет) при плане 1 (да) (чем больше, тем лучше)." in text
    assert "Без планового значения: № 4." in text
    assert "уровень 3 (ярко выраженная положительная) — 1, уровень 2 (положительная стабильная) — 2, " \
           "уровень 1 (отрицательная или отсутствует) — 1 (№ 3)" in text


def test_monitoring_text_says_plainly_when_there_is_no_monitoring_file():
    ind = _indicators()
    ind = ind[ind["year"] == 2024].assign(fact=[20.0, np.nan, np.nan, np.nan], dynamics_level=np.nan)
    season = _season(files=("results",), previous=None)
    text = sections.monitoring_text(season, ind)
    assert text.startswith("Показатели мониторинга не рассчитываются: нет файла monitoring за 2024 год.")
    assert list(sections.monitoring_table(season, ind)["Показатель"]) == ["Доля А"]  # only what was computed
    assert "рассчитано 1 из 4 показателей каталога: доля А — 20,0%" in text
    assert "загружен один год (2024)" in text


def _diagnostics():
    rows = [(2023, "A", 4, 40.0), (2023, "B", 2, 20.0), (2023, "C", 2, 20.0), (2023, "D", 2, 20.0),
            (2024, "A", 2, 20.0), (2024, "B", 3, 30.0), (2024, "C", 4, 40.0), (2024, "D", 1, 10.0)]
    return pd.DataFrame([{"year": y, "level": lv, "label": f"уровень {lv}", "teachers": float(n), "share": s}
                         for y, lv, n, s in rows])


def test_diagnostics_are_summarised_by_level_and_year():
    t = sections.diagnostics_table(_diagnostics())
    assert list(t.columns) == ["Уровень", "Что означает", "2023", "2024"]
    assert t.set_index("Уровень").loc["B", "2024"] == "3 (30,0%)"
    text = sections.diagnostics_text(_season(), _diagnostics())
    assert "уровень определён у 10 педагогов: A — 2 (20,0%); B — 3 (30,0%); C — 4 (40,0%); D — 1 (10,0%)" in text
    assert "(A и B) — у 50,0% педагогов (в 2023 году — 60,0%)" in text
    assert "нет файла monitoring" in sections.diagnostics_text(_season(files=("results",)), _diagnostics())


def _matrix():
    # schools 1, 2, 3 × factors 1, 2, 7: school 1 high on 1 and 7, school 2 high on 1, school 3 none high
    m = pd.DataFrame({1: [3.0, 3.0, 1.0], 2: [2.0, 1.0, np.nan], 7: [3.0, 2.0, 1.0]}, index=["1", "2", "3"])
    m.index.name, m.columns.name = "school_id", "factor_code"
    return m


def _recs():
    rows = [("1", "Школа 1", "ШНОР", "статус", "статус: ШНОР", "S01"), ("1", "Школа 1", "ШНОР", "фактор риска",
            "фактор 1 «Низкий уровень оснащения школы»: высокая значимость; фактор 7 «Высокая доля обучающихся с ОВЗ»: "
            "высокая значимость", "O01"), ("1", "Школа 1", "ШНОР", "фактор риска",
            "фактор 1 «Низкий уровень оснащения школы»: высокая значимость", "O02"),
            ("2", "Школа 2", "ШНСУ", "статус", "статус: ШНСУ", "S01")]
    return pd.DataFrame([{"school_id": s, "name": n, "status": st, "trigger_kind": k, "trigger": t, "measure_id": m,
                          "recommendation": f"Мера {m}.", "addressee": "руководитель ОО", "source": "seed"}
                         for s, n, st, k, t, m in rows])


def test_risk_text_counts_profiles_high_factors_groups_and_recommendations(res):
    groups = pd.DataFrame({"group_id": ["equipment"], "group": ["Низкий уровень оснащения школы"], "n_schools": [2],
                           "schools": ["№ 1, 2"], "detail": ["низкий уровень оснащения школы — ОО № 1, 2"]})
    text = sections.risk_text(res, _matrix(), groups, _recs())
    assert "Рисковые профили заполнены для 3 школ из 10; хотя бы один фактор высокой значимости — у 2 школ." in text
    assert "1. низкий уровень оснащения школы — 2 школы; 7. высокая доля обучающихся с ОВЗ — 1 школа" in text
    assert "низкий уровень оснащения школы — 2 ОО" in text
    assert "Адресные рекомендации: 4 меры для 2 школ со статусом; по основаниям: статус — 2, фактор риска — 2" in text
    assert "Нет рискового профиля у школ со статусом: 4 (Школа 4), 5 (Школа 5)." in text


def test_risk_text_without_a_risk_profiles_file_says_so():
    assert sections.risk_text(_season(files=("results",)), pd.DataFrame()) == \
        "Рисковые профили не рассчитываются: нет файла risk_profiles за 2024 год."


def test_recommendations_are_grouped_by_school_with_their_triggers():
    assert sections.short_trigger("фактор 1 «Низкий уровень оснащения школы»: высокая значимость; фактор 7 «X»: "
                                   "высокая значимость") == "фактор 1; фактор 7"
    assert sections.short_trigger("статус: ШНОР") == "статус ШНОР"
    t = sections.recommendations_by_school(_recs()).set_index("ОО")
    assert t.loc["1 (Школа 1)", "Меры (основание)"] == "S01 — статус ШНОР\nO01 — фактор 1; фактор 7\nO02 — фактор 1"
    m = sections.measures_table(_recs()).set_index("Код")
    assert m.loc["S01", "Школы"] == "1, 2" and m.loc["O02", "Школы"] == "1"


def _transitions():
    """School 3: none → ШНОР → зона риска; school 7: ШНОР all years; school 9: never a status."""
    cols = ["school_id", "name", "year_from", "year_to", "status_from", "status_to", "shnor_change", "risk_change"]
    rows = [("3", "Школа 3", 2022, 2023, "", "ШНОР", "вошла", "не в списке"),
            ("3", "Школа 3", 2023, 2024, "ШНОР", "зона риска", "вышла", "вошла"),
            ("7", "Школа 7", 2022, 2023, "ШНОР", "ШНОР", "осталась", "не в списке"),
            ("7", "Школа 7", 2023, 2024, "ШНОР", "ШНОР", "осталась", "не в списке"),
            ("9", "Школа 9", 2022, 2023, "", "", "не в списке", "не в списке"),
            ("9", "Школа 9", 2023, 2024, "", "", "не в списке", "не в списке")]
    t = pd.DataFrame(rows, columns=cols)
    return t.assign(branch_from="", branch_to="", status_changed=t["status_from"] != t["status_to"],
                    shnsu_change="не в списке", support_change=t["shnor_change"])


def test_transitions_table_lists_statuses_by_year_and_the_moves():
    t = sections.transitions_table(_transitions()).set_index("Код ОО")
    assert list(t.index) == ["3", "7"]  # school 9 never had a status
    assert (t.loc["3", "Статус 2022"], t.loc["3", "Статус 2023"], t.loc["3", "Статус 2024"]) == \
        ("без статуса", "ШНОР", "зона риска")
    assert t.loc["3", "Переходы"] == "2022→2023: ШНОР — вошла\n2023→2024: ШНОР — вышла, зона риска — вошла"
    assert t.loc["7", "Переходы"] == "без изменений"


def test_transitions_text_counts_who_entered_left_and_stayed_per_pair_of_years():
    text = sections.transitions_text(_transitions(), 2024)
    assert "**2022 → 2023** — ШНОР: вошли 3; вышли — нет; остались 7." in text
    assert "**2023 → 2024** — ШНОР: вошли — нет; вышли 3; остались 7." in text
    assert "Зона риска: вошли 3; вышли — нет; остались — нет." in text
    assert sections.transitions_text(pd.DataFrame(), 2022).startswith("Динамика не рассчитывается: загружен один год (2022)")


def _changes():
    # school 5: 2/40 → 12/40 (Fisher: p = 0,0064), school 6: 10/20 → 8/20 (p ≈ 0,75)
    from shnor_lib.analysis.dynamics import two_proportion_test

    rows = []
    for sid, proc, subj, f0, n0, f1, n1 in (("5", "все процедуры", "русский язык и математика", 2, 40, 12, 40),
                                            ("6", "ВПР", "математика", 10, 20, 8, 20)):
        p = two_proportion_test(f0, n0, f1, n1)
        rows.append({"school_id": sid, "name": f"Школа {sid}", "year_from": 2023, "year_to": 2024, "procedure": proc,
                     "subject": subj, "failed_from": f0, "participants_from": n0, "share_from": f0 / n0,
                     "failed_to": f1, "participants_to": n1, "share_to": f1 / n1, "change_pp": 100 * (f1 / n1 - f0 / n0),
                     "p_value": p, "test": "точный критерий Фишера", "significant": p < 0.05, "conclusion": ""})
    return pd.DataFrame(rows)


def test_fail_share_changes_beyond_chance_are_listed_with_p():
    c = _changes()
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
    assert "сменился в 1 случае: из-за данных — 1, из-за параметров — 0, из-за ветви правила — 0" in text
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


# ---------------------------------------------------------------- escaping and card links

def test_school_names_reach_the_reader_literally_never_as_markup(tmp_path):
    """A school named «<script>alert(1)</script>» shows as those characters in text, tables and the HTML page."""
    import nbformat

    from shnor_lib.report.export import notebook_to_html

    root = _write_season(tmp_path / "data_raw", 2024)
    evil = "<script>alert(1)</script>"
    write_csv(root / "t" / "2024" / "schools.csv", ["school_id", "name", "students_total"],
              [[s, evil if s == "1" else f"Школа {s}", 1000] for s in SCHOOLS])
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, _params())
    text = sections.md(sections.identified_text(r)).data
    assert evil not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    table = sections.table(sections.identified_table(r), links=sections.card_links(r)).data
    assert evil not in table and "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    assert '<a href="schools/1.html">1</a>' in table
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": text}),
                    nbformat.v4.new_output("display_data", data={"text/html": table})]
    nb.cells = [cell]
    page = notebook_to_html(nb, title="t")
    assert evil not in page and "alert(1)" in page


def test_md_keeps_code_spans_and_escapes_the_rest():
    out = sections.md("формула `a < b` и имя <b>x</b> & co").data
    assert out == "формула `a < b` и имя &lt;b&gt;x&lt;/b&gt; &amp; co"


def test_card_links_point_only_to_schools_that_have_a_card(res):
    links = sections.card_links(res)["Код ОО"]
    assert links == {"1": "schools/1.html", "2": "schools/2.html", "4": "schools/4.html", "5": "schools/5.html"}
    html = sections.style_table(pd.DataFrame({"Код ОО": ["1", "3"]}), links=sections.card_links(res)).to_html()
    assert '<a href="schools/1.html">1</a>' in html and "schools/3.html" not in html


def test_style_table_links_quote_the_address_and_escape_the_text():
    html = sections.style_table(pd.DataFrame({"Код ОО": ['7"><x']}), links={"Код ОО": sections.CARD_LINK}).to_html()
    assert 'href="schools/7%22%3E%3Cx.html"' in html and "&gt;&lt;x</a>" in html


# ---------------------------------------------------------------- plots of sections 8–9 and of the card

def test_indicator_plan_chart_draws_the_share_indicators_with_their_plans():
    ax = plots.plot_indicator_plan(_indicators(), year=2024)
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert sorted(round(p.get_width(), 1) for p in bars) == [20.0, 31.0, 55.5]  # the yes/no item is left out
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("1. ↓ Доля А") and labels[-1].startswith("4. Доля Г")
    assert CYRILLIC.search(_title(ax)) and not getattr(ax, "_shnor_no_data", False)


def test_risk_heatmap_marks_every_assessed_cell_and_colours_status_schools():
    ax = plots.plot_risk_heatmap(_matrix(), statuses={"1": "ШНОР", "2": "", "3": ""})
    letters = sorted(t.get_text() for t in ax.texts if t.get_text() in ("В", "С", "Н"))
    assert letters == sorted(["В", "С", "В", "В", "Н", "С", "Н", "Н"])
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["1 · ШНОР", "2", "3"]
    assert ax.get_xticklabels()[0].get_text().startswith("1. Низкий уровень")
    assert plots.plot_risk_heatmap(pd.DataFrame())._shnor_no_data


def test_school_results_chart_draws_wilson_intervals_and_the_threshold(res):
    ax = plots.plot_school_results(res.metrics_by_grade, school_id="1", procedures=["ВПР", "ОГЭ"],
                                   subjects=["русский язык", "математика"], grades=[5, 6], threshold=0.3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ОГЭ 9 кл.", "ВПР 6 кл.", "ВПР 5 кл."]
    segs = [s for c in ax.collections if hasattr(c, "get_segments") for s in c.get_segments()]
    m = res.metrics_by_grade
    row = m[(m["school_id"] == "1") & (m["procedure"] == "ВПР") & (m["subject"] == "математика") & (m["grade"] == 5)]
    assert any(np.allclose([s[0][0], s[1][0]], [row["fail_low"].iat[0], row["fail_high"].iat[0]]) for s in segs)
    assert any(line.get_xdata()[0] == 0.3 for line in ax.get_lines())


def test_quality_scatter_can_ring_one_school_and_label_only_it(res):
    ax = plots.plot_quality_vs_isbsh(res.schools, res.model, highlight="4", label_all=False)
    assert [t.get_text() for t in ax.texts] == ["№ 4"]
    fig = plots.school_card_figure(res, "4")
    assert len(fig.axes) == 2 and CYRILLIC.search(plots.figure_title(fig))


def test_card_links_can_be_switched_off(res):
    assert sections.card_links(res, enabled=False) == {"Код ОО": {}}
    html = sections.style_table(pd.DataFrame({"Код ОО": ["1"]}), links=sections.card_links(res, enabled=False)).to_html()
    assert "schools/1.html" not in html

"""Charts (shnor_lib.report.plots) on the hand-made two-year season of ``report_season.py``.

Each chart is checked for what a reader sees: a Russian title and labels, the numbers drawn
(bar widths, cell texts, interval ends taken from the season's metrics), the placeholder when
data are missing, and the same picture for the same data.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from report_season import CYRILLIC, SCHOOLS, indicators_frame, make_params, significance_frame  # noqa: E402

from shnor_lib import compute_season, load_dataset  # noqa: E402
from shnor_lib.analysis.models import BELOW, RESILIENT  # noqa: E402
from shnor_lib.report import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plots.set_style()
    yield
    plt.close("all")


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
    p = make_params(formula="quality_index ~ isbsh_group + iursh_group")
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
    p = make_params(mixed="always")
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


def test_pale_rows_note_is_the_legend_title_and_overlaps_no_legend_entry(res):
    # min_participants above every school's count: every row is pale, so the note must be shown
    big = int(res.metrics["participants"].max()) + 1
    fig = plots.mark_distribution_figure(res.metrics, procedure="ВПР", subjects=["русский язык", "математика"],
                                         threshold=0.3, min_participants=big)
    legend = fig.legends[0]
    assert legend.get_title().get_text().startswith(f"Бледные строки — меньше {big} участников")
    fig.draw_without_rendering()  # lay the figure out: the extents are those of the saved PNG
    renderer = fig.canvas.get_renderer()
    title = legend.get_title().get_window_extent(renderer)
    assert not any(title.overlaps(t.get_window_extent(renderer)) for t in legend.get_texts())
    assert not [t for t in fig.texts if "Бледные" in t.get_text()]  # no free text at the figure's bottom edge
    fig = plots.mark_distribution_figure(res.metrics, procedure="ВПР", subjects=["русский язык"], threshold=0.3)
    assert fig.legends[0].get_title().get_text() == ""  # no pale row, no note


def test_indicator_plan_chart_draws_the_share_indicators_with_their_plans():
    ax = plots.plot_indicator_plan(indicators_frame(), year=2024)
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert sorted(round(p.get_width(), 1) for p in bars) == [20.0, 31.0, 55.5]  # the yes/no item is left out
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("1. ↓ Доля А") and labels[-1].startswith("4. Доля Г")
    assert CYRILLIC.search(_title(ax)) and not getattr(ax, "_shnor_no_data", False)


def test_risk_heatmap_marks_every_assessed_cell_and_colours_status_schools():
    ax = plots.plot_risk_heatmap(significance_frame(), statuses={"1": "ШНОР", "2": "", "3": ""})
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


def test_iursh_chart_shows_the_values_not_the_always_equal_quartile_bars(res):
    # ИУРШ groups are the municipality's quartiles: 10 schools give bars 3/2/2/3 or so whatever the data,
    # so the chart draws the values (a histogram stacked by group) and every school once
    ax = plots.plot_index_distribution(res.schools, index="iursh")
    assert "значения по школам" in _title(ax)
    heights = sum(p.get_height() for p in ax.patches if isinstance(p, Rectangle))
    assert heights == res.schools["iursh"].notna().sum()


def test_indicator_chart_names_the_indicators_it_leaves_out():
    # indicators_frame: № 3 «Наличие В» is a yes/no item (балл), not drawn among the % bars
    ax = plots.plot_indicator_plan(indicators_frame(), year=2024)
    assert ax.get_xlabel().endswith("показатели № 3")
    assert len([t for t in ax.get_yticklabels() if t.get_text()]) == 3

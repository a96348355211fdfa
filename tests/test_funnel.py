"""The funnel of the quality model (shnor_lib.analysis.funnel), its chart and its words.

The funnel draws the model's own ``z_score`` against the cohort ``quality_n`` and names exactly
the schools the model labels (``resilience``): it estimates no variance and keeps no second list.
The schools below are made by hand so that each case is visible: a labelled school far out, an
unlabelled school beyond the 95% guide (significant alone, not after the adjustment for the
number of schools), schools without a score or a cohort. The guide values are the normal
quantiles Φ⁻¹(0.975) = 1.95996 and Φ⁻¹(0.999) = 3.09023 (printed normal tables).
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from shnor_lib.analysis.funnel import funnel  # noqa: E402
from shnor_lib.analysis.models import BELOW, RESILIENT, WITHIN  # noqa: E402
from shnor_lib.report import plots  # noqa: E402
from shnor_lib.report.sections import funnel_text  # noqa: E402

# school, z_score, quality_n, resilience
ROWS = [
    ("101", 0.5, 10, WITHIN),
    ("102", 2.5, 200, WITHIN),     # beyond the 95% guide, not labelled by the model
    ("103", -3.5, 50, BELOW),      # labelled, beyond the 99.8% guide
    ("104", np.nan, 40, None),     # not in the model
    ("105", 1.0, np.nan, WITHIN),  # cohort unknown
    ("106", 1.0, 0, WITHIN),       # no participants
    ("107", 3.2, 30, RESILIENT),   # labelled, beyond the 99.8% guide
    ("108", -1.0, 5, WITHIN),
]


@pytest.fixture
def schools():
    return pd.DataFrame(ROWS, columns=["school_id", "z_score", "quality_n", "resilience"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_funnel_points_are_the_model_scores_of_schools_with_a_known_cohort(schools):
    f = funnel(schools)
    assert list(f.points["school_id"]) == ["101", "102", "103", "107", "108"]
    assert list(f.points["z"]) == [0.5, 2.5, -3.5, 3.2, -1.0]
    assert list(f.points["size"]) == [10, 200, 50, 30, 5]


def test_guides_are_the_normal_quantiles_of_one_school(schools):
    f = funnel(schools)
    assert f.guides[0.95] == pytest.approx(1.95996, abs=1e-5)
    assert f.guides[0.998] == pytest.approx(3.09023, abs=1e-5)
    beyond = dict(zip(f.points["school_id"], f.points["beyond"], strict=True))
    assert beyond["102"] == 0.95 and beyond["103"] == 0.998 and beyond["107"] == 0.998
    assert np.isnan(beyond["101"]) and np.isnan(beyond["108"])


def test_funnel_names_only_the_schools_the_model_labels(schools):
    f = funnel(schools)
    assert list(f.labelled["school_id"]) == ["103", "107"]
    assert list(f.beyond_unlabelled()["school_id"]) == ["102"]
    assert f.expected_beyond() == pytest.approx(0.05 * 5)


def test_a_funnel_needs_five_schools_with_a_cohort(schools):
    assert funnel(schools).available
    assert not funnel(schools[schools["school_id"] != "108"]).available
    assert not funnel(schools.drop(columns="z_score")).available


def test_funnel_chart_draws_horizontal_guides_and_labels_only_the_labelled_schools(schools):
    ax = plots.plot_funnel(schools)
    flat = sorted({round(float(line.get_ydata()[0]), 4) for line in ax.get_lines()
                   if len(set(np.round(line.get_ydata(), 9))) == 1})
    assert flat == pytest.approx([-3.0902, -1.96, 0.0, 1.96, 3.0902], abs=1e-4)
    assert sorted(t.get_text() for t in ax.texts) == ["103", "107"]
    assert ax.get_ylabel() == "Отклонение от ожидаемого, z"


def _season(schools, multiple_testing="bh"):
    model = SimpleNamespace(multiple_testing=multiple_testing, alpha=0.05, min_effect=0.02)
    return SimpleNamespace(model=model, schools=schools, checksums={})


def test_funnel_text_names_the_labelled_schools_and_only_counts_the_others(schools):
    text = funnel_text(_season(schools))
    assert "резильентные — 107; ниже ожидаемого — 103." in text
    assert "102" not in text
    assert "За 95% границей без отметки модели — 1 школа" in text
    assert "при 5 школах за эту границу случайно выходят около 0 школ" in text
    assert "±1,96" in text and "±3,09" in text and "с поправкой на число проверенных школ" in text


def test_funnel_text_without_labels_says_so(schools):
    text = funnel_text(_season(schools.assign(resilience=WITHIN), multiple_testing="none"))
    assert "в этом году таких школ нет" in text
    assert "значимо при p < 0,05" in text


def test_funnel_text_without_a_model_or_cohorts_says_why(schools):
    assert "модель качества не построена" in funnel_text(SimpleNamespace(model=None, schools=schools))
    text = funnel_text(_season(schools.assign(quality_n=np.nan)))
    assert text.startswith("Воронкообразная диаграмма — недостаточно данных") and "только для 0 школ" in text

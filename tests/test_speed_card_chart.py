"""The cards' chart is drawn once per season and each card's school ringed on that drawing (issue 17,
goal 1): the reuse must not change what a card shows, and a chart that would not fit the kept crop
is drawn on its own."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import REPO  # noqa: E402
from PIL import Image  # noqa: E402

from shnor_lib import compute_season, load_dataset  # noqa: E402
from shnor_lib.config.params import load_project_params  # noqa: E402
from shnor_lib.report import card_page, plots  # noqa: E402
from shnor_lib.report.plots import card as plots_card  # noqa: E402


@pytest.fixture(scope="module")
def demo():
    root = REPO / "data_raw"
    return compute_season(load_dataset(root, "demo"), "demo", 2024, load_project_params(root, "demo", None))


@pytest.fixture(autouse=True)
def _fresh():
    plots.set_style()
    yield
    plt.close("all")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _full_draw_at_first_layout(res, first: str, sid: str) -> np.ndarray:
    """What the cards did before (a new figure per card drawn at the first card's axes position and
    crop): the reference for the ring drawn on the kept pixels."""
    fig = card_page._card_figure(res, first)
    fig.savefig(io.BytesIO(), format="png", dpi=100, bbox_inches="tight", pad_inches=card_page._PAD)
    crop, pos = fig.get_tightbbox().padded(card_page._PAD), fig.axes[0].get_position().frozen()
    plt.close(fig)
    fig = card_page._card_figure(res, sid)
    fig.set_layout_engine(None)
    fig.axes[0].set_position(pos)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches=crop)
    plt.close(fig)
    return _pixels(buf.getvalue())


def test_every_demo_card_chart_ringed_on_the_kept_drawing_has_the_pixels_of_a_full_draw(demo):
    ids = card_page.card_ids(demo)
    charts = card_page.CardCharts(demo)
    got = [charts.png(sid) for sid in ids]
    assert charts._base is not None  # the season's drawing was kept after the first card
    for sid, (png, alt) in zip(ids, got, strict=True):
        assert alt == "Качество и ИСБШ: школа среди всех ОО"
        assert np.array_equal(_pixels(png), _full_draw_at_first_layout(demo, ids[0], sid)), sid
    charts.close()


def test_card_points_are_where_the_chart_rings_each_school(demo):
    points = plots_card.card_points(demo)
    for sid in card_page.card_ids(demo):
        fig, ax = plt.subplots()
        plots.plot_card_position(demo, sid, ax)
        ring, = [c for c in ax.collections if c.get_zorder() == 5]
        assert np.allclose(ring.get_offsets()[0], points[sid]), sid
        plt.close(fig)


def test_a_card_label_leaving_the_kept_crop_is_drawn_on_its_own(demo):
    first, second = card_page.card_ids(demo)[:2]
    charts = card_page.CardCharts(demo)
    charts.png(first)
    ax = charts._base.fig.axes[0]
    corner = (ax.get_xlim()[1], ax.get_ylim()[1])
    assert charts._base.draw(second, corner) is not None  # a short label «№ 7» still fits at the corner
    assert charts._base.draw("1234567890-длинный-код", corner) is None  # a long one sticks out of the crop
    real = card_page._Base.draw
    mp = pytest.MonkeyPatch()
    mp.setattr(card_page._Base, "draw", lambda self, *a: None)  # as for such a label
    try:
        got = _pixels(charts.png(second)[0])  # drawn on its own: its own tight layout
    finally:
        mp.undo()
    fig = card_page._card_figure(demo, second)
    assert np.array_equal(got, _pixels(card_page._png_tight(fig)[0]))
    assert charts._base is not None and card_page._Base.draw is real  # the season's drawing is kept for the next
    charts.close()


def test_a_card_rendered_alone_shows_the_same_chart_as_in_its_season(demo):
    ids = card_page.card_ids(demo)[:3]
    charts = card_page.CardCharts(demo)
    season = [card_page.render_card([demo], demo.support, sid, charts=charts) for sid in ids]
    charts.close()
    assert [card_page.render_card([demo], demo.support, sid) for sid in ids] == season

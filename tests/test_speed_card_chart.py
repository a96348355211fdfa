"""The cards' chart layout is solved once per season and reused (issue 17, goal 1): the reuse must
not change what a card shows, and a chart that would not fit the reused crop gets its own layout."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import REPO  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from PIL import Image  # noqa: E402

from shnor_lib import compute_season, load_dataset  # noqa: E402
from shnor_lib.config.params import load_project_params  # noqa: E402
from shnor_lib.report import card_page, plots  # noqa: E402


@pytest.fixture(scope="module")
def demo():
    root = REPO / "data_raw"
    return compute_season(load_dataset(root, "demo"), "demo", 2024, load_project_params(root, "demo", None))


@pytest.fixture(autouse=True)
def _fresh():
    plots.set_style()
    card_page._LAYOUTS.clear()
    yield
    card_page._LAYOUTS.clear()
    plt.close("all")


def _pixels(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))


def _own_layout(res, sid: str) -> np.ndarray:
    """The chart as the first card of its season gets it: constrained layout, tight crop."""
    card_page._LAYOUTS.clear()
    return _pixels(card_page._figure(res, sid)[0])


def test_card_charts_drawn_on_the_first_cards_layout_look_as_with_their_own(demo):
    # every card draws the same scatter (only the highlighted school differs): the reused layout must give the same pixels
    ids = card_page.card_ids(demo)[:3]
    reused = [_pixels(card_page._figure(demo, sid)[0]) for sid in ids]
    assert len(card_page._LAYOUTS) == 1  # solved once, for the first card
    for sid, got in zip(ids, reused, strict=True):
        assert np.array_equal(got, _own_layout(demo, sid)), sid


def test_a_card_chart_leaving_the_reused_crop_is_laid_out_on_its_own(demo):
    first, second = card_page.card_ids(demo)[:2]
    card_page._figure(demo, first)
    layout = card_page._LAYOUTS[id(demo)][1]
    layout.crop = Bbox.from_bounds(1, 0.5, 2, 1)  # far too small: every label falls outside
    got = _pixels(card_page._figure(demo, second)[0])
    assert np.array_equal(got, _own_layout(demo, second))
    assert card_page._LAYOUTS[id(demo)][1].crop.width > 3  # the card's own layout replaced the broken one

"""Wilson intervals come from statsmodels (``proportion_confint(method="wilson")``): the same
numbers, bit for bit at the package's confidence level, as the textbook formula the package
computed itself before (kept here as the reference)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from shnor_lib import wilson_interval


def _textbook(k, n, level):
    """The Wilson score interval as the package computed it before (Wilson 1927; Методика §2)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = centre - half, centre + half
    bad = ~(n > 0)
    return np.where(bad, np.nan, np.clip(low, 0, 1)), np.where(bad, np.nan, np.clip(high, 0, 1))


def _grid():
    n = np.repeat(np.arange(0, 301), 301).astype(float)
    k = np.tile(np.arange(0, 301), 301).astype(float)
    keep = k <= n
    k, n = k[keep], n[keep]
    k = np.append(k, [np.nan, 3.0, 5.0])  # a missing count, a missing and a zero cohort
    n = np.append(n, [40.0, np.nan, 0.0])
    return k, n


@pytest.mark.parametrize("level", [0.95, 1 - 0.05])  # the default confidence_level and 1 − model.alpha
def test_statsmodels_gives_the_textbook_interval_bit_for_bit_at_the_package_level(level):
    k, n = _grid()
    lo, hi = wilson_interval(k, n, level)
    ref_lo, ref_hi = _textbook(k, n, level)
    assert np.array_equal(lo, ref_lo, equal_nan=True) and np.array_equal(hi, ref_hi, equal_nan=True)


@pytest.mark.parametrize("level", [0.8, 0.9, 0.99, 0.999])
def test_other_levels_differ_only_in_the_last_digits_of_the_normal_quantile(level):
    # statsmodels takes z = isf((1 − level)/2), the textbook code ppf(0.5 + level/2): equal
    # mathematically, a few units of the last place apart in floating point.
    k, n = _grid()
    lo, hi = wilson_interval(k, n, level)
    ref_lo, ref_hi = _textbook(k, n, level)
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_no_participants_give_no_interval_and_shapes_are_kept():
    lo, hi = wilson_interval(np.array([[0, 1], [2, 3]]), np.array([[0, 10], [10, np.nan]]))
    assert lo.shape == (2, 2) and np.isnan(lo[0, 0]) and np.isnan(hi[1, 1])
    assert 0 <= lo[0, 1] < 0.1 < hi[0, 1] < 1

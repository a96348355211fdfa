"""The one formatter (shnor_lib.report.format): Russian numbers, percentages, p-values and plurals.

Expected strings are written by hand from the Russian conventions the reports follow: decimal
comma, true minus «−», «—» for a missing value, non-breaking thousands separator, and
number–noun agreement (1 школа, 2 школы, 5 школ, 11 школ, 21 школа).
"""

from __future__ import annotations

import numpy as np

from shnor_lib.report.format import count, fmt_g, fmt_int, fmt_num, fmt_p, fmt_pct, p_text, plural


def test_numbers_have_a_decimal_comma_and_a_true_minus():
    assert fmt_num(0.1749, 3) == "0,175"
    assert fmt_num(-1.25, 1) == "−1,2"  # −1.25 is exact in binary: the tie goes to the even digit
    assert fmt_num(2) == "2,00"


def test_a_value_rounding_to_zero_never_shows_a_minus():
    assert fmt_num(-0.0001, 2) == "0,00"


def test_missing_values_read_as_a_dash():
    assert fmt_num(np.nan) == "—"
    assert fmt_num(None) == "—"
    assert fmt_int(np.nan) == "—"
    assert fmt_pct(float("nan")) == "—"
    assert fmt_p(np.nan) == "—"


def test_integers_get_non_breaking_thousands():
    assert fmt_int(12345) == "12\u00a0345"
    assert fmt_int(999.6) == "1\u00a0000"


def test_shares_are_percentages_with_a_comma():
    assert fmt_pct(0.175) == "17,5%"
    assert fmt_pct(0.3, 0) == "30%"


def test_p_values_below_a_thousandth_are_not_written_out():
    assert fmt_p(0.0001) == "< 0,001"
    assert fmt_p(0.0421) == "0,042"
    assert p_text(0.0001) == "p < 0,001"
    assert p_text(0.0421) == "p = 0,042"


def test_general_numbers_keep_only_the_digits_they_have():
    assert fmt_g(0.5) == "0,5"
    assert fmt_g(10.0) == "10"
    assert fmt_g(-2.0) == "−2"


def test_nouns_agree_with_the_number():
    assert [plural(n, "школа", "школы", "школ") for n in (1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111)] == \
        ["школа", "школы", "школ", "школ", "школ", "школ", "школа", "школы", "школ", "школа", "школ"]
    assert count(3, "мера", "меры", "мер") == "3 меры"
    assert count(0, "мера", "меры", "мер") == "0 мер"

"""Numbers, percentages and plurals the Russian way — the one formatter of the package.

Every Russian text the package writes (report sections, school cards, chart labels, the
reasons of ``schools.csv``, analysis explanations, CLI and validation messages) formats its
numbers here: decimal comma, true minus sign «−», «—» for a missing value, non-breaking
thousands separator, and number–noun agreement (1 школа, 2 школы, 5 школ).

This module imports nothing from ``shnor_lib``: the contract, analysis and CLI layers use it
too, so it must stay a leaf (no cycles, no heavy imports).

Usage::

    from shnor_lib.report.format import fmt_num, fmt_pct, plural
    fmt_num(-0.1234, 3)             # '−0,123'
    fmt_pct(0.175)                  # '17,5%'
    f"{n} {plural(n, 'школа', 'школы', 'школ')}"
"""

from __future__ import annotations

import pandas as pd

__all__ = ["MISSING", "fmt_num", "fmt_int", "fmt_pct", "fmt_p", "p_text", "fmt_g", "plural", "count"]

#: What a missing number reads as.
MISSING = "—"


def fmt_num(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals, decimal comma and true minus sign; «—» when missing.

    ``−0,00`` never appears: a value that rounds to zero is written ``0,00``.
    """
    if x is None or pd.isna(x):
        return MISSING
    v = round(float(x), digits) + 0.0  # + 0.0 turns −0.0 into 0.0
    return f"{v:.{digits}f}".replace(".", ",").replace("-", "−")


def fmt_int(n: float | None) -> str:
    """An integer with non-breaking-space thousands (12 345); «—» when missing."""
    if n is None or pd.isna(n):
        return MISSING
    return f"{int(round(float(n))):,}".replace(",", "\u00a0")


def fmt_pct(share: float | None, digits: int = 1) -> str:
    """A share as percent with the decimal comma: 0.175 → «17,5%»; «—» when missing."""
    if share is None or pd.isna(share):
        return MISSING
    return f"{100 * share:.{digits}f}%".replace(".", ",")


def fmt_p(p: float | None) -> str:
    """A p-value: «< 0,001» or three decimals; «—» when missing."""
    if p is None or pd.isna(p):
        return MISSING
    return "< 0,001" if p < 0.001 else fmt_num(p, 3)


def p_text(p: float | None) -> str:
    """A p-value in a sentence: «p < 0,001» or «p = 0,042»."""
    return "p < 0,001" if p is not None and p < 0.001 else f"p = {fmt_p(p)}"


def fmt_g(x: float) -> str:
    """A number as written, without trailing zeros (Python's ``g``): 0.5 → «0,5», −2 → «−2»."""
    return f"{x:g}".replace(".", ",").replace("-", "−")


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for ``n``: plural(1, 'школа', 'школы', 'школ') → 'школа'.

    ``one`` for 1, 21, 101…; ``few`` for 2–4, 22–24…; ``many`` for 0, 5–20, 25… (11–14 too).
    """
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    """``n`` with its noun in agreement: count(5, 'школа', 'школы', 'школ') → '5 школ'."""
    return f"{n} {plural(n, one, few, many)}"
